import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateDBParameterGroupCommand, DescribeDBInstancesCommand, ModifyDBParameterGroupCommand, RDSClient, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import type mysql from 'mysql2/promise';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/service/service.js';
import { mysql2Tls } from '../helpers/clients.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/engine-fixture.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  await t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'few-conns', DBParameterGroupFamily: 'mariadb10.11', Description: 'max_connections at every start' }));
  await setMaxConnections(57);
  db = await createInstance(t, 'params', { DBParameterGroupName: 'few-conns' });
}, 180_000);

afterAll(async () => {
  await t?.close();
});

/** Polls until a value comes (helpers/engine-fixture.ts `waitFor`), with this file's bound. */
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 30_000, 100);

function setMaxConnections(n: number) {
  return t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'few-conns', Parameters: [{ ParameterName: 'max_connections', ParameterValue: String(n), ApplyMethod: 'immediate' }] }));
}

/** `@@max_connections` as a client sees it through the endpoint (verified TLS). */
async function maxConnections(): Promise<number> {
  const c = await mysql2Tls({ ...db, ca: t.bundlePath });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT @@max_connections AS n');
    return Number(rows[0]!.n);
  } finally {
    await c.end();
  }
}

async function describe1() {
  return (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'params' }))).DBInstances![0]!;
}

function available() {
  return until('available', async () => ((await describe1()).DBInstanceStatus === 'available' ? true : undefined));
}

describe('parameter group values are in force whenever the engine runs', () => {
  it('from the first start, and at once when the group is modified', async () => {
    expect(await maxConnections()).toBe(57);
    await setMaxConnections(63);
    expect(await maxConnections()).toBe(63);
    expect((await describe1()).DBParameterGroups).toEqual([{ DBParameterGroupName: 'few-conns', ParameterApplyStatus: 'in-sync' }]);
  });

  it('after RebootDBInstance', async () => {
    await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'params' }));
    await available();
    expect(await maxConnections()).toBe(63);
    expect((await describe1()).DBParameterGroups![0]!.ParameterApplyStatus).toBe('in-sync');
  });

  it('after mariadbd is killed with SIGKILL and the supervisor restarts it', async () => {
    const pidFile = join(t.dataDir, 'instances', 'params', 'run', 'mysqld.pid');
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, 'SIGKILL');
    await until('a new mariadbd', async () => {
      const p = t.service.control.runtime.enginePid('params');
      return p && p !== pid ? p : undefined;
    });
    expect(await until('a login after the crash', () => maxConnections())).toBe(63);
    await available();
    expect((await describe1()).DBParameterGroups![0]!.ParameterApplyStatus).toBe('in-sync');
  });

  it('after tlsql server restarts', async () => {
    await t.service.close();
    t.service = await startService(parseConfig({ ...t.config }), { logger: createLogger({ write: (l) => t.logs.push(l) }) });
    const credentials = await t.rds.config.credentials();
    t.rds.destroy();
    t.rds = new RDSClient({ endpoint: t.service.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
    expect(await maxConnections()).toBe(63);
  });
});
