import type Database from 'better-sqlite3';
import type { Store } from './store.js';

/** A stored DB subnet group (the `default` group is not stored). */
export interface SubnetGroupRecord {
  name: string;
  description: string;
  subnetIds: string[];
  createdAt: Date;
}

/** SQLite repository of DB subnet groups (migration `db_subnet_groups`), sharing the metadata store's database. */
export class SubnetGroupStore {
  private readonly db: Database.Database;

  constructor(store: Store) {
    this.db = store.database;
  }

  /** False when a group of that name exists. */
  insert(g: SubnetGroupRecord): boolean {
    const r = this.db
      .prepare('INSERT INTO db_subnet_groups(name, description, subnet_ids, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING')
      .run(g.name, g.description, JSON.stringify(g.subnetIds), g.createdAt.toISOString());
    return r.changes === 1;
  }

  get(name: string): SubnetGroupRecord | null {
    const r = this.db.prepare('SELECT * FROM db_subnet_groups WHERE name = ?').get(name) as Record<string, string> | undefined;
    return r ? toRecord(r) : null;
  }

  list(): SubnetGroupRecord[] {
    return (this.db.prepare('SELECT * FROM db_subnet_groups ORDER BY name').all() as Record<string, string>[]).map(toRecord);
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM db_subnet_groups').get() as { n: number }).n;
  }

  /** Replaces the description and subnets of an existing group. */
  update(g: Pick<SubnetGroupRecord, 'name' | 'description' | 'subnetIds'>): void {
    this.db.prepare('UPDATE db_subnet_groups SET description = ?, subnet_ids = ? WHERE name = ?').run(g.description, JSON.stringify(g.subnetIds), g.name);
  }

  delete(name: string): void {
    this.db.prepare('DELETE FROM db_subnet_groups WHERE name = ?').run(name);
  }
}

function toRecord(r: Record<string, string>): SubnetGroupRecord {
  return { name: r.name!, description: r.description!, subnetIds: JSON.parse(r.subnet_ids!) as string[], createdAt: new Date(r.created_at!) };
}
