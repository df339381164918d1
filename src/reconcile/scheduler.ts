/**
 * The certificate scheduler: every `intervalMs`, one pass over all DB instances that applies
 * pending CA rotations in their maintenance windows, renews certificates at half-life (or when
 * they no longer match the endpoint or CA), and announces upcoming expiry. Time decisions use
 * the injected clock; only the pacing uses a real timer, so tests call `tick()` directly.
 */
import type { Logger } from '../lib/logger.js';
import type { MaintenanceOutcome } from '../model/certificate-maintenance.js';
import type { DbInstance } from '../model/db-instance.js';
import { getCaFamily } from '../pki/families.js';
import type { KeyPool } from '../pki/key-pool.js';

/**
 * What the scheduler needs from the control plane (control/tlsql-control-plane.ts implements it);
 * the scheduler decides when, the control plane what.
 */
export interface SchedulerControl {
  describeDbInstances(q: Record<string, never>): Promise<DbInstance[]>;
  /** One instance's pass, serialised with API operations on it; never throws. */
  maintainCertificates(id: string): Promise<MaintenanceOutcome>;
  /** Issues up to `limit` prepared CA-rotation certificates for an instance; never throws. */
  prepareCertificateRotations(id: string, limit: number): Promise<number>;
  /** Drops certificate records of deleted instances and prepared certificates of instances not in `liveIds`; returns how many records went. */
  forgetDeletedInstances(liveIds: ReadonlySet<string>): number;
  /** Endpoints stop asking for client certificates once none they trust is valid; returns how many changed. */
  syncClientTrust(): Promise<number>;
  /** Starts a pending Multi-AZ change of an instance in its maintenance window; true when one started. Never throws. */
  applyPendingMultiAz(id: string): Promise<boolean>;
}

export interface SchedulerOptions {
  control: SchedulerControl;
  logger: Logger;
  /** Pause between passes. Default 60000 ms; 0 disables the timer (passes only via `tick()`). */
  intervalMs?: number;
  /** Spare keys are prepared for CAs that pending rotations will switch to. Optional. */
  keyPool?: KeyPool;
  /**
   * Certificates issued ahead of CA rotations per pass, at most (each 15–60 ms of CPU plus a new
   * spare key). Default 4, so a pass stays short while a large fleet fills up over a few passes.
   */
  preparedPerPass?: number;
}

export class CertificateScheduler {
  private readonly intervalMs: number;
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<MaintenanceOutcome[]> = Promise.resolve([]);

  constructor(private readonly opts: SchedulerOptions) {
    this.intervalMs = opts.intervalMs ?? 60_000;
    this.log = opts.logger.child({ component: 'scheduler' });
  }

  /** Runs a first pass now (names or CAs may have changed while the service was down), then every intervalMs. */
  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    void this.tick();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a pass in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running.catch(() => undefined);
  }

  /** One pass over every instance; passes never overlap (a call during a pass runs after it). */
  tick(): Promise<MaintenanceOutcome[]> {
    const next = this.running.catch(() => []).then(() => this.pass());
    this.running = next;
    return next;
  }

  private async pass(): Promise<MaintenanceOutcome[]> {
    const started = performance.now();
    const outcomes: MaintenanceOutcome[] = [];
    let instances: DbInstance[];
    try {
      instances = await this.opts.control.describeDbInstances({});
      const swept = this.opts.control.forgetDeletedInstances(new Set(instances.map((i) => i.id)));
      if (swept > 0) this.log.debug('dropped certificate records of deleted instances', { rows: swept });
    } catch (e) {
      this.log.error('scheduler pass could not list instances', { err: e as Error });
      return outcomes;
    }
    for (const inst of instances) {
      const pending = inst.pendingModifiedValues.caCertificateIdentifier;
      const family = pending ? getCaFamily(pending) : undefined;
      if (family) this.opts.keyPool?.prewarm([{ keyType: family.keyType, hash: family.hash }]);
    }
    for (const inst of instances) {
      const out = await this.opts.control.maintainCertificates(inst.id);
      outcomes.push(out);
      if (out.failures.length) this.log.warn('certificate maintenance had failures', { instance: inst.id, failures: out.failures });
      else if (out.rotatedTo || out.serverRenewed || out.linkRenewed) this.log.info('certificate maintenance', { ...out });
      if (inst.pendingModifiedValues.multiAZ !== undefined && (await this.opts.control.applyPendingMultiAz(inst.id))) this.log.info('pending Multi-AZ change started in the maintenance window', { instance: inst.id });
    }
    try {
      await this.opts.control.syncClientTrust();
    } catch (e) {
      this.log.error('scheduler pass could not re-evaluate client-certificate trust', { err: e as Error });
    }
    // Rotation targets issued ahead of time, a few per pass (renewals and rotations went first).
    let budget = this.opts.preparedPerPass ?? 4;
    for (const inst of instances) {
      if (budget <= 0) break;
      budget -= await this.opts.control.prepareCertificateRotations(inst.id, budget);
    }
    this.log.debug('scheduler pass done', { instances: instances.length, durationMs: Math.round(performance.now() - started) });
    return outcomes;
  }
}
