/**
 * One owner per data dir (`tlsql server`, or `tlsql init`/`setup` while they initialise it): an
 * exclusive lock taken before anything else in the data dir is read or written. A second owner
 * learns which pid holds it and stops before touching anything.
 *
 * How: flock(2) (LOCK_EX | LOCK_NB, through the native addon: Node has no call for it) on
 * `server.lock` inside the data dir, opened close-on-exec so the mariadbd processes tlsql spawns
 * never hold it. The kernel drops the lock with the holder's last descriptor, which includes
 * `kill -9`, an OOM kill and a crash, so there is no stale lock to detect, unlike the alternatives:
 * - a pid file created with O_EXCL needs a liveness check of the pid in it after a crash, which a
 *   reused pid fools, and two starters that both find it stale can both remove it and both win;
 * - `proper-lockfile` (mkdir plus an mtime heartbeat) calls a lock stale after a timeout, so a
 *   restart after `kill -9` waits out the timeout, and a holder whose event loop stalls longer
 *   loses the lock while still running;
 * - a Linux abstract unix socket (what tlsql used before) is a name any local user can bind first,
 *   keeping every tlsql server off the data dir, and is scoped to one network namespace.
 * The lock file lives in the data dir (0700, ensureDataDir), so only its owner can open it; every
 * path to the directory (symlinks, `..`, bind mounts, containers sharing it as a volume on one
 * kernel) meets on the same file. The holder writes its pid into the file for the refused one to
 * report; what a crashed holder left there is overwritten by the next one and never trusted as a lock.
 */
import { constants } from 'node:fs';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { loadNativeBinding } from '../dataplane/native/native-binding.js';
import { AppError } from '../errors/app-error.js';

/** The lock file's name inside the data dir. */
export const DATA_DIR_LOCK_FILE = 'server.lock';

/** The lock of one data dir, held until `release()` or the end of the process. */
export interface DataDirLock {
  /** The lock file's path, for logs. */
  readonly path: string;
  release(): Promise<void>;
}

/** What the holder writes into the lock file for an owner that finds the lock taken. */
interface HolderInfo {
  pid: number;
  /** What holds it: `tlsql server`, or `tlsql init` (also for setup) while it initialises. */
  by?: string;
  dataDir: string;
  since: string;
}

/**
 * Takes the lock of `dataDir` (which must exist). Throws AppError `DataDirInUse` naming the pid of
 * the process that holds it; nothing else in the data dir is read or written either way.
 */
export async function lockDataDir(dataDir: string, now: Date = new Date(), by = 'tlsql server'): Promise<DataDirLock> {
  const native = loadNativeBinding();
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  // Node opens with O_CLOEXEC; O_NOFOLLOW: the lock is this file, not what a symlink points at.
  const file: FileHandle = await open(path, constants.O_RDWR | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  let locked: boolean;
  try {
    locked = native.tryLockExclusive(file.fd);
  } catch (e) {
    await file.close();
    throw e;
  }
  if (!locked) {
    await file.close();
    const holder = await readHolder(path);
    const who = holder ? `${holder.by ?? 'tlsql server'} pid ${holder.pid} (running since ${holder.since})` : 'another tlsql process (its pid could not be read)';
    throw new AppError('DataDirInUse', `data dir ${dataDir} is in use by ${who}; stop it first, or use another --data-dir`, {
      details: { pid: holder?.pid ?? null, dataDir },
    });
  }
  const info: HolderInfo = { pid: process.pid, by, dataDir, since: now.toISOString() };
  await file.truncate(0);
  await file.write(JSON.stringify(info) + '\n', 0, 'utf8');
  return {
    path,
    // Closing the descriptor drops the lock; the file stays (removing it would let a process that
    // opened the old file and one that creates a new one both hold "the" lock).
    release: () => file.close(),
  };
}

/** The holder's pid from the lock file; null when it has not written it yet, or it is not ours. */
async function readHolder(path: string): Promise<HolderInfo | null> {
  try {
    const text = await readFile(path, { encoding: 'utf8', flag: constants.O_RDONLY | constants.O_NOFOLLOW });
    const v = JSON.parse(text.slice(0, 4096)) as HolderInfo;
    return Number.isInteger(v.pid) ? v : null;
  } catch {
    return null;
  }
}
