import type Database from 'better-sqlite3';
import type { Tag } from '../model/tag.js';
import type { Store } from './store.js';

/** SQLite repository of resource tags by ARN (migration `resource_tags`), sharing the metadata store's database. */
export class TagStore {
  private readonly db: Database.Database;

  constructor(store: Store) {
    this.db = store.database;
  }

  /** The tags of `arn`, in key order. */
  list(arn: string): Tag[] {
    return this.db.prepare('SELECT key, value FROM resource_tags WHERE arn = ? ORDER BY key').all(arn) as Tag[];
  }

  /** Adds or overwrites each tag (a key given twice: the last value wins, as RDS does). */
  put(arn: string, tags: readonly Tag[]): void {
    const upsert = this.db.prepare('INSERT INTO resource_tags(arn, key, value) VALUES (?, ?, ?) ON CONFLICT(arn, key) DO UPDATE SET value = excluded.value');
    this.db.transaction(() => {
      for (const t of tags) upsert.run(arn, t.key, t.value);
    })();
  }

  /** Removes the tags with these keys; keys the resource does not have are ignored. */
  remove(arn: string, keys: readonly string[]): void {
    const del = this.db.prepare('DELETE FROM resource_tags WHERE arn = ? AND key = ?');
    this.db.transaction(() => {
      for (const k of keys) del.run(arn, k);
    })();
  }

  /** Forgets every tag of a deleted resource. */
  deleteAll(arn: string): void {
    this.db.prepare('DELETE FROM resource_tags WHERE arn = ?').run(arn);
  }
}
