/**
 * Read replicas' replication channels (docs/replication.md): who a replica is on its source, how its
 * engine reaches the source, and how healthy that is.
 *
 * A replica's engine is a verified TLS client of its source's *endpoint*, exactly as an application
 * is: it connects to the endpoint's DNS name and port through the source's front door, checks the
 * server certificate against tlsql's whole bundle (every CA family, so a CA rotation of the source
 * does not break it) and the host name (`MASTER_SSL_VERIFY_SERVER_CERT`), and presents a client
 * certificate from the region's client CA. On the source, its account `tlsql_repl_<resource id>`
 * REQUIREs that certificate's subject and has REPLICATION SLAVE only. Its password is derived from
 * the master key and the replica's resource id, so tlsql never stores it (mariadbd keeps it in the
 * replica's master.info, inside the 0700 data dir). Nothing depends on both engines sharing a host.
 */
import { hkdfSync } from 'node:crypto';
import type { Clock } from '../lib/clock.js';
import { withTimeout } from '../dataplane/phase-timeout.js';
import type { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import type { DbInstance, InstanceStatusInfo, ReplicationChannelRecord } from '../model/db-instance.js';
import type { Store } from '../store/store.js';
import type { ConnectionSecurity } from './connection-security.js';
import type { EventRecorder } from './events.js';
import { REPLICATION_USER_PREFIX } from '../engine/local-mariadb.js';
import type { ReplicationChannel } from '../engine/replication.js';
import type { InstanceRuntime } from './instance-runtime.js';

/** A replication certificate is replaced when it has less than this left. */
export const RENEW_CHANNEL_BEFORE_MS = 30 * 24 * 3600 * 1000;
/** Its validity: RDS's 397-day limit for certificates (client-ca.ts's maximum). */
export const REPLICATION_CERTIFICATE_HOURS = 397 * 24;
/** Bound of one look at a replica: one engine that hangs must not stop the looks at the others. */
const LOOK_TIMEOUT_MS = 5_000;

export interface ReplicationDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  runtime: InstanceRuntime;
  security: ConnectionSecurity;
  events: EventRecorder;
  masterKey: Buffer;
  /** The instance lock shared with the other per-instance operations. */
  lock: KeyedLock;
  /** tlsql's bundle of every CA family's roots: what the replica trusts for its source's endpoint. */
  bundlePem: () => string;
  /** Runs work after the current call returns (awaited at shutdown). */
  inBackground: (p: Promise<unknown>) => void;
}

/** What the last look at a replica found. */
interface ReplicaHealth {
  sourceId: string;
  status: 'replicating' | 'error' | 'connecting';
  message?: string;
  lagSeconds: number | null;
  /** An error was seen and replication has not resumed since. */
  broken?: boolean;
}

export class Replication {
  private readonly health = new Map<string, ReplicaHealth>();
  private readonly renewing = new Set<string>();
  private readonly log: Logger;

  constructor(private readonly d: ReplicationDeps) {
    this.log = d.logger.child({ component: 'replication' });
  }

  /**
   * Sets up `replica`'s channel from `source` and starts it: a client certificate for the replica,
   * its account on the source, CHANGE MASTER on the replica. Records the channel on `replica`
   * (the caller stores it).
   */
  async connect(replica: DbInstance, source: DbInstance): Promise<void> {
    replica.replication = await this.openChannel(
      { account: `${REPLICATION_USER_PREFIX}${replica.resourceId.toLowerCase().replace(/^db-/, '')}`, subject: `/O=tlsql/OU=replication/CN=${replica.id}.${replica.resourceId.toLowerCase()}`, passwordLabel: `replication:${replica.resourceId}` },
      source,
      (channel) => this.d.runtime.replicateFrom(replica, channel),
    );
  }

  /**
   * A replication channel from `source`'s endpoint: a new client certificate with `who.subject`,
   * the account on the source that REQUIREs it (replicated to the source's own replicas and
   * standby), then `start` with what the replicating engine needs. Returns the record to keep.
   */
  async openChannel(who: { account: string; subject: string; passwordLabel: string }, source: DbInstance, start: (channel: ReplicationChannel) => Promise<void>): Promise<ReplicationChannelRecord> {
    const cert = await this.d.security.issueClientCertificate({ subject: who.subject, validityHours: REPLICATION_CERTIFICATE_HOURS });
    // Derived with a label of its own, never stored (see the file comment).
    const password = Buffer.from(hkdfSync('sha256', this.d.masterKey, Buffer.from(who.passwordLabel, 'utf8'), Buffer.from('tlsql replication-account-password v1', 'utf8'), 32)).toString('base64url');
    const record: ReplicationChannelRecord = { account: who.account, subject: who.subject, certificateSerial: cert.serialHex, certificateNotAfter: cert.notAfter };
    try {
      await this.d.runtime.setReplicationAccount(source, { user: who.account, password, subject: who.subject });
      await start({
        host: source.endpoint.address,
        port: source.endpoint.port,
        user: who.account,
        password,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
        caPem: this.d.bundlePem(),
      });
    } catch (e) {
      // Nothing half-made: no account left on the source, no certificate left valid.
      await this.closeChannel(source, record);
      throw e;
    }
    return record;
  }

  /** Revokes a channel's certificate that is no longer used (best effort: it expires anyway). */
  async revokeChannelCertificate(channel: ReplicationChannelRecord, reason: 'cessationOfOperation' | 'superseded'): Promise<void> {
    await this.d.security.revokeClientCertificate({ serialNumber: channel.certificateSerial, reason }).catch((e: unknown) => this.log.warn('could not revoke a replication certificate', { subject: channel.subject, err: e as Error }));
  }

  /**
   * Ends `replica`'s replication for good (promotion, deletion): its engine applies what it has
   * fetched and forgets the source; the source's account is dropped and the certificate revoked.
   * With `applyFirst` false (the replica is being deleted) the engine is left alone.
   */
  async disconnect(replica: DbInstance, opts: { applyFirst: boolean }): Promise<void> {
    if (opts.applyFirst) await this.d.runtime.endReplication(replica);
    const channel = replica.replication;
    const source = replica.readReplicaSourceId !== undefined ? this.d.store.getInstance(replica.readReplicaSourceId) : null;
    delete replica.replication;
    delete replica.readReplicaSourceId;
    this.health.delete(replica.id);
    if (channel) await this.closeChannel(source, channel);
  }

  /**
   * Takes a channel apart: its account dropped on the source (best effort: a source that is down
   * or gone keeps it, and no certificate can use it any more) and its certificate revoked.
   */
  async closeChannel(source: DbInstance | null, channel: ReplicationChannelRecord): Promise<void> {
    if (source && this.d.runtime.isServing(source.id)) {
      await this.d.runtime.setReplicationAccount(source, { user: channel.account, drop: true }).catch((e: unknown) => this.log.warn('could not drop a replication account on its source', { source: source.id, account: channel.account, err: e as Error }));
    }
    await this.revokeChannelCertificate(channel, 'cessationOfOperation');
  }

  /** The identifiers of `source`'s read replicas, sorted. */
  replicaIdsOf(sourceId: string): string[] {
    return this.replicasBySource().get(sourceId) ?? [];
  }

  /** Every source's read replicas, sorted, from one read of the store. */
  replicasBySource(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const i of this.d.store.listInstances()) {
      if (i.readReplicaSourceId === undefined) continue;
      const list = out.get(i.readReplicaSourceId) ?? [];
      list.push(i.id);
      out.set(i.readReplicaSourceId, list);
    }
    return out;
  }

  /** RDS's `read replication` StatusInfos entry of a replica, from the last look at it; none for other instances. */
  statusInfos(inst: DbInstance): InstanceStatusInfo[] {
    if (inst.readReplicaSourceId === undefined) return [];
    const h = this.health.get(inst.id);
    if (!h) return [];
    return [{ statusType: 'read replication', normal: h.status !== 'error', status: h.status, ...(h.message !== undefined ? { message: h.message } : {}) }];
  }

  /**
   * `/metrics`: per replica, whether it replicates and how far behind its source it is
   * (`Seconds_Behind_Master` at the last look; absent while the applier does not run).
   */
  renderMetrics(): string {
    const rows = [...this.health].sort(([a], [b]) => a.localeCompare(b));
    const label = (id: string, h: ReplicaHealth) => `{instance="${id}",source="${h.sourceId}"}`;
    const out = [
      '# HELP tlsql_replica_replicating 1 while a read replica receives and applies its source\'s changes, 0 when replication is broken or connecting.',
      '# TYPE tlsql_replica_replicating gauge',
      ...rows.map(([id, h]) => `tlsql_replica_replicating${label(id, h)} ${h.status === 'replicating' ? 1 : 0}`),
      '# HELP tlsql_replica_lag_seconds How far a read replica is behind its source (Seconds_Behind_Master), at the last look.',
      '# TYPE tlsql_replica_lag_seconds gauge',
      ...rows.filter(([, h]) => h.lagSeconds !== null).map(([id, h]) => `tlsql_replica_lag_seconds${label(id, h)} ${h.lagSeconds}`),
    ];
    return out.join('\n') + '\n';
  }

  /**
   * Looks at every serving replica: its health (events when it breaks and when it resumes, as RDS
   * raises them) and its certificate (replaced when it has under 30 days left).
   */
  async poll(): Promise<void> {
    for (const inst of this.d.store.listInstances()) {
      if (inst.readReplicaSourceId === undefined || !inst.replication || !this.d.runtime.isServing(inst.id)) continue;
      try {
        await withTimeout(this.pollOne(inst), LOOK_TIMEOUT_MS, () => new Error(`no answer within ${LOOK_TIMEOUT_MS} ms`));
      } catch (e) {
        this.log.warn('could not read the replica status', { instance: inst.id, err: e as Error });
      }
    }
  }

  private async pollOne(inst: DbInstance): Promise<void> {
    const st = await this.d.runtime.replicaStatus(inst);
    const previous = this.health.get(inst.id);
    const sourceId = inst.readReplicaSourceId!;
    let next: ReplicaHealth;
    if (st === null) next = { sourceId, status: 'error', message: 'Replication is not configured on the replica engine', lagSeconds: null };
    else if (st.lastError !== null && (!st.sqlRunning || st.ioRunning !== 'Yes')) next = { sourceId, status: 'error', message: st.lastError, lagSeconds: st.secondsBehind };
    else if (st.ioRunning === 'Yes' && st.sqlRunning) next = { sourceId, status: 'replicating', lagSeconds: st.secondsBehind };
    else next = { sourceId, status: 'connecting', lagSeconds: st.secondsBehind };
    // Broken until it replicates again (an error, then `connecting` while it retries, is still broken).
    next.broken = next.status === 'error' || (next.status === 'connecting' && previous?.broken === true);
    this.health.set(inst.id, next);
    if (next.status === 'error' && previous?.status !== 'error') {
      this.d.events.instance(inst, `An error has occurred in the read replication process: ${next.message}`, ['read replica', 'failure']);
    } else if (next.status === 'replicating' && previous?.broken) {
      this.d.events.instance(inst, 'The read replica has resumed replication.', ['read replica']);
    }
    if (inst.replication!.certificateNotAfter.getTime() - this.d.clock.now().getTime() < RENEW_CHANNEL_BEFORE_MS && !this.renewing.has(inst.id)) {
      // In the background: it waits for the instance lock, which a long operation may hold.
      this.renewing.add(inst.id);
      this.d.inBackground(
        this.d.lock
          .run(inst.id, async () => {
            const current = this.d.store.getInstance(inst.id);
            if (current?.replication && current.status === 'available') await this.renewCertificate(current, current.replication);
          })
          .catch((e: unknown) => this.log.warn('renewing the replication certificate failed; retried at the next look', { instance: inst.id, err: e as Error }))
          .finally(() => this.renewing.delete(inst.id)),
      );
    }
  }

  /** A new client certificate for the channel (same subject); the old one is revoked once the replica has the new one. */
  private async renewCertificate(inst: DbInstance, channel: ReplicationChannelRecord): Promise<void> {
    const cert = await this.d.security.issueClientCertificate({ subject: channel.subject, validityHours: REPLICATION_CERTIFICATE_HOURS });
    await this.d.runtime.renewReplicationCertificate(inst, { certPem: cert.certPem, keyPem: cert.keyPem });
    const old = channel.certificateSerial;
    inst.replication = { ...channel, certificateSerial: cert.serialHex, certificateNotAfter: cert.notAfter };
    this.d.store.updateInstance(inst);
    await this.revokeChannelCertificate({ ...channel, certificateSerial: old }, 'superseded');
    this.d.events.instance(inst, `Replication client certificate renewed (serial ${cert.serialHex}, valid until ${cert.notAfter.toISOString()})`, ['security']);
  }

}
