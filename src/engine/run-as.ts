import { execFile } from 'node:child_process';
import { chmod, chown, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../errors/app-error.js';

const execFileP = promisify(execFile);

/** The OS account mariadbd runs as. */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
  /** tlsql runs as root: pass `--user=<user>` to mariadbd and chown what it must own. */
  dropPrivileges: boolean;
}

/**
 * Resolves the account mariadbd runs as. Default: `mysql` when tlsql is root (mariadbd refuses to
 * run as root), else the current user. A non-root tlsql can only run mariadbd as itself.
 */
export async function resolveRunAs(requested?: string): Promise<RunAs> {
  const isRoot = process.getuid?.() === 0;
  const me = process.getuid?.() ?? -1;
  const user = requested ?? (isRoot ? 'mysql' : (await idOf('-un', undefined)));
  const uid = Number(await idOf('-u', user));
  const gid = Number(await idOf('-g', user));
  if (!isRoot && uid !== me) {
    throw new AppError('ConfigInvalid', `engine runAsUser ${user}: tlsql must run as root to start mariadbd as another user`);
  }
  if (uid === 0) throw new AppError('ConfigInvalid', 'engine runAsUser must not be root: mariadbd refuses to run as root');
  return { user, uid, gid, dropPrivileges: isRoot };
}

async function idOf(flag: string, user: string | undefined): Promise<string> {
  try {
    const { stdout } = await execFileP('id', user === undefined ? [flag] : [flag, user]);
    return stdout.trim();
  } catch (cause) {
    throw new AppError('ConfigInvalid', `OS user ${user ?? '(current)'} not found for the engine (id ${flag} failed)`, { cause });
  }
}

/** Gives `path` to the run-as account when tlsql is root; no-op otherwise. */
export async function chownToRunAs(path: string, runAs: RunAs): Promise<void> {
  if (runAs.dropPrivileges) await chown(path, runAs.uid, runAs.gid);
}

function searchable(st: { uid: number; gid: number; mode: number }, runAs: RunAs): boolean {
  if (st.uid === runAs.uid) return (st.mode & 0o100) !== 0;
  if (st.gid === runAs.gid) return (st.mode & 0o010) !== 0;
  return (st.mode & 0o001) !== 0;
}

/**
 * mariadbd opens its files by path after dropping to the run-as account, so every directory
 * above an instance must be searchable by that account. `own` (tlsql's data dir and the dirs it
 * creates) are fixed by giving the run-as group search-only permission (no listing, so 0700
 * siblings such as `pki/` stay private); any other ancestor that blocks it is an error to fix by hand.
 */
export async function ensureSearchable(own: string[], runAs: RunAs): Promise<void> {
  if (!runAs.dropPrivileges) return;
  const ownSet = new Set(own);
  const checked = new Set<string>();
  for (const start of own) {
    for (let p = start; !checked.has(p); p = dirname(p)) {
      checked.add(p);
      const st = await stat(p);
      if (!searchable(st, runAs)) {
        if (!ownSet.has(p)) {
          throw new AppError('ConfigInvalid', `the engine runs as ${runAs.user}, which cannot reach ${p}: grant it search permission (chmod o+x or g+x for group ${runAs.gid}) or move the data dir`);
        }
        if (st.gid !== runAs.gid && st.uid !== runAs.uid) await chown(p, st.uid, runAs.gid);
        await chmod(p, (st.mode & 0o7777) | (st.uid === runAs.uid ? 0o100 : 0o010));
      }
      if (p === dirname(p)) break;
    }
  }
}
