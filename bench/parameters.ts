/**
 * Parameter group benchmark (docs/benchmarks.md "Parameter groups"):
 *  - DescribeDBParameters of the whole engine catalogue (every page, MaxRecords 100), server side:
 *    each page's request is signed once by the SDK, then the whole walk is replayed over
 *    keep-alive HTTP; p50/p99 of one page and of the whole walk.
 *  - Provisioning (CreateDBInstance to the first verified TLS query) with the default group and
 *    with a group of 20 user values (dynamic and static, a formula among them).
 *
 *   npm run build && node dist/bench/parameters.js
 */
import http from 'node:http';
import { rm } from 'node:fs/promises';
import { CreateDBInstanceCommand, CreateDBParameterGroupCommand, DescribeDBInstancesCommand, DescribeDBParametersCommand, ModifyDBParameterGroupCommand, type RDSClient } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { machine, median, pct, startServer, type BenchServer } from './lib.js';

const PASSWORD = 'Bench-pass-1';

/** Signed requests the SDK sent, for replaying without the SDK. */
const sent: { method: string; hostname: string; port?: number; path: string; headers: Record<string, string>; body?: unknown }[] = [];

function recordRequests(rds: RDSClient): void {
  const handler = rds.config.requestHandler as { handle: (...a: unknown[]) => Promise<unknown> };
  const handle = handler.handle.bind(handler);
  handler.handle = (...a: unknown[]) => {
    sent.push(a[0] as (typeof sent)[number]);
    return handle(...a);
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function replay(req: (typeof sent)[number]): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request({ agent, method: req.method, host: req.hostname, port: req.port, path: req.path, headers: req.headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    r.on('error', reject);
    r.end(req.body as string | undefined);
  });
}

async function createAndFirstQuery(s: BenchServer, id: string, bundle: string, group?: string): Promise<number> {
  const t0 = performance.now();
  await s.rds.send(
    new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro', ...(group ? { DBParameterGroupName: group } : {}) }),
  );
  for (;;) {
    const i = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (i.DBInstanceStatus === 'available') {
      const c = await mysql.createConnection({ host: i.Endpoint!.Address!, port: i.Endpoint!.Port!, user: 'admin', password: PASSWORD, ssl: { ca: bundle, verifyIdentity: true } });
      await c.query('SELECT 1');
      await c.end();
      return performance.now() - t0;
    }
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** 20 user values: dynamic ones, static ones (command line only) and a formula. */
const TWENTY: [string, string, 'immediate' | 'pending-reboot'][] = [
  ['sql_mode', 'STRICT_ALL_TABLES,NO_ZERO_DATE', 'immediate'],
  ['time_zone', '+00:00', 'immediate'],
  ['max_allowed_packet', '67108864', 'immediate'],
  ['long_query_time', '2', 'immediate'],
  ['slow_query_log', '1', 'immediate'],
  ['wait_timeout', '3600', 'immediate'],
  ['interactive_timeout', '3600', 'immediate'],
  ['innodb_lock_wait_timeout', '30', 'immediate'],
  ['group_concat_max_len', '65536', 'immediate'],
  ['max_connections', '200', 'immediate'],
  ['tmp_table_size', '{DBInstanceClassMemory/64}', 'immediate'],
  ['max_heap_table_size', '33554432', 'immediate'],
  ['sort_buffer_size', '4194304', 'immediate'],
  ['join_buffer_size', '1048576', 'immediate'],
  ['net_read_timeout', '60', 'immediate'],
  ['net_write_timeout', '120', 'immediate'],
  ['tx_isolation', 'READ-COMMITTED', 'immediate'],
  ['character_set_server', 'utf8mb4', 'immediate'],
  ['back_log', '100', 'pending-reboot'],
  ['innodb_log_buffer_size', '4194304', 'pending-reboot'],
];

async function main(): Promise<void> {
  const s = await startServer(19821, 26100);
  const rds = s.rds;
  recordRequests(rds);
  try {
    const bundle = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'twenty', DBParameterGroupFamily: 'mariadb10.11', Description: '20 user values' }));
    await rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'twenty', Parameters: TWENTY.map(([n, v, m]) => ({ ParameterName: n, ParameterValue: v, ApplyMethod: m })) }));

    // The whole catalogue, page by page, through the SDK once (this also reads the catalogue).
    sent.length = 0;
    let marker: string | undefined;
    let count = 0;
    do {
      const out = await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'twenty', MaxRecords: 100, Marker: marker }));
      count += out.Parameters!.length;
      marker = out.Marker;
    } while (marker);
    const pages = [...sent];
    let bytes = 0;
    for (const p of pages) bytes += await replay(p);
    for (let i = 0; i < 20; i++) for (const p of pages) await replay(p);
    const pageMs: number[] = [];
    const walkMs: number[] = [];
    for (let i = 0; i < 200; i++) {
      const w0 = performance.now();
      for (const p of pages) {
        const t0 = performance.now();
        await replay(p);
        pageMs.push(performance.now() - t0);
      }
      walkMs.push(performance.now() - w0);
    }
    pageMs.sort((a, b) => a - b);
    walkMs.sort((a, b) => a - b);

    // Provisioning: alternate default group and the group of 20, 5 of each (the first creation
    // builds the engine template and is not counted).
    await createAndFirstQuery(s, 'warm', bundle);
    const plain: number[] = [];
    const twenty: number[] = [];
    for (let i = 0; i < 5; i++) {
      plain.push(await createAndFirstQuery(s, `plain${i}`, bundle));
      twenty.push(await createAndFirstQuery(s, `twenty${i}`, bundle, 'twenty'));
    }
    process.stdout.write(
      [
        `### Parameter groups (${new Date().toISOString()})`,
        '',
        `Machine: ${machine()}. ${count} parameters in ${pages.length} pages of up to 100 (${(bytes / 1024).toFixed(0)} KiB in all).`,
        '',
        '| measurement | p50 | p99 | target |',
        '|---|---|---|---|',
        `| DescribeDBParameters, one page of 100 (server, replayed) | ${pct(pageMs, 50).toFixed(2)} ms | ${pct(pageMs, 99).toFixed(2)} ms | - |`,
        `| DescribeDBParameters, whole catalogue (all ${pages.length} pages, server, replayed) | ${pct(walkMs, 50).toFixed(2)} ms | ${pct(walkMs, 99).toFixed(2)} ms | p99 <= 50 ms |`,
        '',
        '| provisioning: create-db-instance to first verified TLS query | median of 5 | runs |',
        '|---|---|---|',
        `| default parameter group | ${median(plain).toFixed(0)} ms | ${plain.map((x) => x.toFixed(0)).join(', ')} |`,
        `| group of 20 user values (target < 1500 ms) | ${median(twenty).toFixed(0)} ms | ${twenty.map((x) => x.toFixed(0)).join(', ')} |`,
        '',
      ].join('\n'),
    );
  } finally {
    await s.stop();
    await rm(s.dataDir, { recursive: true, force: true });
  }
}

await main();
