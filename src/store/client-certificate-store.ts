import type Database from 'better-sqlite3';
import type { ClientCertificateRecord, ImportedCrlRecord, Revocation, RevocationReason } from '../model/client-certificate.js';
import type { Store } from './store.js';

/**
 * SQLite repository of issued client certificates and imported client CRLs (the "Client
 * certificate revocation" migration in migrations.ts), sharing the metadata store's database.
 */
export class ClientCertificateStore {
  private readonly db: Database.Database;

  constructor(store: Store) {
    this.db = store.database;
  }

  /** False when the serial is recorded already. */
  insert(c: ClientCertificateRecord): boolean {
    return (
      this.db
        .prepare('INSERT INTO client_certificates(region, serial, subject, issuer, not_before, not_after, key_type, recorded_at, revoked_at, revocation_reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(c.region, c.serialHex, c.subject, c.issuer, c.notBefore.toISOString(), c.notAfter.toISOString(), c.keyType, c.recordedAt.toISOString(), c.revocation?.revokedAt.toISOString() ?? null, c.revocation?.reason ?? null).changes === 1
    );
  }

  get(region: string, serialHex: string): ClientCertificateRecord | null {
    const r = this.db.prepare('SELECT * FROM client_certificates WHERE region = ? AND serial = ?').get(region, serialHex) as Row | undefined;
    return r ? record(r) : null;
  }

  /** Every certificate of `region`, by serial. */
  list(region: string): ClientCertificateRecord[] {
    return (this.db.prepare('SELECT * FROM client_certificates WHERE region = ? ORDER BY serial').all(region) as Row[]).map(record);
  }

  /** Revoked certificates of `region` not expired at `now` (what the CRL lists), by serial. */
  listRevoked(region: string, now: Date): ClientCertificateRecord[] {
    return (this.db.prepare('SELECT * FROM client_certificates WHERE region = ? AND revoked_at IS NOT NULL AND not_after > ? ORDER BY serial').all(region, now.toISOString()) as Row[]).map(record);
  }

  /** Records the revocation; false when the certificate is unknown or revoked already (the first revocation stands). */
  revoke(region: string, serialHex: string, r: Revocation): boolean {
    return this.db.prepare('UPDATE client_certificates SET revoked_at = ?, revocation_reason = ? WHERE region = ? AND serial = ? AND revoked_at IS NULL').run(r.revokedAt.toISOString(), r.reason, region, serialHex).changes === 1;
  }

  /**
   * Replaces the CRL of an operator CA (by the instance's resource id and the CA's thumbprint). Kept
   * when the CA is removed, so importing the same CA again enforces it again; see deleteCrls.
   */
  putCrl(c: ImportedCrlRecord): void {
    this.db
      .prepare(
        `INSERT INTO client_crls(resource_id, thumbprint, crl_der, this_update, next_update, crl_number, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (resource_id, thumbprint) DO UPDATE SET crl_der = excluded.crl_der, this_update = excluded.this_update, next_update = excluded.next_update, crl_number = excluded.crl_number, imported_at = excluded.imported_at`,
      )
      .run(c.resourceId, c.thumbprint, c.crlDer, c.thisUpdate.toISOString(), c.nextUpdate?.toISOString() ?? null, c.crlNumber, c.importedAt.toISOString());
  }

  /** Drops every imported CRL of an instance (it is deleted: its resource id is never reused). */
  deleteCrls(resourceId: string): void {
    this.db.prepare('DELETE FROM client_crls WHERE resource_id = ?').run(resourceId);
  }

  getCrl(resourceId: string, thumbprint: string): ImportedCrlRecord | null {
    const r = this.db.prepare('SELECT * FROM client_crls WHERE resource_id = ? AND thumbprint = ?').get(resourceId, thumbprint) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      resourceId: r.resource_id as string,
      thumbprint: r.thumbprint as string,
      crlDer: r.crl_der as Buffer,
      thisUpdate: new Date(r.this_update as string),
      nextUpdate: r.next_update ? new Date(r.next_update as string) : null,
      crlNumber: (r.crl_number as string | null) ?? null,
      importedAt: new Date(r.imported_at as string),
    };
  }
}

type Row = Record<string, string | null>;

function record(r: Row): ClientCertificateRecord {
  return {
    region: r.region!,
    serialHex: r.serial!,
    subject: r.subject!,
    issuer: r.issuer!,
    notBefore: new Date(r.not_before!),
    notAfter: new Date(r.not_after!),
    keyType: r.key_type ?? null,
    recordedAt: new Date(r.recorded_at!),
    revocation: r.revoked_at ? { revokedAt: new Date(r.revoked_at), reason: r.revocation_reason as RevocationReason } : null,
  };
}
