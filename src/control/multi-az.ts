/**
 * Multi-AZ DB instances (docs/replication.md): a second engine, the standby, kept current by
 * MariaDB's semi-synchronous replication (AFTER_SYNC: a commit is acknowledged to the client only
 * once the standby has it), and a failover that keeps the endpoint, its port and its certificate.
 *
 * The standby replicates through the instance's *own endpoint*, as a verified TLS client with its
 * client certificate (replication.ts, openChannel), so its channel is the same one read replicas
 * use. A failover fences the endpoint (new sessions wait for the new primary, live ones are
 * closed), lets the standby apply everything it received, makes it the primary and points the
 * endpoint at it; clients reconnect to the same name and verify the same certificate, with no DNS
 * change to wait for. A new standby is then copied from the new primary in the background.
 *
 * tlsql's "availability zones" are its two engine slots: `<region>a` is the engine in the
 * instance's own directory, `<region>b` the one in `<id>_b`.
 */
import { AppError } from '../errors/app-error.js';
import { withTimeout } from '../dataplane/phase-timeout.js';
import { REPLICATION_USER_PREFIX } from '../engine/local-mariadb.js';
import type { Clock } from '../lib/clock.js';
import type { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import { otherSlot, zoneOf, type DbInstance, type InstanceStatusInfo } from '../model/db-instance.js';
import type { Store } from '../store/store.js';
import type { ConnectionSecurity } from './connection-security.js';
import { publicReason, type EventRecorder } from './events.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { LinkCertificates } from './link-certificates.js';
import { REPLICATION_CERTIFICATE_HOURS, RENEW_CHANNEL_BEFORE_MS, type Replication } from './replication.js';

export interface MultiAzDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  runtime: InstanceRuntime;
  replication: Replication;
  links: LinkCertificates;
  security: ConnectionSecurity;
  events: EventRecorder;
  /** The instance lock shared with the other per-instance operations. */
  lock: KeyedLock;
  /** config.multiAz */
  settings: { healthCheckTimeoutMs: number; unansweredChecksBeforeFailover: number };
  /** Bound on the standby catching up after it is copied, ms. Default 120 s. */
  catchUpTimeoutMs?: number;
  /** Runs work after the current call returns (DbInstances' background set, awaited at shutdown). */
  inBackground: (p: Promise<unknown>) => void;
}

/** The primary's own view of its standby, from the last look (StatusInfos, events). */
interface StandbyHealth {
  /** Semi-synchronous replication on: commits wait for the standby. */
  synchronous: boolean;
  message?: string;
}

export class MultiAz {
  private readonly log: Logger;
  private readonly unanswered = new Map<string, number>();
  private readonly health = new Map<string, StandbyHealth>();
  private readonly renewing = new Set<string>();

  constructor(private readonly d: MultiAzDeps) {
    this.log = d.logger.child({ component: 'multi-az' });
  }

  /**
   * Builds `inst`'s standby (inst.multiAz set, standby `creating`): a consistent copy of the
   * primary in the other slot, its channel through the endpoint, caught up; then the primary waits
   * for its acknowledgements. The caller holds the instance lock and stores `inst`.
   */
  async buildStandby(inst: DbInstance): Promise<void> {
    const state = inst.multiAz!;
    state.standby = 'creating';
    this.save(inst);
    const link = await this.d.links.activeMaterial(inst);
    await this.d.runtime.provisionStandby(inst, { ...link, caPem: await this.d.security.engineCaPem(inst) });
    const res = inst.resourceId.toLowerCase();
    const previous = state.channel;
    state.channel = await this.d.replication.openChannel(
      { account: `${REPLICATION_USER_PREFIX}sb_${res.replace(/^db-/, '')}`, subject: `/O=tlsql/OU=standby/CN=${inst.id}.${res}`, passwordLabel: `standby:${inst.resourceId}` },
      inst,
      (channel) => this.d.runtime.standbyReplicateFrom(inst, channel),
    );
    this.save(inst);
    if (previous) await this.d.replication.revokeChannelCertificate(previous, 'superseded');
    await this.waitCaughtUp(inst);
    state.standby = 'in-sync';
    this.save(inst);
    // Semi-synchronous from here: the primary's next commit waits for the standby's acknowledgement.
    await this.d.runtime.applyEngineParameters(inst);
    this.health.set(inst.id, { synchronous: true });
    this.d.events.instance(inst, `Multi-AZ standby in ${zoneOf(inst.region, otherSlot(inst.primarySlot ?? 'a'))} is in sync: commits are acknowledged once it has them`, ['availability']);
  }

  /** Polls the standby until it has connected and applied what it received. */
  private async waitCaughtUp(inst: DbInstance): Promise<void> {
    const deadline = Date.now() + (this.d.catchUpTimeoutMs ?? 120_000);
    for (;;) {
      const st = await this.d.runtime.standbyStatus(inst);
      if (st?.ioRunning === 'Yes' && st.sqlRunning && st.secondsBehind === 0) return;
      if (Date.now() > deadline) throw new AppError('InternalFailure', `the Multi-AZ standby did not catch up${st?.lastError ? `: ${st.lastError}` : ''}`, { expose: false });
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Turns Multi-AZ off: the standby is stopped and removed, its channel taken apart. The caller holds the lock and stores `inst`. */
  async removeStandby(inst: DbInstance): Promise<void> {
    const state = inst.multiAz;
    if (!state) return;
    const standbySlot = otherSlot(inst.primarySlot ?? 'a');
    delete inst.multiAz;
    this.health.delete(inst.id);
    this.save(inst);
    // Synchronous no more before the standby goes, so no commit waits for an acknowledgement that cannot come.
    await this.d.runtime.applyEngineParameters(inst);
    await this.d.runtime.destroyEngineSlot(inst, standbySlot);
    if (state.channel) await this.d.replication.closeChannel(inst, state.channel);
  }

  /**
   * Stores `inst`'s Multi-AZ fields (primary slot, standby state and channel) on the instance's
   * current document, leaving what others changed meanwhile (a status set by the supervisor) as it is.
   */
  private save(inst: DbInstance): void {
    const current = this.d.store.getInstance(inst.id);
    if (!current) return;
    current.primarySlot = inst.primarySlot;
    if (inst.multiAz) current.multiAz = inst.multiAz;
    else delete current.multiAz;
    this.d.store.updateInstance(current);
  }

  /** Whether `inst` can fail over now: Multi-AZ with a standby in sync. */
  canFailOver(inst: DbInstance): boolean {
    return inst.multiAz?.standby === 'in-sync';
  }

  /**
   * Fails over to the standby (see the file comment); the new standby is built in the background.
   * The caller holds the instance lock. Throws, leaving the primary as it was, when there is no
   * standby in sync.
   */
  async failover(inst: DbInstance, why: string): Promise<void> {
    if (!this.canFailOver(inst)) throw new AppError('InvalidDBInstanceState', `DB instance ${inst.id} has no Multi-AZ standby in sync to fail over to.`);
    const started = performance.now();
    const oldSlot = inst.primarySlot ?? 'a';
    const newSlot = otherSlot(oldSlot);
    this.d.events.instance(inst, `Multi-AZ instance failover started (${why}).`, ['failover']);
    this.d.runtime.fenceEndpoint(inst);
    // The old primary is neither restarted nor waited for (it may hang): killed, its data discarded
    // once the standby has taken over; it is fenced off meanwhile.
    const oldStopped = this.d.runtime.killEngineSlot(inst, oldSlot).catch((e: unknown) => this.log.warn('stopping the old primary failed', { instance: inst.id, err: e as Error }));
    try {
      await this.d.runtime.promoteStandby(inst, 30);
    } catch (e) {
      // Nothing was switched: the old primary is started again (its data is intact unless it was
      // lost with it), the standby goes on replicating, and the endpoint follows the old primary.
      this.d.events.instance(inst, `Multi-AZ instance failover failed: ${publicReason(e)}; restarting the previous primary`, ['failover', 'failure']);
      await oldStopped;
      try {
        await this.d.runtime.startEngine(inst);
        await this.d.runtime.restartStandbyReplication(inst);
      } finally {
        this.d.runtime.followPrimary(inst);
      }
      throw e;
    }
    inst.primarySlot = newSlot;
    inst.multiAz!.standby = 'none';
    this.save(inst);
    try {
      // Writable, not waiting for acknowledgements until there is a standby again.
      await this.d.runtime.applyEngineParameters(inst);
    } finally {
      this.d.runtime.followPrimary(inst);
    }
    this.health.set(inst.id, { synchronous: false, message: 'The standby is being rebuilt after a failover: commits are not synchronous until it is in sync' });
    this.d.events.instance(inst, `Multi-AZ instance failover completed in ${Math.round(performance.now() - started)} ms: the primary is now in ${zoneOf(inst.region, newSlot)}`, ['failover']);
    this.d.inBackground(
      (async () => {
        await oldStopped;
        await this.d.lock.run(inst.id, async () => {
          const current = this.d.store.getInstance(inst.id);
          if (!current?.multiAz || current.multiAz.standby !== 'none' || (current.primarySlot ?? 'a') !== newSlot) return;
          await this.d.runtime.destroyEngineSlot(current, oldSlot);
          await this.buildStandby(current).catch((e: unknown) => {
            this.log.error('rebuilding the Multi-AZ standby failed', { instance: inst.id, err: e as Error });
            this.d.events.instance(current, `Multi-AZ standby could not be rebuilt: ${publicReason(e)}; commits are not synchronous. Reboot the instance to try again`, ['availability', 'failure']);
          });
        });
      })(),
    );
  }

  /** StatusInfos of a Multi-AZ instance whose commits are not synchronous now; none when they are. */
  statusInfos(inst: DbInstance): InstanceStatusInfo[] {
    if (!inst.multiAz) return [];
    const h = this.health.get(inst.id);
    if (inst.multiAz.standby === 'creating') return [{ statusType: 'multi-az', normal: false, status: 'standby-creating', message: 'The standby is being built: commits are not synchronous until it is in sync' }];
    if (h && !h.synchronous) return [{ statusType: 'multi-az', normal: false, status: 'not-synchronous', ...(h.message !== undefined ? { message: h.message } : {}) }];
    return [];
  }

  /**
   * One look at every Multi-AZ instance: a primary that does not answer `unansweredChecksBeforeFailover`
   * checks in a row fails over; a primary that stopped waiting for its standby (semi-synchronous
   * replication timed out) says so, and says when it waits again.
   */
  async poll(): Promise<void> {
    const bound = this.d.settings.healthCheckTimeoutMs;
    for (const inst of this.d.store.listInstances()) {
      if (!inst.multiAz || inst.status !== 'available' || !this.d.runtime.isServing(inst.id)) continue;
      try {
        await this.d.runtime.pingPrimary(inst, bound);
        this.unanswered.delete(inst.id);
      } catch (e) {
        const n = (this.unanswered.get(inst.id) ?? 0) + 1;
        this.unanswered.set(inst.id, n);
        this.log.warn('Multi-AZ primary did not answer', { instance: inst.id, checks: n, err: e as Error });
        if (n >= this.d.settings.unansweredChecksBeforeFailover && this.canFailOver(inst)) {
          this.unanswered.delete(inst.id);
          this.d.inBackground(this.failoverLocked(inst.id, `the primary engine did not answer ${n} health checks`));
        }
        continue;
      }
      if (inst.multiAz.standby !== 'in-sync') continue;
      // Bounded like the ping: one engine that hangs must not stop the checks of the others.
      await withTimeout(this.checkSynchronous(inst), bound, () => new Error(`no answer within ${bound} ms`)).catch((e: unknown) => this.log.warn('could not read semi-synchronous status', { instance: inst.id, err: e as Error }));
      const channel = inst.multiAz.channel;
      if (channel && channel.certificateNotAfter.getTime() - this.d.clock.now().getTime() < RENEW_CHANNEL_BEFORE_MS && !this.renewing.has(inst.id)) {
        this.renewing.add(inst.id);
        this.d.inBackground(this.renewStandbyCertificate(inst.id).finally(() => this.renewing.delete(inst.id)));
      }
    }
  }

  /**
   * A new client certificate for the standby's channel (same subject), read by its next connection
   * to the endpoint; the old one is revoked then. Under the instance lock.
   */
  private renewStandbyCertificate(id: string): Promise<void> {
    return this.d.lock.run(id, async () => {
      const inst = this.d.store.getInstance(id);
      const channel = inst?.multiAz?.channel;
      if (!inst || !channel || inst.multiAz?.standby !== 'in-sync') return;
      const cert = await this.d.security.issueClientCertificate({ subject: channel.subject, validityHours: REPLICATION_CERTIFICATE_HOURS });
      await this.d.runtime.renewStandbyCertificate(inst, { certPem: cert.certPem, keyPem: cert.keyPem });
      inst.multiAz.channel = { ...channel, certificateSerial: cert.serialHex, certificateNotAfter: cert.notAfter };
      this.save(inst);
      await this.d.replication.revokeChannelCertificate(channel, 'superseded');
      this.d.events.instance(inst, `Multi-AZ standby's replication client certificate renewed (serial ${cert.serialHex}, valid until ${cert.notAfter.toISOString()})`, ['security']);
    }).catch((e: unknown) => this.log.warn('renewing the standby certificate failed; retried at the next look', { instance: id, err: e as Error }));
  }

  /** A failover under the instance lock, if the instance still needs one when it gets the lock. */
  failoverLocked(id: string, why: string): Promise<void> {
    return this.d.lock.run(id, async () => {
      const inst = this.d.store.getInstance(id);
      if (!inst || !this.canFailOver(inst)) return;
      await this.failover(inst, why).catch((e: unknown) => this.log.error('Multi-AZ failover failed', { instance: id, err: e as Error }));
    });
  }

  private async checkSynchronous(inst: DbInstance): Promise<void> {
    const st = await this.d.runtime.semiSyncStatus(inst);
    const before = this.health.get(inst.id)?.synchronous ?? true;
    if (st.on === before) return;
    if (!st.on) {
      this.health.set(inst.id, { synchronous: false, message: 'The standby did not acknowledge a commit in time: commits are asynchronous until it catches up' });
      this.d.events.instance(inst, 'Multi-AZ standby is not acknowledging commits: the primary went on asynchronously (a failover now could lose the latest commits)', ['availability', 'failure']);
    } else {
      this.health.set(inst.id, { synchronous: true });
      this.d.events.instance(inst, 'Multi-AZ standby acknowledges commits again: commits are synchronous', ['availability']);
    }
  }
}
