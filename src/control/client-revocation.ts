import { X509Certificate } from 'node:crypto';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ClientCaRecord } from '../model/client-certificate-authority.js';
import { normaliseSerialHex, REVOCATION_REASONS, type ClientCertificateRecord, type Revocation, type RevocationReason } from '../model/client-certificate.js';
import type { ClientCertificateAuthority, IssuedClientCertificate } from '../pki/client-ca.js';
import { CRL_REFRESH_AFTER_MS, signClientCrl, verifyImportedCrl, type SignedCrl } from '../pki/client-crl.js';
import { onelineName } from '../pki/client-ca.js';
import { ClientCertificateStore } from '../store/client-certificate-store.js';
import type { Store } from '../store/store.js';

export interface ClientRevocationDeps {
  store: Store;
  clientCa: ClientCertificateAuthority;
  /** Served regions: each has a client CA and publishes a CRL. */
  regions: readonly string[];
  clock: Clock;
  logger: Logger;
}

/** What an imported CRL holds, as described to callers. */
export interface ImportedCrlInfo {
  dbInstanceIdentifier: string;
  /** Thumbprint of the operator CA the CRL belongs to. */
  thumbprint: string;
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: string | null;
  revokedCount: number;
}

/**
 * Revocation of client certificates (docs/revocation.md): the record of every client certificate
 * tlsql issues, their revocation, the CRL each region's client CA publishes, and CRLs imported for
 * operator client CAs. Enforcement is the front door's (dataplane/client-certs.ts): this class says
 * which serials are revoked; connection-security.ts hands that to the endpoints and closes the
 * sessions of revoked certificates.
 */
export class ClientRevocation {
  private readonly repo: ClientCertificateStore;
  private readonly log: Logger;
  /** The last CRL signed per region, with what it was signed from. */
  private readonly crls = new Map<string, Promise<SignedCrl>>();
  /** Parsed entries of imported CRLs, by `<resourceId>/<thumbprint>/<importedAt>`. */
  private readonly importedEntries = new Map<string, ReadonlyMap<string, Revocation>>();

  constructor(private readonly d: ClientRevocationDeps) {
    this.repo = new ClientCertificateStore(d.store);
    this.log = d.logger.child({ component: 'client-revocation' });
  }

  /** `/crl/<id>.crl` names: `<region>-client-ca-g1`. */
  static crlId(region: string): string {
    return `${region}-client-ca-g1`;
  }

  /** Records a newly issued certificate (before it is handed out, so it can always be revoked). */
  recordIssued(region: string, c: IssuedClientCertificate): void {
    this.repo.insert({ region, serialHex: c.serialHex, subject: c.subject, issuer: c.issuer, notBefore: c.notBefore, notAfter: c.notAfter, keyType: c.keyType, recordedAt: this.d.clock.now(), revocation: null });
  }

  /**
   * Revokes a client certificate of `region`'s client CA, named by serial or given as PEM. A
   * certificate given as PEM must be signed by that CA; one issued before tlsql kept records is
   * recorded now. Faults: MissingParameter / InvalidParameterCombination (neither or both),
   * InvalidParameterValue (reason, PEM, another CA), ClientCertificateNotFound (unknown serial),
   * ClientCertificateAlreadyRevoked (the first revocation stands: its date is what the CRL and
   * every relying party already hold, and a retry learns it from the message).
   */
  async revoke(q: { region: string; serialNumber?: string; certificatePem?: string; reason?: string }): Promise<ClientCertificateRecord> {
    const reason = parseReason(q.reason);
    if ((q.serialNumber === undefined || q.serialNumber === '') === (q.certificatePem === undefined || q.certificatePem === '')) {
      if (!q.serialNumber && !q.certificatePem) throw new AppError('MissingParameter', 'The request must contain SerialNumber or CertificatePem');
      throw new AppError('InvalidParameterCombination', 'Give SerialNumber or CertificatePem, not both.');
    }
    await this.d.clientCa.ensure();
    const ca = this.d.clientCa.ca(q.region);
    let serialHex: string;
    let fromFile: ClientCertificateRecord | null = null;
    if (q.serialNumber !== undefined && q.serialNumber !== '') {
      if (!/^(?:[0-9A-Fa-f]{2}:)*[0-9A-Fa-f]{1,40}$/.test(q.serialNumber.trim())) {
        throw new AppError('InvalidParameterValue', `SerialNumber ${JSON.stringify(q.serialNumber)} must be hexadecimal (as DescribeClientCertificates and \`openssl x509 -serial\` print it).`);
      }
      serialHex = normaliseSerialHex(q.serialNumber.trim());
    } else {
      const pems = q.certificatePem!.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
      if (pems.length !== 1) throw new AppError('InvalidParameterValue', `CertificatePem must hold exactly one PEM certificate (got ${pems.length}).`);
      let cert: X509Certificate;
      try {
        cert = new X509Certificate(pems[0]!);
      } catch (e) {
        throw new AppError('InvalidParameterValue', `CertificatePem is not a valid X.509 certificate: ${(e as Error).message}`, { cause: e });
      }
      const caCert = new X509Certificate(ca.certPem);
      if (!cert.checkIssued(caCert) || !cert.verify(caCert.publicKey)) {
        throw new AppError('InvalidParameterValue', `The certificate was not issued by ${onelineName(caCert.subject)}; certificates of an imported client CA are revoked by importing that CA's CRL (import-client-crl).`);
      }
      serialHex = normaliseSerialHex(cert.serialNumber);
      fromFile = { region: q.region, serialHex, subject: onelineName(cert.subject), issuer: onelineName(cert.issuer), notBefore: new Date(cert.validFrom), notAfter: new Date(cert.validTo), keyType: null, recordedAt: this.d.clock.now(), revocation: null };
    }
    let record = this.repo.get(q.region, serialHex);
    if (!record && fromFile) {
      this.repo.insert(fromFile);
      record = fromFile;
    }
    if (!record) throw new AppError('ClientCertificateNotFound', `No client certificate with serial ${serialHex} was issued by tlsql in ${q.region} (list them with describe-client-certificates).`);
    if (record.revocation) {
      throw new AppError('ClientCertificateAlreadyRevoked', `Client certificate ${serialHex} (${record.subject}) was revoked on ${record.revocation.revokedAt.toISOString()} (${record.revocation.reason}); a revocation is final and keeps its first date and reason.`);
    }
    const revocation: Revocation = { revokedAt: this.d.clock.now(), reason };
    if (!this.repo.revoke(q.region, serialHex, revocation)) {
      // Another request revoked it between the read and the update.
      const now = this.repo.get(q.region, serialHex)!;
      throw new AppError('ClientCertificateAlreadyRevoked', `Client certificate ${serialHex} was revoked on ${now.revocation!.revokedAt.toISOString()} (${now.revocation!.reason}).`);
    }
    this.crls.delete(q.region);
    this.log.info('client certificate revoked', { region: q.region, serialHex, subject: record.subject, reason });
    // Signed now, so the first fetch after a revocation does not wait for it. Not awaited: the
    // revocation is recorded and must be enforced even if signing fails (the next fetch retries).
    this.crl(q.region).catch((err: unknown) => this.log.error('signing the client CRL failed; the next fetch retries', { region: q.region, err: err as Error }));
    return { ...record, revocation };
  }

  /** Issued certificates of `region` by serial, or the one with `serialNumber` (ClientCertificateNotFound). */
  describe(q: { region: string; serialNumber?: string }): ClientCertificateRecord[] {
    if (q.serialNumber === undefined) return this.repo.list(q.region);
    const one = this.repo.get(q.region, normaliseSerialHex(q.serialNumber));
    if (!one) throw new AppError('ClientCertificateNotFound', `No client certificate with serial ${normaliseSerialHex(q.serialNumber)} was issued by tlsql in ${q.region}.`);
    return [one];
  }

  /** The revoked serials of `region`'s client CA, for the front door's trust list. */
  revokedIn(region: string): ReadonlyMap<string, Revocation> {
    return new Map(this.repo.listRevoked(region, new Date(0)).map((r) => [r.serialHex, r.revocation!]));
  }

  /**
   * The CRL of `region`'s client CA: signed again when a revocation changed it or once it is
   * CRL_REFRESH_AFTER_MS old, so a fetched CRL is always valid for at least 12 more hours. Lists
   * revoked certificates that have not expired (RFC 5280 §3.3 lets a CRL drop expired ones).
   */
  crl(region: string): Promise<SignedCrl> {
    const now = this.d.clock.now();
    const cached = this.crls.get(region);
    if (cached) {
      return cached.then((c) => (now.getTime() - c.thisUpdate.getTime() < CRL_REFRESH_AFTER_MS && c.thisUpdate.getTime() <= now.getTime() ? c : this.sign(region, cached)));
    }
    return this.sign(region, undefined);
  }

  private sign(region: string, stale: Promise<SignedCrl> | undefined): Promise<SignedCrl> {
    const current = this.crls.get(region);
    if (current !== undefined && current !== stale) return current; // another caller is signing already
    const p = (async () => {
      await this.d.clientCa.ensure();
      const now = this.d.clock.now();
      const entries = this.repo.listRevoked(region, now).map((r) => ({ serialHex: r.serialHex, ...r.revocation! }));
      // CRL numbers only grow (RFC 5280 §5.2.3), across restarts too.
      const key = `client-crl-number/${region}`;
      const crlNumber = Number(this.d.store.getMeta(key) ?? '0') + 1;
      this.d.store.setMeta(key, String(crlNumber));
      const crl = await signClientCrl({ ca: this.d.clientCa.ca(region), entries, now, crlNumber });
      this.log.info('client CRL signed', { region, crlNumber, revoked: entries.length, nextUpdate: crl.nextUpdate.toISOString() });
      return crl;
    })();
    p.catch(() => {
      if (this.crls.get(region) === p) this.crls.delete(region);
    });
    this.crls.set(region, p);
    return p;
  }

  /** `<id>.crl` (DER) or `<id>.pem` (PEM) of a served region's CRL; null for any other name. */
  async published(file: string): Promise<{ body: Buffer | string; contentType: string } | null> {
    const m = /^(.+)\.(crl|pem)$/.exec(file);
    const region = m ? this.d.regions.find((r) => ClientRevocation.crlId(r) === m[1]) : undefined;
    if (!m || !region) return null;
    const crl = await this.crl(region);
    return m[2] === 'crl' ? { body: crl.der, contentType: 'application/pkix-crl' } : { body: crl.pem, contentType: 'application/x-pem-file' };
  }

  /**
   * Checks and stores a CRL for the operator CA `ca` (verifyImportedCrl: issuer, cRLSign, signature),
   * refusing one whose nextUpdate has passed or that is older than the CRL already imported.
   */
  async importCrl(instanceId: string, ca: ClientCaRecord, crl: Buffer): Promise<ImportedCrlInfo> {
    const now = this.d.clock.now();
    const v = await verifyImportedCrl({ crl, caPem: ca.certPem, now });
    if (v.nextUpdate && v.nextUpdate <= now) throw new AppError('InvalidParameterValue', `The CRL's nextUpdate ${v.nextUpdate.toISOString()} has passed: import a current CRL from ${ca.subject}.`);
    const previous = this.repo.getCrl(ca.resourceId, ca.thumbprint);
    if (previous && previous.thisUpdate > v.thisUpdate) {
      throw new AppError('InvalidParameterValue', `The CRL (thisUpdate ${v.thisUpdate.toISOString()}) is older than the one imported already (thisUpdate ${previous.thisUpdate.toISOString()}).`);
    }
    this.repo.putCrl({ resourceId: ca.resourceId, thumbprint: ca.thumbprint, crlDer: v.der, thisUpdate: v.thisUpdate, nextUpdate: v.nextUpdate, crlNumber: v.crlNumber, importedAt: now });
    this.log.info('client CRL imported', { instance: instanceId, ca: ca.subject, thumbprint: ca.thumbprint, revoked: v.entries.length, thisUpdate: v.thisUpdate.toISOString() });
    return { dbInstanceIdentifier: instanceId, thumbprint: ca.thumbprint, issuer: ca.subject, thisUpdate: v.thisUpdate, nextUpdate: v.nextUpdate, crlNumber: v.crlNumber, revokedCount: v.entries.length };
  }

  /** What the imported CRL of an operator CA revokes (empty without one), parsed once per import. */
  async revokedByOperatorCa(ca: ClientCaRecord): Promise<ReadonlyMap<string, Revocation>> {
    const stored = this.repo.getCrl(ca.resourceId, ca.thumbprint);
    if (!stored) return new Map();
    const key = `${ca.resourceId}/${ca.thumbprint}/${stored.importedAt.toISOString()}`;
    let map = this.importedEntries.get(key);
    if (!map) {
      // Verified on import; checked again here (cheap) so a tampered row is never enforced silently.
      const v = await verifyImportedCrl({ crl: stored.crlDer, caPem: ca.certPem, now: stored.importedAt });
      map = new Map(v.entries.map((e) => [e.serialHex, { revokedAt: e.revokedAt, reason: e.reason }]));
      for (const k of this.importedEntries.keys()) if (k.startsWith(`${ca.resourceId}/${ca.thumbprint}/`)) this.importedEntries.delete(k);
      this.importedEntries.set(key, map);
    }
    return map;
  }

  /** Forgets the imported CRLs of a deleted instance (they outlive a removed CA, not the instance). */
  forgetInstance(resourceId: string): void {
    this.repo.deleteCrls(resourceId);
    for (const k of this.importedEntries.keys()) if (k.startsWith(`${resourceId}/`)) this.importedEntries.delete(k);
  }

  /** The imported CRL's dates of an operator CA, for DescribeClientCertificateAuthorities. */
  importedCrlInfo(ca: ClientCaRecord): { thisUpdate: Date; nextUpdate: Date | null } | null {
    const stored = this.repo.getCrl(ca.resourceId, ca.thumbprint);
    return stored ? { thisUpdate: stored.thisUpdate, nextUpdate: stored.nextUpdate } : null;
  }
}

function parseReason(reason: string | undefined): RevocationReason {
  if (reason === undefined || reason === '') return 'unspecified';
  const found = REVOCATION_REASONS.find((r) => r === reason);
  if (!found) {
    throw new AppError('InvalidParameterValue', `Reason ${JSON.stringify(reason)} is not accepted: use one of ${REVOCATION_REASONS.join(', ')} (RFC 5280 names; certificateHold is not offered because tlsql revocations are final).`);
  }
  return found;
}
