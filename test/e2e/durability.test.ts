import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, DescribeEventsCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/service/service.js';
import { mysql2Tls, run } from '../helpers/clients.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/engine-fixture.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'durable');
  const c = await mysql2Tls({ ...db, ca: t.bundlePath });
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.kv (k VARCHAR(10) PRIMARY KEY, v INT)');
  await c.query("INSERT INTO app.kv VALUES ('before', 1)");
  await c.end();
});

afterAll(async () => {
  await t?.close();
});

/** Polls until a value comes (helpers/engine-fixture.ts `waitFor`), with this file's bound. */
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 30_000, 100);

describe('durability', () => {
  it('restarts a SIGKILLed mariadbd, reports it in status and events, and keeps committed data', async () => {
    const runtime = t.service.control.runtime;
    const pid = runtime.enginePid('durable');
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');
    await until('engine back', async () => {
      const p = runtime.enginePid('durable');
      return p && p !== pid ? p : undefined;
    });
    const c = await until('a verified connection after the crash', () => mysql2Tls({ ...db, ca: t.bundlePath }));
    const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT v FROM app.kv WHERE k = 'before'");
    expect(rows[0]!.v).toBe(1);
    await c.query("INSERT INTO app.kv VALUES ('after-kill', 2)");
    await c.end();
    const status = await until('available again', async () => {
      const s = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'durable' }))).DBInstances![0]!.DBInstanceStatus;
      return s === 'available' ? s : undefined;
    });
    expect(status).toBe('available');
    const events = (await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: 'durable', SourceType: 'db-instance' }))).Events ?? [];
    expect(events.map((e) => e.Message)).toEqual(expect.arrayContaining([expect.stringMatching(/shutdown unexpectedly/), expect.stringMatching(/restarted after an engine failure/)]));
  });

  it('brings every instance back with its data, endpoint and certificate after tlsql server restarts', async () => {
    const before = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'durable' }))).DBInstances![0]!;
    // Once a client certificate exists, endpoints ask for client certificates, restarts included.
    await t.service.control.connectionSecurity.issueClientCertificate({ subject: '/C=US/O=acme/CN=durable' });
    await t.service.close();
    const config = parseConfig({ ...t.config });
    t.service = await startService(config, { logger: createLogger({ write: (l) => t.logs.push(l) }) });
    const { RDSClient } = await import('@aws-sdk/client-rds');
    t.rds = new RDSClient({ endpoint: t.service.apiUrl, region: 'us-east-1', credentials: await t.rds.config.credentials(), maxAttempts: 1 });
    const after = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'durable' }))).DBInstances![0]!;
    expect(after.DBInstanceStatus).toBe('available');
    expect(after.Endpoint).toEqual(before.Endpoint);
    expect(after.DbiResourceId).toBe(before.DbiResourceId);
    expect(after.CertificateDetails?.ValidTill).toEqual(before.CertificateDetails?.ValidTill);
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT k FROM app.kv ORDER BY v');
    expect(rows.map((r) => r.k)).toEqual(['before', 'after-kill']);
    await c.end();
    const s = await run('openssl', ['s_client', '-starttls', 'mysql', '-connect', `127.0.0.1:${db.port}`, '-servername', db.host, '-verify_hostname', db.host, '-CAfile', t.bundlePath], { input: '' });
    expect(s.stdout).toContain('Verify return code: 0 (ok)');
    expect(s.stdout).toMatch(/Acceptable client certificate CA names\n.*CN ?= ?tlsql us-east-1 Client CA G1/);
  });
});
