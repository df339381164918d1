import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineIdFor, slotOfEngine } from '../../../src/control/instance-runtime.js';
import { otherSlot } from '../../../src/model/db-instance.js';
import { serverIdFor } from '../../../src/engine/mariadb-process.js';
import { backupGtid, changeMasterStatements } from '../../../src/engine/replication.js';

const files = { cert: '/i/tls/replication-cert.pem', key: '/i/tls/replication-key.pem', ca: '/i/tls/replication-ca.pem' };
const channel = { host: 'src.abc.us-east-1.tlsql.localhost', port: 3307, user: 'tlsql_repl_x', password: "pa'ss\\word", certPem: '', keyPem: '', caPem: '' };

describe('the replication channel statements', () => {
  it('verify the source certificate against the bundle and the host name, present the client certificate and replicate by GTID', () => {
    const [stop, change, start] = changeMasterStatements(channel, files);
    expect(stop).toBe('STOP SLAVE');
    expect(start).toBe('START SLAVE');
    expect(change).toContain("MASTER_HOST = 'src.abc.us-east-1.tlsql.localhost'");
    expect(change).toContain('MASTER_PORT = 3307');
    expect(change).toContain('MASTER_SSL = 1');
    expect(change).toContain('MASTER_SSL_VERIFY_SERVER_CERT = 1');
    expect(change).toContain("MASTER_SSL_CA = '/i/tls/replication-ca.pem'");
    expect(change).toContain("MASTER_SSL_CERT = '/i/tls/replication-cert.pem'");
    expect(change).toContain('MASTER_USE_GTID = slave_pos');
  });

  it('quote the password so the server reads it back unchanged', () => {
    expect(changeMasterStatements(channel, files)[1]).toContain("MASTER_PASSWORD = 'pa\\'ss\\\\word'");
  });

  it('refuse a port that is not one', () => {
    expect(() => changeMasterStatements({ ...channel, port: 70000 }, files)).toThrow(/not a port/);
  });
});

describe('the GTID position of a backup', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('is read from the file mariadb-backup writes, under its 10.11 name or the older one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tlsql-gtid-'));
    await writeFile(join(dir, 'xtrabackup_binlog_info'), 'mariadb-bin.000002\t1234\t0-631661379-42\n');
    expect(await backupGtid(dir)).toBe('0-631661379-42');
    await writeFile(join(dir, 'mariadb_backup_binlog_info'), 'mariadb-bin.000003\t99\t0-1-7,1-2-3\n');
    expect(await backupGtid(dir)).toBe('0-1-7,1-2-3');
  });

  it('is refused when it is not a GTID list, and missing when the source wrote no binary log', async () => {
    dir = await mkdtemp(join(tmpdir(), 'tlsql-gtid-'));
    await expect(backupGtid(dir)).rejects.toThrow(/no binary log position/);
    await writeFile(join(dir, 'mariadb_backup_binlog_info'), "mariadb-bin.000003\t99\t0-1-7'; DROP\n");
    await expect(backupGtid(dir)).rejects.toThrow(/unexpected GTID position/);
  });
});

describe('engine slots and server ids', () => {
  it('name a Multi-AZ instance’s second engine <id>_b and map engine ids back', () => {
    expect(engineIdFor('db1', 'a')).toBe('db1');
    expect(engineIdFor('db1', 'b')).toBe('db1_b');
    expect(slotOfEngine('db1_b')).toEqual({ instanceId: 'db1', slot: 'b' });
    expect(slotOfEngine('db1')).toEqual({ instanceId: 'db1', slot: 'a' });
    expect(otherSlot('a')).toBe('b');
  });

  it('give each engine a stable server_id from 1 to 2^32-1, different for the two slots', () => {
    const a = serverIdFor('db1');
    expect(serverIdFor('db1')).toBe(a);
    expect(serverIdFor('db1_b')).not.toBe(a);
    for (const id of ['x', 'db1', 'a-very-long-instance-identifier-of-sixty-three-characters-abc_b']) {
      expect(serverIdFor(id)).toBeGreaterThanOrEqual(1);
      expect(serverIdFor(id)).toBeLessThanOrEqual(0xffff_ffff);
    }
  });
});
