/**
 * Certificates of an instance over time: CA rotation now (rotateCa) or in the maintenance window,
 * renewal at half-life (or at once when the name or CA family no longer matches), expiry notices,
 * and `CertificateDetails` kept true. The certificate work itself is in server-certificates.ts
 * (endpoint), link-certificates.ts (engine link) and prepared-certificates.ts (rotation targets
 * issued ahead); this file decides when each runs.
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { CertificateReplacementCounters, MaintenanceOutcome } from '../model/certificate-maintenance.js';
import type { DbInstance } from '../model/db-instance.js';
import type { MaintenanceOptIn } from '../model/pending-maintenance.js';
import type { CertificateAuthority, IssuedCertificate } from '../pki/certificate-authority.js';
import { expiryNoticeDue } from '../pki/certificate-schedule.js';
import { isCaFamilyId, type CaFamilyId } from '../pki/families.js';
import type { CertificateLifecycleStore } from '../store/certificate-lifecycle-store.js';
import type { Store } from '../store/store.js';
import { reasonOf, type EventRecorder } from './events.js';
import type { InstanceRuntime } from './instance-runtime.js';
import { linkKeyTypeFor, type LinkCertificates } from './link-certificates.js';
import { isInMaintenanceWindow } from './maintenance-window.js';
import type { PreparedCertificates } from './prepared-certificates.js';
import type { RetryBackoff } from './retry-backoff.js';
import type { ServerCertificates } from './server-certificates.js';

/** The pending maintenance action tlsql knows. */
export const CA_ROTATION_ACTION = 'ca-certificate-rotation';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The certificate services and records the lifecycle decides over. */
export interface CertificateLifecycleDeps {
  store: Store;
  /** Maintenance opt-ins and expiry notices (and the link certificates, through `links`). */
  repo: CertificateLifecycleStore;
  ca: CertificateAuthority;
  runtime: InstanceRuntime;
  servers: ServerCertificates;
  links: LinkCertificates;
  prepared: PreparedCertificates;
  events: EventRecorder;
  retry: RetryBackoff;
  /** Shared with `servers` and `links`; this class counts `caRotations`. */
  counters: CertificateReplacementCounters;
  clock: Clock;
  logger: Logger;
}

/** When certificates are rotated, renewed and announced; see the file comment. */
export class CertificateLifecycle {
  private readonly log: Logger;

  constructor(private readonly d: CertificateLifecycleDeps) {
    this.log = d.logger.child({ component: 'certificates' });
  }

  // --- CA rotation ---------------------------------------------------------------------------

  /**
   * Rotates the instance to CA family `ca` now: a server certificate from that family replaces the
   * current one at the endpoint (server-certificates.ts), the pending rotation (if any) is
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
      cert = await this.d.servers.replace(inst, ca, (i) => {
        i.caCertificateIdentifier = ca;
        delete i.pendingModifiedValues.caCertificateIdentifier;
      });
    } catch (e) {
      this.d.counters.caRotations.failed++;
      this.d.events.instance(inst, `CA certificate rotation from ${from} to ${ca} (${trigger}) failed; the endpoint still serves its previous certificate from ${from}: ${reasonOf(e)}`, ['security', 'failure']);
      throw new AppError('InternalFailure', `CA certificate rotation to ${ca} failed; DB instance ${inst.id} still serves its previous certificate (see DescribeEvents).`, { cause: e, expose: true });
    }
    this.setOptIn(inst, null);
    this.d.counters.caRotations.succeeded++;
    this.d.events.instance(
      inst,
      `CA certificate rotated from ${from} to ${ca} (${trigger}): server certificate serial ${cert.serialHex}, ${cert.keyType}, valid until ${cert.notAfter.toISOString()}; existing connections continue unchanged`,
      ['security', 'maintenance'],
    );
    // The family just left is the likeliest next target (a rollback): prepare it.
    this.d.prepared.prepareAfterCurrent(inst.id);
    const linkKeyType = linkKeyTypeFor(ca);
    if (linkKeyType !== this.d.links.active(inst)?.keyType) {
      // The link's TLS 1.2 suites follow the client's (same auth type) only when the link key matches;
      // a failure here is not a rotation failure: the link keeps working and the scheduler retries.
      await this.d.links.renew(inst, linkKeyType, `key type follows CA ${ca}`).catch(() => undefined);
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
    if (inst.status !== 'available' || !this.d.runtime.isServing(inst.id)) {
      out.skipped = `status ${inst.status}`;
      return out;
    }
    const now = this.d.clock.now();
    try {
      this.d.servers.syncCertificateDetails(inst);

      const pending = inst.pendingModifiedValues.caCertificateIdentifier;
      if (
        pending !== undefined &&
        isCaFamilyId(pending) &&
        this.optIn(inst) === 'next-maintenance' &&
        isInMaintenanceWindow(now, inst.preferredMaintenanceWindow) &&
        this.d.retry.mayAttempt(inst.resourceId, 'rotation', now)
      ) {
        try {
          await this.rotateCa(inst, pending, `maintenance window ${inst.preferredMaintenanceWindow}`);
          this.d.retry.succeeded(inst.resourceId, 'rotation');
          out.rotatedTo = pending;
        } catch (e) {
          // rotateCa raised the event; retry later in the window rather than on every pass.
          this.d.retry.failed(inst.resourceId, 'rotation');
          out.failures.push(`rotation: ${reasonOf(e)}`);
        }
      }

      const serverReason = this.d.servers.renewalReason(inst, now);
      if (serverReason && this.d.retry.mayAttempt(inst.resourceId, 'server', now)) {
        try {
          out.serverRenewed = (await this.d.servers.renew(inst, serverReason)).serialHex;
        } catch (e) {
          out.failures.push(`server: ${reasonOf(e)}`);
        }
      }

      const link = await this.d.links.ensureRecord(inst).catch((e: unknown) => {
        out.failures.push(`link record: ${reasonOf(e)}`);
        return null;
      });
      if (link) {
        const linkReason = this.d.links.renewalReason(inst, link, now);
        if (linkReason && this.d.retry.mayAttempt(inst.resourceId, 'link', now)) {
          try {
            out.linkRenewed = await this.d.links.renew(inst, linkReason.keyType, linkReason.reason);
          } catch (e) {
            out.failures.push(`link: ${reasonOf(e)}`);
          }
        }
      }

      const server = this.d.store.activeServerCertificate(inst.id);
      if (server) this.noticeExpiry(inst, 'Server certificate', server.serial, server.notAfter, now, out);
      const linkNow = this.d.links.active(inst);
      if (linkNow) this.noticeExpiry(inst, 'Engine link certificate', linkNow.serial, linkNow.notAfter, now, out);
    } catch (e) {
      this.log.error('certificate maintenance failed', { instance: inst.id, err: e as Error });
      out.failures.push(reasonOf(e));
    }
    return out;
  }

  /** Opt-in of the instance's pending CA rotation; `next-maintenance` unless the user undid it. */
  optIn(inst: DbInstance): MaintenanceOptIn {
    return this.d.repo.maintenanceOptIn(inst.resourceId, CA_ROTATION_ACTION) ?? 'next-maintenance';
  }

  /** Records (a status) or clears (null) the opt-in of the instance's pending CA rotation. */
  setOptIn(inst: DbInstance, status: MaintenanceOptIn | null): void {
    this.d.repo.setMaintenanceOptIn(inst.resourceId, CA_ROTATION_ACTION, status, this.d.clock.now());
  }

  /** Drops lifecycle rows of instances that no longer exist and prepared certificates of identifiers not in `liveIds`; returns how many rows went. */
  forgetDeletedInstances(liveIds: ReadonlySet<string>): number {
    const rows = this.d.repo.sweepDeletedInstances();
    this.d.prepared.retain(liveIds);
    return rows;
  }

  private noticeExpiry(inst: DbInstance, what: string, serial: string, notAfter: Date, now: Date, out: MaintenanceOutcome): void {
    const threshold = expiryNoticeDue((notAfter.getTime() - now.getTime()) / DAY_MS, this.d.repo.expiryNotice(serial));
    if (threshold === null) return;
    this.d.repo.setExpiryNotice(serial, inst.resourceId, threshold);
    const message =
      threshold === 0
        ? `${what} (serial ${serial}) has expired (${notAfter.toISOString()}); clients verifying the endpoint will refuse it`
        : `${what} (serial ${serial}) expires within ${threshold} days, on ${notAfter.toISOString()}`;
    out.notices.push(message);
    this.d.events.instance(inst, message, threshold <= 7 ? ['security', 'notification', 'failure'] : ['security', 'notification']);
  }
}
