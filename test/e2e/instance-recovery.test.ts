import { appendFile, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, DescribeEventsCommand, ModifyDBInstanceCommand, RDSClient, RebootDBInstanceCommand, StartDBInstanceCommand } from '@aws-sdk/client-rds';
import type mysql from 'mysql2/promise';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/service/service.js';
import { mysql2Tls } from '../helpers/clients.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/engine-fixture.js';

// Short automatic retries, so recovery is seen within seconds (default 5 s doubling to 5 min).
const recovery = { retryBaseMs: 200, retryMaxMs: 800 };

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService({ recovery });
  db = await createInstance(t, 'recovers');
  const c = await mysql2Tls({ ...db, ca: t.bundlePath });
  await c.query('CREATE DATABASE app');
  await c.query('CREATE TABLE app.kv (k VARCHAR(10) PRIMARY KEY, v INT)');
  await c.query("INSERT INTO app.kv VALUES ('kept', 42)");
  await c.end();
}, 180_000);

afterAll(async () => {
  await t?.close();
});

/** Polls until a value comes (helpers/engine-fixture.ts `waitFor`), with this file's bound. */
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 30_000, 100);

async function status(): Promise<string | undefined> {
  return (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'recovers' }))).DBInstances![0]!.DBInstanceStatus;
}

function statusIs(want: string) {
  return until(`status ${want}`, async () => ((await status()) === want ? want : undefined));
}

async function eventMessages(): Promise<string[]> {
  const events = (await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: 'recovers', SourceType: 'db-instance', Duration: 60 }))).Events ?? [];
  return events.map((e) => e.Message ?? '');
}

/** Restarts the in-process tlsql server on the same data dir (as `tlsql server` after a stop). */
async function restartServer(overrides: Record<string, unknown> = {}): Promise<void> {
  await t.service.close();
  t.service = await startService(parseConfig({ ...t.config, ...overrides }), { logger: createLogger({ write: (l) => t.logs.push(l) }) });
  const credentials = await t.rds.config.credentials();
  t.rds.destroy();
  t.rds = new RDSClient({ endpoint: t.service.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
}

async function readKept(): Promise<number> {
  const c = await mysql2Tls({ ...db, ca: t.bundlePath });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>("SELECT v FROM app.kv WHERE k = 'kept'");
    return rows[0]!.v as number;
  } finally {
    await c.end();
  }
}

function listen(port: number): Promise<net.Server> {
  const s = net.createServer((sock) => sock.destroy());
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen({ host: '127.0.0.1', port }, () => resolve(s));
  });
}

describe('an instance whose port is taken while tlsql restarts', () => {
  it('is incompatible-network (not failed) with an event, accepts reboot and start, and comes back by itself with its data once the port is free', async () => {
    await t.service.close();
    // Another program takes the endpoint's port while tlsql is down.
    const squatter = await listen(db.port);
    try {
      await restartServer();
      expect(await status()).toBe('incompatible-network');
      expect(await eventMessages()).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`port ${db.port} is in use by another program`))]));

      // The API offers ways back while the port is still taken; each tries again and says why it cannot.
      const reboot = await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'recovers' }));
      expect(reboot.DBInstance!.DBInstanceStatus).toBe('rebooting');
      await statusIs('incompatible-network');
      const start = await t.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'recovers' }));
      expect(start.DBInstance!.DBInstanceStatus).toBe('starting');
      await statusIs('incompatible-network');
      // What needs a running endpoint is refused with RDS's fault, changing nothing.
      await expect(t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'recovers', PreferredMaintenanceWindow: 'mon:01:00-mon:01:30' }))).rejects.toMatchObject({
        name: 'InvalidDBInstanceStateFault',
        $metadata: { httpStatusCode: 400 },
      });
    } finally {
      await new Promise((r) => squatter.close(r));
    }

    // Nobody calls the API now: the automatic retry brings it back.
    await statusIs('available');
    expect(await readKept()).toBe(42);
    expect(await eventMessages()).toEqual(expect.arrayContaining([expect.stringMatching(/DB instance recovered: engine running, endpoint open/)]));
  }, 120_000);
});

describe('an instance whose engine does not start', () => {
  it('is failed with an event, and StartDBInstance and RebootDBInstance bring it back with its data', async () => {
    await t.service.close();
    // An operator's mistake in the engine's config: mariadbd refuses to start.
    const myCnf = join(t.dataDir, 'instances', 'recovers', 'my.cnf');
    const good = await readFile(myCnf, 'utf8');
    await appendFile(myCnf, '\n[mariadbd]\nno-such-option-for-the-test = 1\n');
    // Automatic retries far apart, so what brings the instance back below is the API call.
    await restartServer({ recovery: { retryBaseMs: 600_000, retryMaxMs: 600_000 } });
    expect(await status()).toBe('failed');
    expect(await eventMessages()).toEqual(expect.arrayContaining([expect.stringMatching(/DB instance start failed: .*retries by itself/)]));

    // Accepted from `failed`; still broken, so it ends `failed` again.
    expect((await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'recovers' }))).DBInstance!.DBInstanceStatus).toBe('rebooting');
    await statusIs('failed');

    await writeFile(myCnf, good);
    expect((await t.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'recovers' }))).DBInstance!.DBInstanceStatus).toBe('starting');
    await statusIs('available');
    expect(await readKept()).toBe(42);

    // And a reboot of a healthy instance after all that still works.
    expect((await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'recovers' }))).DBInstance!.DBInstanceStatus).toBe('rebooting');
    await statusIs('available');
    expect(await readKept()).toBe(42);
  }, 120_000);
});

describe('an instance whose engine crashes and cannot be restarted', () => {
  it('is failed with an event instead of rebooting for ever, accepts RebootDBInstance, and comes back with its data', async () => {
    await restartServer();
    await statusIs('available');
    const myCnf = join(t.dataDir, 'instances', 'recovers', 'my.cnf');
    const good = await readFile(myCnf, 'utf8');
    await appendFile(myCnf, '\n[mariadbd]\nno-such-option-for-the-test = 1\n');
    const pid = t.service.control.runtime.enginePid('recovers')!;
    process.kill(pid, 'SIGKILL');
    // The supervisor's restarts fail on the bad option: an operator is needed, and the API says so.
    await statusIs('failed');
    expect(await eventMessages()).toEqual(expect.arrayContaining([expect.stringMatching(/engine could not be restarted .*keeps retrying/)]));
    expect((await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'recovers' }))).DBInstance!.DBInstanceStatus).toBe('rebooting');
    await statusIs('failed');

    await writeFile(myCnf, good);
    await statusIs('available');
    expect(await readKept()).toBe(42);
  }, 120_000);
});
