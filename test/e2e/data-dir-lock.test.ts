import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DescribeDBInstancesCommand, ModifyDBInstanceCommand, RebootDBInstanceCommand } from '@aws-sdk/client-rds';
import { dataPaths } from '../../src/config/paths.js';
import { mysql2Tls } from '../helpers/clients.js';
import { TLSQL_BIN, tlsql } from '../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/engine-fixture.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'owned');
}, 180_000);

afterAll(async () => {
  await t?.close();
});

/** Polls until a value comes (helpers/engine-fixture.ts `waitFor`), with this file's bound. */
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 60_000, 100);

/** A port nobody listens on now, for the second server's API. */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ host: '127.0.0.1', port }, () => {
      c.destroy();
      resolve(true);
    });
    c.on('error', () => resolve(false));
  });
}

describe('one tlsql server per data dir', () => {
  it('refuses a second server naming the pid of the first, which keeps serving its instances untouched', async () => {
    const apiPort = await freePort();
    const second = await tlsql(t.dataDir, ['server', '--api-port', String(apiPort)]);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain(`in use by tlsql server pid ${process.pid}`);
    expect(second.stderr).toContain(t.dataDir);
    // It changed nothing: the first server's state file stands, and it bound no port.
    expect(JSON.parse(await readFile(dataPaths(t.dataDir).serverState, 'utf8')).pid).toBe(process.pid);
    expect(await portAnswers(apiPort)).toBe(false);

    const inst = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'owned' }))).DBInstances![0]!;
    expect(inst.DBInstanceStatus).toBe('available');
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    await c.query('SELECT 1');
    await c.end();
    // The first server still accepts what the issue found refused: modify and reboot.
    const modified = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'owned', PreferredMaintenanceWindow: 'mon:01:00-mon:01:30' }));
    expect(modified.DBInstance!.PreferredMaintenanceWindow).toBe('mon:01:00-mon:01:30');
    expect((await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'owned' }))).DBInstance!.DBInstanceStatus).toBe('rebooting');
    await until('available after the reboot', async () => {
      const s = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'owned' }))).DBInstances![0]!.DBInstanceStatus;
      return s === 'available' ? s : undefined;
    });
    const again = await mysql2Tls({ ...db, ca: t.bundlePath });
    await again.end();
  }, 120_000);

  it('refuses `tlsql init` on a served data dir naming the server pid, changing nothing', async () => {
    const configPath = dataPaths(t.dataDir).config;
    const before = await readFile(configPath, 'utf8').catch(() => null);
    const init = await tlsql(t.dataDir, ['init', '--region', 'eu-west-1']);
    expect(init.code).not.toBe(0);
    expect(init.stderr).toContain(`in use by tlsql server pid ${process.pid}`);
    expect(await readFile(configPath, 'utf8').catch(() => null)).toBe(before);
  });

  it('lets a new server start on the data dir after the holder is killed with SIGKILL', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'tlsql-lock-'));
    const start = async (apiPort: number): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [TLSQL_BIN, '--data-dir', dataDir, 'server', '--api-port', String(apiPort)], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      await until(`tlsql server on ${apiPort} healthy (${err})`, async () => {
        if (child.exitCode !== null) throw new Error(`exited: ${err}`);
        return (await fetch(`http://127.0.0.1:${apiPort}/health`)).ok ? true : undefined;
      });
      return child;
    };
    try {
      await writeFile(join(dataDir, 'config.json'), JSON.stringify({ firstPort: 23900, lastPort: 23919 }));
      const first = await start(await freePort());
      const refused = await tlsql(dataDir, ['server', '--api-port', String(await freePort())]);
      expect(refused.stderr).toContain(`in use by tlsql server pid ${first.pid}`);
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      // No stale lock: the kernel released it with the process.
      const next = await start(await freePort());
      next.kill('SIGTERM');
      await new Promise((r) => next.once('exit', r));
      expect(next.exitCode).toBe(0);
      expect(await readdir(dataDir)).toContain('tlsql.db');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});
