import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { DbEvent } from '../model/db-event.js';
import type { DbInstance } from '../model/db-instance.js';
import type { AccessKeyRecord } from '../model/access-key.js';
import type { ParameterGroupRecord } from '../model/db-parameter-group.js';
import type { ServerCertificateRecord } from '../model/server-certificate-record.js';
import { migrations } from './migrations.js';

type InstanceRow = { doc: string };

/**
 * The metadata store: desired state of every instance, certificates, parameter groups, events
 * and access keys, in one SQLite file (WAL, mode 0600). Synchronous by design: every call is a
 * sub-millisecond local transaction, and better-sqlite3's synchronous API keeps invariants simple.
 */
export class Store {
  private readonly db: Database.Database;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    this.db = new Database(path);
    if (path !== ':memory:') chmodSync(path, 0o600);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < migrations.length; i++) {
      this.db.transaction(() => {
        this.db.exec(migrations[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  close(): void {
    this.db.close();
  }

  /** The open database, for repositories of other modules that keep their tables in this file (migrations.ts). */
  get database(): Database.Database {
    return this.db;
  }

  /** Runs `fn` in one transaction. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  getMeta(key: string): string | null {
    const r = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined;
    return r?.value ?? null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // --- instances -------------------------------------------------------------------------

  /** Inserts a new instance; returns false (and changes nothing) if the id or port is taken. */
  insertInstance(i: DbInstance): boolean {
    try {
      this.db.prepare('INSERT INTO instances(id, resource_id, port, doc) VALUES (?, ?, ?, ?)').run(i.id, i.resourceId, i.endpoint.port, serialize(i));
      return true;
    } catch (e) {
      if ((e as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || (e as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') return false;
      throw e;
    }
  }

  updateInstance(i: DbInstance): void {
    this.db.prepare('UPDATE instances SET doc = ?, port = ? WHERE id = ?').run(serialize(i), i.endpoint.port, i.id);
  }

  getInstance(id: string): DbInstance | null {
    const r = this.db.prepare('SELECT doc FROM instances WHERE id = ?').get(id) as InstanceRow | undefined;
    return r ? deserializeInstance(r.doc) : null;
  }

  /**
   * Instances with an id after `afterId` (from the first when undefined), in id order, at most
   * `limit` (all when undefined): a page read by key, so it costs the same with 10 or 10,000 stored.
   */
  listInstancesAfter(afterId: string | undefined, limit?: number): DbInstance[] {
    // SQLite: LIMIT -1 is no limit; ids compare bytewise, the same order as JS strings for ASCII ids.
    const rows = this.db.prepare('SELECT doc FROM instances WHERE id > ? ORDER BY id LIMIT ?').all(afterId ?? '', limit ?? -1) as InstanceRow[];
    return rows.map((r) => deserializeInstance(r.doc));
  }

  listInstances(): DbInstance[] {
    return (this.db.prepare('SELECT doc FROM instances ORDER BY id').all() as InstanceRow[]).map((r) => deserializeInstance(r.doc));
  }

  usedPorts(): Set<number> {
    return new Set((this.db.prepare('SELECT port FROM instances').all() as { port: number }[]).map((r) => r.port));
  }

  deleteInstance(id: string): void {
    this.tx(() => {
      this.db.prepare('DELETE FROM instances WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM server_certificates WHERE instance_id = ?').run(id);
    });
  }

  // --- server certificates ---------------------------------------------------------------

  /** Records a new active certificate for an instance and retires the previous one, atomically. */
  activateServerCertificate(c: Omit<ServerCertificateRecord, 'state'>): void {
    this.tx(() => {
      this.db.prepare("UPDATE server_certificates SET state = 'retired' WHERE instance_id = ? AND state = 'active'").run(c.instanceId);
      this.db
        .prepare('INSERT INTO server_certificates(serial, instance_id, family_id, chain_pem, key_sealed, not_before, not_after, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
        .run(c.serial, c.instanceId, c.familyId, c.chainPem, c.keySealed, c.notBefore.toISOString(), c.notAfter.toISOString(), 'active', c.createdAt.toISOString());
    });
  }

  activeServerCertificate(instanceId: string): ServerCertificateRecord | null {
    const r = this.db.prepare("SELECT * FROM server_certificates WHERE instance_id = ? AND state = 'active'").get(instanceId) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      serial: r.serial as string,
      instanceId: r.instance_id as string,
      familyId: r.family_id as string,
      chainPem: r.chain_pem as string,
      keySealed: r.key_sealed as Buffer,
      notBefore: new Date(r.not_before as string),
      notAfter: new Date(r.not_after as string),
      state: 'active',
      createdAt: new Date(r.created_at as string),
    };
  }

  // --- events ----------------------------------------------------------------------------

  addEvent(e: DbEvent): void {
    this.db
      .prepare('INSERT INTO events(source_id, source_type, message, categories, date, source_arn) VALUES (?, ?, ?, ?, ?, ?)')
      .run(e.sourceIdentifier, e.sourceType, e.message, JSON.stringify(e.eventCategories), e.date.toISOString(), e.sourceArn);
  }

  listEvents(q: { sourceIdentifier?: string; sourceType?: string; start: Date; end: Date }): DbEvent[] {
    const rows = this.db
      .prepare(
        `SELECT * FROM events WHERE date >= ? AND date <= ?
         AND (? IS NULL OR source_id = ?) AND (? IS NULL OR source_type = ?) ORDER BY id`,
      )
      .all(q.start.toISOString(), q.end.toISOString(), q.sourceIdentifier ?? null, q.sourceIdentifier ?? null, q.sourceType ?? null, q.sourceType ?? null) as Record<string, string>[];
    return rows.map((r) => ({
      sourceIdentifier: r.source_id!,
      sourceType: r.source_type as DbEvent['sourceType'],
      message: r.message!,
      eventCategories: JSON.parse(r.categories!) as string[],
      date: new Date(r.date!),
      sourceArn: r.source_arn!,
    }));
  }

  // --- parameter groups ------------------------------------------------------------------

  insertParameterGroup(g: { name: string; family: string; description: string; createdAt: Date }): boolean {
    const r = this.db
      .prepare('INSERT INTO parameter_groups(name, family, description, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(g.name, g.family, g.description, g.createdAt.toISOString());
    return r.changes === 1;
  }

  getParameterGroup(name: string): ParameterGroupRecord | null {
    return (this.db.prepare('SELECT name, family, description FROM parameter_groups WHERE name = ?').get(name) as ParameterGroupRecord | undefined) ?? null;
  }

  listParameterGroups(): ParameterGroupRecord[] {
    return this.db.prepare('SELECT name, family, description FROM parameter_groups ORDER BY name').all() as ParameterGroupRecord[];
  }

  deleteParameterGroup(name: string): void {
    this.db.prepare('DELETE FROM parameter_groups WHERE name = ?').run(name);
  }

  /** User-set parameter values of a group (absent = engine default). */
  getParameters(group: string): Map<string, string | null> {
    const rows = this.db.prepare('SELECT name, value FROM parameters WHERE group_name = ?').all(group) as { name: string; value: string | null }[];
    return new Map(rows.map((r) => [r.name, r.value]));
  }

  setParameters(group: string, values: { name: string; value: string | null }[]): void {
    this.tx(() => {
      const st = this.db.prepare('INSERT INTO parameters(group_name, name, value) VALUES (?, ?, ?) ON CONFLICT(group_name, name) DO UPDATE SET value = excluded.value');
      for (const v of values) st.run(group, v.name, v.value);
    });
  }

  resetParameters(group: string, names: string[] | 'all'): void {
    if (names === 'all') this.db.prepare('DELETE FROM parameters WHERE group_name = ?').run(group);
    else this.tx(() => names.forEach((n) => this.db.prepare('DELETE FROM parameters WHERE group_name = ? AND name = ?').run(group, n)));
  }

  // --- access keys -----------------------------------------------------------------------

  putAccessKey(k: AccessKeyRecord): void {
    this.db
      .prepare('INSERT INTO access_keys(access_key_id, secret_sealed, principal, active, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(access_key_id) DO UPDATE SET active = excluded.active')
      .run(k.accessKeyId, k.secretSealed, k.principal, k.active ? 1 : 0, k.createdAt.toISOString());
  }

  getAccessKey(id: string): AccessKeyRecord | null {
    const r = this.db.prepare('SELECT * FROM access_keys WHERE access_key_id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) return null;
    return {
      accessKeyId: r.access_key_id as string,
      secretSealed: r.secret_sealed as Buffer,
      principal: r.principal as string,
      active: r.active === 1,
      createdAt: new Date(r.created_at as string),
    };
  }
}

function serialize(i: DbInstance): string {
  // What is derived when the instance is described is never stored.
  return JSON.stringify(i.live === undefined ? i : { ...i, live: undefined });
}

function deserializeInstance(doc: string): DbInstance {
  // Plain JSON.parse plus the two known date fields: a reviver runs for every key and costs ~3x.
  const i = JSON.parse(doc) as DbInstance;
  i.createdAt = new Date(i.createdAt);
  if (i.certificate) i.certificate.validTill = new Date(i.certificate.validTill);
  if (i.replication) i.replication.certificateNotAfter = new Date(i.replication.certificateNotAfter);
  if (i.multiAz?.channel) i.multiAz.channel.certificateNotAfter = new Date(i.multiAz.channel.certificateNotAfter);
  return i;
}
