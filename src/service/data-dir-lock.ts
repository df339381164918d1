/**
 * One `tlsql server` per data dir: an exclusive lock taken before anything in the data dir is read
 * or written. A second server learns which pid holds it and stops before touching anything.
 *
 * How: the holder binds a Linux abstract unix socket named after the data dir's device and inode
 * (`\0tlsql-data-dir/<dev>/<ino>`). The kernel allows one bind per name and frees the name when
 * the holder's last descriptor closes, which includes `kill -9`, an OOM kill and a crash. So there
 * is no stale lock to detect, unlike the alternatives Node offers without native code:
 * - a pid file created with O_EXCL needs a liveness check of the pid in it after a crash, which a
 *   reused pid fools, and two starters that both find it stale can both remove it and both win;
 * - `proper-lockfile` (mkdir plus an mtime heartbeat) calls a lock stale after a timeout, so a
 *   restart after `kill -9` waits out the timeout, and a holder whose event loop stalls longer
 *   loses the lock while still running.
 * Naming the socket after device and inode rather than the path makes every path to the same
 * directory (symlinks, `..`, bind mounts) meet on one lock. Scope: abstract sockets belong to a
 * network namespace, so two servers in different network namespaces (containers) sharing one data
 * dir over a volume are not excluded; run one server per data dir there (docs/lifecycle.md).
 * The descriptor is close-on-exec, so the mariadbd processes tlsql spawns never hold the lock.
 */
import { stat } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';
import { AppError } from '../errors/app-error.js';

/** The lock of one data dir, held until `release()` or the end of the process. */
export interface DataDirLock {
  /** The abstract socket name (without the leading NUL), for logs. */
  readonly name: string;
  release(): Promise<void>;
}

/** What the holder tells a server that finds the lock taken. */
interface HolderInfo {
  pid: number;
  dataDir: string;
  since: string;
}

/**
 * Takes the lock of `dataDir` (which must exist). Throws AppError `DataDirInUse` naming the pid of
 * the server that holds it; nothing is read from or written to the data dir either way.
 */
export async function lockDataDir(dataDir: string, now: Date = new Date()): Promise<DataDirLock> {
  const st = await stat(dataDir, { bigint: true });
  const name = `tlsql-data-dir/${st.dev}/${st.ino}`;
  const info: HolderInfo = { pid: process.pid, dataDir, since: now.toISOString() };
  const server = createServer((socket) => {
    // Whoever connects is a server that found the lock taken: tell it who holds it.
    socket.on('error', () => socket.destroy());
    socket.end(JSON.stringify(info) + '\n');
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: `\0${name}`, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    server.close();
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    const holder = await askHolder(name);
    const who = holder ? `tlsql server pid ${holder.pid} (running since ${holder.since})` : 'another tlsql server (its pid could not be read)';
    throw new AppError('DataDirInUse', `data dir ${dataDir} is in use by ${who}; stop it first, or use another --data-dir`, {
      details: { pid: holder?.pid ?? null, dataDir },
    });
  }
  // The lock must not keep the process alive on its own.
  server.unref();
  server.on('error', () => {});
  return {
    name,
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Reads the holder's pid from the lock socket; null when it does not answer within 2 s. */
function askHolder(name: string): Promise<HolderInfo | null> {
  return new Promise((resolve) => {
    let data = '';
    const socket = createConnection({ path: `\0${name}` });
    const done = (v: HolderInfo | null) => {
      socket.destroy();
      resolve(v);
    };
    socket.setTimeout(2000, () => done(null));
    socket.on('data', (d: Buffer) => {
      data += d.toString('utf8');
      if (data.length > 4096) done(null);
    });
    socket.on('end', () => {
      try {
        const v = JSON.parse(data) as HolderInfo;
        done(Number.isInteger(v.pid) ? v : null);
      } catch {
        // Not our format: someone else's socket by that name, or a holder cut off mid-answer.
        done(null);
      }
    });
    socket.on('error', () => done(null));
  });
}
