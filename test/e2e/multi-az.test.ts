import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateDBInstanceReadReplicaCommand,
  DescribeDBInstancesCommand,
  DescribeEventsCommand,
  ModifyDBInstanceCommand,
  RDSClient,
  RebootDBInstanceCommand,
  waitUntilDBInstanceAvailable,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { parseConfig } from '../../src/config/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { startService } from '../../src/service/service.js';
import type mysql from 'mysql2/promise';
import { mysql2Tls } from '../helpers/clients.js';
import { waitFor } from '../helpers/engine-fixture.js';
import { sClient } from '../helpers/rotation.js';
import { createInstance, sdkError, startTestService, type TestService } from '../helpers/service.js';

/**
 * Multi-AZ on real engines (docs/replication.md): a standby kept current by semi-synchronous
 * replication through the instance's own endpoint over verified TLS, and failovers (kill -9 of the
 * primary mariadbd, RebootDBInstance --force-failover) that keep endpoint, port and certificate and
 * lose no acknowledged commit.
 */

let t: TestService;
let db: { host: string; port: number; user: string; password: string };

const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 120_000, 100);

beforeAll(async () => {
  t = await startTestService({ replication: { monitorIntervalMs: 200 }, multiAz: { semiSyncTimeoutMs: 3000, healthCheckTimeoutMs: 1000 } });
  db = await createInstance(t, 'maz', { DBName: 'app', MultiAZ: true });
  const c = await connect();
  await c.query('CREATE TABLE app.acked (id INT PRIMARY KEY)');
  await c.end();
}, 180_000);

afterAll(async () => {
  await t?.close();
});

function connect(): Promise<mysql.Connection> {
  return mysql2Tls({ ...db, ca: t.bundlePath });
}

async function describe1(): Promise<DBInstance> {
  return (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'maz' }))).DBInstances![0]!;
}

async function events(): Promise<string[]> {
  return ((await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: 'maz', SourceType: 'db-instance', Duration: 60 }))).Events ?? []).map((e) => e.Message ?? '');
}

async function globalStatus(name: string): Promise<string> {
  const c = await connect();
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SHOW GLOBAL STATUS LIKE ?', [name]);
    return String(rows[0]?.Value ?? '');
  } finally {
    await c.end();
  }
}

async function standbyInSync(): Promise<DBInstance> {
  return until('standby in sync', async () => {
    const d = await describe1();
    return d.DBInstanceStatus === 'available' && (d.StatusInfos ?? []).length === 0 && (await globalStatus('Rpl_semi_sync_master_clients')) === '1' ? d : undefined;
  });
}

/**
 * A writer that commits one row per statement, each on a verified TLS connection to the endpoint,
 * and keeps the ids the server acknowledged; after a failure it reconnects and goes on.
 */
function startWriter(from: number) {
  const acked: number[] = [];
  let next = from;
  let running = true;
  let firstFailureAt: number | null = null;
  let recoveredAt: number | null = null;
  const done = (async () => {
    let c: mysql.Connection | null = null;
    while (running) {
      try {
        c ??= await connect();
        const id = next++;
        await c.query('INSERT INTO app.acked (id) VALUES (?)', [id]);
        acked.push(id);
        if (firstFailureAt !== null && recoveredAt === null) recoveredAt = performance.now();
      } catch {
        firstFailureAt ??= performance.now();
        c?.destroy();
        c = null;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    await c?.end().catch(() => {});
  })();
  return {
    acked,
    recoveredMs: () => (firstFailureAt !== null && recoveredAt !== null ? recoveredAt - firstFailureAt : null),
    async stop() {
      running = false;
      await done;
    },
  };
}

async function rowsPresent(ids: number[]): Promise<number> {
  const c = await connect();
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>('SELECT id FROM app.acked');
    const have = new Set(rows.map((r) => Number(r.id)));
    return ids.filter((id) => have.has(id)).length;
  } finally {
    await c.end();
  }
}

describe('a Multi-AZ DB instance', () => {
  it('has a standby in the second zone that acknowledges every commit', async () => {
    const d = await standbyInSync();
    expect(d).toMatchObject({ MultiAZ: true, AvailabilityZone: 'us-east-1a', SecondaryAvailabilityZone: 'us-east-1b' });
    expect(await globalStatus('Rpl_semi_sync_master_status')).toBe('ON');
    const c = await connect();
    const [vars] = await c.query<mysql.RowDataPacket[]>("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('rpl_semi_sync_master_wait_point', 'read_only')");
    expect(Object.fromEntries(vars.map((r) => [r.Variable_name, r.Value]))).toEqual({ read_only: 'OFF', rpl_semi_sync_master_wait_point: 'AFTER_SYNC' });
    // The standby's channel is a verified TLS client of the endpoint, with its own certificate.
    const [dumps] = await c.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
    expect(Number(dumps[0]!.n)).toBe(1);
    await c.end();
  });

  for (const how of ['kill -9 of the primary mariadbd', 'RebootDBInstance --force-failover', 'a primary that stops answering (SIGSTOP)'] as const) {
    it(`fails over on ${how}: same endpoint and certificate, writes again within seconds, no acknowledged commit lost`, async () => {
      const before = await standbyInSync();
      const certBefore = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
      expect(certBefore.verifyOk).toBe(true);
      // Each failover's writer has ids of its own.
      const writer = startWriter(1 + 1_000_000 * ['kill', 'Reboot', 'a '].findIndex((p) => how.startsWith(p)));
      await until('writes acknowledged', async () => (writer.acked.length >= 50 ? true : undefined));
      if (!how.startsWith('Reboot')) {
        const pid = t.service.control.runtime.enginePid('maz');
        expect(pid).not.toBeNull();
        process.kill(pid!, how.startsWith('kill') ? 'SIGKILL' : 'SIGSTOP');
      } else {
        const out = await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'maz', ForceFailover: true }));
        expect(out.DBInstance?.DBInstanceStatus).toBe('rebooting');
      }
      await until('writes after the failover', async () => (writer.recoveredMs() !== null && writer.acked.length > 0 ? true : undefined));
      const ackedAtRecovery = writer.acked.length;
      await until('more writes', async () => (writer.acked.length >= ackedAtRecovery + 20 ? true : undefined));
      await writer.stop();
      // A primary that stops answering is given multiAz.unansweredChecksBeforeFailover checks of healthCheckTimeoutMs.
      expect(writer.recoveredMs()).toBeLessThan(how.startsWith('a ') ? 10_000 : 5_000);
      expect(await rowsPresent(writer.acked)).toBe(writer.acked.length);
      const after = await until('available', async () => {
        const d = await describe1();
        return d.DBInstanceStatus === 'available' ? d : undefined;
      });
      expect(after.AvailabilityZone).toBe(before.SecondaryAvailabilityZone);
      expect(after.SecondaryAvailabilityZone).toBe(before.AvailabilityZone);
      expect(after.Endpoint).toEqual(before.Endpoint);
      const certAfter = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
      expect(certAfter.verifyOk).toBe(true);
      expect(certAfter.serialHex).toBe(certBefore.serialHex);
      const ev = await events();
      expect(ev).toEqual(expect.arrayContaining([expect.stringMatching(/^Multi-AZ instance failover started/), expect.stringMatching(/^Multi-AZ instance failover completed in \d+ ms/)]));
      // The new standby is copied from the new primary and acknowledges commits again.
      await standbyInSync();
      expect(await globalStatus('Rpl_semi_sync_master_status')).toBe('ON');
    }, 240_000);
  }

  it('says so, with an event and StatusInfos, when commits stop waiting for a standby that does not answer, and when they wait again', async () => {
    const d = await standbyInSync();
    const standbyDir = d.SecondaryAvailabilityZone === 'us-east-1b' ? 'maz_b' : 'maz';
    const pid = Number((await readFile(join(t.dataDir, 'instances', standbyDir, 'run/mysqld.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGSTOP');
    try {
      const c = await connect();
      // This commit waits multiAz.semiSyncTimeoutMs for an acknowledgement, then goes on asynchronously.
      await c.query('INSERT INTO app.acked (id) VALUES (3000000)');
      await c.end();
      const degraded = await until('not synchronous', async () => {
        const x = await describe1();
        return x.StatusInfos?.some((i) => i.Status === 'not-synchronous') ? x : undefined;
      });
      expect(degraded.StatusInfos).toEqual([expect.objectContaining({ StatusType: 'multi-az', Normal: false, Status: 'not-synchronous' })]);
      expect(await events()).toEqual(expect.arrayContaining([expect.stringMatching(/^Multi-AZ standby is not acknowledging commits/)]));
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    const c = await connect();
    await c.query('INSERT INTO app.acked (id) VALUES (3000001)');
    await c.end();
    await until('synchronous again', async () => ((await describe1()).StatusInfos ?? []).length === 0 && (await globalStatus('Rpl_semi_sync_master_status')) === 'ON' ? true : undefined);
    expect(await events()).toContain('Multi-AZ standby acknowledges commits again: commits are synchronous');
  }, 120_000);

  it('keeps its standby in sync across a restart of tlsql, and serves a read replica copied from the engine serving after failovers', async () => {
    await t.service.close();
    t.service = await startService(parseConfig({ ...t.config }), { logger: createLogger({ write: (l) => t.logs.push(l) }) });
    const credentials = await t.rds.config.credentials();
    t.rds.destroy();
    t.rds = new RDSClient({ endpoint: t.service.apiUrl, region: 'us-east-1', credentials, maxAttempts: 1 });
    const d = await standbyInSync();
    expect(d.AvailabilityZone).not.toBe('us-east-1a'); // three failovers: the primary is in the second slot
    await t.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'maz-ro', SourceDBInstanceIdentifier: 'maz' }));
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 120, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'maz-ro' });
    const ro = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'maz-ro' }))).DBInstances![0]!;
    const c = await connect();
    await c.query('INSERT INTO app.acked (id) VALUES (5000000)');
    const [[want]] = await c.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.acked');
    await c.end();
    const replica = { ...db, host: ro.Endpoint!.Address!, port: ro.Endpoint!.Port! };
    await until('replica caught up', async () => {
      const r = await mysql2Tls({ ...replica, ca: t.bundlePath });
      try {
        const [[got]] = await r.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM app.acked');
        return Number(got!.n) === Number(want!.n) ? true : undefined;
      } finally {
        await r.end();
      }
    });
  }, 180_000);

  it('refuses a forced failover of a single-AZ instance', async () => {
    await createInstance(t, 'single');
    expect(await sdkError(t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'single', ForceFailover: true })))).toMatchObject({ name: 'InvalidParameterCombination', status: 400 });
    expect((await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'single' }))).DBInstances![0]!.DBInstanceStatus).toBe('available');
  }, 120_000);

  it('applies a Multi-AZ change asked for without ApplyImmediately in the maintenance window, showing it pending until then', async () => {
    // A 60-minute window around now (UTC), so the scheduler's next pass is inside it.
    const day = (d: Date) => ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][d.getUTCDay()]!;
    const at = (d: Date) => `${day(d)}:${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
    const now = Date.now();
    const window = `${at(new Date(now - 10 * 60_000))}-${at(new Date(now + 50 * 60_000))}`;
    const asked = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'single', MultiAZ: true, PreferredMaintenanceWindow: window }));
    expect(asked.DBInstance).toMatchObject({ MultiAZ: false, PendingModifiedValues: { MultiAZ: true } });
    expect(await t.service.scheduler.tick()).toBeDefined();
    const d = await until('Multi-AZ in the window', async () => {
      const x = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'single' }))).DBInstances![0]!;
      return x.DBInstanceStatus === 'available' && x.MultiAZ === true && (x.StatusInfos ?? []).length === 0 ? x : undefined;
    });
    expect(d.PendingModifiedValues?.MultiAZ).toBeUndefined();
    expect(d.SecondaryAvailabilityZone).toBe('us-east-1b');
    const ev = ((await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: 'single', SourceType: 'db-instance', Duration: 60 }))).Events ?? []).map((e) => e.Message ?? '');
    expect(ev).toEqual(expect.arrayContaining([expect.stringMatching(/^Applying MultiAZ=true in the maintenance window/), expect.stringMatching(/^Multi-AZ standby in us-east-1b is in sync/)]));
  }, 120_000);

  it('turns Multi-AZ off and on again with ApplyImmediately', async () => {
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'maz', MultiAZ: false, ApplyImmediately: true }));
    await waitUntilDBInstanceAvailable({ client: t.rds, maxWaitTime: 60, minDelay: 1, maxDelay: 1 }, { DBInstanceIdentifier: 'maz' });
    const off = await describe1();
    expect(off.MultiAZ).toBe(false);
    expect(off.SecondaryAvailabilityZone).toBeUndefined();
    expect(await globalStatus('Rpl_semi_sync_master_clients')).toBe('0');
    const c = await connect();
    await c.query('INSERT INTO app.acked (id) VALUES (2000000)');
    await c.end();
    const on = await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'maz', MultiAZ: true, ApplyImmediately: true }));
    expect(on.DBInstance?.DBInstanceStatus).toBe('modifying');
    const d = await standbyInSync();
    expect(d.MultiAZ).toBe(true);
    expect(await events()).toEqual(expect.arrayContaining(['Multi-AZ turned off: the standby was removed', expect.stringMatching(/^Multi-AZ standby in us-east-1. is in sync/)]));
  }, 120_000);
});
