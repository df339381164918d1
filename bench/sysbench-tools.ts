/**
 * sysbench 1.0.20 from Debian, as the benchmarks drive it (sysbench.ts, replication.ts): installed
 * when missing, run in a directory holding its certificate files, its report parsed.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface RunResult {
  queries: number;
  qps: number;
  p95Ms: number;
  errors: number;
  reconnects: number;
}

/** Installs Debian's sysbench when it is missing (root only), and returns its version line. */
export function ensureSysbench(): string {
  const probe = () => spawnSync('sysbench', ['--version'], { encoding: 'utf8' });
  let v = probe();
  if (v.error) {
    if (process.getuid?.() !== 0) throw new Error('sysbench is not installed; run: sudo apt-get install -y sysbench');
    process.stderr.write('installing sysbench (apt-get install -y sysbench)\n');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () => spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'sysbench'], { stdio: 'inherit', env }).status === 0;
    // The package lists may be missing on a fresh machine: refresh them once and try again.
    if (!install() && !(spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env }).status === 0 && install())) throw new Error('apt-get install sysbench failed');
    v = probe();
    if (v.error) throw new Error(`sysbench still cannot run: ${v.error.message}`);
  }
  return v.stdout.trim();
}

/** Installed version of a Debian package, or "unknown". */
export function debVersion(pkg: string): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout ? r.stdout : 'unknown';
}

/** Runs sysbench in `cwd` (its certificate files are read from there); rejects with its output on failure. */
export function sysbench(cwd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sysbench', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    // 'close' comes after libuv reaped the child, so its CPU is already in this process's cutime/cstime.
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`sysbench ${args.join(' ')} exited ${code}:\n${out.split('\n').slice(-12).join('\n')}`))));
  });
}

/** The numbers of sysbench 1.0's report. */
export function parseSysbenchReport(out: string): RunResult {
  const num = (re: RegExp, what: string) => {
    const m = re.exec(out);
    if (!m) throw new Error(`sysbench report without ${what}:\n${out}`);
    return Number(m[1]);
  };
  return {
    queries: num(/^\s*queries:\s+(\d+)/m, 'queries'),
    qps: num(/^\s*queries:\s+\d+\s+\(([\d.]+) per sec\.\)/m, 'queries per second'),
    p95Ms: num(/^\s*95th percentile:\s+([\d.]+)/m, '95th percentile'),
    errors: num(/^\s*ignored errors:\s+(\d+)/m, 'ignored errors'),
    reconnects: num(/^\s*reconnects:\s+(\d+)/m, 'reconnects'),
  };
}

