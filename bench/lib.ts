import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { RDSClient } from '@aws-sdk/client-rds';

export const root = resolve(import.meta.dirname, '../..');

/** Percentile of a sorted array (nearest rank). */
export function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function median(xs: number[]): number {
  return pct([...xs].sort((a, b) => a - b), 50);
}

export function machine(): string {
  return `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
}

/** CPU time (user + system) a process has used so far, in ms. */
export function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

/**
 * Waits until a process has used under 2% of a core for a whole second: the server pre-generates
 * spare key pairs in the background after start-up and after each issuance (an RSA-4096 key is
 * 0.6–3 s of CPU), which would otherwise be measured as front door cost on a 2-core machine.
 */
export async function waitForQuiet(pid: number, timeoutMs = 60_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const a = cpuMs(pid);
    await new Promise((r) => setTimeout(r, 1000));
    if (cpuMs(pid) - a < 20) return;
  }
  throw new Error(`process ${pid} still busy after ${timeoutMs} ms`);
}

/** Polls the server's /metrics until `pattern`'s first group, as a number, satisfies `ok`. */
export async function waitForMetric(s: { apiUrl: string }, pattern: RegExp, ok: (n: number) => boolean, timeoutMs = 60_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    const text = await (await fetch(`${s.apiUrl}/metrics`)).text();
    const m = pattern.exec(text);
    if (m && ok(Number(m[1]))) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`metric ${pattern} not reached within ${timeoutMs} ms`);
}

export interface BenchServer {
  dataDir: string;
  child: ChildProcess;
  rds: RDSClient;
  apiUrl: string;
  stop(): Promise<void>;
}

/** Runs `tlsql server` in its own process so clients measured here never share its event loop. */
export async function startServer(
  apiPort: number,
  firstPort: number,
  existingDataDir?: string,
  opts: { logLevel?: 'debug' | 'info' | 'warn'; onLogLine?: (line: string) => void } = {},
): Promise<BenchServer> {
  const dataDir = existingDataDir ?? (await mkdtemp(join(os.tmpdir(), 'tlsql-bench-')));
  // BENCH_DATAPLANE_THREADS / BENCH_BUSY_POLL_MICROS set the native data plane's threads and busy polling.
  const frontDoor = {
    ...(process.env.BENCH_DATAPLANE_THREADS ? { dataplaneThreads: Number(process.env.BENCH_DATAPLANE_THREADS) } : {}),
    ...(process.env.BENCH_BUSY_POLL_MICROS ? { busyPollMicros: Number(process.env.BENCH_BUSY_POLL_MICROS) } : {}),
  };
  if (!existingDataDir) await writeFile(join(dataDir, 'config.json'), JSON.stringify({ api: { port: apiPort }, firstPort, lastPort: firstPort + 40, logLevel: opts.logLevel ?? 'warn', frontDoor }));
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server process.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  // BENCH_SERVER_STDOUT=<file> keeps the server's stdout (e.g. V8 traces from BENCH_SERVER_NODE_ARGS).
  const stdout = process.env.BENCH_SERVER_STDOUT ? openSync(process.env.BENCH_SERVER_STDOUT, 'w') : 'ignore';
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin/tlsql'), '--data-dir', dataDir, 'server'], {
    stdio: ['ignore', stdout, opts.onLogLine ? 'pipe' : 'inherit'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (opts.onLogLine) createInterface({ input: child.stderr! }).on('line', opts.onLogLine);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; ; i++) {
    if (await fetch(`${apiUrl}/health`).then((r) => r.ok, () => false)) break;
    if (i > 600) throw new Error('server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  const creds = JSON.parse(await readFile(join(dataDir, 'credentials.json'), 'utf8'));
  const rds = new RDSClient({ endpoint: apiUrl, region: 'us-east-1', credentials: creds, maxAttempts: 1 });
  return {
    dataDir,
    child,
    rds,
    apiUrl,
    async stop() {
      rds.destroy();
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

/** socat relaying loopback TCP `port` to `target` byte for byte (one process per connection), or null without socat. */
export async function startSocatRelay(port: number, target: number): Promise<ChildProcess | null> {
  try {
    execFileSync('socat', ['-V'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const child = spawn('socat', [`TCP-LISTEN:${port},bind=127.0.0.1,fork,reuseaddr,nodelay,backlog=512`, `TCP:127.0.0.1:${target},nodelay`], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port }, () => resolve(true));
      s.on('error', () => resolve(false));
      s.on('connect', () => s.destroy());
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 20));
  }
  child.kill();
  throw new Error('socat relay did not start');
}

/** CPU time (user + system) of a process and of its children it has reaped, in ms (socat forks one child per connection). */
export function cpuTreeMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 1000) / CLOCK_TICKS;
}
