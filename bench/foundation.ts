/**
 * Foundation benchmarks (docs/benchmarks.md "Foundation"): provisioning, new connections/s,
 * SELECT 1 latency, streaming a ~100 MB result, idle memory. Every number is measured against
 * baselines in the same run:
 * - "direct": a mariadbd of the same build and configuration serving TLS itself on loopback TCP,
 *   with a certificate chain shaped like the instance's, verified against the same CA file
 *   (baseline-engine.ts). This is the like-for-like baseline the targets are judged against: the
 *   only difference from the endpoint is the front door.
 * - "socket": the instance's own mariadbd on its unix socket with its internal link certificate
 *   (one-certificate CA file, no TCP, no name lookup): a floor no remote client can reach, shown
 *   for reference.
 * - "endpoint": through tlsql's front door by endpoint name, chain and host name verified.
 * - "relay": socat copying bytes between loopback TCP and the direct baseline (TLS end to end
 *   between client and mariadbd): what any extra process in the path costs on this machine (two
 *   more wake-ups and copies per round trip, nothing else), shown for reference when socat exists.
 * - "node pipe": a Node process that only pipes bytes (node-relay.ts --plain), like socat: Node's
 *   own floor for an extra process in the path, for reference.
 * - "node relay": a minimal TLS-terminating relay in Node (node-relay.ts) in front of the direct
 *   baseline: what Node itself costs to decrypt and re-encrypt on both sides, for reference.
 * The server runs in its own process; clients run here.
 *
 *   npm run build && node dist/bench/foundation.js
 */
import { execFileSync, fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { issueChain, startBaselineEngine, type BaselineEngine } from './baseline-engine.js';
import { cpuMs, machine, median, pct, root, startServer, startSocatRelay, waitForMetric, waitForQuiet, type BenchServer } from './lib.js';

const PASSWORD = 'Bench-pass-1';
const LATENCY_ROUNDS = 7;
const LATENCY_QUERIES = 2000;
const STREAM_ROUNDS = 5;

interface Target {
  name: string;
  /** The mariadbd serving this path. */
  pid: number;
  connect: () => Promise<mysql.Connection>;
}
type TargetName = 'direct' | 'socket' | 'endpoint' | 'relay' | 'nodePipe' | 'nodeRelay';
function byTarget<T>(f: (n: TargetName) => T): Record<TargetName, T> {
  return { direct: f('direct'), socket: f('socket'), endpoint: f('endpoint'), relay: f('relay'), nodePipe: f('nodePipe'), nodeRelay: f('nodeRelay') };
}

const NODE_RELAY_HOST = 'relay.tlsql-bench.localhost';

/** node-relay.ts in its own process with `args`, once it says it is listening. */
async function forkNodeRelay(args: string[]): Promise<ChildProcess> {
  const child = fork(join(root, 'dist/bench/node-relay.js'), args, { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`node-relay ${args.join(' ')} exited (${code})`)));
  });
  return child;
}

/** node-relay.ts on `port`, in front of the baseline; its chain's root PEM for clients. */
async function startNodeRelay(port: number, b: BaselineEngine): Promise<{ child: ChildProcess; rootPem: string; dir: string }> {
  const dir = await mkdtemp(join(os.tmpdir(), 'tlsql-bench-relay-'));
  issueChain(dir, NODE_RELAY_HOST);
  await writeFile(join(dir, 'engine-ca.pem'), b.rootPem);
  const child = await forkNodeRelay([String(port), String(b.port), join(dir, 'chain.pem'), join(dir, 'leaf.key'), join(dir, 'engine-ca.pem'), b.host]);
  return { child, rootPem: await readFile(join(dir, 'root.pem'), 'utf8'), dir };
}

/** node-relay.ts --plain on `port`: a Node byte pipe in front of the baseline. */
function startNodePipe(port: number, target: number): Promise<ChildProcess> {
  return forkNodeRelay(['--plain', String(port), String(target)]);
}


async function createAndFirstQuery(s: BenchServer, id: string, bundle: string): Promise<{ ms: number; host: string; port: number }> {
  const t0 = performance.now();
  await s.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro' }));
  for (;;) {
    const i = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (i.DBInstanceStatus === 'available') {
      const c = await mysql.createConnection({ host: i.Endpoint!.Address!, port: i.Endpoint!.Port!, user: 'admin', password: PASSWORD, ssl: { ca: bundle, verifyIdentity: true } });
      await c.query('SELECT 1');
      await c.end();
      return { ms: performance.now() - t0, host: i.Endpoint!.Address!, port: i.Endpoint!.Port! };
    }
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function connRate(t: Target, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = await t.connect();
    await c.query('SELECT 1');
    await c.end();
  }
  return (n / (performance.now() - t0)) * 1000;
}

async function latency(t: Target, n: number): Promise<{ p50: number; p99: number }> {
  const c = await t.connect();
  for (let i = 0; i < 200; i++) await c.query('SELECT 1');
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await c.query('SELECT 1');
    xs.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  await c.end();
  xs.sort((a, b) => a - b);
  return { p50: pct(xs, 50), p99: pct(xs, 99) };
}

async function stream(t: Target): Promise<{ mb: number; mbps: number }> {
  const c = await t.connect();
  const raw = (c as unknown as { connection: mysql.Connection }).connection as unknown as { query(sql: string): { stream(): NodeJS.ReadableStream } };
  const t0 = performance.now();
  let bytes = 0;
  await new Promise<void>((resolve, reject) => {
    const s = raw.query("SELECT REPEAT('x', 1000) AS c FROM mysql.seq_1_to_100000").stream();
    s.on('data', (row: { c: string }) => (bytes += row.c.length));
    s.on('end', () => resolve());
    s.on('error', reject);
  });
  const s = (performance.now() - t0) / 1000;
  await c.end();
  return { mb: bytes / 1e6, mbps: bytes / 1e6 / s };
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const s = await startServer(19800, 25000);
  let baseline: BaselineEngine | null = null;
  let relay: ChildProcess | null = null;
  let nodeRelay: Awaited<ReturnType<typeof startNodeRelay>> | null = null;
  let nodePipe: ChildProcess | null = null;
  const bundleText = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
  try {
    // Provisioning: median of 5, against a bare mariadb-install-db in the same run.
    const prov: number[] = [];
    let first: { host: string; port: number } | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await createAndFirstQuery(s, `bench${i}`, bundleText);
      prov.push(r.ms);
      first ??= r;
    }
    const installDb: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = await mkdtemp(join(os.tmpdir(), 'tlsql-bench-idb-'));
      const t0 = performance.now();
      execFileSync('mariadb-install-db', ['--no-defaults', `--datadir=${d}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--user=mysql', '--innodb-log-file-size=8M'], { stdio: 'ignore' });
      installDb.push(performance.now() - t0);
      await rm(d, { recursive: true, force: true });
    }

    const inst = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'bench0' }))).DBInstances![0]!;
    const enginePid = Number((await readFile(join(s.dataDir, 'instances/bench0/run/mysqld.pid'), 'utf8')).trim());
    // The like-for-like baseline (baseline-engine.ts): same mariadbd build and configuration,
    // serving TLS itself on loopback TCP with an RSA-2048 chain shaped like the instance's.
    baseline = await startBaselineEngine({ myCnf: join(s.dataDir, 'instances/bench0/my.cnf'), port: first!.port + 100, user: 'admin', password: PASSWORD });
    // Both TCP paths trust the same CA file, so both parse the same trust store per connection.
    const caFile = bundleText + baseline.rootPem;
    const linkCa = await readFile(join(s.dataDir, 'pki/internal/link-ca.pem'), 'utf8');
    const socketPath = join(s.dataDir, 'instances/bench0/run/mysqld.sock');
    const linkName = `${inst.DbiResourceId!.toLowerCase()}.engine.tlsql.internal`;
    const b = baseline;
    relay = await startSocatRelay(first!.port + 101, b.port);
    nodeRelay = await startNodeRelay(first!.port + 102, b);
    nodePipe = await startNodePipe(first!.port + 103, b.port);
    // Only the node relay's clients also trust its own root.
    const nodeRelayCa = caFile + nodeRelay.rootPem;
    const targets: Record<TargetName, Target> = {
      direct: {
        name: 'direct (mariadbd serving TLS on loopback TCP)',
        pid: b.pid,
        connect: () => mysql.createConnection({ host: b.host, port: b.port, user: 'admin', password: PASSWORD, ssl: { ca: caFile, verifyIdentity: true } }),
      },
      socket: {
        name: "unix socket (the instance's own mariadbd, its internal link certificate)",
        pid: enginePid,
        connect: () => mysql.createConnection({ socketPath, host: linkName, user: 'admin', password: PASSWORD, ssl: { ca: linkCa, verifyIdentity: true } }),
      },
      endpoint: {
        name: 'endpoint (TCP + TLS via front door)',
        pid: enginePid,
        connect: () => mysql.createConnection({ host: first!.host, port: first!.port, user: 'admin', password: PASSWORD, ssl: { ca: caFile, verifyIdentity: true } }),
      },
      relay: {
        name: 'relay (socat between loopback TCP and the direct baseline; TLS end to end)',
        pid: b.pid,
        connect: () => mysql.createConnection({ host: b.host, port: first!.port + 101, user: 'admin', password: PASSWORD, ssl: { ca: caFile, verifyIdentity: true } }),
      },
      nodePipe: {
        name: 'node pipe (node-relay.ts --plain: a Node byte pipe in front of the direct baseline; TLS end to end)',
        pid: b.pid,
        connect: () => mysql.createConnection({ host: b.host, port: first!.port + 103, user: 'admin', password: PASSWORD, ssl: { ca: caFile, verifyIdentity: true } }),
      },
      nodeRelay: {
        name: 'node relay (node-relay.ts: minimal TLS-terminating relay in Node in front of the direct baseline)',
        pid: b.pid,
        connect: () => mysql.createConnection({ host: NODE_RELAY_HOST, port: first!.port + 102, user: 'admin', password: PASSWORD, ssl: { ca: nodeRelayCa, verifyIdentity: true } }),
      },
    };
    const relayShown = relay !== null;
    const names = (Object.keys(targets) as TargetName[]).filter((n) => n !== 'relay' || relayShown);
    // Sanity: all are TLS.
    for (const t of names.map((n) => targets[n])) {
      const c = await t.connect();
      const [rows] = await c.query<mysql.RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_version'");
      if (!/^TLS/.test(String(rows[0]?.Value))) throw new Error(`${t.name} is not TLS`);
      await c.end();
    }

    // Background work the server starts after creations (rotation certificates prepared 30 s after
    // an instance is available, spare keys refilled) would otherwise land inside the measurements.
    await waitForMetric(s, /^tlsql_certificate_prepared (\d+)$/m, (n) => n >= 10, 180_000);
    await waitForQuiet(s.child.pid!);
    // Warm-up until every path runs JIT-compiled code (a server handles far more than this).
    for (const n of names) await connRate(targets[n], 300);
    const rates = byTarget(() => [] as number[]);
    // CPU per connection of each process (server = front door, engine = that path's mariadbd, client = this process).
    const cpuNow = (t: Target) => [cpuMs(s.child.pid!), cpuMs(t.pid), cpuMs(process.pid)];
    const cpu = byTarget(() => [0, 0, 0]);
    for (let round = 0; round < 5; round++) {
      for (const n of names) {
        const c0 = cpuNow(targets[n]);
        rates[n].push(await connRate(targets[n], 300));
        const c1 = cpuNow(targets[n]);
        c1.forEach((v, i) => (cpu[n][i]! += v - c0[i]!));
      }
    }
    const perConn = (xs: number[]) => xs.map((x) => (x / (5 * 300)).toFixed(2)).join(' / ');
    // Latency drifts with the shared VM's load: interleaved rounds, medians of the rounds' percentiles.
    // An overhead is the median over rounds of (path p50 - direct p50) within the same round: paired,
    // so a slow or fast phase of the machine that spans one round moves both sides alike.
    const rounds = byTarget(() => [] as { p50: number; p99: number }[]);
    for (let round = 0; round < LATENCY_ROUNDS; round++) for (const n of names) rounds[n].push(await latency(targets[n], LATENCY_QUERIES));
    const lat = byTarget((n) => ({ p50: median(rounds[n].map((r) => r.p50)), p99: median(rounds[n].map((r) => r.p99)) }));
    const perRound = byTarget((n) => rounds[n].map((r, i) => r.p50 - rounds.direct[i]!.p50));
    const overhead = byTarget((n) => median(perRound[n]));
    // Single streams vary by tens of percent on a shared 2-core VM: interleaved rounds; a ratio is the
    // median of the rounds' paired ratios (path / direct in the same round), like the latency overhead.
    const streams = byTarget(() => [] as number[]);
    for (let round = 0; round < STREAM_ROUNDS; round++) for (const n of names) streams[n].push((await stream(targets[n])).mbps);
    const mbps = byTarget((n) => median(streams[n]));
    const streamRatios = byTarget((n) => streams[n].map((x, i) => x / streams.direct[i]!));
    const streamRatio = byTarget((n) => median(streamRatios[n]));
    relay?.kill();
    relay = null;
    nodeRelay.child.kill();
    nodePipe.kill();
    nodePipe = null;
    await rm(nodeRelay.dir, { recursive: true, force: true });
    nodeRelay = null;
    await baseline.stop();
    baseline = null;

    // Idle memory: mariadbd RSS per instance, and the server process's growth per instance.
    const pids = [] as number[];
    for (let i = 0; i < 5; i++) pids.push(Number((await readFile(join(s.dataDir, `instances/bench${i}/run/mysqld.pid`), 'utf8')).trim()));
    const engineRss = pids.map(rssKb);
    const serverBefore = rssKb(s.child.pid!);
    for (let i = 5; i < 10; i++) await createAndFirstQuery(s, `bench${i}`, bundleText);
    const serverAfter = rssKb(s.child.pid!);

    const rate = byTarget((n) => median(rates[n]));
    const us = (x: number) => `${x.toFixed(0)} us`;
    const out = [
      `### Foundation (${date})`,
      ``,
      `Machine: ${machine()}. MariaDB ${inst.EngineVersion}, CA ${inst.CACertificateIdentifier}, mysql2 client in a separate process from the server.`,
      `Baseline "direct": ${targets.direct.name}, same CA file and chain shape as the endpoint. Also shown: ${targets.socket.name}; ${relayShown ? targets.relay.name : 'no relay row (socat not installed)'}; ${targets.nodePipe.name}; ${targets.nodeRelay.name}.`,
      ``,
      `| measure | direct (baseline) | endpoint (tlsql) | ratio / overhead vs direct | target | unix socket (for reference) | relay (for reference) | node pipe (for reference) | node relay (for reference) |`,
      `|---|---|---|---|---|---|---|---|---|`,
      `| provisioning: create-db-instance to first verified TLS query (median of 5) | bare mariadb-install-db ${median(installDb).toFixed(0)} ms | ${median(prov).toFixed(0)} ms (runs: ${prov.map((x) => x.toFixed(0)).join(', ')}) | ${(median(prov) / median(installDb)).toFixed(2)}x install-db | < 1500 ms | - | - | - | - |`,
      `| new connections/s (connect, TLS, auth, SELECT 1, close; sequential; median of 5x300) | ${rate.direct.toFixed(0)}/s | ${rate.endpoint.toFixed(0)}/s | ratio ${(rate.endpoint / rate.direct).toFixed(2)} | >= 0.8 | ${rate.socket.toFixed(0)}/s (endpoint ratio ${(rate.endpoint / rate.socket).toFixed(2)}) | ${relayShown ? `${rate.relay.toFixed(0)}/s (ratio ${(rate.relay / rate.direct).toFixed(2)}; socat forks per connection)` : '-'} | ${rate.nodePipe.toFixed(0)}/s (ratio ${(rate.nodePipe / rate.direct).toFixed(2)}) | ${rate.nodeRelay.toFixed(0)}/s (ratio ${(rate.nodeRelay / rate.direct).toFixed(2)}) |`,
      `| CPU per new connection: front door / mariadbd / client (ms) | ${perConn(cpu.direct)} | ${perConn(cpu.endpoint)} | - | report | ${perConn(cpu.socket)} | - | - | - |`,
      `| SELECT 1 round trip p50 / p99 (median of ${LATENCY_ROUNDS} interleaved rounds of ${LATENCY_QUERIES} queries; overhead: median of the rounds' paired p50 differences) | ${us(lat.direct.p50)} / ${us(lat.direct.p99)} | ${us(lat.endpoint.p50)} / ${us(lat.endpoint.p99)} | p50 +${overhead.endpoint.toFixed(0)} us (rounds: ${perRound.endpoint.map((x) => x.toFixed(0)).join(', ')}) | p50 overhead <= 100 us | ${us(lat.socket.p50)} / ${us(lat.socket.p99)} | ${relayShown ? `${us(lat.relay.p50)} / ${us(lat.relay.p99)} (p50 +${overhead.relay.toFixed(0)} us)` : '-'} | ${us(lat.nodePipe.p50)} / ${us(lat.nodePipe.p99)} (p50 +${overhead.nodePipe.toFixed(0)} us) | ${us(lat.nodeRelay.p50)} / ${us(lat.nodeRelay.p99)} (p50 +${overhead.nodeRelay.toFixed(0)} us) |`,
      `| ~100 MB result set (mysql2 stream; MB/s: median of ${STREAM_ROUNDS} interleaved rounds; ratio: median of the rounds' paired ratios) | ${mbps.direct.toFixed(0)} MB/s | ${mbps.endpoint.toFixed(0)} MB/s | ratio ${streamRatio.endpoint.toFixed(2)} (rounds: ${streamRatios.endpoint.map((x) => x.toFixed(2)).join(', ')}) | >= 0.9 | ${mbps.socket.toFixed(0)} MB/s | ${relayShown ? `${mbps.relay.toFixed(0)} MB/s (ratio ${streamRatio.relay.toFixed(2)})` : '-'} | ${mbps.nodePipe.toFixed(0)} MB/s (ratio ${streamRatio.nodePipe.toFixed(2)}) | ${mbps.nodeRelay.toFixed(0)} MB/s (ratio ${streamRatio.nodeRelay.toFixed(2)}) |`,
      `| idle memory per instance | - | mariadbd RSS ${Math.round(median(engineRss) / 1024)} MiB (of which code pages are shared); server process ${((serverAfter - serverBefore) / 5 / 1024).toFixed(1)} MiB per instance (growth over 5 more instances) | - | report | - | - | - | - |`,
      ``,
    ].join('\n');
    process.stdout.write(out + '\n');
  } finally {
    relay?.kill();
    nodeRelay?.child.kill();
    nodePipe?.kill();
    if (nodeRelay) await rm(nodeRelay.dir, { recursive: true, force: true });
    await baseline?.stop();
    await s.stop();
    if (!process.env.TLSQL_KEEP_BENCH_DIR) await rm(s.dataDir, { recursive: true, force: true });
  }
}

await main();
