import type Database from 'better-sqlite3';
import type { LinkCertificateRecord } from '../model/link-certificate-record.js';
import type { MaintenanceOptIn } from '../model/pending-maintenance.js';
import type { Store } from './store.js';

/**
 * The certificate lifecycle's tables (the "Certificate lifecycle" migration in migrations.ts):
 * link certificates, maintenance opt-ins and expiry notices, in the metadata store's database.
 */
export class CertificateLifecycleStore {
  constructor(private readonly store: Store) {}

  private get db(): Database.Database {
    return this.store.database;
  }

  /** Records a new active link certificate and retires the previous one, atomically. */
  activateLinkCertificate(c: Omit<LinkCertificateRecord, 'state'>): void {
    this.store.tx(() => {
      this.db.prepare("UPDATE link_certificates SET state = 'retired' WHERE resource_id = ? AND state = 'active'").run(c.resourceId);
      this.db
        .prepare('INSERT INTO link_certificates(serial, resource_id, key_type, cert_pem, key_sealed, not_before, not_after, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(c.serial, c.resourceId, c.keyType, c.certPem, c.keySealed, c.notBefore.toISOString(), c.notAfter.toISOString(), 'active', c.createdAt.toISOString());
    });
  }

  activeLinkCertificate(resourceId: string): LinkCertificateRecord | null {
    const r = this.db.prepare("SELECT * FROM link_certificates WHERE resource_id = ? AND state = 'active'").get(resourceId) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      serial: r.serial as string,
      resourceId: r.resource_id as string,
      keyType: r.key_type as LinkCertificateRecord['keyType'],
      certPem: r.cert_pem as string,
      keySealed: (r.key_sealed as Buffer | null) ?? null,
      notBefore: new Date(r.not_before as string),
      notAfter: new Date(r.not_after as string),
      state: 'active',
      createdAt: new Date(r.created_at as string),
    };
  }

  /** The opt-in recorded for a pending maintenance action, or null when none was recorded. */
  maintenanceOptIn(resourceId: string, action: string): MaintenanceOptIn | null {
    const r = this.db.prepare('SELECT opt_in_status FROM maintenance_opt_ins WHERE resource_id = ? AND action = ?').get(resourceId, action) as { opt_in_status: string } | undefined;
    return (r?.opt_in_status as MaintenanceOptIn | undefined) ?? null;
  }

  /** Sets (a status) or clears (null) the opt-in of a pending maintenance action. */
  setMaintenanceOptIn(resourceId: string, action: string, status: MaintenanceOptIn | null, at: Date): void {
    if (status === null) {
      this.db.prepare('DELETE FROM maintenance_opt_ins WHERE resource_id = ? AND action = ?').run(resourceId, action);
      return;
    }
    this.db
      .prepare(
        'INSERT INTO maintenance_opt_ins(resource_id, action, opt_in_status, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(resource_id, action) DO UPDATE SET opt_in_status = excluded.opt_in_status, updated_at = excluded.updated_at',
      )
      .run(resourceId, action, status, at.toISOString());
  }

  /** The smallest "expires within N days" threshold already announced for a certificate, or null. */
  expiryNotice(serial: string): number | null {
    const r = this.db.prepare('SELECT threshold_days FROM certificate_notices WHERE serial = ?').get(serial) as { threshold_days: number } | undefined;
    return r?.threshold_days ?? null;
  }

  setExpiryNotice(serial: string, resourceId: string, thresholdDays: number): void {
    this.db
      .prepare('INSERT INTO certificate_notices(serial, resource_id, threshold_days) VALUES (?, ?, ?) ON CONFLICT(serial) DO UPDATE SET threshold_days = excluded.threshold_days')
      .run(serial, resourceId, thresholdDays);
  }

  /** Drops rows of instances that no longer exist; returns how many rows went. */
  sweepDeletedInstances(): number {
    return this.store.tx(() => {
      let n = 0;
      for (const table of ['link_certificates', 'maintenance_opt_ins', 'certificate_notices']) {
        n += this.db.prepare(`DELETE FROM ${table} WHERE resource_id NOT IN (SELECT resource_id FROM instances)`).run().changes;
      }
      return n;
    });
  }
}
