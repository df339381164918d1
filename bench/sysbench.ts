/**
 * sysbench benchmark (issue 15): throughput, p95 latency and CPU per query of each process under
 * concurrency, with the tool a new user would reach for first (sysbench 1.0.20 from Debian), in one
 * run against two targets serving the same data:
 * - "direct": a mariadbd of the same build and configuration as the instance's engine, serving TLS
 *   itself on loopback TCP (baseline-engine.ts), trusting tlsql's client CA for client certificates;
 * - "endpoint": a tlsql DB instance endpoint, by its `*.localhost` name, through the front door;
 * - "relay": socat copying bytes between loopback TCP and the direct baseline (TLS end to end, one
 *   process per connection): the price of any extra process in the path on this machine (two more
 *   wake-ups and four more socket calls per query, no TLS work), i.e. the floor a front door cannot
 *   go below. Shown when socat is installed.
 * Both are driven with `oltp_point_select` and `oltp_read_only` (4 tables x 10k rows, prepared once
 * per target) at 1, 8 and 32 threads, in interleaved rounds (direct then endpoint for every
 * workload and thread count, round after round), so a slow phase of the shared machine that spans a
 * pair moves both sides alike; ratios are the median of the rounds' paired ratios.
 *
 * TLS: sysbench 1.0 has no option for certificate files. With `--mysql-ssl=on` it hands the client
 * library `client-key.pem`, `client-cert.pem` and `cacert.pem` from its working directory, so it
 * runs in a directory holding a client certificate from `tlsql issue-client-certificate` and, as
 * cacert.pem, tlsql's global bundle plus the direct baseline's root. What sysbench then verifies is
 * probed in the same run (an unrelated CA, and a host name the certificates do not name) and
 * printed with the results; mysql2 checks chain and host name of both targets before the runs.
 *
 * CPU per query of each process, from /proc: the engine (the target's mariadbd), the front door
 * (the `tlsql server` process; /proc/<pid>/stat counts all its threads) and the client (sysbench,
 * counted in this process's cutime/cstime once it is reaped). A run's window includes sysbench's
 * connects (a handful of TLS handshakes, small next to 15 s of queries).
 *
 *   npm run build && npm run bench -- sysbench
 *
 * Settings (environment): BENCH_SYSBENCH_SECONDS per run (default 15), BENCH_SYSBENCH_ROUNDS
 * (default 3), BENCH_SYSBENCH_THREADS (default "1,8,32"), BENCH_SYSBENCH_WARMUP_SECONDS per target
 * and workload before the rounds (default 5). sysbench is installed with apt-get when missing.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { CreateDBInstanceCommand, DescribeCertificatesCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { issueChain, startBaselineEngine, type BaselineEngine } from './baseline-engine.js';
import { debVersion, ensureSysbench, parseSysbenchReport, sysbench, type RunResult } from './sysbench-tools.js';
import { cpuMs, cpuTreeMs, machine, median, root, startServer, startSocatRelay, waitForMetric, waitForQuiet, type BenchServer } from './lib.js';

const PASSWORD = 'Bench-pass-1';
const USER = 'admin';
const DB = 'sbtest';
const TABLES = 4;
const TABLE_SIZE = 10_000;
const WORKLOADS = ['oltp_point_select', 'oltp_read_only'] as const;
type Workload = (typeof WORKLOADS)[number];
type TargetName = 'direct' | 'endpoint' | 'relay';

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(v)}`);
  return n;
}

const SECONDS = envInt('BENCH_SYSBENCH_SECONDS', 15);
const ROUNDS = envInt('BENCH_SYSBENCH_ROUNDS', 3);
const WARMUP_SECONDS = envInt('BENCH_SYSBENCH_WARMUP_SECONDS', 5);
/** Logged-in connections held open to measure the front door's memory per idle connection. */
const IDLE_CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 300);
const THREADS = (process.env.BENCH_SYSBENCH_THREADS ?? '1,8,32').split(',').map((t) => {
  const n = Number(t.trim());
  if (!Number.isInteger(n) || n <= 0) throw new Error(`BENCH_SYSBENCH_THREADS must list positive integers, got ${JSON.stringify(t)}`);
  return n;
});

interface Target {
  host: string;
  port: number;
  /** The mariadbd serving this target. */
  enginePid: number;
  /** CPU (ms) used so far by the process in the path between client and engine: the tlsql server, socat, or for direct the idle tlsql server (background). */
  hopCpuMs: () => number;
}

/** One sysbench run's numbers. */
/** A measured run with the CPU each process used during it, in µs per query. */
interface Measured extends RunResult {
  round: number;
  workload: Workload;
  threads: number;
  target: TargetName;
  /** The process in the path: the front door for the endpoint, socat for the relay; for direct, the idle tlsql server (not in the path). */
  serverUs: number;
  engineUs: number;
  clientUs: number;
}

/** CPU time of this process's reaped children (cutime + cstime), in ms: where sysbench's CPU lands. */
function childrenCpuMs(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[13]) + Number(f[14])) * 1000) / 100;
}

function connectionArgs(t: { host: string; port: number }): string[] {
  return ['--db-driver=mysql', `--mysql-host=${t.host}`, `--mysql-port=${t.port}`, `--mysql-user=${USER}`, `--mysql-password=${PASSWORD}`, `--mysql-db=${DB}`, '--mysql-ssl=on'];
}

const PROBE_LUA = `
function event()
  local con = sysbench.sql.driver():connect()
  local _, version = con:query_row("SHOW SESSION STATUS LIKE 'Ssl_version'")
  local _, cipher = con:query_row("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
  print("PROBE " .. tostring(version) .. " " .. tostring(cipher))
  con:disconnect()
end
`;

/** One connection by sysbench from `cwd` to `host`: the session's TLS version and cipher, or why it failed. */
async function probe(cwd: string, host: string, port: number): Promise<{ ok: true; tls: string } | { ok: false; error: string }> {
  try {
    const out = await sysbench(cwd, [join(cwd, 'probe.lua'), ...connectionArgs({ host, port }), '--events=1', '--threads=1', 'run']);
    const m = /^PROBE (.+)$/m.exec(out);
    if (!m) throw new Error(`probe printed no TLS line:\n${out}`);
    return { ok: true, tls: m[1]! };
  } catch (e) {
    const m = /error \d+: (.+)$/m.exec((e as Error).message);
    return { ok: false, error: m?.[1] ?? (e as Error).message.split('\n')[0]! };
  }
}

async function createInstance(s: BenchServer, id: string): Promise<{ host: string; port: number }> {
  await s.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: USER, MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro' }));
  for (;;) {
    const i = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (i.DBInstanceStatus === 'available') return { host: i.Endpoint!.Address!, port: i.Endpoint!.Port! };
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
}

function loadAverage(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const commit = `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--untracked-files=no']) ? ' (with uncommitted changes)' : ''}`;
  const sysbenchVersion = ensureSysbench();
  const loadAtStart = loadAverage();
  const s = await startServer(19870, 25400);
  let baseline: BaselineEngine | null = null;
  let relay: Awaited<ReturnType<typeof startSocatRelay>> = null;
  const work = await mkdtemp(join(os.tmpdir(), 'tlsql-bench-sysbench-'));
  try {
    const bundle = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
    const ep = await createInstance(s, 'sysbench');
    const inst = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'sysbench' }))).DBInstances![0]!;
    const enginePid = Number((await readFile(join(s.dataDir, 'instances/sysbench/run/mysqld.pid'), 'utf8')).trim());

    // sysbench 1.0 reads its certificate files from its working directory (see the header).
    execFileSync(
      process.execPath,
      [join(root, 'bin/tlsql'), '--data-dir', s.dataDir, '--endpoint-url', s.apiUrl, 'issue-client-certificate', '--subject', '/O=tlsql bench/CN=sysbench', '--cert-out', join(work, 'client-cert.pem'), '--key-out', join(work, 'client-key.pem'), '--ca-out', join(work, 'client-ca.pem')],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
    );
    const clientCaPem = readFileSync(join(work, 'client-ca.pem'), 'utf8');
    baseline = await startBaselineEngine({ myCnf: join(s.dataDir, 'instances/sysbench/my.cnf'), port: ep.port + 100, user: USER, password: PASSWORD, clientCaPem });
    const caFile = bundle + baseline.rootPem;
    writeFileSync(join(work, 'cacert.pem'), caFile);
    writeFileSync(join(work, 'probe.lua'), PROBE_LUA);
    const serverPid = s.child.pid!;
    const targets: Partial<Record<TargetName, Target>> = {
      direct: { host: baseline.host, port: baseline.port, enginePid: baseline.pid, hopCpuMs: () => cpuMs(serverPid) },
      endpoint: { host: ep.host, port: ep.port, enginePid, hopCpuMs: () => cpuMs(serverPid) },
    };
    // The relay listens on loopback TCP; its clients name the baseline's host, which resolves to loopback too.
    relay = await startSocatRelay(ep.port + 101, baseline.port);
    if (relay) {
      const relayPid = relay.pid!;
      targets.relay = { host: baseline.host, port: ep.port + 101, enginePid: baseline.pid, hopCpuMs: () => cpuTreeMs(relayPid) };
    }
    const TARGETS = (['direct', 'endpoint', 'relay'] as const).filter((n) => targets[n]);
    const target = (n: TargetName): Target => targets[n]!;

    // Chain and host name of both targets, with the same CA file and client certificate.
    const clientPem = { cert: readFileSync(join(work, 'client-cert.pem'), 'utf8'), key: readFileSync(join(work, 'client-key.pem'), 'utf8') };
    for (const n of TARGETS) {
      const t = target(n);
      const c = await mysql.createConnection({ host: t.host, port: t.port, user: USER, password: PASSWORD, ssl: { ca: caFile, verifyIdentity: true, ...clientPem } });
      await c.query(`CREATE DATABASE IF NOT EXISTS ${DB}`);
      await c.end();
    }

    // What sysbench itself verifies: the same files, then an unrelated CA as cacert.pem, then a
    // host name absent from the certificates (127.0.0.1 reaches the same listener).
    const strangerDir = await mkdtemp(join(os.tmpdir(), 'tlsql-bench-sysbench-stranger-'));
    issueChain(strangerDir, 'stranger.tlsql-bench.localhost');
    for (const f of ['client-cert.pem', 'client-key.pem', 'probe.lua']) copyFileSync(join(work, f), join(strangerDir, f));
    copyFileSync(join(strangerDir, 'root.pem'), join(strangerDir, 'cacert.pem'));
    const probes: string[] = [];
    for (const n of TARGETS) {
      const t = target(n);
      const good = await probe(work, t.host, t.port);
      if (!good.ok) throw new Error(`sysbench cannot connect to ${n} with TLS: ${good.error}`);
      const stranger = await probe(strangerDir, t.host, t.port);
      const byIp = await probe(work, '127.0.0.1', t.port);
      probes.push(
        `${n}: ${good.tls}; with an unrelated CA as cacert.pem ${stranger.ok ? '**accepted** (chain not verified)' : `refused (${stranger.error})`}; by 127.0.0.1 (a name the certificate does not hold) ${byIp.ok ? '**accepted** (host name not verified)' : `refused (${byIp.error})`}`,
      );
    }
    await rm(strangerDir, { recursive: true, force: true });

    const common = (t: Target) => [...connectionArgs(t), `--tables=${TABLES}`, `--table-size=${TABLE_SIZE}`];
    for (const n of ['direct', 'endpoint'] as const) await sysbench(work, ['oltp_read_only', ...common(target(n)), `--threads=${TABLES}`, 'prepare']);

    // The server's background work after a creation and an issuance (rotation certificates prepared
    // 30 s after the instance is available, spare keys refilled) would land in the front door's CPU.
    const families = (await s.rds.send(new DescribeCertificatesCommand({}))).Certificates!.length;
    await waitForMetric(s, /^tlsql_certificate_prepared (\d+)$/m, (n) => n >= families - 1, 180_000);
    const run = (w: Workload, t: Target, threads: number, seconds: number) => sysbench(work, [w, ...common(t), `--threads=${threads}`, `--time=${seconds}`, 'run']);
    // Warm-up: buffer pools, the front door's JIT, the link's TLS contexts.
    for (const w of WORKLOADS) for (const n of TARGETS) await run(w, target(n), 8, WARMUP_SECONDS);
    for (const pid of [s.child.pid!, enginePid, baseline.pid]) await waitForQuiet(pid);

    const runs: Measured[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const w of WORKLOADS) {
        for (const threads of THREADS) {
          for (const n of TARGETS) {
            const t = target(n);
            const c0 = [t.hopCpuMs(), cpuMs(t.enginePid), childrenCpuMs()];
            const r = parseSysbenchReport(await run(w, t, threads, SECONDS));
            // socat's children are reaped (and counted in its cutime) just after sysbench disconnects.
            if (n === 'relay') await new Promise((res) => setTimeout(res, 200));
            const c1 = [t.hopCpuMs(), cpuMs(t.enginePid), childrenCpuMs()];
            const us = (i: number) => ((c1[i]! - c0[i]!) * 1000) / r.queries;
            runs.push({ ...r, round, workload: w, threads, target: n, serverUs: us(0), engineUs: us(1), clientUs: us(2) });
            process.stderr.write(`round ${round} ${w} ${threads} threads ${n}: ${r.qps.toFixed(0)} q/s\n`);
          }
        }
      }
    }
    const loadAtEnd = loadAverage();

    // Memory per idle connection in the front door: logged-in sessions that send nothing.
    const rssKiB = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${s.child.pid}/status`, 'utf8'))?.[1] ?? NaN);
    global.gc?.();
    await new Promise((r) => setTimeout(r, 2000));
    const rss0 = rssKiB();
    const idle: mysql.Connection[] = [];
    for (let i = 0; i < IDLE_CONNECTIONS; i++) {
      idle.push(await mysql.createConnection({ host: ep.host, port: ep.port, user: USER, password: PASSWORD, ssl: { ca: caFile, verifyIdentity: true, ...clientPem } }));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const rss1 = rssKiB();
    await Promise.all(idle.map((c) => c.end()));
    const idleKiB = (rss1 - rss0) / IDLE_CONNECTIONS;

    const f0 = (x: number) => x.toFixed(0);
    const f1 = (x: number) => x.toFixed(1);
    const f2 = (x: number) => x.toFixed(2);
    const rows: string[] = [];
    for (const w of WORKLOADS) {
      for (const threads of THREADS) {
        const of = (n: TargetName) => runs.filter((r) => r.workload === w && r.threads === threads && r.target === n).sort((a, b) => a.round - b.round);
        const d = of('direct');
        const e = of('endpoint');
        const m = (xs: Measured[], k: 'qps' | 'p95Ms' | 'serverUs' | 'engineUs' | 'clientUs') => median(xs.map((x) => x[k]));
        const rl = of('relay');
        const ratios = e.map((x, i) => x.qps / d[i]!.qps);
        const relayRatios = rl.map((x, i) => x.qps / d[i]!.qps);
        const engineRatios = e.map((x, i) => x.engineUs / d[i]!.engineUs);
        const relayCell = rl.length ? `${f2(median(relayRatios))} (${relayRatios.map(f2).join(', ')}); ${f1(m(rl, 'serverUs'))} µs` : '-';
        rows.push(
          `| ${w} | ${threads} | ${f0(m(d, 'qps'))} | ${f0(m(e, 'qps'))} | **${f2(median(ratios))}** (${ratios.map(f2).join(', ')}) | ${relayCell} | ${f2(m(d, 'p95Ms'))} / ${f2(m(e, 'p95Ms'))} | ${f1(m(e, 'serverUs'))} / ${f1(m(e, 'engineUs'))} / ${f1(m(e, 'clientUs'))} | ${f1(m(d, 'engineUs'))} / ${f1(m(d, 'clientUs'))} | ${f2(median(engineRatios))} |`,
        );
      }
    }
    const failures = runs.filter((r) => r.errors || r.reconnects);
    const out = [
      `### sysbench (${date})`,
      ``,
      `Machine: ${machine()}; load average (1/5/15 min) ${loadAtStart} at the start, ${loadAtEnd} at the end. Commit ${commit}. MariaDB ${inst.EngineVersion}; ${sysbenchVersion} (Debian ${debVersion('sysbench')}, libmariadb3 ${debVersion('libmariadb3')}).`,
      `${WORKLOADS.join(' and ')}, ${TABLES} tables x ${TABLE_SIZE} rows, ${SECONDS} s per run, ${ROUNDS} interleaved rounds (${TARGETS.join(' then ')} for each workload and thread count), ${WARMUP_SECONDS} s warm-up per target and workload. Medians of the rounds; ratio = median of the rounds' paired ratios (endpoint / direct in the same round), each round in brackets. CPU per query = the process's CPU time during the run / sysbench's query count; front door = the \`tlsql server\` process (all threads).`,
      `TLS as sysbench sees it (\`--mysql-ssl=on\`, client-cert.pem/client-key.pem from \`tlsql issue-client-certificate\`, cacert.pem = tlsql's bundle + the direct baseline's root): ${probes.join('; ')}. mysql2 verified chain and host name of every target with the same files.`,
      ``,
      `| workload | threads | direct q/s | endpoint q/s | ratio endpoint / direct | floor: ratio relay (socat) / direct; socat CPU per query | p95 latency direct / endpoint (ms) | endpoint CPU per query: front door / engine / client (µs) | direct CPU per query: engine / client (µs) | engine CPU per query endpoint / direct |`,
      `|---|---|---|---|---|---|---|---|---|---|`,
      ...rows,
      ``,
      `Every run (in the order run; "front door" is the process in the path: the tlsql server for the endpoint, socat for the relay; for direct runs the tlsql server is not in the path and its CPU is shown in brackets as background):`,
      ``,
      `| round | workload | threads | target | q/s | p95 (ms) | front door µs/query | engine µs/query | client µs/query |`,
      `|---|---|---|---|---|---|---|---|---|`,
      ...runs.map(
        (r) =>
          `| ${r.round} | ${r.workload} | ${r.threads} | ${r.target} | ${f0(r.qps)} | ${f2(r.p95Ms)} | ${r.target === 'direct' ? `(${f1(r.serverUs)})` : f1(r.serverUs)} | ${f1(r.engineUs)} | ${f1(r.clientUs)} |`,
      ),
      ``,
      `Front door memory per idle connection (${IDLE_CONNECTIONS} logged-in TLS sessions held open, \`tlsql server\` RSS before/after): ${(rss0 / 1024).toFixed(1)} -> ${(rss1 / 1024).toFixed(1)} MiB, **${idleKiB.toFixed(1)} KiB per connection**. Data-plane threads: ${process.env.BENCH_DATAPLANE_THREADS ?? 'default (one per CPU)'}; busy polling: ${process.env.BENCH_BUSY_POLL_MICROS ?? '0 (default)'} µs.`,
      ``,
      failures.length ? `Runs with errors or reconnects: ${failures.map((r) => `round ${r.round} ${r.workload} ${r.threads} ${r.target}: ${r.errors} errors, ${r.reconnects} reconnects`).join('; ')}.` : `No run had errors or reconnects.`,
      ``,
    ].join('\n');
    process.stdout.write(out + '\n');
  } finally {
    relay?.kill();
    await baseline?.stop();
    await s.stop();
    await rm(work, { recursive: true, force: true });
    if (!process.env.TLSQL_KEEP_BENCH_DIR) await rm(s.dataDir, { recursive: true, force: true });
  }
}

await main();
