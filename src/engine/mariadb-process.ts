import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { open, readFile, readdir } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { basename } from 'node:path';
import { createConnection, type Connection } from 'mysql2/promise';
import { AppError } from '../errors/app-error.js';
import type { RunAs } from './run-as.js';

/** How a process ended. Both null when an adopted process vanished (its status went to its real parent). */
export interface ProcessExit {
  exitCode: number | null;
  signal: string | null;
}

/** A running mariadbd, either spawned by this tlsql process or adopted from a previous one. */
export interface EngineProcess {
  readonly pid: number;
  /** Resolves once the process is gone. Never rejects. */
  readonly exited: Promise<ProcessExit>;
  /** Sends `signal`; ignores a process that is already gone. */
  kill(signal: NodeJS.Signals): void;
}

export interface SpawnOptions {
  mariadbd: string;
  /** `--defaults-file` for the server; it also stops mariadbd reading /etc/mysql and ~/.my.cnf. */
  myCnf: string;
  runAs: RunAs;
  /** Appended to, for messages written before mariadbd opens its error log (bad options, say). */
  stderrLog: string;
  /** One-shot `--init-file`, run with full privileges before connections are accepted. */
  initFile?: string;
  /** Server variables given on the command line (`--max-connections=150`), validated by the caller. */
  serverVariables?: Readonly<Record<string, string>>;
  /**
   * `server_id`, unique among the engines of this host (replication tells its peers apart by it);
   * with it the engine writes binary logs (BINLOG_ARGS). Absent (the template build): no binary log.
   */
  serverId?: number;
}

/** A server_id from an engine instance id: 1 to 2^32-1, the same at every start (sha256, so two ids collide with odds of 1 in 4 billion). */
export function serverIdFor(engineId: string): number {
  return (createHash('sha256').update(engineId).digest().readUInt32BE(0) % 0xffff_fffe) + 1;
}

/**
 * Binary log settings every engine runs with, so any instance can be the source of a read replica
 * or the primary of a Multi-AZ pair (docs/replication.md): GTIDs, file names that do not depend on
 * the host name, replicated changes logged too (a replica can have replicas, a promoted standby
 * serves its new standby), and a day of retention. On the command line rather than in my.cnf
 * (written once, at provision) so that instances provisioned before replication existed get them.
 * A parameter group's values come later on the command line and win where a group may set them.
 */
export const BINLOG_ARGS: readonly string[] = [
  '--log-bin=mariadb-bin',
  '--log-bin-index=mariadb-bin.index',
  '--relay-log=relay-bin',
  '--relay-log-index=relay-bin.index',
  '--log-slave-updates=ON',
  '--binlog-expire-logs-seconds=86400',
  '--max-binlog-size=67108864',
];

/**
 * Starts mariadbd in its own session (detached) with output to a file, so it outlives a tlsql
 * crash and can be adopted by the next tlsql process; unref'd so it never holds tlsql's event loop open.
 */
export async function spawnMariadbd(opts: SpawnOptions): Promise<EngineProcess> {
  // --defaults-file must come first on the command line.
  const args = [`--defaults-file=${opts.myCnf}`];
  if (opts.runAs.dropPrivileges) args.push(`--user=${opts.runAs.user}`);
  if (opts.initFile !== undefined) args.push(`--init-file=${opts.initFile}`);
  // Only the front door and tlsql's admin client reach the socket, and the front door bounds every
  // login itself (frontDoor.handshakeTimeoutMs, dataplane/session.ts), answering the client with a
  // MySQL error; the engine's own bound stays far above it so that answer is the one clients see.
  // On the command line rather than in my.cnf (written once, at provision) so that every instance
  // gets it.
  args.push('--connect-timeout=3600');
  if (opts.serverId !== undefined) args.push(...BINLOG_ARGS, `--server-id=${opts.serverId}`);
  // The parameter group's values, after everything else so they win over my.cnf and the defaults above.
  for (const [name, value] of Object.entries(opts.serverVariables ?? {})) args.push(`--${name.replaceAll('_', '-')}=${value}`);
  const out = openSync(opts.stderrLog, 'a', 0o640);
  try {
    const child = spawn(opts.mariadbd, args, { detached: true, stdio: ['ignore', out, out] });
    const exited = new Promise<ProcessExit>((resolve) => {
      child.once('exit', (exitCode, signal) => resolve({ exitCode, signal }));
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('spawn', () => resolve(child.pid as number));
      child.once('error', (e) => reject(new AppError('InternalFailure', `cannot start ${opts.mariadbd}: ${e.message}`, { cause: e, expose: false })));
    });
    child.unref();
    return {
      pid,
      exited,
      kill: (signal) => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
    };
  } finally {
    closeSync(out);
  }
}

/**
 * Asks the process to shut down cleanly (SIGTERM) and waits up to `timeoutMs`, then SIGKILLs it.
 * Resolves once it is gone.
 */
export async function terminate(proc: EngineProcess, timeoutMs: number): Promise<{ exit: ProcessExit; killed: boolean }> {
  proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), timeoutMs);
  });
  const exit = await Promise.race([proc.exited, timedOut]);
  clearTimeout(timer);
  if (exit !== null) return { exit, killed: false };
  await killNow(proc);
  return { exit: await proc.exited, killed: true };
}

/** SIGKILL, then resolves once the process is gone. */
export async function killNow(proc: EngineProcess): Promise<void> {
  proc.kill('SIGKILL');
  await proc.exited;
}

/** /proc/<pid>/stat fields we rely on: state letter and start time (clock ticks since boot). */
async function procStat(pid: number): Promise<{ state: string; startTime: string } | null> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null; // gone (ENOENT/ESRCH): the answer we were asking for
  }
  // The command name in field 2 may contain spaces and parentheses: split after the last ')'.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = rest[0] ?? '?';
  const startTime = rest[19] ?? '';
  return { state, startTime };
}

function alive(st: { state: string } | null): boolean {
  return st !== null && st.state !== 'Z' && st.state !== 'X' && st.state !== 'x';
}

/** True when `pid` is a live mariadbd started with exactly this `--defaults-file`. */
async function isOurMariadbd(pid: number, myCnf: string): Promise<boolean> {
  let cmdline: string;
  try {
    cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return false;
  }
  const argv = cmdline.split('\0');
  const exe = basename(argv[0] ?? '');
  return (exe === 'mariadbd' || exe === 'mysqld') && argv[1] === `--defaults-file=${myCnf}` && alive(await procStat(pid));
}

/**
 * Finds a mariadbd still running for this instance (left by a previous tlsql process): the pid
 * file first, then a scan of /proc, since the pid file may be missing or stale. Matching the
 * `--defaults-file` argument guards against a recycled pid.
 */
export async function findMariadbd(pidFile: string, myCnf: string): Promise<number | null> {
  const fromFile = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(fromFile) && fromFile > 0 && (await isOurMariadbd(fromFile, myCnf))) return fromFile;
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (pid !== fromFile && (await isOurMariadbd(pid, myCnf))) return pid;
  }
  return null;
}

/**
 * Watches a mariadbd that is not our child. Its exit status goes to its real parent, so its end
 * is noticed by polling /proc every `pollMs`; a different start time means the pid was recycled.
 */
export async function adoptProcess(pid: number, pollMs = 250): Promise<EngineProcess> {
  const first = await procStat(pid);
  if (!alive(first)) throw new AppError('InternalFailure', `process ${pid} is gone`, { expose: false });
  const startTime = first!.startTime;
  let gone = false;
  const exited = new Promise<ProcessExit>((resolve) => {
    const timer = setInterval(() => {
      void procStat(pid).then((st) => {
        if (gone || (alive(st) && st!.startTime === startTime)) return;
        gone = true;
        clearInterval(timer);
        resolve({ exitCode: null, signal: null });
      });
    }, pollMs);
    timer.unref();
  });
  return {
    pid,
    exited,
    kill: (signal) => {
      if (gone) return;
      try {
        process.kill(pid, signal);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    },
  };
}

/**
 * The last `lines` lines of a log file, for error messages. Any of `secrets` found in them is
 * replaced, so a message built from a log never carries a password or hash.
 */
export async function tailFile(path: string, lines: number, secrets: string[] = []): Promise<string> {
  let text: string;
  try {
    const fh = await open(path, 'r');
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 16 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      text = buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return `(no ${basename(path)})`;
  }
  let tail = text.trimEnd().split('\n').slice(-lines).join('\n');
  for (const s of secrets) if (s.length > 0) tail = tail.split(s).join('[redacted]');
  return tail;
}

export interface ReadyOptions extends SocketLogin {
  proc: EngineProcess;
  /** Overall deadline. */
  timeoutMs: number;
  /** Poll interval. Default 25 ms (mariadbd is usually ready in 0.2–0.4 s). */
  intervalMs?: number;
  /** Builds the error message tail (say, the end of error.log) when the server never gets ready. */
  explain: () => Promise<string>;
}

export interface SocketLogin {
  socketPath: string;
  user: string;
  password: string;
  /** Written before the MySQL handshake (the internal admin's PROXY header). Default: none. */
  proxyHeader?: Buffer;
  /** Default 10 000 ms. */
  connectTimeoutMs?: number;
}

/** Opens a connection over the unix socket, without TLS (a unix socket needs none). */
export async function connectSocket(o: SocketLogin): Promise<Connection> {
  const common = { user: o.user, password: o.password, multipleStatements: false, connectTimeout: o.connectTimeoutMs ?? 10_000 };
  if (o.proxyHeader === undefined) return createConnection({ ...common, socketPath: o.socketPath });
  const header = o.proxyHeader;
  const stream = await new Promise<Socket>((resolve, reject) => {
    const s = netConnect(o.socketPath, () => {
      s.write(header);
      resolve(s);
    });
    // Stays attached: an engine that goes away right after accepting (a restart) fails the header's
    // write before mysql2 has its own listeners; the login then fails on the closed stream instead
    // of the error ending the process. Before the connect it rejects (a later reject is a no-op).
    s.on('error', reject);
  });
  return createConnection({ ...common, stream });
}

/**
 * Waits until the socket accepts connections and `SELECT 1` works for the login, polling with short
 * intervals. Fails early if the process exits, and at the deadline, with the log tail from `explain`.
 */
export async function waitForReady(o: ReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let exit: ProcessExit | null = null;
  void o.proc.exited.then((e) => {
    exit = e;
  });
  let lastError = 'no attempt';
  for (;;) {
    if (exit !== null) {
      const e: ProcessExit = exit;
      throw new AppError('InternalFailure', `mariadbd exited during start (code ${e.exitCode}, signal ${e.signal}):\n${await o.explain()}`, { expose: false });
    }
    try {
      const conn = await connectSocket({ ...o, connectTimeoutMs: Math.max(1000, deadline - Date.now()) });
      try {
        await conn.query('SELECT 1');
        return;
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    } catch (e) {
      const err = e as { code?: string; message?: string };
      lastError = err.code ?? err.message ?? String(e);
    }
    if (Date.now() >= deadline) {
      throw new AppError('InternalFailure', `mariadbd not ready after ${o.timeoutMs} ms (last error ${lastError}):\n${await o.explain()}`, { expose: false });
    }
    await new Promise((r) => setTimeout(r, o.intervalMs ?? 25));
  }
}
