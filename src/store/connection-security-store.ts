import type Database from 'better-sqlite3';
import type { ClientCaRecord } from '../model/client-certificate-authority.js';
import type { DbSecurityGroupRecord } from '../model/db-security-group.js';
import type { Store } from './store.js';

/** SQLite repository of the connection-security tables (migration 2), sharing the metadata store's database. */
export class ConnectionSecurityStore {
  private readonly db: Database.Database;

  constructor(store: Store) {
    this.db = store.database;
  }

  insertSecurityGroup(g: { name: string; description: string; createdAt: Date }): boolean {
    const r = this.db.prepare('INSERT INTO db_security_groups(name, description, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(g.name, g.description, g.createdAt.toISOString());
    return r.changes === 1;
  }

  getSecurityGroup(name: string): DbSecurityGroupRecord | null {
    const r = this.db.prepare('SELECT * FROM db_security_groups WHERE name = ?').get(name) as Record<string, string> | undefined;
    return r ? this.withRules(r) : null;
  }

  listSecurityGroups(): DbSecurityGroupRecord[] {
    return (this.db.prepare('SELECT * FROM db_security_groups ORDER BY name').all() as Record<string, string>[]).map((r) => this.withRules(r));
  }

  deleteSecurityGroup(name: string): void {
    this.db.prepare('DELETE FROM db_security_groups WHERE name = ?').run(name);
  }

  /** False when the rule already exists. */
  addRule(group: string, cidr: string, createdAt: Date): boolean {
    return this.db.prepare('INSERT INTO db_security_group_rules(group_name, cidr, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING').run(group, cidr, createdAt.toISOString()).changes === 1;
  }

  /** False when there was no such rule. */
  removeRule(group: string, cidr: string): boolean {
    return this.db.prepare('DELETE FROM db_security_group_rules WHERE group_name = ? AND cidr = ?').run(group, cidr).changes === 1;
  }

  private withRules(r: Record<string, string>): DbSecurityGroupRecord {
    const cidrs = (this.db.prepare('SELECT cidr FROM db_security_group_rules WHERE group_name = ? ORDER BY created_at, rowid').all(r.name) as { cidr: string }[]).map((x) => x.cidr);
    return { name: r.name!, description: r.description!, createdAt: new Date(r.created_at!), cidrs };
  }

  insertClientCa(c: ClientCaRecord): boolean {
    return (
      this.db
        .prepare('INSERT INTO client_cas(resource_id, thumbprint, subject, cert_pem, not_after, shadow_cert_pem, shadow_key_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING')
        .run(c.resourceId, c.thumbprint, c.subject, c.certPem, c.notAfter.toISOString(), c.shadowCertPem, c.shadowKeySealed, c.createdAt.toISOString()).changes === 1
    );
  }

  listClientCas(resourceId: string): ClientCaRecord[] {
    const rows = this.db.prepare('SELECT * FROM client_cas WHERE resource_id = ? ORDER BY created_at, rowid').all(resourceId) as Record<string, unknown>[];
    return rows.map((r) => ({
      resourceId: r.resource_id as string,
      thumbprint: r.thumbprint as string,
      subject: r.subject as string,
      certPem: r.cert_pem as string,
      notAfter: new Date(r.not_after as string),
      shadowCertPem: r.shadow_cert_pem as string,
      shadowKeySealed: r.shadow_key_sealed as Buffer,
      createdAt: new Date(r.created_at as string),
    }));
  }

  /** False when there was no such CA. */
  deleteClientCa(resourceId: string, thumbprint: string): boolean {
    return this.db.prepare('DELETE FROM client_cas WHERE resource_id = ? AND thumbprint = ?').run(resourceId, thumbprint).changes === 1;
  }
}
