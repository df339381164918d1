/**
 * Replication benchmark (issue 18, docs/replication.md), on one `tlsql server` with real engines:
 *
 * 1. Write throughput with Multi-AZ (semi-synchronous, AFTER_SYNC, through the endpoint over
 *    verified TLS) against a single-AZ instance, same run: sysbench `oltp_write_only`, 4 threads,
 *    interleaved rounds (single, Multi-AZ, then a single-AZ source with an asynchronous read
 *    replica, round after round); ratios are the medians of the rounds' paired ratios.
 * 2. Replica lag under that load against a single-AZ source with a read replica: a heartbeat row
 *    written on the source every 100 ms with its time, read back on the replica every 100 ms
 *    (lag = read time - written time, both this process's clock), p50 / p99 / max; and
 *    `Seconds_Behind_Master` sampled alongside.
 * 3. Failover: `kill -9` of the Multi-AZ primary's mariadbd, then a verified TLS connection and an
 *    INSERT through the same endpoint every 20 ms until one is acknowledged: the time from the kill
 *    to that acknowledgement. BENCH_FAILOVERS times (default 5), the new standby in sync in between.
 * 4. Time to create a read replica of a source of BENCH_REPLICA_SOURCE_GB (default 1) GiB of
 *    sysbench tables while sysbench writes to it (2 threads): CreateDBInstanceReadReplica to
 *    `available`, and to the replica having caught up.
 *
 *   npm run build && npm run bench -- replication
 *
 * Settings (environment): BENCH_REPL_SECONDS per write run (default 15), BENCH_REPL_ROUNDS (default 3),
 * BENCH_FAILOVERS (default 5), BENCH_REPLICA_SOURCE_GB (default 1; 0 skips part 4), BENCH_SERVER_LOG
 * (a file for the server's debug log).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { CreateDBInstanceCommand, CreateDBInstanceReadReplicaCommand, DescribeDBInstancesCommand, type CreateDBInstanceCommandInput } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { machine, median, pct, root, startServer, type BenchServer } from './lib.js';
import { ensureSysbench, parseSysbenchReport, sysbench } from './sysbench-tools.js';

const PASSWORD = 'Bench-pass-1';
const USER = 'admin';
const DB = 'sbtest';

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(v)}`);
  return n;
}

const SECONDS = envInt('BENCH_REPL_SECONDS', 15);
const ROUNDS = envInt('BENCH_REPL_ROUNDS', 3);
const FAILOVERS = envInt('BENCH_FAILOVERS', 5);
const SOURCE_GB = envInt('BENCH_REPLICA_SOURCE_GB', 1);

interface Endpoint {
  host: string;
  port: number;
}

let bundle = '';

function connect(e: Endpoint): Promise<mysql.Connection> {
  return mysql.createConnection({ host: e.host, port: e.port, user: USER, password: PASSWORD, database: DB, ssl: { ca: bundle, verifyIdentity: true } });
}

async function describe(s: BenchServer, id: string) {
  return (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
}

async function waitAvailable(s: BenchServer, id: string, also: (i: Awaited<ReturnType<typeof describe>>) => boolean = () => true): Promise<Endpoint> {
  for (;;) {
    const i = await describe(s, id);
    if (i.DBInstanceStatus === 'available' && also(i)) return { host: i.Endpoint!.Address!, port: i.Endpoint!.Port! };
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function create(s: BenchServer, id: string, extra: Partial<CreateDBInstanceCommandInput> = {}): Promise<Endpoint> {
  await s.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: USER, MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro', DBName: DB, ...extra }));
  return waitAvailable(s, id);
}

/** Multi-AZ with its standby in sync: no StatusInfos, semi-synchronous replication on. */
async function standbyInSync(s: BenchServer, id: string): Promise<Endpoint> {
  return waitAvailable(s, id, (i) => i.MultiAZ === true && (i.StatusInfos ?? []).length === 0);
}

function sbArgs(e: Endpoint, tables: number, size: number): string[] {
  return ['--db-driver=mysql', `--mysql-host=${e.host}`, `--mysql-port=${e.port}`, `--mysql-user=${USER}`, `--mysql-password=${PASSWORD}`, `--mysql-db=${DB}`, '--mysql-ssl=on', `--tables=${tables}`, `--table-size=${size}`];
}

async function enginePid(s: BenchServer, id: string, slot: string): Promise<number> {
  return Number((await readFile(join(s.dataDir, 'instances', slot === 'b' ? `${id}_b` : id, 'run/mysqld.pid'), 'utf8')).trim());
}

/** ms from kill -9 of the primary to the first acknowledged INSERT through a new verified connection. */
async function failoverOnce(s: BenchServer, id: string, e: Endpoint, n: number): Promise<number> {
  const inst = await describe(s, id);
  const slot = inst.AvailabilityZone!.slice(-1);
  const pid = await enginePid(s, id, slot);
  const killed = performance.now();
  process.kill(pid, 'SIGKILL');
  for (;;) {
    try {
      const c = await connect(e);
      try {
        await c.query('INSERT INTO failover_probe (n) VALUES (?)', [n]);
        return performance.now() - killed;
      } finally {
        c.destroy();
      }
    } catch {
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Heartbeats on the source, read on the replica: lag samples in ms while `busy` runs. */
async function measureLag(source: Endpoint, replica: Endpoint, busy: Promise<unknown>): Promise<{ lagMs: number[]; behindS: number[] }> {
  const w = await connect(source);
  const r = await connect(replica);
  await w.query('CREATE TABLE IF NOT EXISTS heartbeat (id INT PRIMARY KEY, at DOUBLE NOT NULL)');
  await w.query('REPLACE INTO heartbeat VALUES (1, ?)', [performance.timeOrigin + performance.now()]);
  const lagMs: number[] = [];
  const behindS: number[] = [];
  let done = false;
  const finished = () => {
    done = true;
  };
  busy.then(finished, finished);
  const writer = (async () => {
    while (!done) {
      await w.query('UPDATE heartbeat SET at = ? WHERE id = 1', [performance.timeOrigin + performance.now()]);
      await new Promise((res) => setTimeout(res, 100));
    }
  })();
  while (!done) {
    // The table reaches the replica through replication too: until it has, there is nothing to read.
    const rows = await r.query<mysql.RowDataPacket[]>('SELECT at FROM heartbeat WHERE id = 1').then(
      ([x]) => x,
      (e: { errno?: number }) => {
        if (e.errno === 1146) return [];
        throw e;
      },
    );
    const at = Number(rows[0]?.at);
    if (Number.isFinite(at)) lagMs.push(performance.timeOrigin + performance.now() - at);
    const [st] = await r.query<mysql.RowDataPacket[]>('SHOW REPLICA STATUS');
    if (st[0]?.Seconds_Behind_Master !== null && st[0]?.Seconds_Behind_Master !== undefined) behindS.push(Number(st[0].Seconds_Behind_Master));
    await new Promise((res) => setTimeout(res, 100));
  }
  await writer;
  await w.end();
  await r.end();
  return { lagMs, behindS };
}

function fmt(xs: number[], digits = 0): string {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? `p50 ${pct(s, 50).toFixed(digits)}, p99 ${pct(s, 99).toFixed(digits)}, max ${s[s.length - 1]!.toFixed(digits)} (${s.length} samples)` : 'no samples';
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
  const sysbenchVersion = ensureSysbench();
  // BENCH_SERVER_LOG=<file>: the server's log, at debug level, goes there (sessions' close reasons).
  const logFile = process.env.BENCH_SERVER_LOG;
  const s = await startServer(19890, 25600, undefined, logFile ? { logLevel: 'debug', onLogLine: (l) => appendFileSync(logFile, l + '\n') } : {});
  const work = await mkdtemp(join(os.tmpdir(), 'tlsql-bench-replication-'));
  const out: string[] = [];
  try {
    bundle = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
    // sysbench 1.0 reads its certificate files from its working directory (sysbench.ts explains).
    execFileSync(
      process.execPath,
      [join(root, 'bin/tlsql'), '--data-dir', s.dataDir, '--endpoint-url', s.apiUrl, 'issue-client-certificate', '--subject', '/O=tlsql bench/CN=replication', '--cert-out', join(work, 'client-cert.pem'), '--key-out', join(work, 'client-key.pem')],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
    );
    writeFileSync(join(work, 'cacert.pem'), bundle);

    // 1. Write throughput, Multi-AZ vs single-AZ; and a single-AZ source with a read replica
    //    (asynchronous), which separates the price of a second engine applying every write on
    //    these two cores from the price of waiting for its acknowledgement.
    const single = await create(s, 'single');
    const withReplica = await create(s, 'async');
    await create(s, 'maz', { MultiAZ: true });
    const maz = await standbyInSync(s, 'maz');
    for (const e of [single, withReplica, maz]) await sysbench(work, ['oltp_write_only', ...sbArgs(e, 4, 10_000), '--threads=4', 'prepare']);
    await s.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'async-replica', SourceDBInstanceIdentifier: 'async' }));
    await waitAvailable(s, 'async-replica');
    const rows: string[] = [];
    const ratios: number[] = [];
    const asyncRatios: number[] = [];
    const run = async (e: Endpoint) => parseSysbenchReport(await sysbench(work, ['oltp_write_only', ...sbArgs(e, 4, 10_000), '--threads=4', `--time=${SECONDS}`, 'run']));
    for (let round = 1; round <= ROUNDS; round++) {
      const r1 = await run(single);
      const r2 = await run(maz);
      const r3 = await run(withReplica);
      ratios.push(r2.qps / r1.qps);
      asyncRatios.push(r3.qps / r1.qps);
      rows.push(`| ${round} | ${r1.qps.toFixed(0)} | ${r1.p95Ms} | ${r2.qps.toFixed(0)} | ${r2.p95Ms} | ${(r2.qps / r1.qps).toFixed(2)} | ${r3.qps.toFixed(0)} | ${r3.p95Ms} | ${(r3.qps / r1.qps).toFixed(2)} |`);
    }
    out.push(
      `### Write throughput: Multi-AZ (semi-synchronous) and single-AZ with a read replica (asynchronous) vs single-AZ, sysbench oltp_write_only, 4 threads, ${SECONDS} s per run`,
      '',
      '| round | single-AZ qps | p95 ms | Multi-AZ qps | p95 ms | Multi-AZ / single | with a replica qps | p95 ms | with a replica / single |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
      `**Multi-AZ / single-AZ write throughput: median ${median(ratios).toFixed(2)}** (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')}); single-AZ with an asynchronous read replica / single-AZ: median ${median(asyncRatios).toFixed(2)} (${asyncRatios.map((x) => x.toFixed(2)).join(', ')}).`,
      '',
    );

    // 2. Replica lag under the same load.
    await s.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'single-replica', SourceDBInstanceIdentifier: 'single' }));
    const replica = await waitAvailable(s, 'single-replica');
    const load = sysbench(work, ['oltp_write_only', ...sbArgs(single, 4, 10_000), '--threads=4', `--time=${Math.max(SECONDS, 30)}`, 'run']);
    load.catch(() => {}); // awaited below; a failure of the measurement must not be hidden by this one
    const lag = await measureLag(single, replica, load);
    const loadReport = parseSysbenchReport(await load);
    out.push(
      `### Replica lag under sysbench oltp_write_only, 4 threads, ${Math.max(SECONDS, 30)} s (${loadReport.qps.toFixed(0)} qps on the source)`,
      '',
      `- heartbeat lag (written on the source every 100 ms, read on the replica every 100 ms), ms: ${fmt(lag.lagMs)}`,
      `- Seconds_Behind_Master: ${fmt(lag.behindS)}`,
      '',
    );

    // 3. Failover.
    {
      const c = await connect(maz);
      await c.query('CREATE TABLE IF NOT EXISTS failover_probe (id INT AUTO_INCREMENT PRIMARY KEY, n INT)');
      await c.end();
    }
    const times: number[] = [];
    for (let n = 1; n <= FAILOVERS; n++) {
      await standbyInSync(s, 'maz');
      times.push(await failoverOnce(s, 'maz', maz, n));
      process.stderr.write(`failover ${n}: ${times[times.length - 1]!.toFixed(0)} ms\n`);
    }
    out.push(
      `### Failover: kill -9 of the primary mariadbd to the first acknowledged INSERT through the same endpoint (verified TLS), ${FAILOVERS} times`,
      '',
      `Runs (ms): ${times.map((x) => x.toFixed(0)).join(', ')}. **Median ${median(times).toFixed(0)} ms** (target < 5000).`,
      '',
    );

    // 4. A read replica of a large source that keeps taking writes.
    if (SOURCE_GB > 0) {
      const big = await create(s, 'big');
      const tables = 8;
      // sysbench rows take about 460 bytes on disk with their secondary index and InnoDB's page fill (measured: 559241 x 8 rows, 1.94 GiB).
      const size = Math.round((SOURCE_GB * 1024 ** 3) / 460 / tables);
      const prepStarted = performance.now();
      await sysbench(work, ['oltp_write_only', ...sbArgs(big, tables, size), '--threads=2', 'prepare']);
      const prepS = (performance.now() - prepStarted) / 1000;
      const du = execFileSync('du', ['-sb', join(s.dataDir, 'instances/big/data')], { encoding: 'utf8' }).split('\t')[0]!;
      const writes = sysbench(work, ['oltp_write_only', ...sbArgs(big, tables, size), '--threads=2', '--time=600', 'run']).catch(() => '');
      const started = performance.now();
      await s.rds.send(new CreateDBInstanceReadReplicaCommand({ DBInstanceIdentifier: 'big-replica', SourceDBInstanceIdentifier: 'big' }));
      const bigReplica = await waitAvailable(s, 'big-replica');
      const availableS = (performance.now() - started) / 1000;
      // Caught up: the replica has a heartbeat written on the source after it became available.
      const w = await connect(big);
      await w.query('CREATE TABLE IF NOT EXISTS caught_up (id INT PRIMARY KEY)');
      await w.query('INSERT INTO caught_up VALUES (1)');
      await w.end();
      const r = await connect(bigReplica);
      for (;;) {
        const [rows2] = await r.query<mysql.RowDataPacket[]>("SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_NAME = 'caught_up'");
        if (Number(rows2[0]!.n) === 1) {
          const [x] = await r.query<mysql.RowDataPacket[]>('SELECT COUNT(*) AS n FROM caught_up');
          if (Number(x[0]!.n) === 1) break;
        }
        await new Promise((res) => setTimeout(res, 100));
      }
      await r.end();
      const caughtUpS = (performance.now() - started) / 1000;
      try {
        execFileSync('pkill', ['-f', `mysql-host=${big.host}`], { stdio: 'ignore' });
      } catch {
        // already finished
      }
      await writes;
      out.push(
        `### A read replica of a ${(Number(du) / 1024 ** 3).toFixed(2)} GiB source (${tables} sysbench tables x ${size} rows, prepared in ${prepS.toFixed(0)} s) while sysbench oltp_write_only (2 threads) writes to it`,
        '',
        `CreateDBInstanceReadReplica to \`available\`: **${availableS.toFixed(1)} s**; to caught up (a row written on the source after that is on the replica): **${caughtUpS.toFixed(1)} s**.`,
        '',
      );
    }
    process.stdout.write(
      [`## Replication, ${date}`, '', `Machine: ${machine()}. Commit ${commit}. ${sysbenchVersion}. Load average at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.`, '', ...out].join('\n') + '\n',
    );
  } finally {
    await s.stop();
    await rm(work, { recursive: true, force: true });
    await rm(s.dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
