/**
 * CA rotation benchmark (docs/benchmarks.md "Certificate rotation"): how long after
 * `ModifyDBInstance --apply-immediately` new connections see the new certificate, and how many
 * queries fail under load while it happens.
 *
 * The server runs in its own process (`tlsql server`); here a pool of verified-TLS mysql2 clients
 * queries continuously, loops open new verified connections (one at TLS 1.2), and a prober runs
 * back-to-back MySQL STARTTLS handshakes (chain + host name verified against the bundle) to see
 * when the endpoint presents the new certificate. Rotations cycle rsa2048 -> ecc384 -> rsa4096.
 *
 *   npm run build && node dist/bench/rotation.js
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateDBInstanceCommand, DescribeDBInstancesCommand, ModifyDBInstanceCommand } from '@aws-sdk/client-rds';
import mysql from 'mysql2/promise';
import { probeEndpoint } from '../src/reconcile/tls-probe.js';
import { machine, median, pct, startServer, waitForMetric, waitForQuiet, type BenchServer } from './lib.js';

/** Server-side step durations of each certificate replacement, read from the server's log. */
const serverSteps: { familyId: string; prepared: boolean; issueMs: number; checkMs: number; swapMs: number; verifyMs: number }[] = [];

const PASSWORD = 'Bench-pass-1';
const FAMILIES = ['tlsql-ca-ecc384-g1', 'tlsql-ca-rsa4096-g1', 'tlsql-ca-rsa2048-g1'] as const;
const ISSUER_LABEL: Record<string, string> = { 'tlsql-ca-rsa2048-g1': 'RSA2048 G1', 'tlsql-ca-rsa4096-g1': 'RSA4096 G1', 'tlsql-ca-ecc384-g1': 'ECC384 G1' };

interface Endpoint {
  host: string;
  port: number;
}

async function createInstance(s: BenchServer, id: string): Promise<Endpoint> {
  await s.rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: id, Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: PASSWORD, DBInstanceClass: 'db.t3.micro' }));
  for (;;) {
    const i = (await s.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;
    if (i.DBInstanceStatus === 'available') return { host: i.Endpoint!.Address!, port: i.Endpoint!.Port! };
    if (i.DBInstanceStatus === 'failed') throw new Error(`${id} failed`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Continuous load: pool workers, new-connection loops; counts failures and dropped connections. */
async function startLoad(ep: Endpoint, ca: string) {
  let running = true;
  const stats = { queries: 0, failed: 0, newConnections: 0, failedConnections: 0, poolOpened: 0, dropped: 0, errors: [] as string[] };
  const pool = mysql.createPool({ ...ep, user: 'admin', password: PASSWORD, ssl: { ca, verifyIdentity: true }, connectionLimit: 8, maxIdle: 8, idleTimeout: 3_600_000 });
  pool.pool.on('connection', (c) => {
    stats.poolOpened++;
    c.on('error', (e: Error) => {
      stats.dropped++;
      stats.errors.push(e.message);
    });
  });
  const held = await Promise.all(Array.from({ length: 8 }, () => pool.getConnection()));
  held.forEach((c) => c.release());
  const worker = async () => {
    while (running) {
      try {
        await pool.query('SELECT 1');
        stats.queries++;
      } catch (e) {
        stats.failed++;
        stats.errors.push((e as Error).message);
      }
    }
  };
  const churn = async (tls12: boolean) => {
    while (running) {
      try {
        const c = await mysql.createConnection({ ...ep, user: 'admin', password: PASSWORD, ssl: { ca, verifyIdentity: true, ...(tls12 ? { maxVersion: 'TLSv1.2' } : {}) } as mysql.SslOptions });
        await c.query('SELECT 1');
        await c.end();
        stats.newConnections++;
        stats.queries++;
      } catch (e) {
        stats.failedConnections++;
        stats.errors.push((e as Error).message);
      }
    }
  };
  const loops = [...Array.from({ length: 16 }, worker), churn(false), churn(true)];
  return {
    stats,
    async stop() {
      running = false;
      await Promise.all(loops);
      await pool.end();
      return stats;
    },
  };
}

interface RotationSample {
  to: string;
  /** Request sent -> end of the first verified new handshake presenting the new CA's certificate. */
  visibleMs: number;
  /** Request sent -> API response (the server verified the swap before answering). */
  apiMs: number;
  /** Whether the spare key for the family had had time to be generated before the request. */
  warm: boolean;
}

async function rotate(s: BenchServer, id: string, ep: Endpoint, ca: string, to: string, warm: boolean): Promise<RotationSample> {
  // When the first probe presenting the new CA finished: an upper bound of when new connections
  // see it (the handshake itself takes a few ms to tens of ms here).
  const state: { doneAt: number | undefined; probing: boolean } = { doneAt: undefined, probing: true };
  const saw = () => {
    state.doneAt ??= performance.now();
  };
  const label = ISSUER_LABEL[to]!;
  const prober = async (offsetMs: number) => {
    await new Promise((r) => setTimeout(r, offsetMs));
    while (state.probing && state.doneAt === undefined) {
      try {
        const r = await probeEndpoint({ address: '127.0.0.1', port: ep.port, endpoint: ep.host, bundlePem: ca });
        if (r.leaf.issuer.includes(label)) saw();
      } catch {
        // A failed probe would be a failed client: counted by the load loops, which use the same path.
      }
      // A short gap: back-to-back handshakes would themselves load the server being measured.
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  // Three staggered probers: a handshake is in flight most of the time, so the bounds are tight.
  const probers = [0, 7, 14].map(prober);
  await new Promise((r) => setTimeout(r, 30)); // probers running before the request
  const t0 = performance.now();
  const out = await s.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: id, CACertificateIdentifier: to, ApplyImmediately: true }));
  const apiMs = performance.now() - t0;
  if (out.DBInstance?.CACertificateIdentifier !== to) throw new Error(`rotation to ${to} not applied`);
  const deadline = performance.now() + 10_000;
  while (state.doneAt === undefined && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
  state.probing = false;
  await Promise.all(probers);
  if (state.doneAt === undefined) throw new Error(`new connections never saw ${to}`);
  return { to, visibleMs: state.doneAt - t0, apiMs, warm };
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const s = await startServer(19850, 25100, undefined, {
    logLevel: 'info',
    onLogLine: (line) => {
      if (!line.includes('server certificate replaced')) return;
      try {
        serverSteps.push(JSON.parse(line));
      } catch {
        // Not a JSON log line: nothing to measure in it.
      }
    },
  });
  try {
    const ca = await (await fetch(`${s.apiUrl}/bundles/global-bundle.pem`)).text();
    const ep = await createInstance(s, 'rot0');
    // An instance that has been up a while has a certificate prepared for each other CA family
    // (issued 30 s after it became available); wait for that state, then for the key pool's refill.
    await waitForMetric(s, /^tlsql_certificate_prepared (\d+)$/m, (n) => n >= 2, 120_000);
    await waitForQuiet(s.child.pid!);
    // Warm-up (not counted): first use of each code path and family in the server process.
    for (const to of FAMILIES) {
      await rotate(s, 'rot0', ep, ca, to, true);
      await new Promise((r) => setTimeout(r, 4000));
    }
    serverSteps.length = 0;
    // Idle: no client load besides the prober.
    const idle: RotationSample[] = [];
    for (let cycle = 0; cycle < 2; cycle++) {
      for (const to of FAMILIES) {
        idle.push(await rotate(s, 'rot0', ep, ca, to, true));
        await new Promise((r) => setTimeout(r, 4000));
      }
    }
    const load = await startLoad(ep, ca);
    await new Promise((r) => setTimeout(r, 1000));

    const samples: RotationSample[] = [];
    for (let cycle = 0; cycle < 4; cycle++) {
      for (const to of FAMILIES) {
        samples.push(await rotate(s, 'rot0', ep, ca, to, true));
        // Rotations are rare; give the pool time to replace the spare key it handed out.
        await new Promise((r) => setTimeout(r, 4000));
      }
    }
    // Back to back: the RSA-4096 spare taken a moment ago is still being generated.
    samples.push(await rotate(s, 'rot0', ep, ca, 'tlsql-ca-rsa4096-g1', true));
    samples.push(await rotate(s, 'rot0', ep, ca, 'tlsql-ca-rsa2048-g1', true));
    samples.push(await rotate(s, 'rot0', ep, ca, 'tlsql-ca-rsa4096-g1', false));
    await new Promise((r) => setTimeout(r, 1000));
    const stats = await load.stop();
    const metrics = await (await fetch(`${s.apiUrl}/metrics`)).text();
    const preparedUsed = Number(/tlsql_certificate_rotations_prepared_total\{result="used"\} (\d+)/.exec(metrics)?.[1] ?? NaN);
    const preparedMissed = Number(/tlsql_certificate_rotations_prepared_total\{result="missed"\} (\d+)/.exec(metrics)?.[1] ?? NaN);

    const warm = samples.filter((x) => x.warm);
    const cold = samples.filter((x) => !x.warm);
    const byFamily = (f: string) => warm.filter((x) => x.to === f).map((x) => x.visibleMs);
    const vis = warm.map((x) => x.visibleMs).sort((a, b) => a - b);
    const api = warm.map((x) => x.apiMs).sort((a, b) => a - b);
    const fmt = (x: number) => x.toFixed(1);
    const idleVis = idle.map((x) => x.visibleMs).sort((a, b) => a - b);
    const idleApi = idle.map((x) => x.apiMs).sort((a, b) => a - b);
    const steps = serverSteps.slice(0, idle.length);
    const toSwap = steps.map((x) => x.issueMs + x.checkMs + x.swapMs).sort((a, b) => a - b);
    const stepMedian = (k: 'issueMs' | 'checkMs' | 'swapMs' | 'verifyMs') => median(steps.map((x) => x[k])).toFixed(1);
    const loadSteps = serverSteps.slice(idle.length, idle.length + warm.length - 2);
    const loadToSwap = loadSteps.map((x) => x.issueMs + x.checkMs + x.swapMs).sort((a, b) => a - b);
    const out = [
      `### CA rotation (${date})`,
      ``,
      `Machine: ${machine()}. One instance, ${warm.length} rotations with ApplyImmediately cycling rsa2048 -> ecc384 -> rsa4096 -> rsa2048 under load ` +
        `(8 pooled mysql2 connections on 16 query loops, 2 loops opening new connections, one at TLS 1.2; all verify chain and host name). ` +
        `Client side = until the first new verified STARTTLS handshake (three staggered probers) presenting a certificate from the new CA has completed, so it includes that handshake's own duration.`,
      ``,
      `| measure | result | target |`,
      `|---|---|---|`,
      `| server side, idle: rotation start to the new secure context serving new handshakes, median / max (certificate ${stepMedian('issueMs')} (prepared in ${steps.filter((x) => x.prepared).length} of ${steps.length}), offline chain check ${stepMedian('checkMs')}, swap ${stepMedian('swapMs')} ms) | ${fmt(median(toSwap))} / ${fmt(toSwap[toSwap.length - 1]!)} ms | < 100 ms |`,
      `| client side, idle: ModifyDBInstance --apply-immediately sent to the first new verified handshake presenting the new certificate completed, median / p90 / max (${idleVis.length} rotations) | ${fmt(median(idleVis))} / ${fmt(pct(idleVis, 90))} / ${fmt(idleVis[idleVis.length - 1]!)} ms | < 100 ms |`,
      `| API response when idle (after the swap: real handshake against the endpoint ${stepMedian('verifyMs')} ms, then recorded), median / max | ${fmt(median(idleApi))} / ${fmt(idleApi[idleApi.length - 1]!)} ms | - |`,
      `| server side under load, rotation start to new secure context, median / max | ${fmt(median(loadToSwap))} / ${fmt(loadToSwap[loadToSwap.length - 1]!)} ms | < 100 ms |`,
      `| client side under load, median / p90 / max (${vis.length} rotations, spare key ready) | ${fmt(median(vis))} / ${fmt(pct(vis, 90))} / ${fmt(vis[vis.length - 1]!)} ms | < 100 ms |`,
      `| under load, per target CA (median, finished) | ecc384 ${fmt(median(byFamily('tlsql-ca-ecc384-g1')))} ms, rsa4096 ${fmt(median(byFamily('tlsql-ca-rsa4096-g1')))} ms, rsa2048 ${fmt(median(byFamily('tlsql-ca-rsa2048-g1')))} ms | - |`,
      `| API response under load, median / max | ${fmt(median(api))} / ${fmt(api[api.length - 1]!)} ms | - |`,
      `| back-to-back rotations rsa4096 -> rsa2048 -> rsa4096 (the last one's prepared certificate and spare key may not be ready yet) | ${samples.slice(-3).map((x) => `${fmt(x.visibleMs)} ms`).join(', ')} | report |`,
      `| rotations that found a prepared certificate / had to issue one (all runs, incl. warm-up) | ${preparedUsed} / ${preparedMissed} | - |`,
      `| failed queries during all rotations | ${stats.failed} of ${stats.queries} | 0 |`,
      `| failed new connections / dropped pooled connections | ${stats.failedConnections} of ${stats.newConnections + stats.failedConnections} / ${stats.dropped} (pool opened ${stats.poolOpened} for 8 slots) | 0 / 0 |`,
      ``,
    ].join('\n');
    if (stats.errors.length) process.stderr.write(`errors: ${[...new Set(stats.errors)].slice(0, 5).join(' | ')}\n`);
    process.stdout.write(out + '\n');
  } finally {
    await s.stop();
    if (!process.env.TLSQL_KEEP_BENCH_DIR) await rm(s.dataDir, { recursive: true, force: true });
  }
}

await main();
