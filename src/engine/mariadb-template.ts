import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { RowDataPacket } from 'mysql2/promise';
import { AppError, wrap } from '../errors/app-error.js';
import type { Logger } from '../lib/logger.js';
import { connectSocket, killNow, spawnMariadbd, tailFile, terminate, waitForReady } from './mariadb-process.js';
import { ADMIN_HOST, ADMIN_USER } from './admin-account.js';
import { chownToRunAs, type RunAs } from './run-as.js';
import { identifiedByPassword, quoteAccount } from './sql-quote.js';
import { cataloguePath, mariadbdVersionLine, readCachedCatalogue, readVariableCatalogue, writeVariableCatalogue, type EngineVariableCatalogue } from './variable-catalogue.js';

const execFileP = promisify(execFile);

/** Kept from mariadb-install-db: a locked account that owns the views of the `mysql` schema. */
const SYSTEM_ACCOUNTS = [{ user: 'mariadb.sys', host: 'localhost' }];

export interface TemplateOptions {
  /** `<dataDir>/templates`. */
  templatesDir: string;
  version: string;
  mariadbd: string;
  installDb: string;
  runAs: RunAs;
  logger: Logger;
  /** Deadline for the hardening server to get ready. Default 30 s. */
  readyTimeoutMs?: number;
}

/** Path of the template datadir for `version` (exists once `ensureTemplate` has finished). */
export function templatePath(templatesDir: string, version: string): string {
  return join(templatesDir, `mariadb-${version}`);
}

/**
 * Builds the hardened datadir template for one engine version, once. Safe against concurrent
 * builders (other tlsql processes included): each builds in its own temp dir and renames it into
 * place; a loser throws its copy away. A crashed build leaves a `.build-*` dir, removed by a later
 * build once it is an hour old.
 *
 * The template has no login account but the internal admin (`admin-account.ts`; ALL PRIVILEGES
 * WITH GRANT OPTION, locked, throwaway password) and the locked system account `mariadb.sys@localhost`.
 */
export async function ensureTemplate(o: TemplateOptions): Promise<string> {
  const target = templatePath(o.templatesDir, o.version);
  if (await isDir(target)) return target;
  await mkdir(o.templatesDir, { recursive: true, mode: 0o750 });
  await removeStaleBuilds(o.templatesDir, o.logger);
  const work = await mkdtemp(join(o.templatesDir, `.build-mariadb-${o.version}-`));
  const started = Date.now();
  try {
    await chownToRunAs(work, o.runAs);
    const data = join(work, 'data');
    // Its own tmpdir: a mariadbd starting elsewhere deletes #sql* files in a shared /tmp,
    // which made concurrent bootstraps fail ("Error on delete of '/tmp/#sql-temptable-...'").
    const tmp = join(work, 'tmp');
    await mkdir(tmp, { mode: 0o700 });
    await chownToRunAs(tmp, o.runAs);
    await installDb(o, data, tmp);
    await harden(o, work, data, tmp, await mariadbdVersionLine(o.mariadbd));
    try {
      await rename(data, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if ((code !== 'ENOTEMPTY' && code !== 'EEXIST') || !(await isDir(target))) throw e;
      o.logger.info('engine template built concurrently elsewhere; using that one', { version: o.version });
    }
    o.logger.info('engine template ready', { version: o.version, path: target, buildMs: Date.now() - started });
    return target;
  } catch (e) {
    throw wrap(e, `building the MariaDB ${o.version} template`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

async function removeStaleBuilds(templatesDir: string, logger: Logger): Promise<void> {
  const hourAgo = Date.now() - 3600_000;
  for (const name of await readdir(templatesDir)) {
    if (!name.startsWith('.build-')) continue;
    const p = join(templatesDir, name);
    const st = await stat(p).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null; // a concurrent build just finished
      throw e;
    });
    if (st !== null && st.mtimeMs < hourAgo) {
      logger.warn('removing an abandoned engine template build', { path: p });
      await rm(p, { recursive: true, force: true });
    }
  }
}

async function installDb(o: TemplateOptions, data: string, tmp: string): Promise<void> {
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--tmpdir=${tmp}`, // passed through to mariadbd --bootstrap
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    // The default 96 MiB redo log makes each copy 113 MB; 8 MiB makes it 26 MB.
    '--innodb-log-file-size=8M',
  ];
  if (o.runAs.dropPrivileges) args.push(`--user=${o.runAs.user}`);
  try {
    await execFileP(o.installDb, args, { cwd: tmp, maxBuffer: 4 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    const out = `${err.stdout ?? ''}\n${err.stderr ?? ''}`.trim().split('\n').slice(-20).join('\n');
    throw new AppError('InternalFailure', `mariadb-install-db failed: ${err.message}\n${out}`, { cause: e, expose: false });
  }
}

/**
 * The server variable catalogue of the installed engine (variable-catalogue.ts), cached beside the
 * template and keyed by `mariadbd --version`. Building the template reads it for free (its server
 * runs anyway); a template built before, or a package upgraded since, is read from a throw-away
 * copy of the template on a private socket (no network, no grant tables), once.
 */
export async function ensureCatalogue(o: TemplateOptions): Promise<EngineVariableCatalogue> {
  const versionLine = await mariadbdVersionLine(o.mariadbd);
  const path = cataloguePath(o.templatesDir, o.version);
  const template = await ensureTemplate(o);
  const cached = await readCachedCatalogue(path, versionLine);
  if (cached) return cached;
  const started = Date.now();
  const work = await mkdtemp(join(o.templatesDir, `.build-catalogue-${o.version}-`));
  try {
    await chownToRunAs(work, o.runAs);
    const data = join(work, 'data');
    await execFileP('cp', ['-a', template, data]);
    const tmp = join(work, 'tmp');
    await mkdir(tmp, { mode: 0o700 });
    await chownToRunAs(tmp, o.runAs);
    let cat: EngineVariableCatalogue | null = null;
    await runPrivateServer(o, work, data, tmp, ['skip-grant-tables'], { user: 'root', password: '' }, async (socketPath) => {
      const conn = await connectSocket({ socketPath, user: 'root', password: '' });
      try {
        cat = await readVariableCatalogue(conn, versionLine);
      } finally {
        await conn.end().catch(() => conn.destroy());
      }
    });
    await writeVariableCatalogue(path, cat!);
    o.logger.info('engine variable catalogue read', { version: o.version, variables: cat!.variables.length, ms: Date.now() - started });
    return cat!;
  } catch (e) {
    throw wrap(e, `reading the server variables of MariaDB ${o.version}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Runs the new datadir once on a private socket to replace the default accounts (and read the variable catalogue). */
async function harden(o: TemplateOptions, work: string, data: string, tmp: string, versionLine: string): Promise<void> {
  await runPrivateServer(o, work, data, tmp, [], { user: 'root', password: '' }, async (socketPath) => {
    const conn = await connectSocket({ socketPath, user: 'root', password: '' });
    try {
      const t0 = Date.now();
      await writeVariableCatalogue(cataloguePath(o.templatesDir, o.version), await readVariableCatalogue(conn, versionLine));
      o.logger.info('engine variable catalogue read while building the template', { version: o.version, ms: Date.now() - t0 });
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
    await replaceAccounts(socketPath);
  });
}

/** Starts mariadbd on `data` with a private socket and no networking, runs `fn`, shuts it down cleanly. */
async function runPrivateServer(
  o: TemplateOptions,
  work: string,
  data: string,
  tmp: string,
  extra: string[],
  login: { user: string; password: string },
  fn: (socketPath: string) => Promise<void>,
): Promise<void> {
  const run = join(work, 'run');
  await mkdir(run, { mode: 0o700 });
  await chownToRunAs(run, o.runAs);
  const socketPath = join(run, 'mysqld.sock');
  const errorLog = join(run, 'error.log');
  const myCnf = join(work, 'my.cnf');
  await writeFile(
    myCnf,
    [
      '[mariadbd]',
      `datadir = ${data}`,
      `socket = ${socketPath}`,
      `pid-file = ${join(run, 'mysqld.pid')}`,
      `log-error = ${errorLog}`,
      `tmpdir = ${tmp}`,
      'skip-networking',
      'skip-log-bin',
      'innodb-log-file-size = 8M',
      'innodb-buffer-pool-size = 16M',
      'performance-schema = OFF',
      ...extra,
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  const proc = await spawnMariadbd({ mariadbd: o.mariadbd, myCnf, runAs: o.runAs, stderrLog: join(run, 'stderr.log') });
  try {
    // Fresh from mariadb-install-db, root@localhost has an empty password.
    await waitForReady({
      proc,
      socketPath,
      user: login.user,
      password: login.password,
      timeoutMs: o.readyTimeoutMs ?? 30_000,
      explain: () => tailFile(errorLog, 20),
    });
    await fn(socketPath);
  } catch (e) {
    await killNow(proc);
    throw e;
  }
  // A template copied into every instance must come from a clean shutdown (no crash recovery).
  const { exit } = await terminate(proc, 60_000);
  if (exit.exitCode !== 0) {
    throw new AppError('InternalFailure', `template server did not shut down cleanly (code ${exit.exitCode}, signal ${exit.signal}):\n${await tailFile(errorLog, 20)}`, { expose: false });
  }
}

async function replaceAccounts(socketPath: string): Promise<void> {
  const conn = await connectSocket({ socketPath, user: 'root', password: '' });
  try {
    const admin = quoteAccount(ADMIN_USER, ADMIN_HOST);
    // A throwaway password and ACCOUNT LOCK: nobody can use the template's admin account;
    // each instance sets its own password and unlocks it on first start.
    await conn.query(`CREATE USER ${admin} ${identifiedByPassword(randomBytes(32).toString('base64'))} ACCOUNT LOCK`);
    await conn.query(`GRANT ALL PRIVILEGES ON *.* TO ${admin} WITH GRANT OPTION`);
    const [rows] = await conn.query<RowDataPacket[]>('SELECT User AS user, Host AS host FROM mysql.global_priv');
    const keep = [...SYSTEM_ACCOUNTS, { user: ADMIN_USER, host: ADMIN_HOST }];
    for (const r of rows) {
      const user = String(r.user);
      const host = String(r.host);
      if (keep.some((k) => k.user === user && k.host === host)) continue;
      // root@localhost, root@127.0.0.1, root@::1, root@<hostname>, ''@... if any. This session
      // keeps its privileges after dropping its own account.
      await conn.query(`DROP USER ${quoteAccount(user, host)}`);
    }
  } finally {
    await conn.end().catch(() => conn.destroy());
  }
}
