/**
 * Engine link certificates: what each engine serves to its front door on the unix socket, signed
 * by the internal link CA (never published). The link_certificates table (store/
 * certificate-lifecycle-store.ts) is the one record of them, their key type included: the front
 * door reads the key type from it when it opens, so its TLS 1.2 suites follow the client's.
 *
 * A replacement follows the steps of server-certificates.ts on the engine side: issue with a fresh
 * key, check offline against the link CA, swap with FLUSH SSL (established links keep theirs),
 * verify with a real handshake on the engine socket (else restore the previous files), record.
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { CertificateReplacementCounters } from '../model/certificate-maintenance.js';
import type { DbInstance } from '../model/db-instance.js';
import type { LinkCertificateRecord, LinkKeyType } from '../model/link-certificate-record.js';
import type { CertificateAuthority, IssuedLinkCertificate } from '../pki/certificate-authority.js';
import { halfLife } from '../pki/certificate-schedule.js';
import { isCaFamilyId } from '../pki/families.js';
import { parseCertificate } from '../pki/inspect.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import { verifyChainOffline } from '../pki/verify-chain.js';
import type { CertificateLifecycleStore } from '../store/certificate-lifecycle-store.js';
import { reasonOf, type EventRecorder } from './events.js';
import type { InstanceRuntime } from './instance-runtime.js';
import type { RetryBackoff } from './retry-backoff.js';

/** Where link certificates come from (CA), go to (runtime) and are recorded (repo). */
export interface LinkCertificatesDeps {
  repo: CertificateLifecycleStore;
  ca: CertificateAuthority;
  runtime: InstanceRuntime;
  events: EventRecorder;
  retry: RetryBackoff;
  /** Shared with the rest of the certificate lifecycle; this class counts `linkRenewals`. */
  counters: CertificateReplacementCounters;
  masterKey: Buffer;
  clock: Clock;
  logger: Logger;
}

/** The link key type for a CA family: ECDSA P-256 under the ECC family, RSA 2048 otherwise. */
export function linkKeyTypeFor(family: string): LinkKeyType {
  return family === 'tlsql-ca-ecc384-g1' ? 'ecdsa-p256' : 'rsa2048';
}

/** Issues, records, adopts and renews engine link certificates. */
export class LinkCertificates {
  private readonly log: Logger;

  constructor(private readonly d: LinkCertificatesDeps) {
    this.log = d.logger.child({ component: 'certificates' });
  }

  /** The active record of the instance's link certificate, or null. */
  active(inst: DbInstance): LinkCertificateRecord | null {
    return this.activeByResourceId(inst.resourceId);
  }

  /** The active link certificate record of the instance with DbiResourceId `resourceId`, or null (metrics). */
  activeByResourceId(resourceId: string): LinkCertificateRecord | null {
    return this.d.repo.activeLinkCertificate(resourceId);
  }

  /**
   * Issues a new instance's first link certificate (key type after its CA family) and records it
   * as active, key sealed. Returns it with its key in memory, for the engine's first start.
   */
  async issueFirst(inst: DbInstance): Promise<IssuedLinkCertificate> {
    const cert = await this.d.ca.issueLinkCertificate({ hostname: this.d.runtime.linkServername(inst), keyType: linkKeyTypeFor(inst.caCertificateIdentifier) });
    this.d.repo.activateLinkCertificate(this.record(inst, cert));
    return cert;
  }

  /**
   * The key type of the engine's link certificate, for opening the endpoint (engine running). An
   * instance provisioned before link certificates were recorded gets its record adopted from what
   * the engine presents; should that fail, the CA family's key type stands in (the link works
   * either way: the key type only orders TLS 1.2 suites), and the scheduler adopts it later.
   */
  async activeKeyType(inst: DbInstance): Promise<LinkKeyType> {
    const rec = this.active(inst);
    if (rec) return rec.keyType;
    try {
      return (await this.ensureRecord(inst)).keyType;
    } catch (e) {
      this.log.warn('could not read the engine link certificate; assuming the key type of the CA family', { instance: inst.id, err: e as Error });
      return linkKeyTypeFor(inst.caCertificateIdentifier);
    }
  }

  /**
   * The active link certificate and its key, for a second engine of the instance (a Multi-AZ
   * standby serves the same link); renewed first when the record has no key (adopted, see ensureRecord).
   */
  async activeMaterial(inst: DbInstance): Promise<{ certPem: string; keyPem: string }> {
    let rec = await this.ensureRecord(inst);
    if (!rec.keySealed) {
      await this.renew(inst, rec.keyType, 'a second engine needs its key');
      rec = this.active(inst)!;
    }
    return { certPem: rec.certPem, keyPem: openSecret(this.d.masterKey, linkKeyLabel(inst.resourceId, rec.serial), rec.keySealed!).toString('utf8') };
  }

  /**
   * The active link certificate record; for an instance provisioned before link certificates were
   * recorded, adopts what the engine presents (verified like any probe), without its key.
   */
  async ensureRecord(inst: DbInstance): Promise<LinkCertificateRecord> {
    const rec = this.active(inst);
    if (rec) return rec;
    const seen = await this.d.runtime.probeEngineLink(inst);
    this.d.repo.activateLinkCertificate({
      serial: seen.leaf.serialHex,
      resourceId: inst.resourceId,
      keyType: seen.leaf.keyType === 'ecdsa-p256' ? 'ecdsa-p256' : 'rsa2048',
      certPem: seen.leafPem,
      keySealed: null,
      notBefore: seen.leaf.notBefore,
      notAfter: seen.leaf.notAfter,
      createdAt: this.d.clock.now(),
    });
    return this.active(inst)!;
  }

  /**
   * Renews the engine's link certificate with a fresh `keyType` key through FLUSH SSL, verified on
   * the engine socket. Returns the new serial; throws after raising a failure event.
   */
  async renew(inst: DbInstance, keyType: LinkKeyType, reason: string): Promise<string> {
    const previous = this.active(inst);
    try {
      const serial = await this.replace(inst, keyType, previous);
      this.d.retry.succeeded(inst.resourceId, 'link');
      this.d.counters.linkRenewals.succeeded++;
      const rec = this.active(inst)!;
      this.d.events.instance(inst, `Engine link certificate renewed (${reason}): serial ${serial} replaces ${previous?.serial ?? 'the provisioned one'}, fresh ${keyType} key, valid until ${rec.notAfter.toISOString()}`, ['security']);
      return serial;
    } catch (e) {
      const retryAt = this.d.retry.failed(inst.resourceId, 'link');
      this.d.counters.linkRenewals.failed++;
      this.d.events.instance(
        inst,
        `Engine link certificate renewal (${reason}) failed; the engine keeps its previous certificate${previous ? ` (serial ${previous.serial}, valid until ${previous.notAfter.toISOString()})` : ''}; next attempt after ${retryAt.toISOString()}: ${reasonOf(e)}`,
        ['security', 'failure'],
      );
      throw e;
    }
  }

  private async replace(inst: DbInstance, keyType: LinkKeyType, previous: LinkCertificateRecord | null): Promise<string> {
    const servername = this.d.runtime.linkServername(inst);
    const cert = await this.d.ca.issueLinkCertificate({ hostname: servername, keyType });
    verifyChainOffline({ chainPem: cert.certPem, keyPem: cert.keyPem, hostname: servername, trustedPem: this.d.ca.internalCaPem(), now: this.d.clock.now() });
    await this.d.runtime.replaceEngineLinkCertificate(inst.id, { certPem: cert.certPem, keyPem: cert.keyPem });
    const seen = await this.d.runtime.probeEngineLink(inst).catch((e: unknown) => ({ error: e }));
    if ('error' in seen || seen.leaf.serialHex !== cert.serialHex) {
      const why = 'error' in seen ? reasonOf(seen.error) : `the engine presents serial ${seen.leaf.serialHex} instead of the new ${cert.serialHex}`;
      if (previous?.keySealed) {
        const keyPem = openSecret(this.d.masterKey, linkKeyLabel(inst.resourceId, previous.serial), previous.keySealed).toString('utf8');
        await this.d.runtime
          .replaceEngineLinkCertificate(inst.id, { certPem: previous.certPem, keyPem })
          .catch((e: unknown) => this.log.error('could not restore the previous link certificate', { instance: inst.id, err: e as Error }));
      }
      throw new AppError('InternalFailure', `link certificate verification failed: ${why}`, { expose: false });
    }
    this.d.repo.activateLinkCertificate(this.record(inst, cert));
    // The live link prefers the matching suites from now on; a reopened endpoint reads the record.
    if (previous?.keyType !== keyType) this.d.runtime.setLinkKeyType(inst.id, keyType);
    this.log.info('link certificate replaced', { instance: inst.id, serialHex: cert.serialHex, previous: previous?.serial, keyType });
    return cert.serialHex;
  }

  /** Why the link certificate `rec` must be replaced now (and with which key type), or null. */
  renewalReason(inst: DbInstance, rec: LinkCertificateRecord, now: Date): { keyType: LinkKeyType; reason: string } | null {
    const wanted = isCaFamilyId(inst.caCertificateIdentifier) ? linkKeyTypeFor(inst.caCertificateIdentifier) : rec.keyType;
    if (rec.keyType !== wanted) return { keyType: wanted, reason: `key type follows CA ${inst.caCertificateIdentifier}` };
    const servername = this.d.runtime.linkServername(inst);
    if (!parseCertificate(rec.certPem).sans.includes(servername)) return { keyType: wanted, reason: `link name changed to ${servername}` };
    const half = halfLife(rec.notBefore, rec.notAfter);
    if (now.getTime() >= half.getTime()) return { keyType: wanted, reason: `half-life reached ${half.toISOString()}` };
    return null;
  }

  private record(inst: DbInstance, cert: IssuedLinkCertificate): Omit<LinkCertificateRecord, 'state'> {
    return {
      serial: cert.serialHex,
      resourceId: inst.resourceId,
      keyType: cert.keyType,
      certPem: cert.certPem,
      keySealed: sealSecret(this.d.masterKey, linkKeyLabel(inst.resourceId, cert.serialHex), cert.keyPem),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      createdAt: this.d.clock.now(),
    };
  }
}

/** Label binding a sealed link-certificate key to its instance and serial. */
function linkKeyLabel(resourceId: string, serial: string): string {
  return `instances/${resourceId}/link-certificates/${serial}.key`;
}
