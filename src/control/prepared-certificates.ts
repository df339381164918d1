/**
 * Server certificates issued ahead of CA rotations. Issuing is the slow step of a rotation
 * (15–60 ms: ASN.1 encoding and the CA's signature, more with an RSA-4096 CA), so every available
 * instance gets a certificate for each CA family it does not use, issued in the background after
 * it becomes available, after each rotation and by the scheduler's passes; a rotation takes the
 * prepared one (certificate-lifecycle.ts) and goes straight to checking it.
 *
 * Prepared certificates live in memory only, serve at most once, and are dropped when older than
 * a day or no longer for the endpoint's name.
 */
import type { Clock } from '../lib/clock.js';
import { KeyedLock } from '../lib/keyed-lock.js';
import type { Logger } from '../lib/logger.js';
import type { PreparedCertificateStats } from '../model/certificate-maintenance.js';
import type { CertificateAuthority, IssuedCertificate } from '../pki/certificate-authority.js';
import { CA_FAMILIES, type CaFamilyId } from '../pki/families.js';
import type { Store } from '../store/store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** A prepared certificate older than this is issued again, so a rotation never serves a noticeably shortened validity. */
const PREPARED_MAX_AGE_MS = DAY_MS;
/** The one key of the preparation queue: preparations run one at a time service-wide. */
const QUEUE = 'preparations';

/** A server certificate issued ahead of a rotation to its family; never recorded until it serves. */
interface PreparedCertificate {
  endpoint: string;
  cert: IssuedCertificate;
  issuedAtMs: number;
}

/** Instances (store), the issuing CA and the clock that ages prepared certificates. */
export interface PreparedCertificatesDeps {
  store: Store;
  ca: CertificateAuthority;
  clock: Clock;
  logger: Logger;
}

/** The cache of prepared rotation targets and the background queue that fills it. */
export class PreparedCertificates {
  /** Rotations that used a prepared certificate, those that had to issue one, and how many were issued ahead. */
  readonly stats: PreparedCertificateStats = { used: 0, missed: 0, issued: 0 };
  /** Prepared rotation targets by `${instanceId}|${familyId}`. */
  private readonly prepared = new Map<string, PreparedCertificate>();
  /** Instances whose preparation runs or waits, so two triggers never issue twice. */
  private readonly preparing = new Map<string, Promise<number>>();
  private readonly queue = new KeyedLock();
  /** Delayed preparations (after an instance becomes available), cleared on stop. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly d: PreparedCertificatesDeps) {
    this.log = d.logger.child({ component: 'certificates' });
  }

  /**
   * Issues, in the background, a certificate for each CA family the instance does not use and has
   * none prepared for (at most `limit` issuances). Preparations run one at a time service-wide, so a
   * burst of creations does not turn into a burst of issuances; concurrent calls for one instance
   * share the run in progress. Resolves to the number issued; never rejects (a failure only means
   * the next rotation issues its own certificate).
   */
  prepare(instanceId: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
    if (this.stopped) return Promise.resolve(0);
    const running = this.preparing.get(instanceId);
    if (running) return running;
    const run = this.queue.run(QUEUE, () => this.prepareNow(instanceId, limit)).finally(() => this.preparing.delete(instanceId));
    this.preparing.set(instanceId, run);
    return run;
  }

  /**
   * Prepares again once the run in progress for the instance (if any) has finished, since that run
   * may have read the family in use before a rotation changed it. Never rejects.
   */
  prepareAfterCurrent(instanceId: string): void {
    void (this.preparing.get(instanceId) ?? Promise.resolve()).then(() => this.prepare(instanceId));
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
        if (family === (inst.certificate?.caIdentifier ?? inst.caCertificateIdentifier) || this.has(instanceId, family, endpoint)) continue;
        const cert = await this.d.ca.issueServerCertificate({ endpoint, familyId: family, region: inst.region });
        this.prepared.set(`${instanceId}|${family}`, { endpoint, cert, issuedAtMs: this.d.clock.now().getTime() });
        this.stats.issued++;
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
  prepareLater(instanceId: string, delayMs = 30_000): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) void this.prepare(instanceId);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  /** Stops delayed preparations and waits for running ones (service shutdown). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.allSettled([...this.preparing.values()]);
  }

  /** Whether a preparation is running or queued (the scheduler then leaves the queue alone). */
  busy(): boolean {
    return this.preparing.size > 0;
  }

  /** Prepared certificates held and still young enough to serve (for metrics). */
  count(): number {
    const now = this.d.clock.now().getTime();
    let n = 0;
    for (const p of this.prepared.values()) if (now - p.issuedAtMs < PREPARED_MAX_AGE_MS) n++;
    return n;
  }

  /** Forgets prepared certificates of instances not in `ids` (deleted ones). */
  retain(ids: ReadonlySet<string>): void {
    for (const key of this.prepared.keys()) if (!ids.has(key.slice(0, key.indexOf('|')))) this.prepared.delete(key);
  }

  /** Whether a usable certificate is prepared for `family` (for tests and the bench). */
  has(instanceId: string, family: CaFamilyId, endpoint: string): boolean {
    return this.usable(instanceId, family, endpoint) !== null;
  }

  /** The prepared certificate for a rotation, removed so it serves at most once; null (counted as missed) when none is usable. */
  take(instanceId: string, family: CaFamilyId, endpoint: string): IssuedCertificate | null {
    const p = this.usable(instanceId, family, endpoint);
    if (!p) {
      this.stats.missed++;
      return null;
    }
    this.prepared.delete(`${instanceId}|${family}`);
    this.stats.used++;
    return p.cert;
  }

  /** The prepared certificate if it is still for `endpoint` and young enough; a stale one is dropped. */
  private usable(instanceId: string, family: CaFamilyId, endpoint: string): PreparedCertificate | null {
    const key = `${instanceId}|${family}`;
    const p = this.prepared.get(key);
    if (!p) return null;
    if (p.endpoint !== endpoint || this.d.clock.now().getTime() - p.issuedAtMs >= PREPARED_MAX_AGE_MS) {
      this.prepared.delete(key);
      return null;
    }
    return p;
  }
}
