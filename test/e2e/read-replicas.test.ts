import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDBInstanceReadReplicaCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  DescribeEventsCommand,
  ModifyDBInstanceCommand,
  PromoteReadReplicaCommand,
  RDSClient,
  RebootDBInstanceCommand,
  StopDBInstanceCommand,
  waitUntilDBInstanceAvailable,
  type DBInstance,
} from '@aws-sdk/client-rds';
import type mysql from 'mysql2/promise';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/service/service.js';
import { tlsql } from '../helpers/cli.js';
import { mysql2Tls, run } from '../helpers/clients.js';
import { waitFor } from '../helpers/engine-fixture.js';
import { awsCliEnv, createInstance, sdkError, startTestService, type TestService } from '../helpers/service.js';

/**
 * Read replicas on real engines (docs/replication.md): a replica is copied from its source while
 * the source takes writes, then replicates through the source's endpoint over TLS verified against
 * tlsql's bundle and the endpoint name, as an account that REQUIREs the replica's client certificate.
 */

let t: TestService;
let source: { host: string; port: number; user: string; password: string };

const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 60_000, 100);

beforeAll(async () => {
  // The replication monitor looks often, so StatusInfos and events follow within the test's bounds.
  t = await startTestService({ replication: { monitorIntervalMs: 200 } });
  source = await createInstance(t, 'src', { DBName: 'app' });
  const c = await connect(source);
  await c.query('CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))');
  await c.end();
}, 180_000);

afterAll(async () => {
  await t?.close();
});

function connect(db: { host: string; port: number; user: string; password: string }): Promise<mysql.Connection> {
  return mysql2Tls({ ...db, ca: t.bundlePath });
}

async function describe1(id: string): Promise<DBInstance> {
  return (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
}

async function count(db: { host: string; port: number; user: string; password: string }): Promise<number> {
  const c = await connect(db);
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.t');
    return Number(rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function insert(db: { host: string; port: number; user: string; password: string }, n: number, v: string): Promise<void> {
  const c = await connect(db);
  try {
    for (let i = 0; i < n; i++) await c.query('INSERT INTO app.t (v) VALUES (?)', [v]);
  } finally {
    await c.end();
  }
}

async function replicaStatus(db: { host: string; port: number; user: string; password: string }): Promise<mysql.RowDataPacket> {
  const c = await connect(db);
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SHOW REPLICA STATUS');
    return rows[0]!;
  } finally {
    await c.end();
  }
}

async function caughtUp(replica: { host: string; port: number; user: string; password: string }): Promise<number> {
  const want = await count(source);
  return until(`replica has ${want} rows`, async () => ((await count(replica)) === want ? want : undefined));
}

async function events(id: string): Promise<string[]> {
  return ((await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: id, SourceType: 'db-instance', Duration: 60 }))).Events ?? []).map((e) => e.Message ?? '');
}

describe('a read replica', () => {
  let replica: { host: string; port: number; user: string; password: string };

  it('is copied from its source while the source takes writes, then receives every row written on the source', async () => {
    let writing = true;
    let written = 0;
    const writer = (async () => {
      const c = await connect(source);
      while (writing) {
        await c.query('INSERT INTO app.t (v) VALUES (?)', ['during-copy']);
        written++;
      }
      await c.end();
    })();
    const out = await t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'rep', SourceDBInstanceIdentifier: 'src' }));
    expect(out.DBInstance?.DBInstanceStatus).toBe('creating');
    expect(out.DBInstance?.ReadReplicaSourceDBInstanceIdentifier).toBe('src');
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'rep' });
    writing = false;
    await writer;
    expect(written).toBeGreaterThan(0);
    const inst = await describe1('rep');
    replica = { host: inst.Endpoint!.Address!, port: inst.Endpoint!.Port!, user: source.user, password: source.password };
    expect(inst.Endpoint!.Address).toMatch(/^rep\./);
    expect(inst.Endpoint!.Port).not.toBe(source.port);
    expect(inst.DBName).toBe('app');
    // The master user (no SUPER) creates triggers with binary logs on, and they replicate.
    const c = await connect(source);
    await c.query('CREATE TABLE app.audit (n INT)');
    await c.query('CREATE TRIGGER app.t_audit AFTER INSERT ON app.t FOR EACH ROW INSERT INTO app.audit VALUES (NEW.id)');
    await c.end();
    await insert(source, 5, 'after');
    expect(await caughtUp(replica)).toBe(written + 5);
    const r = await connect(replica);
    const [audit] = await r.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.audit');
    await r.end();
    expect(Number(audit[0]!.n)).toBe(5);
  }, 180_000);

  it('replicates through the source endpoint with the CA bundle, a host name check and its client certificate', async () => {
    const st = await replicaStatus(replica);
    expect(st.Slave_IO_Running).toBe('Yes');
    expect(st.Slave_SQL_Running).toBe('Yes');
    expect(st.Master_SSL_Allowed).toBe('Yes');
    expect(st.Master_SSL_Verify_Server_Cert).toBe('Yes');
    expect(st.Master_Host).toBe(source.host);
    expect(st.Master_Port).toBe(source.port);
    expect(st.Using_Gtid).toBe('Slave_Pos');
    // On the source, the replication account REQUIREs the replica's certificate subject.
    const c = await connect(source);
    const [users] = await c.query<mysql.RowDataPacket[]>("SELECT User FROM mysql.user WHERE User LIKE 'tlsql\\_repl\\_%'");
    expect(users).toHaveLength(1);
    const [grants] = await c.query<mysql.RowDataPacket[]>(`SHOW CREATE USER '${String(users[0]!.User)}'@'%'`);
    expect(String(Object.values(grants[0]!)[0])).toMatch(/REQUIRE SUBJECT '\/O=tlsql\/OU=replication\/CN=rep\.db-/);
    // The front door saw a verified client certificate on that session.
    const [procs] = await c.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
    expect(Number(procs[0]!.n)).toBe(1);
    await c.end();
  });

  it('is described with its source, and the source with its replica; StatusInfos say replicating', async () => {
    const rep = await until('StatusInfos', async () => {
      const d = await describe1('rep');
      return d.StatusInfos?.length ? d : undefined;
    });
    expect(rep.ReadReplicaSourceDBInstanceIdentifier).toBe('src');
    expect(rep.StatusInfos).toEqual([{ StatusType: 'read replication', Normal: true, Status: 'replicating' }]);
    expect((await describe1('src')).ReadReplicaDBInstanceIdentifiers).toEqual(['rep']);
    const metrics = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tlsql_replica_lag_seconds\{instance="rep",source="src"\} \d+$/m);
  });

  it('is read-only for the master user, who can neither repoint nor stop its replication nor skip the binary log', async () => {
    const c = await connect(replica);
    await expect(c.query("INSERT INTO app.t (v) VALUES ('no')")).rejects.toMatchObject({ errno: 1290 });
    const refused: Record<string, number | 'done'> = {};
    for (const sql of ['STOP SLAVE', "CHANGE MASTER TO MASTER_HOST = 'elsewhere.localhost'", 'SET SESSION sql_log_bin = 0', 'PURGE BINARY LOGS BEFORE NOW()']) {
      refused[sql] = await c.query(sql).then(() => 'done' as const, (e: { errno: number }) => e.errno);
    }
    // ER_SPECIFIC_ACCESS_DENIED_ERROR for each: the master user has neither SUPER nor the replication and binary log privileges.
    expect(refused).toEqual({ 'STOP SLAVE': 1227, "CHANGE MASTER TO MASTER_HOST = 'elsewhere.localhost'": 1227, 'SET SESSION sql_log_bin = 0': 1227, 'PURGE BINARY LOGS BEFORE NOW()': 1227 });
    await c.end();
    expect((await replicaStatus(replica)).Slave_IO_Running).toBe('Yes');
  });

  it('refuses a man in the middle that presents a valid tlsql certificate for another name, and resumes once the source is back', async () => {
    // Point the replica's channel at another instance's endpoint: its certificate chains to the
    // bundle but names `other`, so the replica's host name check must refuse it.
    const other = await createInstance(t, 'other');
    const engine = t.service.control.runtime as unknown as { deps: { engine: { admin: <T>(id: string, fn: (c: mysql.Connection) => Promise<T>) => Promise<T> } } };
    await engine.deps.engine.admin('rep', async (c) => {
      await c.query('STOP SLAVE');
      await c.query(`CHANGE MASTER TO MASTER_PORT = ${other.port}`);
      await c.query('START SLAVE');
    });
    const broken = await until('replication error', async () => {
      const d = await describe1('rep');
      return d.StatusInfos?.[0]?.Status === 'error' ? d : undefined;
    });
    expect(broken.StatusInfos![0]!.Normal).toBe(false);
    expect(broken.StatusInfos![0]!.Message).toMatch(/^2026: .*(certificate|SSL|TLS)/i);
    expect(await events('rep')).toEqual(expect.arrayContaining([expect.stringMatching(/error has occurred in the read replication process/)]));
    await insert(source, 1, 'while-refused');
    expect(await count(replica)).toBeLessThan(await count(source));
    await engine.deps.engine.admin('rep', async (c) => {
      await c.query('STOP SLAVE');
      await c.query(`CHANGE MASTER TO MASTER_PORT = ${source.port}`);
      await c.query('START SLAVE');
    });
    await until('replicating again', async () => ((await describe1('rep')).StatusInfos?.[0]?.Status === 'replicating' ? true : undefined));
    expect(await events('rep')).toContain('The read replica has resumed replication.');
    await caughtUp(replica);
  }, 120_000);

  it('keeps replicating across a CA rotation of its source (rsa2048 -> ecc384) and a source reboot', async () => {
    expect((await describe1('src')).CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'src', CACertificateIdentifier: 'tlsql-ca-ecc384-g1', ApplyImmediately: true }));
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'src' });
    // The reboot ends the replica's session: it reconnects and must verify the new ECDSA certificate.
    await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'src' }));
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'src' });
    const c = await connect(source);
    expect(await c.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'").then(([r]) => String(r[0]!.Value))).toMatch(/ECDSA|TLS_AES|TLS_CHACHA/);
    await c.end();
    await insert(source, 3, 'after-rotation');
    await caughtUp(replica);
    expect((await replicaStatus(replica)).Slave_IO_Running).toBe('Yes');
  }, 120_000);

  it('keeps replicating across a restart of tlsql', async () => {
    await t.service.close();
    t.service = await startService(parseConfig({ ...t.config }), { logger: createLogger({ write: (l) => t.logs.push(l) }) });
    const credentials = await t.rds.config.credentials();
    t.rds.destroy();
    t.rds = new RDSClient({ endpoint: t.service.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
    await insert(source, 4, 'after-restart');
    await caughtUp(replica);
    expect((await describe1('rep')).ReadReplicaSourceDBInstanceIdentifier).toBe('src');
  }, 120_000);

  it('can have a read replica of its own, which receives the source’s rows through it', async () => {
    // As on RDS, a replica that is a source needs automated backups (a replica is created without).
    expect(await sdkError(t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'rep-of-rep', SourceDBInstanceIdentifier: 'rep' })))).toMatchObject({ name: 'InvalidDBInstanceStateFault', message: expect.stringMatching(/^Automated backups are not enabled/) });
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'rep', BackupRetentionPeriod: 1, ApplyImmediately: true }));
    await t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'rep-of-rep', SourceDBInstanceIdentifier: 'rep' }));
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'rep-of-rep' });
    const d = await describe1('rep-of-rep');
    const second = { host: d.Endpoint!.Address!, port: d.Endpoint!.Port!, user: source.user, password: source.password };
    expect(d.ReadReplicaSourceDBInstanceIdentifier).toBe('rep');
    expect((await describe1('rep')).ReadReplicaDBInstanceIdentifiers).toEqual(['rep-of-rep']);
    await insert(source, 2, 'cascaded');
    await caughtUp(second);
    expect((await replicaStatus(second)).Master_Host).toBe(replica.host);
    // The first replica wrote nothing of its own: its binary log holds only its source's transactions.
    const c = await connect(replica);
    const [pos] = await c.query<mysql.RowDataPacket[]>('SELECT @@gtid_binlog_pos AS p, @@server_id AS id');
    await c.end();
    expect(String(pos[0]!.p)).not.toContain(`-${String(pos[0]!.id)}-`);
    await t.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'rep-of-rep', SkipFinalSnapshot: true }));
    await until('deleted', async () => ((await sdkError(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'rep-of-rep' })))).name === 'DBInstanceNotFoundFault' ? true : undefined));
    expect((await describe1('rep')).ReadReplicaDBInstanceIdentifiers).toEqual([]);
  }, 180_000);

  it('cannot be stopped, and its source cannot be stopped either', async () => {
    expect(await sdkError(t.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'rep' })))).toMatchObject({ name: 'InvalidDBInstanceStateFault', status: 400, message: expect.stringMatching(/read replica/) });
    expect(await sdkError(t.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'src' })))).toMatchObject({ name: 'InvalidDBInstanceStateFault', status: 400, message: expect.stringMatching(/has read replicas \(rep\)/) });
    expect((await describe1('src')).DBInstanceStatus).toBe('available');
  });

  it('is promoted: it takes writes at the same endpoint, and its channel is taken apart', async () => {
    const before = await describe1('rep');
    const out = await t.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'rep' }));
    expect(out.DBInstance?.DBInstanceStatus).toBe('modifying');
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'rep' });
    const after = await describe1('rep');
    expect(after.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    expect(after.StatusInfos ?? []).toEqual([]);
    expect(after.Endpoint).toEqual(before.Endpoint);
    expect((await describe1('src')).ReadReplicaDBInstanceIdentifiers).toEqual([]);
    await insert(replica, 1, 'promoted');
    expect(await replicaStatus(replica)).toBeUndefined();
    // The source no longer has the account, and the certificate is revoked.
    const c = await connect(source);
    const [users] = await c.query<mysql.RowDataPacket[]>("SELECT User FROM mysql.user WHERE User LIKE 'tlsql\\_repl\\_%'");
    expect(users).toHaveLength(0);
    await c.end();
    const certs = await t.service.control.connectionSecurity.describeClientCertificates({});
    const channel = certs.filter((r) => /OU=replication/.test(r.subject));
    expect(channel.length).toBeGreaterThan(0);
    expect(channel.every((r) => r.revocation !== null)).toBe(true);
    expect(await events('rep')).toEqual(expect.arrayContaining([expect.stringMatching(/^Read replica promoted to a standalone DB instance/)]));
  }, 120_000);
});

describe('the command lines', () => {
  it('tlsql creates a read replica and the AWS CLI promotes it', async () => {
    const created = await tlsql(t.dataDir, ['create-db-instance-read-replica', '--endpoint-url', t.service.apiUrl, '--db-instance-identifier', 'cli-rep', '--source-db-instance-identifier', 'src', '--wait']);
    expect(created.stderr.split('\n').filter((l) => /error/i.test(l))).toEqual([]);
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).DBInstance).toMatchObject({ DBInstanceIdentifier: 'cli-rep', DBInstanceStatus: 'available', ReadReplicaSourceDBInstanceIdentifier: 'src' });
    const env = await awsCliEnv(t);
    const promoted = await run('aws', ['rds', 'promote-read-replica', '--endpoint-url', t.service.apiUrl, '--db-instance-identifier', 'cli-rep'], { env });
    expect(promoted.stderr).toBe('');
    expect(JSON.parse(promoted.stdout).DBInstance).toMatchObject({ DBInstanceIdentifier: 'cli-rep', DBInstanceStatus: 'modifying', ReadReplicaSourceDBInstanceIdentifier: 'src' });
    const bad = await run('aws', ['rds', 'promote-read-replica', '--endpoint-url', t.service.apiUrl, '--db-instance-identifier', 'src'], { env });
    expect(bad.code).toBe(255); // the AWS CLI v1's exit code for an API error
    expect(bad.stderr).toMatch(/InvalidDBInstanceState.*DB Instance src is not a read replica\./);
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'cli-rep' });
    expect((await describe1('cli-rep')).ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
  }, 180_000);
});

describe('deleting a source', () => {
  it('promotes its replicas, as RDS does', async () => {
    await t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'rep2', SourceDBInstanceIdentifier: 'src' }));
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'rep2' });
    const rep2 = await describe1('rep2');
    const db = { host: rep2.Endpoint!.Address!, port: rep2.Endpoint!.Port!, user: source.user, password: source.password };
    await insert(source, 2, 'before-delete');
    await caughtUp(db);
    const rows = await count(source);
    await t.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'src', SkipFinalSnapshot: true }));
    await until('source deleted', async () => ((await sdkError(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'src' })))).name === 'DBInstanceNotFoundFault' ? true : undefined));
    const after = await describe1('rep2');
    expect(after.ReadReplicaSourceDBInstanceIdentifier).toBeUndefined();
    expect(after.DBInstanceStatus).toBe('available');
    expect(await count(db)).toBe(rows);
    await insert(db, 1, 'standalone');
    expect(await count(db)).toBe(rows + 1);
  }, 180_000);
});

describe('bad requests', () => {
  it('refuse a missing source, a stopped one, a taken identifier and promoting a non-replica, creating nothing', async () => {
    expect(await sdkError(t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'nope', SourceDBInstanceIdentifier: 'missing' })))).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404 });
    await t.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'other' }));
    await until('other stopped', async () => ((await describe1('other')).DBInstanceStatus === 'stopped' ? true : undefined));
    expect(await sdkError(t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'nope', SourceDBInstanceIdentifier: 'other' })))).toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      status: 400,
      message: expect.stringMatching(/not in available state \(it is stopped\)/),
    });
    expect(await sdkError(t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'rep2', SourceDBInstanceIdentifier: 'rep' })))).toMatchObject({ name: 'DBInstanceAlreadyExistsFault', status: 400 });
    expect(await sdkError(t.rds.send(new PromoteReadReplicaCommand({ DBInstanceIdentifier: 'rep2' })))).toMatchObject({ name: 'InvalidDBInstanceStateFault', status: 400, message: 'DB Instance rep2 is not a read replica.' });
    expect(await sdkError(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })))).toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });
});
