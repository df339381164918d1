/**
 * Server certificates of instance endpoints: the first one, and every replacement (renewal, CA
 * rotation). A replacement follows the same steps, so a bad certificate never replaces a good one:
 *   1. issue a new certificate with a fresh key (or take one prepared ahead of a CA rotation,
 *      prepared-certificates.ts);
 *   2. check it offline as a client will (key, host name, validity, chain to the published bundle),
 *      so a certificate that would fail clients is never swapped in;
 *   3. swap the front door's secure context: new connections get it, existing ones keep theirs;
 *   4. verify with a real handshake against the live endpoint that the new serial is what clients
 *      now see; otherwise swap back;
 *   5. only then record it as active (the previous one is retired, i.e. forgotten for serving).
 * A failure at any step keeps the previous certificate serving.
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { CertificateReplacementCounters } from '../model/certificate-maintenance.js';
import type { DbInstance } from '../model/db-instance.js';
import type { ServerCertificateRecord } from '../model/server-certificate-record.js';
import type { CertificateAuthority, IssuedCertificate } from '../pki/certificate-authority.js';
import { halfLife } from '../pki/certificate-schedule.js';
import { isCaFamilyId, type CaFamilyId } from '../pki/families.js';
import { parseCertificate } from '../pki/inspect.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import { verifyChainOffline } from '../pki/verify-chain.js';
import type { Store } from '../store/store.js';
import { reasonOf, type EventRecorder } from './events.js';
import { serverKeyLabel, type InstanceRuntime } from './instance-runtime.js';
import type { PreparedCertificates } from './prepared-certificates.js';
import type { RetryBackoff } from './retry-backoff.js';

/** Where server certificates come from (CA, prepared), go to (runtime) and are recorded (store). */
export interface ServerCertificatesDeps {
  store: Store;
  ca: CertificateAuthority;
  runtime: InstanceRuntime;
  prepared: PreparedCertificates;
  events: EventRecorder;
  retry: RetryBackoff;
  /** Shared with the rest of the certificate lifecycle; this class counts `serverRenewals`. */
  counters: CertificateReplacementCounters;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
}

/** Issues, replaces and renews instance server certificates; records them with the key sealed. */
export class ServerCertificates {
  private readonly log: Logger;

  constructor(private readonly d: ServerCertificatesDeps) {
    this.log = d.logger.child({ component: 'certificates' });
  }

  /**
   * Issues a new instance's first server certificate from `family` and records it as active (key
   * sealed). Returns it with its key in memory, so the endpoint opens without unsealing it again.
   */
  async issueFirst(inst: DbInstance, family: CaFamilyId): Promise<IssuedCertificate> {
    const cert = await this.d.ca.issueServerCertificate({ endpoint: inst.endpoint.address, familyId: family, region: inst.region });
    this.d.store.activateServerCertificate(this.record(inst, family, cert));
    return cert;
  }

  /** Renews the server certificate within the instance's current family. Throws after raising a failure event. */
  async renew(inst: DbInstance, reason: string): Promise<IssuedCertificate> {
    const family = isCaFamilyId(inst.caCertificateIdentifier) ? inst.caCertificateIdentifier : undefined;
    if (!family) throw new AppError('CertificateNotFound', `Certificate ${inst.caCertificateIdentifier} not found.`);
    const old = this.d.store.activeServerCertificate(inst.id);
    try {
      const cert = await this.replace(inst, family, () => undefined);
      this.d.retry.succeeded(inst.resourceId, 'server');
      this.d.counters.serverRenewals.succeeded++;
      this.d.events.instance(
        inst,
        `Server certificate renewed (${reason}): serial ${cert.serialHex} replaces ${old?.serial ?? 'none'}, fresh ${cert.keyType} key, valid until ${cert.notAfter.toISOString()}`,
        ['security'],
      );
      return cert;
    } catch (e) {
      const retryAt = this.d.retry.failed(inst.resourceId, 'server');
      this.d.counters.serverRenewals.failed++;
      this.d.events.instance(
        inst,
        `Server certificate renewal (${reason}) failed; the previous certificate${old ? ` (serial ${old.serial}, valid until ${old.notAfter.toISOString()})` : ''} is still served; next attempt after ${retryAt.toISOString()}: ${reasonOf(e)}`,
        ['security', 'failure'],
      );
      throw e;
    }
  }

  /** Why the server certificate must be replaced now, or null. */
  renewalReason(inst: DbInstance, now: Date): string | null {
    const rec = this.d.store.activeServerCertificate(inst.id);
    if (!rec) return 'no active certificate';
    if (rec.familyId !== inst.caCertificateIdentifier) return `certificate is from ${rec.familyId}, instance uses ${inst.caCertificateIdentifier}`;
    const info = parseCertificate(rec.chainPem);
    if (!info.sans.some((n) => n.toLowerCase() === inst.endpoint.address.toLowerCase())) return `endpoint name changed to ${inst.endpoint.address}`;
    if (now.getTime() >= halfLife(rec.notBefore, rec.notAfter).getTime()) return `half-life reached ${halfLife(rec.notBefore, rec.notAfter).toISOString()}`;
    return null;
  }

  /**
   * Steps 1-5 of the file comment with a certificate from `family`. `mutate` applies instance
   * changes committed together with the new certificate. Returns the new certificate; throws with
   * the previous one serving.
   */
  async replace(inst: DbInstance, family: CaFamilyId, mutate: (inst: DbInstance) => void): Promise<IssuedCertificate> {
    if (!this.d.runtime.isServing(inst.id)) throw new AppError('InvalidDBInstanceState', `DB instance ${inst.id} has no open endpoint (status ${inst.status}).`);
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
    const prepared = rotating ? this.d.prepared.take(inst.id, family, endpoint) : null;
    const cert = prepared ?? (await this.d.ca.issueServerCertificate({ endpoint, familyId: family, region: inst.region }));
    step('issueMs'); // ~0 with a prepared certificate
    verifyChainOffline({ chainPem: cert.chainPem, keyPem: cert.keyPem, hostname: endpoint, trustedPem: bundlePem, now: this.d.clock.now() });
    step('checkMs');

    this.d.runtime.swapCertificate(inst.id, cert.chainPem, cert.keyPem);
    step('swapMs');
    try {
      const seen = await this.d.runtime.probeEndpoint(inst, bundlePem);
      step('verifyMs');
      if (seen.leaf.serialHex !== cert.serialHex) {
        throw new AppError('InternalFailure', `the endpoint presents serial ${seen.leaf.serialHex} instead of the new ${cert.serialHex}`, { expose: false });
      }
      this.d.store.tx(() => {
        this.d.store.activateServerCertificate(this.record(inst, family, cert));
        mutate(inst);
        inst.certificate = { caIdentifier: family, validTill: cert.notAfter };
        this.d.store.updateInstance(inst);
      });
    } catch (e) {
      this.restore(inst, old);
      throw e;
    }
    step('recordMs');
    this.log.info('server certificate replaced', { instance: inst.id, serialHex: cert.serialHex, previous: old.serial, familyId: family, prepared: prepared !== null, ...ms });
    return cert;
  }

  /** Serves `old` again after a failed replacement. */
  private restore(inst: DbInstance, old: ServerCertificateRecord): void {
    try {
      const keyPem = openSecret(this.d.masterKey, serverKeyLabel(inst.id, old.serial), old.keySealed).toString('utf8');
      this.d.runtime.swapCertificate(inst.id, old.chainPem, keyPem);
    } catch (e) {
      // The previous material served a moment ago, so this is not expected; say so loudly.
      this.log.error('could not restore the previous server certificate', { instance: inst.id, serial: old.serial, err: e as Error });
    }
  }

  /** `CertificateDetails` always describes the certificate actually recorded as active. */
  syncCertificateDetails(inst: DbInstance): void {
    const rec = this.d.store.activeServerCertificate(inst.id);
    if (!rec) return;
    const c = inst.certificate;
    if (c && c.caIdentifier === rec.familyId && c.validTill.getTime() === rec.notAfter.getTime()) return;
    inst.certificate = { caIdentifier: rec.familyId, validTill: rec.notAfter };
    this.d.store.updateInstance(inst);
  }

  private record(inst: DbInstance, family: CaFamilyId, cert: IssuedCertificate): Omit<ServerCertificateRecord, 'state'> {
    return {
      serial: cert.serialHex,
      instanceId: inst.id,
      familyId: family,
      chainPem: cert.chainPem,
      keySealed: sealSecret(this.d.masterKey, serverKeyLabel(inst.id, cert.serialHex), cert.keyPem),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      createdAt: this.d.clock.now(),
    };
  }
}
