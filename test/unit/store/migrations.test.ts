import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { migrations } from '../../../src/store/migrations.js';
import { Store } from '../../../src/store/store.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A metadata database as an older tlsql left it: the first `version` migrations applied. */
function databaseAt(version: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-migrations-'));
  dirs.push(dir);
  const path = join(dir, 'metadata.db');
  const db = new Database(path);
  for (let i = 0; i < version; i++) db.exec(migrations[i]!);
  db.pragma(`user_version = ${version}`);
  return path;
}

describe('store migrations', () => {
  it('drop the duplicate link key type meta rows and keep every other meta row', () => {
    const path = databaseAt(4);
    const db = new Database(path);
    const put = db.prepare('INSERT INTO meta(key, value) VALUES (?, ?)');
    put.run('link_key_type:db1', 'ecdsa-p256');
    put.run('link_key_type:deleted-long-ago', 'rsa2048');
    put.run('account_id', '123456789012');
    put.run('default_ca', 'tlsql-ca-ecc384-g1');
    put.run('linkXkeyXtype:lookalike', 'kept'); // `_` is not a wildcard in the migration
    db.close();

    const store = new Store(path);
    try {
      expect(store.getMeta('link_key_type:db1')).toBeNull();
      expect(store.getMeta('link_key_type:deleted-long-ago')).toBeNull();
      expect(store.getMeta('account_id')).toBe('123456789012');
      expect(store.getMeta('default_ca')).toBe('tlsql-ca-ecc384-g1');
      expect(store.getMeta('linkXkeyXtype:lookalike')).toBe('kept');
      expect(store.database.pragma('user_version', { simple: true })).toBe(migrations.length);
    } finally {
      store.close();
    }
  });

  it('keep recorded link certificates, which hold the key type from now on', () => {
    const path = databaseAt(4);
    const db = new Database(path);
    db.prepare('INSERT INTO link_certificates(serial, resource_id, key_type, cert_pem, key_sealed, not_before, not_after, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      'ab'.repeat(16),
      'db-ABC',
      'ecdsa-p256',
      'PEM',
      null,
      '2026-01-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
      'active',
      '2026-01-01T00:00:00.000Z',
    );
    db.close();
    const store = new Store(path);
    try {
      const row = store.database.prepare("SELECT key_type FROM link_certificates WHERE resource_id = 'db-ABC'").get() as { key_type: string };
      expect(row.key_type).toBe('ecdsa-p256');
    } finally {
      store.close();
    }
  });

  it('keep imported CRLs, which then outlive the removal of their client CA', () => {
    const path = databaseAt(migrations.length - 1);
    const db = new Database(path);
    db.prepare('INSERT INTO client_cas(resource_id, thumbprint, subject, cert_pem, not_after, shadow_cert_pem, shadow_key_sealed, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
      'db-ABC', 'ab', '/CN=op', 'PEM', '2027-01-01T00:00:00.000Z', 'PEM', Buffer.from([0]), '2026-01-01T00:00:00.000Z',
    );
    db.prepare('INSERT INTO client_crls(resource_id, thumbprint, crl_der, this_update, next_update, crl_number, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      'db-ABC', 'ab', Buffer.from([1, 2, 3]), '2026-01-01T00:00:00.000Z', null, '7', '2026-01-02T00:00:00.000Z',
    );
    db.close();
    const store = new Store(path);
    try {
      const crl = () => store.database.prepare("SELECT crl_number, crl_der FROM client_crls WHERE resource_id = 'db-ABC' AND thumbprint = 'ab'").get() as { crl_number: string; crl_der: Buffer } | undefined;
      expect(crl()).toEqual({ crl_number: '7', crl_der: Buffer.from([1, 2, 3]) });
      store.database.prepare("DELETE FROM client_cas WHERE resource_id = 'db-ABC'").run();
      expect(crl()?.crl_number).toBe('7');
    } finally {
      store.close();
    }
  });
});
