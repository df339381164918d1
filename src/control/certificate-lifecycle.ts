/**
 * Server and engine-link certificates over time: CA rotation, renewal at half-life (or at once when
 * the name or CA family no longer matches), expiry notices, and the proof that a swap worked.
 *
 * Every replacement follows the same steps, so a bad certificate never replaces a good one:
 *   1. issue a new certificate with a fresh key;
 *   2. check it offline as a client will (key, host name, validity, chain to the published bundle
 *      or the internal link CA), so a certificate that would fail clients is never swapped in;
 *   3. swap (front door secure context, or engine files + FLUSH SSL): new connections get it,
 *      existing ones keep theirs;
 *   4. verify with a real handshake against the live endpoint / engine socket that the new serial
 *      is what clients now see; otherwise swap back;
 *   5. only then record it as active (the previous one is retired, i.e. forgotten for serving).
 * A failure at any step keeps the previous certificate serving and raises an event.
 *
 * Step 1 is the slow one (15–60 ms: ASN.1 encoding and the CA's signature, more with an RSA-4096
 * CA), so for CA rotations it is done ahead of time: every available instance gets a prepared
 * certificate for each CA family it does not use (`prepareRotations`), issued in the background
 * after it becomes available, after each rotation and by the scheduler's passes. A rotation takes
 * the prepared one and goes straight to step 2. Prepared certificates live in memory only, are
 * used at most once, and are dropped when older than a day or no longer for the endpoint's name.
 */
import type { Config } from '../config/config.js';
import type { Engine } from '../engine/engine.js';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { CertificateAuthority, IssuedCertificate } from '../pki/certificate-authority.js';
import { CA_FAMILIES, isCaFamilyId, type CaFamilyId } from '../pki/families.js';
import { parseCertificate } from '../pki/inspect.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import { verifyChainOffline } from '../pki/verify-chain.js';
import { probeEndpoint, probeEngineLink } from '../reconcile/tls-probe.js';
import type { LinkCertificateRecord } from '../model/link-certificate-record.js';
import type { ServerCertificateRecord } from '../model/server-certificate-record.js';
import { CertificateLifecycleStore } from '../store/certificate-lifecycle-store.js';
import type { Store } from '../store/store.js';
import type { EventRecorder } from './events.js';
import { keyLabel, type InstanceRuntime, type LinkKeyType } from './instance-runtime.js';
import { isInMaintenanceWindow } from './maintenance-window.js';
import type { DbInstance } from '../model/db-instance.js';

/** The pending maintenance action tlsql knows. */
export const CA_ROTATION_ACTION = 'ca-certificate-rotation';

/** Announced once each per certificate, most distant first, when a certificate gets this close to expiry. */
export const EXPIRY_NOTICE_DAYS = [90, 30, 7] as const;

const DAY_MS = 24 * 60 * 60 * 1000;
/** A prepared certificate older than this is issued again, so a rotation never serves a noticeably shortened validity. */
const PREPARED_MAX_AGE_MS = DAY_MS;
/** First retry after a failed renewal; doubles per failure up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 5 * 60 * 1000;
const RETRY_MAX_MS = 60 * 60 * 1000;

export interface CertificateLifecycleDeps {
  config: Config;
  store: Store;
  ca: CertificateAuthority;
  engine: Engine;
  runtime: InstanceRuntime;
  events: EventRecorder;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
}

/** Counters for metrics; monotonic over the process lifetime. */
export interface LifecycleCounters {
  serverRenewals: { succeeded: number; failed: number };
  linkRenewals: { succeeded: number; failed: number };
  caRotations: { succeeded: number; failed: number };
}

/** What one maintenance pass did for an instance (for logs and tests). */
export interface MaintenanceOutcome {
  instanceId: string;
  skipped?: string;
  rotatedTo?: string;
  serverRenewed?: string;
  linkRenewed?: string;
  failures: string[];
  notices: string[];
}

/** A server certificate issued ahead of a rotation to its family; never recorded until it serves. */
interface PreparedCertificate {
  endpoint: string;
  cert: IssuedCertificate;
  issuedAtMs: number;
}

/** Why a certificate is replaced; shown in events. */
type Reason = string;
/** What a failure delays the next automatic attempt of. */
type RetryKind = 'server' | 'link' | 'rotation';

export class CertificateLifecycle {
  readonly repo: CertificateLifecycleStore;
  readonly counters: LifecycleCounters = {
    serverRenewals: { succeeded: 0, failed: 0 },
    linkRenewals: { succeeded: 0, failed: 0 },
    caRotations: { succeeded: 0, failed: 0 },
  };
  private readonly retry = new Map<string, { failures: number; notBeforeMs: number }>();
  private readonly log: Logger;
  /** Prepared rotation targets by `${instanceId}|${familyId}`. */
  private readonly prepared = new Map<string, PreparedCertificate>();
  /** Instances whose preparation is running, so two triggers never issue twice. */
  private readonly preparing = new Map<string, Promise<number>>();
  /** Rotations that used a prepared certificate, and those that had to issue one. */
  readonly preparedStats = { used: 0, missed: 0, issued: 0 };
  /** The preparation running or last queued; every new one starts after it. */
  private prepareQueue: Promise<unknown> = Promise.resolve();
  /** Delayed preparations (after an instance becomes available), cleared on shutdown. */
  private readonly prepareTimers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly d: CertificateLifecycleDeps) {
    this.repo = new CertificateLifecycleStore(d.store);
    this.log = d.logger.child({ component: 'certificates' });
  }

  // --- CA rotation ---------------------------------------------------------------------------

  /**
   * Rotates the instance to CA family `ca` now: a server certificate from that family replaces the
   * current one at the endpoint (steps in the file comment), the pending rotation (if any) is
   * cleared, and the engine link certificate follows the family's key type. Mutates and stores
   * `inst`. Throws AppError (and keeps the previous certificate) when the swap cannot be verified.
   * The caller holds the instance lock and has checked the status.
   */
  async rotateCa(inst: DbInstance, ca: CaFamilyId, trigger: string): Promise<void> {
    const from = inst.certificate?.caIdentifier ?? inst.caCertificateIdentifier;
    // A CA clients do not trust yet must never be served; every family is always published, so this only trips on a broken CA.
    const root = this.d.ca.record(ca, inst.region).rootPem;
    if (!this.d.ca.bundlePem(inst.region).includes(root.trim())) {
      throw new AppError('InternalFailure', `CA ${ca} is not in the published ${inst.region} bundle; refusing to rotate to it`, { expose: false });
    }
    let cert: IssuedCertificate;
    try {
      cert = await this.replaceServerCertificate(inst, ca, (i) => {
        i.caCertificateIdentifier = ca;
        delete i.pendingModifiedValues.caCertificateIdentifier;
      });
    } catch (e) {
      this.counters.caRotations.failed++;
      this.event(inst, `CA certificate rotation from ${from} to ${ca} (${trigger}) failed; the endpoint still serves its previous certificate from ${from}: ${reasonOf(e)}`, ['security', 'failure']);
      throw new AppError('InternalFailure', `CA certificate rotation to ${ca} failed; DB instance ${inst.id} still serves its previous certificate (see DescribeEvents).`, { cause: e, expose: true });
    }
    this.repo.setMaintenanceOptIn(inst.resourceId, CA_ROTATION_ACTION, null, this.d.clock.now());
    this.counters.caRotations.succeeded++;
    this.event(
      inst,
      `CA certificate rotated from ${from} to ${ca} (${trigger}): server certificate serial ${cert.serialHex}, ${cert.keyType}, valid until ${cert.notAfter.toISOString()}; existing connections continue unchanged`,
      ['security', 'maintenance'],
    );
    // The family just left is the likeliest next target (a rollback): prepare it, after any run in
    // progress for this instance (which may have read the family in use before this rotation).
    void (this.preparing.get(inst.id) ?? Promise.resolve()).then(() => this.prepareRotations(inst.id));
    const linkKeyType = this.d.runtime.linkKeyTypeFor(ca);
    if (linkKeyType !== this.currentLinkKeyType(inst)) {
      // The link's TLS 1.2 suites follow the client's (same auth type) only when the link key matches;
      // a failure here is not a rotation failure: the link keeps working and the scheduler retries.
      await this.renewLink(inst, linkKeyType, `key type follows CA ${ca}`).catch(() => undefined);
    }
  }

  // --- scheduled maintenance -------------------------------------------------------------------

  /**
   * One scheduler pass for an instance (caller holds the instance lock): apply a pending CA
   * rotation in its maintenance window, renew certificates that are past half-life or no longer
   * match, announce upcoming expiry, keep `CertificateDetails` true. Never throws.
   */
  async maintain(inst: DbInstance): Promise<MaintenanceOutcome> {
    const out: MaintenanceOutcome = { instanceId: inst.id, failures: [], notices: [] };
    if (inst.status !== 'available' || !this.d.runtime.doors.has(inst.id)) {
      out.skipped = `status ${inst.status}`;
      return out;
    }
    const now = this.d.clock.now();
    try {
      this.syncCertificateDetails(inst);

      const pending = inst.pendingModifiedValues.caCertificateIdentifier;
      if (
        pending !== undefined &&
        isCaFamilyId(pending) &&
        this.optIn(inst) === 'next-maintenance' &&
        isInMaintenanceWindow(now, inst.preferredMaintenanceWindow) &&
        this.mayAttempt(inst, 'rotation', now)
      ) {
        try {
          await this.rotateCa(inst, pending, `maintenance window ${inst.preferredMaintenanceWindow}`);
          this.succeeded(inst, 'rotation');
          out.rotatedTo = pending;
        } catch (e) {
          // rotateCa raised the event; retry later in the window rather than on every pass.
          this.failed(inst, 'rotation');
          out.failures.push(`rotation: ${reasonOf(e)}`);
        }
      }

      const serverReason = this.serverRenewalReason(inst, now);
      if (serverReason && this.mayAttempt(inst, 'server', now)) {
        try {
          out.serverRenewed = (await this.renewServer(inst, serverReason)).serialHex;
        } catch (e) {
          out.failures.push(`server: ${reasonOf(e)}`);
        }
      }

      const link = await this.ensureLinkRecord(inst).catch((e: unknown) => {
        out.failures.push(`link record: ${reasonOf(e)}`);
        return null;
      });
      if (link) {
        const linkReason = this.linkRenewalReason(inst, link, now);
        if (linkReason && this.mayAttempt(inst, 'link', now)) {
          try {
            out.linkRenewed = await this.renewLink(inst, linkReason.keyType, linkReason.reason);
          } catch (e) {
            out.failures.push(`link: ${reasonOf(e)}`);
          }
        }
      }

      const server = this.d.store.activeServerCertificate(inst.id);
      if (server) this.noticeExpiry(inst, 'Server certificate', server.serial, server.notAfter, now, out);
      const linkNow = this.repo.activeLinkCertificate(inst.resourceId);
      if (linkNow) this.noticeExpiry(inst, 'Engine link certificate', linkNow.serial, linkNow.notAfter, now, out);
    } catch (e) {
      this.log.error('certificate maintenance failed', { instance: inst.id, err: e as Error });
      out.failures.push(reasonOf(e));
    }
    return out;
  }

  /** Opt-in of the instance's pending CA rotation; `next-maintenance` unless the user undid it. */
  optIn(inst: DbInstance): 'next-maintenance' | 'undo-opt-in' {
    return this.repo.maintenanceOptIn(inst.resourceId, CA_ROTATION_ACTION) ?? 'next-maintenance';
  }

  // --- server certificates ---------------------------------------------------------------------

  /** Renews the server certificate within the instance's current family. Throws after raising a failure event. */
  async renewServer(inst: DbInstance, reason: Reason): Promise<IssuedCertificate> {
    const family = isCaFamilyId(inst.caCertificateIdentifier) ? inst.caCertificateIdentifier : undefined;
    if (!family) throw new AppError('CertificateNotFound', `Certificate ${inst.caCertificateIdentifier} not found.`);
    const old = this.d.store.activeServerCertificate(inst.id);
    try {
      const cert = await this.replaceServerCertificate(inst, family, () => undefined);
      this.succeeded(inst, 'server');
      this.counters.serverRenewals.succeeded++;
      this.event(
        inst,
        `Server certificate renewed (${reason}): serial ${cert.serialHex} replaces ${old?.serial ?? 'none'}, fresh ${cert.keyType} key, valid until ${cert.notAfter.toISOString()}`,
        ['security'],
      );
      return cert;
    } catch (e) {
      const retryAt = this.failed(inst, 'server');
      this.counters.serverRenewals.failed++;
      this.event(
        inst,
        `Server certificate renewal (${reason}) failed; the previous certificate${old ? ` (serial ${old.serial}, valid until ${old.notAfter.toISOString()})` : ''} is still served; next attempt after ${retryAt.toISOString()}: ${reasonOf(e)}`,
        ['security', 'failure'],
      );
      throw e;
    }
  }

  /** Why the server certificate must be replaced now, or null. */
  serverRenewalReason(inst: DbInstance, now: Date): Reason | null {
    const rec = this.d.store.activeServerCertificate(inst.id);
    if (!rec) return 'no active certificate';
    if (rec.familyId !== inst.caCertificateIdentifier) return `certificate is from ${rec.familyId}, instance uses ${inst.caCertificateIdentifier}`;
    const info = parseCertificate(rec.chainPem);
    if (!info.sans.some((n) => n.toLowerCase() === inst.endpoint.address.toLowerCase())) return `endpoint name changed to ${inst.endpoint.address}`;
    if (now.getTime() >= halfLife(rec.notBefore, rec.notAfter).getTime()) return `half-life reached ${halfLife(rec.notBefore, rec.notAfter).toISOString()}`;
    return null;
  }

  // --- prepared rotation targets -----------------------------------------------------------

  /**
   * Issues, in the background, a certificate for each CA family the instance does not use and has
   * none prepared for (at most `limit` issuances). Preparations run one at a time service-wide, so a
   * burst of creations does not turn into a burst of issuances; concurrent calls for one instance
   * share the run in progress. Resolves to the number issued; never rejects (a failure only means
   * the next rotation issues its own certificate).
   */
  prepareRotations(instanceId: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    const running = this.preparing.get(instanceId);
    if (running) return running;
    const run = this.prepareQueue.then(() => this.prepareNow(instanceId, limit)).finally(() => this.preparing.delete(instanceId));
    this.prepareQueue = run.catch(() => 0); // never let one run's failure stop the ones queued after it
    this.preparing.set(instanceId, run);
    return run;
  }

  private async prepareNow(instanceId: string, limit: number): Promise<number> {
    let issued = 0;
    for (const { id: family } of CA_FAMILIES) {
      if (issued >= limit || this.stopped) break;
      try {
        // Read again before each issuance: a rotation may have changed the family in use meanwhile.
        const inst = this.d.store.getInstance(instanceId);
        if (!inst) break;
        const endpoint = inst.endpoint.address;
        if (family === (inst.certificate?.caIdentifier ?? inst.caCertificateIdentifier) || this.preparedFor(instanceId, family, endpoint)) continue;
        const cert = await this.d.ca.issueServerCertificate({ endpoint, familyId: family, region: inst.region });
        this.prepared.set(`${instanceId}|${family}`, { endpoint, cert, issuedAtMs: this.d.clock.now().getTime() });
        this.preparedStats.issued++;
        issued++;
      } catch (e) {
        this.log.warn('could not prepare a certificate for a CA rotation; a rotation will issue its own', { instance: instanceId, familyId: family, err: e as Error });
      }
    }
    return issued;
  }

  /**
   * Prepares `instanceId`'s rotation targets after `delayMs` (default 30 s): late enough not to
   * compete with a burst of creations, early enough that a first rotation finds them ready.
   */
  prepareRotationsLater(instanceId: string, delayMs = 30_000): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.prepareTimers.delete(timer);
      if (!this.stopped) void this.prepareRotations(instanceId);
    }, delayMs);
    timer.unref();
    this.prepareTimers.add(timer);
  }

  /** Stops delayed preparations and waits for running ones (service shutdown). */
  async stopPreparing(): Promise<void> {
    this.stopped = true;
    for (const t of this.prepareTimers) clearTimeout(t);
    this.prepareTimers.clear();
    await Promise.allSettled([...this.preparing.values()]);
  }

  /** Whether a preparation is running or queued (the scheduler then leaves the queue alone). */
  preparationBusy(): boolean {
    return this.preparing.size > 0;
  }

  /** Prepared certificates held and still young enough to serve (for metrics). */
  preparedCount(): number {
    const now = this.d.clock.now().getTime();
    let n = 0;
    for (const p of this.prepared.values()) if (now - p.issuedAtMs < PREPARED_MAX_AGE_MS) n++;
    return n;
  }

  /** Forgets prepared certificates of instances not in `ids` (deleted ones). */
  retainPrepared(ids: ReadonlySet<string>): void {
    for (const key of this.prepared.keys()) if (!ids.has(key.slice(0, key.indexOf('|')))) this.prepared.delete(key);
  }

  /** Whether a usable certificate is prepared for `family` (for tests and the bench). */
  preparedFor(instanceId: string, family: CaFamilyId, endpoint: string): boolean {
    return this.usablePrepared(instanceId, family, endpoint) !== null;
  }

  /** The prepared certificate if it is still for `endpoint` and young enough; a stale one is dropped. */
  private usablePrepared(instanceId: string, family: CaFamilyId, endpoint: string): PreparedCertificate | null {
    const key = `${instanceId}|${family}`;
    const p = this.prepared.get(key);
    if (!p) return null;
    if (p.endpoint !== endpoint || this.d.clock.now().getTime() - p.issuedAtMs >= PREPARED_MAX_AGE_MS) {
      this.prepared.delete(key);
      return null;
    }
    return p;
  }

  /** The prepared certificate for a rotation, removed so it serves at most once. */
  private takePrepared(instanceId: string, family: CaFamilyId, endpoint: string): IssuedCertificate | null {
    const p = this.usablePrepared(instanceId, family, endpoint);
    if (!p) {
      this.preparedStats.missed++;
      return null;
    }
    this.prepared.delete(`${instanceId}|${family}`);
    this.preparedStats.used++;
    return p.cert;
  }

  /**
   * Steps 1-5 for the server certificate. `mutate` applies instance changes committed together
   * with the new certificate. Returns the new certificate; throws with the previous one serving.
   */
  private async replaceServerCertificate(inst: DbInstance, family: CaFamilyId, mutate: (inst: DbInstance) => void): Promise<IssuedCertificate> {
    const door = this.d.runtime.doors.get(inst.id);
    if (!door) throw new AppError('InvalidDBInstanceState', `DB instance ${inst.id} has no open endpoint (status ${inst.status}).`);
    const old = this.d.store.activeServerCertificate(inst.id);
    if (!old) throw new AppError('InternalFailure', `DB instance ${inst.id} has no active server certificate`, { expose: false });
    const endpoint = inst.endpoint.address;
    const bundlePem = this.d.ca.bundlePem(inst.region);

    const ms: Record<string, number> = {};
    let mark = performance.now();
    const step = (name: string) => {
      const now = performance.now();
      ms[name] = Math.round((now - mark) * 10) / 10;
      mark = now;
    };
    const rotating = family !== (inst.certificate?.caIdentifier ?? inst.caCertificateIdentifier);
    const prepared = rotating ? this.takePrepared(inst.id, family, endpoint) : null;
    const cert = prepared ?? (await this.d.ca.issueServerCertificate({ endpoint, familyId: family, region: inst.region }));
    step('issueMs'); // ~0 with a prepared certificate
    verifyChainOffline({ chainPem: cert.chainPem, keyPem: cert.keyPem, hostname: endpoint, trustedPem: bundlePem, now: this.d.clock.now() });
    step('checkMs');

    door.setCertificate(cert.chainPem, cert.keyPem);
    step('swapMs');
    try {
      const seen = await probeEndpoint({ address: this.probeAddress(), port: door.port, endpoint, bundlePem });
      step('verifyMs');
      if (seen.leaf.serialHex !== cert.serialHex) {
        throw new AppError('InternalFailure', `the endpoint presents serial ${seen.leaf.serialHex} instead of the new ${cert.serialHex}`, { expose: false });
      }
      this.d.store.tx(() => {
        this.d.store.activateServerCertificate({
          serial: cert.serialHex,
          instanceId: inst.id,
          familyId: family,
          chainPem: cert.chainPem,
          keySealed: sealSecret(this.d.masterKey, keyLabel(inst.id, cert.serialHex), cert.keyPem),
          notBefore: cert.notBefore,
          notAfter: cert.notAfter,
          createdAt: this.d.clock.now(),
        });
        mutate(inst);
        inst.certificate = { caIdentifier: family, validTill: cert.notAfter };
        this.d.store.updateInstance(inst);
      });
    } catch (e) {
      this.restoreServerCertificate(inst, old);
      throw e;
    }
    step('recordMs');
    this.log.info('server certificate replaced', { instance: inst.id, serialHex: cert.serialHex, previous: old.serial, familyId: family, prepared: prepared !== null, ...ms });
    return cert;
  }

  private restoreServerCertificate(inst: DbInstance, old: ServerCertificateRecord): void {
    const door = this.d.runtime.doors.get(inst.id);
    try {
      const keyPem = openSecret(this.d.masterKey, keyLabel(inst.id, old.serial), old.keySealed).toString('utf8');
      door?.setCertificate(old.chainPem, keyPem);
    } catch (e) {
      // The previous material served a moment ago, so this is not expected; say so loudly.
      this.log.error('could not restore the previous server certificate', { instance: inst.id, serial: old.serial, err: e as Error });
    }
  }

  /** `CertificateDetails` always describes the certificate actually recorded as active. */
  private syncCertificateDetails(inst: DbInstance): void {
    const rec = this.d.store.activeServerCertificate(inst.id);
    if (!rec) return;
    const c = inst.certificate;
    if (c && c.caIdentifier === rec.familyId && c.validTill.getTime() === rec.notAfter.getTime()) return;
    inst.certificate = { caIdentifier: rec.familyId, validTill: rec.notAfter };
    this.d.store.updateInstance(inst);
  }

  // --- engine link certificates ----------------------------------------------------------------

  /**
   * Renews the engine's link certificate with a fresh `keyType` key through FLUSH SSL, verified on
   * the engine socket. Returns the new serial; throws after raising a failure event.
   */
  async renewLink(inst: DbInstance, keyType: LinkKeyType, reason: Reason): Promise<string> {
    const previous = this.repo.activeLinkCertificate(inst.resourceId);
    try {
      const serial = await this.replaceLinkCertificate(inst, keyType, previous);
      this.succeeded(inst, 'link');
      this.counters.linkRenewals.succeeded++;
      const rec = this.repo.activeLinkCertificate(inst.resourceId)!;
      this.event(inst, `Engine link certificate renewed (${reason}): serial ${serial} replaces ${previous?.serial ?? 'the provisioned one'}, fresh ${keyType} key, valid until ${rec.notAfter.toISOString()}`, ['security']);
      return serial;
    } catch (e) {
      const retryAt = this.failed(inst, 'link');
      this.counters.linkRenewals.failed++;
      this.event(
        inst,
        `Engine link certificate renewal (${reason}) failed; the engine keeps its previous certificate${previous ? ` (serial ${previous.serial}, valid until ${previous.notAfter.toISOString()})` : ''}; next attempt after ${retryAt.toISOString()}: ${reasonOf(e)}`,
        ['security', 'failure'],
      );
      throw e;
    }
  }

  private async replaceLinkCertificate(inst: DbInstance, keyType: LinkKeyType, previous: LinkCertificateRecord | null): Promise<string> {
    const servername = this.d.runtime.linkServername(inst);
    const linkCaPem = this.d.ca.internalCaPem();
    const cert = await this.d.ca.issueLinkCertificate({ hostname: servername, keyType });
    verifyChainOffline({ chainPem: cert.certPem, keyPem: cert.keyPem, hostname: servername, trustedPem: linkCaPem, now: this.d.clock.now() });
    // FLUSH SSL: new link handshakes get the new certificate, established links keep theirs. Throws
    // (engine restored to its previous files) when the engine refuses the material.
    await this.d.engine.replaceTls(inst.id, { certPem: cert.certPem, keyPem: cert.keyPem });
    const socketPath = this.d.engine.socketPath(inst.id);
    const seen = await probeEngineLink({ socketPath, servername, linkCaPem }).catch((e: unknown) => ({ error: e }));
    if ('error' in seen || seen.leaf.serialHex !== cert.serialHex) {
      const why = 'error' in seen ? reasonOf(seen.error) : `the engine presents serial ${seen.leaf.serialHex} instead of the new ${cert.serialHex}`;
      if (previous?.keySealed) {
        const keyPem = openSecret(this.d.masterKey, linkKeyLabel(inst.resourceId, previous.serial), previous.keySealed).toString('utf8');
        await this.d.engine.replaceTls(inst.id, { certPem: previous.certPem, keyPem }).catch((e: unknown) => this.log.error('could not restore the previous link certificate', { instance: inst.id, err: e as Error }));
      }
      throw new AppError('InternalFailure', `link certificate verification failed: ${why}`, { expose: false });
    }
    this.repo.activateLinkCertificate({
      serial: cert.serialHex,
      resourceId: inst.resourceId,
      keyType,
      certPem: cert.certPem,
      keySealed: sealSecret(this.d.masterKey, linkKeyLabel(inst.resourceId, cert.serialHex), cert.keyPem),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      createdAt: this.d.clock.now(),
    });
    if (previous?.keyType !== keyType) {
      // Read when the endpoint is (re)opened; the live door's EngineLink prefers the matching suites from now on.
      this.d.store.setMeta(`link_key_type:${inst.id}`, keyType);
      this.d.runtime.doors.get(inst.id)?.engineLink().setKeyType(keyType === 'rsa2048' ? 'rsa' : 'ecdsa');
    }
    this.log.info('link certificate replaced', { instance: inst.id, serialHex: cert.serialHex, previous: previous?.serial, keyType });
    return cert.serialHex;
  }

  /**
   * The active link certificate record; for an instance provisioned before link certificates were
   * recorded, adopts what the engine presents (verified like any probe), without its key.
   */
  private async ensureLinkRecord(inst: DbInstance): Promise<LinkCertificateRecord> {
    const rec = this.repo.activeLinkCertificate(inst.resourceId);
    if (rec) return rec;
    const seen = await probeEngineLink({ socketPath: this.d.engine.socketPath(inst.id), servername: this.d.runtime.linkServername(inst), linkCaPem: this.d.ca.internalCaPem() });
    const keyType = seen.leaf.keyType === 'ecdsa-p256' ? 'ecdsa-p256' : 'rsa2048';
    this.repo.activateLinkCertificate({
      serial: seen.leaf.serialHex,
      resourceId: inst.resourceId,
      keyType,
      certPem: seen.leafPem,
      keySealed: null,
      notBefore: seen.leaf.notBefore,
      notAfter: seen.leaf.notAfter,
      createdAt: this.d.clock.now(),
    });
    return this.repo.activeLinkCertificate(inst.resourceId)!;
  }

  private linkRenewalReason(inst: DbInstance, rec: LinkCertificateRecord, now: Date): { keyType: LinkKeyType; reason: Reason } | null {
    const family = isCaFamilyId(inst.caCertificateIdentifier) ? inst.caCertificateIdentifier : undefined;
    const wanted = family ? this.d.runtime.linkKeyTypeFor(family) : rec.keyType;
    if (rec.keyType !== wanted) return { keyType: wanted, reason: `key type follows CA ${inst.caCertificateIdentifier}` };
    const servername = this.d.runtime.linkServername(inst);
    if (!parseCertificate(rec.certPem).sans.includes(servername)) return { keyType: wanted, reason: `link name changed to ${servername}` };
    const half = halfLife(rec.notBefore, rec.notAfter);
    if (now.getTime() >= half.getTime()) return { keyType: wanted, reason: `half-life reached ${half.toISOString()}` };
    return null;
  }

  private currentLinkKeyType(inst: DbInstance): LinkKeyType {
    const rec = this.repo.activeLinkCertificate(inst.resourceId);
    return rec?.keyType ?? ((this.d.store.getMeta(`link_key_type:${inst.id}`) ?? 'rsa2048') as LinkKeyType);
  }

  // --- expiry notices, retries, events ---------------------------------------------------------

  private noticeExpiry(inst: DbInstance, what: string, serial: string, notAfter: Date, now: Date, out: MaintenanceOutcome): void {
    const threshold = expiryNoticeDue((notAfter.getTime() - now.getTime()) / DAY_MS, this.repo.expiryNotice(serial));
    if (threshold === null) return;
    this.repo.setExpiryNotice(serial, inst.resourceId, threshold);
    const message =
      threshold === 0
        ? `${what} (serial ${serial}) has expired (${notAfter.toISOString()}); clients verifying the endpoint will refuse it`
        : `${what} (serial ${serial}) expires within ${threshold} days, on ${notAfter.toISOString()}`;
    out.notices.push(message);
    this.event(inst, message, threshold <= 7 ? ['security', 'notification', 'failure'] : ['security', 'notification']);
  }

  private mayAttempt(inst: DbInstance, kind: RetryKind, now: Date): boolean {
    const r = this.retry.get(`${inst.resourceId}/${kind}`);
    return !r || now.getTime() >= r.notBeforeMs;
  }

  private failed(inst: DbInstance, kind: RetryKind): Date {
    const key = `${inst.resourceId}/${kind}`;
    const failures = (this.retry.get(key)?.failures ?? 0) + 1;
    const notBeforeMs = this.d.clock.now().getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
    this.retry.set(key, { failures, notBeforeMs });
    return new Date(notBeforeMs);
  }

  private succeeded(inst: DbInstance, kind: RetryKind): void {
    this.retry.delete(`${inst.resourceId}/${kind}`);
  }

  /** A loopback address the endpoint listens on, for probes. */
  private probeAddress(): string {
    const a = this.d.config.listenAddresses[0] ?? '127.0.0.1';
    if (a === '0.0.0.0') return '127.0.0.1';
    if (a === '::') return '::1';
    return a;
  }

  private event(inst: DbInstance, message: string, categories: string[]): void {
    this.d.events.record({ sourceIdentifier: inst.id, sourceType: 'db-instance', message, eventCategories: categories, sourceArn: inst.arn });
  }
}

/**
 * The expiry notice due for a certificate with `daysLeft` days to live, given the smallest
 * threshold already announced (`lastDays`, null if none): the tightest of EXPIRY_NOTICE_DAYS
 * reached (0 = expired), or null when nothing new is due. A jump across several thresholds
 * announces only the tightest.
 */
export function expiryNoticeDue(daysLeft: number, lastDays: number | null): number | null {
  const threshold = daysLeft <= 0 ? 0 : [...EXPIRY_NOTICE_DAYS].reverse().find((d) => daysLeft <= d);
  if (threshold === undefined) return null;
  if (lastDays !== null && lastDays <= threshold) return null;
  return threshold;
}

/** notBefore + (notAfter - notBefore) / 2. */
export function halfLife(notBefore: Date, notAfter: Date): Date {
  return new Date(notBefore.getTime() + (notAfter.getTime() - notBefore.getTime()) / 2);
}

/** Label binding a sealed link-certificate key to its instance and serial. */
function linkKeyLabel(resourceId: string, serial: string): string {
  return `instances/${resourceId}/link-certificates/${serial}.key`;
}

/** A reason safe for events: AppError messages that may be exposed, else the error's message without a stack. */
function reasonOf(e: unknown): string {
  if (e instanceof AppError) return e.message;
  return e instanceof Error ? e.message : String(e);
}
