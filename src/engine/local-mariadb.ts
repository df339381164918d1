import { execFile } from 'node:child_process';
import { X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { constants as fsConstants } from 'node:fs';
import { access, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { AppError, wrap } from '../errors/app-error.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { KeyedLock } from '../lib/keyed-lock.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { readSealedFile, writePrivateFile, writeSealedFile } from '../pki/key-store.js';
import type { Engine, EngineInstanceSpec, EngineState, EngineStateEvent, EngineTls, EngineTlsUpdate } from './engine.js';
import { MAX_SOCKET_PATH_BYTES, instanceLayout, renderMyCnf, type InstanceLayout } from './mariadb-config.js';
import {
  adoptProcess,
  connectSocket,
  findMariadbd,
  killNow,
  serverIdFor,
  spawnMariadbd,
  tailFile,
  terminate,
  waitForReady,
  type EngineProcess,
  type ProcessExit,
  type SocketLogin,
} from './mariadb-process.js';
import { ADMIN_HOST, ADMIN_PROXY_HEADER, ADMIN_USER } from './admin-account.js';
import { ensureCatalogue, ensureTemplate } from './mariadb-template.js';
import type { EngineVariableCatalogue } from './variable-catalogue.js';
import { chownToRunAs, ensureSearchable, resolveRunAs, type RunAs } from './run-as.js';
import { identifiedByPassword, quoteAccount, quoteString, resetSqlModeStatement } from './sql-quote.js';
import { BACKUP_USER, changeMasterStatements, channelFiles, endReplication, readReplicaStatus, takeBackup, type ReplicaStatus, type ReplicationChannel } from './replication.js';

const execFileP = promisify(execFile);

export interface LocalMariadbEngineOptions {
  /** tlsql's data dir. Instances live in `<dataDir>/instances/<id>`, templates in `<dataDir>/templates/mariadb-<version>`. */
  dataDir: string;
  /** 32-byte service master key; seals each instance's internal admin password. */
  masterKey: Buffer;
  /** From `LocalMariadbEngine.detect()`. */
  version: string;
  mariadbd: string;
  installDb: string;
  /** Default: the system clock. Used for uptime (backoff reset) and timestamps. */
  clock?: Clock;
  logger?: Logger;
  /** OS account mariadbd runs as. Default `mysql` when tlsql runs as root, else the current user. */
  runAsUser?: string;
  /** First delay before restarting a crashed mariadbd; doubles per consecutive crash. Default 500 ms. */
  restartBackoffMs?: number;
  /** Longest restart delay. Default 30 000 ms. */
  maxRestartBackoffMs?: number;
  /** Uptime after which the restart delay goes back to `restartBackoffMs`. Default 60 000 ms. */
  stableAfterMs?: number;
  /** Deadline for mariadbd to answer after it is spawned. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** Wait for a clean shutdown after SIGTERM before SIGKILL. Default 60 000 ms. */
  stopTimeoutMs?: number;
  /** `mariadb-backup`, which seeds replicas and standbys. Default `/usr/bin/mariadb-backup`. */
  mariadbBackup?: string;
}

/** What `detect()` found. */
export interface DetectedMariadb {
  /** e.g. `10.11.19`. */
  version: string;
  mariadbd: string;
  installDb: string;
}

/**
 * Server variables whose command-line option has another name, or that `information_schema`
 * lists without one although mariadbd takes it (tlsql's my.cnf sets both character set ones).
 */
const COMMAND_LINE_ALIASES: Readonly<Record<string, string>> = {
  time_zone: 'default_time_zone',
  character_set_server: 'character_set_server',
  collation_server: 'collation_server',
};

const INSTALL_HINT = 'apt-get install -y mariadb-server mariadb-client';
/** An instance id (1-63 characters), or a Multi-AZ standby's `<id>_b`. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,65}$/;
/** Account names tlsql needs for itself (or MariaDB reserves); a master user cannot take them. */
const RESERVED_USERS = new Set([ADMIN_USER, BACKUP_USER, 'mariadb.sys', 'public']);
/** Replication accounts tlsql creates on sources (control/replication.ts) start with this. */
export const REPLICATION_USER_PREFIX = 'tlsql_repl_';
/**
 * What the master user does not get of ALL PRIVILEGES, as on RDS, whose master user has no SUPER
 * either (server variables are a parameter group's): writing despite read_only on a read replica
 * or standby, pointing an engine at another source (CHANGE MASTER, START/STOP SLAVE), skipping or
 * replaying the binary log (a Multi-AZ standby and the replicas must see every change), purging
 * it. MariaDB 10.11's SUPER still allows all of those, so it goes too.
 */
export const MASTER_USER_WITHHELD = ['SUPER', 'READ_ONLY ADMIN', 'REPLICATION SLAVE ADMIN', 'BINLOG ADMIN', 'BINLOG REPLAY'] as const;

interface Instance {
  id: string;
  layout: InstanceLayout;
  state: EngineState;
  proc: EngineProcess | null;
  /** The desired state: running, unless stop()/destroy() was called. The supervisor only restarts wanted instances. */
  wanted: boolean;
  /** Delay before the next restart after a crash. */
  backoffMs: number;
  /** Clock time (ms) at which it last became ready; for the backoff reset. */
  runningSinceMs: number;
  restartTimer: NodeJS.Timeout | null;
  adminPassword: string | null;
  /** Server variables every start passes and adoption sets (setServerVariables). */
  variables: Readonly<Record<string, string>>;
}

/** Written last by provision; also records what the datadir was made with. */
interface InstanceMeta {
  engine: 'mariadb';
  engineVersion: string;
  provisionedAt: string;
}

/**
 * One private mariadbd per DB instance on this host: unix socket only (0700 dir), PROXY protocol
 * accepted from the socket, TLS files of the instance, small memory settings. Supervises each
 * process: an exit without `stop()` is a crash, followed by a restart with exponential backoff.
 */
export class LocalMariadbEngine implements Engine {
  readonly version: string;
  private readonly dataDir: string;
  private readonly instancesDir: string;
  private readonly templatesDir: string;
  private readonly masterKey: Buffer;
  private readonly mariadbd: string;
  private readonly installDb: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly runAsUser: string | undefined;
  private readonly restartBackoffMs: number;
  private readonly maxRestartBackoffMs: number;
  private readonly stableAfterMs: number;
  private readonly readyTimeoutMs: number;
  private readonly stopTimeoutMs: number;
  private readonly mariadbBackup: string;
  private readonly events = new EventEmitter();
  private readonly instances = new Map<string, Instance>();
  /** Serialises provision/start/stop/restart/replaceTls on one instance (by id). */
  private readonly operations = new KeyedLock();
  private runAsPromise: Promise<RunAs> | null = null;
  private templatePromise: Promise<string> | null = null;
  private cataloguePromise: Promise<EngineVariableCatalogue> | null = null;
  /** Names of the engine's read-only (static) variables: set on the command line only, never by SET GLOBAL. */
  private staticVariables: ReadonlySet<string> = new Set();

  /**
   * Finds mariadbd and mariadb-install-db and the server version. Default paths
   * `/usr/sbin/mariadbd` and `/usr/bin/mariadb-install-db`.
   * @throws AppError `EngineNotInstalled` naming the apt command to run.
   */
  static async detect(opts: { mariadbd?: string; installDb?: string } = {}): Promise<DetectedMariadb> {
    const mariadbd = opts.mariadbd ?? '/usr/sbin/mariadbd';
    const installDb = opts.installDb ?? '/usr/bin/mariadb-install-db';
    for (const p of [mariadbd, installDb]) {
      try {
        await access(p, fsConstants.X_OK);
      } catch (cause) {
        throw new AppError('EngineNotInstalled', `MariaDB is not installed (${p} not found or not executable); install it with: ${INSTALL_HINT}`, { cause });
      }
    }
    let out: string;
    try {
      out = (await execFileP(mariadbd, ['--version'])).stdout;
    } catch (cause) {
      throw new AppError('EngineNotInstalled', `${mariadbd} --version failed; reinstall MariaDB with: ${INSTALL_HINT}`, { cause });
    }
    const m = /Ver\s+(\d+\.\d+\.\d+)-MariaDB/.exec(out);
    if (!m?.[1]) throw new AppError('EngineNotInstalled', `${mariadbd} is not a MariaDB server (${out.trim()}); install it with: ${INSTALL_HINT}`);
    return { version: m[1], mariadbd, installDb };
  }

  constructor(opts: LocalMariadbEngineOptions) {
    this.version = opts.version;
    this.dataDir = resolve(opts.dataDir);
    this.instancesDir = join(this.dataDir, 'instances');
    this.templatesDir = join(this.dataDir, 'templates');
    this.masterKey = opts.masterKey;
    this.mariadbd = opts.mariadbd;
    this.installDb = opts.installDb;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'engine', engineVersion: opts.version });
    this.runAsUser = opts.runAsUser;
    this.restartBackoffMs = opts.restartBackoffMs ?? 500;
    this.maxRestartBackoffMs = opts.maxRestartBackoffMs ?? 30_000;
    this.stableAfterMs = opts.stableAfterMs ?? 60_000;
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
    this.stopTimeoutMs = opts.stopTimeoutMs ?? 60_000;
    this.mariadbBackup = opts.mariadbBackup ?? '/usr/bin/mariadb-backup';
  }

  on(event: 'state', listener: (e: EngineStateEvent) => void): void {
    this.events.on(event, listener);
  }

  /** `<dataDir>/instances/<id>`: the only directory `provision` accepts as `spec.dir`. */
  instanceDir(id: string): string {
    assertId(id);
    return join(this.instancesDir, id);
  }

  socketPath(id: string): string {
    return instanceLayout(this.instanceDir(id)).socketPath;
  }

  state(id: string): EngineState {
    return this.instances.get(id)?.state ?? 'stopped';
  }

  pid(id: string): number | null {
    return this.instances.get(id)?.proc?.pid ?? null;
  }

  async provision(spec: EngineInstanceSpec): Promise<void> {
    const dir = this.instanceDir(spec.id);
    if (resolve(spec.dir) !== dir) {
      throw new AppError('InternalFailure', `instance dir must be ${dir} (start() finds it by id), got ${spec.dir}`, { expose: false });
    }
    if (spec.masterUsername.length === 0 || spec.masterUsername.length > 80 || RESERVED_USERS.has(spec.masterUsername.toLowerCase()) || spec.masterUsername.toLowerCase().startsWith(REPLICATION_USER_PREFIX)) {
      throw new AppError('InvalidParameterValue', `MasterUsername ${spec.masterUsername} is reserved or not 1 to 80 characters`);
    }
    const layout = instanceLayout(dir);
    if (Buffer.byteLength(layout.socketPath) > MAX_SOCKET_PATH_BYTES) {
      throw new AppError('ConfigInvalid', `socket path ${layout.socketPath} is longer than ${MAX_SOCKET_PATH_BYTES} bytes; use a shorter data dir`);
    }
    const myCnf = renderMyCnf(layout, { tlsVersions: spec.tlsVersions, sslCipher: spec.sslCipher });
    checkTls(spec.tls);
    const inst = this.instance(spec.id);
    await this.exclusive(inst, async () => {
      if (await exists(layout.metaFile)) {
        throw new AppError('DBInstanceAlreadyExists', `engine instance ${spec.id} is already provisioned`);
      }
      inst.wanted = true;
      try {
        const runAs = await this.runAs();
        const template = await this.template();
        await this.clearHalfProvisioned(inst);
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await ensureSearchable([this.dataDir, this.instancesDir, dir], runAs);

        const copyStarted = performance.now();
        let seedGtid: string | null = null;
        if (spec.seedFrom !== undefined) {
          seedGtid = (await this.backupInto(spec.seedFrom, spec.masterUsername, layout)).gtidPosition;
          await execFileP('chown', ['-R', `${runAs.uid}:${runAs.gid}`, layout.dataDir]);
        } else {
          await copyTree(template, layout.dataDir);
          if ((await stat(template)).uid !== runAs.uid && runAs.dropPrivileges) {
            await execFileP('chown', ['-R', `${runAs.uid}:${runAs.gid}`, layout.dataDir]);
          }
        }
        const copyMs = performance.now() - copyStarted;

        for (const [d, mode] of [[layout.runDir, 0o700], [layout.tlsDir, 0o700], [layout.logDir, 0o750], [layout.filesDir, 0o700], [layout.tmpDir, 0o700]] as const) {
          await mkdir(d, { mode });
          await chownToRunAs(d, runAs);
        }
        await mkdir(layout.pluginDir, { mode: 0o755 }); // stays root's: mariadbd must not write plugins
        await this.writeTlsFiles(layout, spec.tls, runAs);
        await writeFile(layout.myCnf, myCnf, { mode: 0o644 });

        // A copy keeps its source's accounts, tlsql's admin account and its password included.
        const adminPassword = spec.seedFrom !== undefined ? await this.adminPasswordOf(this.instance(spec.seedFrom)) : randomBytes(32).toString('base64');
        await writeSealedFile(layout.adminSecret, this.masterKey, adminSecretLabel(spec.id), adminPassword);
        inst.adminPassword = adminPassword;
        let startMs: number;
        if (seedGtid === null) {
          await writePrivateFile(layout.initFile, firstStartSql(adminPassword, spec.masterUsername, spec.masterUserPassword));
          await chownToRunAs(layout.initFile, runAs);
          startMs = await this.spawnUntilReady(inst, 'starting', layout.initFile);
          await rm(layout.initFile, { force: true });
        } else {
          startMs = await this.spawnUntilReady(inst, 'starting');
          await this.admin(spec.id, async (c) => {
            // Outside the binary log: the copy's own changes must never reach a replica of it.
            await c.query('SET SESSION sql_log_bin = 0');
            await c.query(`DROP USER IF EXISTS ${quoteAccount(BACKUP_USER, 'localhost')}`);
            await c.query('SET GLOBAL gtid_slave_pos = ?', [seedGtid]);
          });
        }
        await this.checkMasterUser(inst, spec.masterUsername);
        const meta: InstanceMeta = { engine: 'mariadb', engineVersion: this.version, provisionedAt: this.clock.now().toISOString() };
        await writeFile(layout.metaFile, JSON.stringify(meta, null, 2) + '\n', { mode: 0o644 });
        this.log.info('engine instance provisioned', { id: spec.id, copyMs: Math.round(copyMs), startToReadyMs: startMs });
      } catch (e) {
        inst.wanted = false;
        await rm(layout.initFile, { force: true });
        await this.killAny(inst);
        this.setState(inst, 'stopped', 'provisioning failed');
        throw wrap(e, `provisioning engine instance ${spec.id}`);
      }
    });
  }

  async start(id: string): Promise<void> {
    const inst = this.instance(id);
    inst.wanted = true;
    this.cancelRestart(inst);
    await this.exclusive(inst, async () => {
      if (inst.proc !== null && inst.state === 'running') return;
      const layout = inst.layout;
      if (!(await exists(layout.metaFile))) {
        throw new AppError('InternalFailure', `engine instance ${id} is not provisioned (no ${layout.metaFile})`, { expose: false });
      }
      // A crash during provisioning may have left the secret-bearing init file behind.
      await rm(layout.initFile, { force: true });
      try {
        if (inst.proc === null && (await this.adopt(inst))) {
          try {
            await this.applyVariables(inst);
            return;
          } catch (e) {
            // It runs with values other than its group's: start it afresh, with them on its command line.
            this.log.warn('adopted engine process did not take its server variables; restarting it', { id, error: e });
            await this.killAny(inst);
          }
        }
        await this.spawnUntilReady(inst, 'starting');
      } catch (e) {
        // The caller (the reconciler) decides whether to try again; the supervisor does not.
        inst.wanted = false;
        this.setState(inst, 'stopped', 'start failed');
        throw wrap(e, `starting engine instance ${id}`);
      }
    });
  }

  async setServerVariables(id: string, variables: Readonly<Record<string, string>>): Promise<void> {
    for (const [name, value] of Object.entries(variables)) {
      // They go on mariadbd's command line (an argv entry, no shell) and into SET GLOBAL as a
      // bound value: a plain name, and a value of printable characters.
      if (!/^[a-z][a-z0-9_]{0,63}$/.test(name) || !/^[\x20-\x7e]{0,4096}$/.test(value)) {
        throw new AppError('InvalidParameterValue', `engine server variable ${JSON.stringify(name)} = ${JSON.stringify(value)} is not a plain name and value`);
      }
    }
    const known = new Map((await this.variableCatalogue()).variables.map((v) => [v.name, v]));
    for (const [name, value] of Object.entries(variables)) {
      const v = known.get(name);
      if (v === undefined) throw new AppError('InvalidParameterValue', `${name} is not a server variable of MariaDB ${this.version}`);
      if (/INT|DOUBLE/.test(v.type) && !/^-?\d+(\.\d+)?$/.test(value)) throw new AppError('InvalidParameterValue', `engine server variable ${name} takes a number, not ${JSON.stringify(value)}`);
    }
    const inst = this.instance(id);
    // Left out now: back to the engine's default on the running engine too (a reset parameter).
    const dropped = Object.keys(inst.variables).filter((n) => !(n in variables));
    // Recorded first: a start or supervisor restart queued behind us, or under way, uses them.
    inst.variables = { ...variables };
    await this.exclusive(inst, async () => {
      if (inst.proc === null || inst.state !== 'running') return; // the next start passes them
      await this.applyVariables(inst, dropped);
    });
  }

  /** The engine's server variables (read once per engine build, variable-catalogue.ts). */
  variableCatalogue(): Promise<EngineVariableCatalogue> {
    this.cataloguePromise ??= (async () => {
      const runAs = await this.runAs();
      await this.template();
      const cat = await ensureCatalogue({
        templatesDir: this.templatesDir,
        version: this.version,
        mariadbd: this.mariadbd,
        installDb: this.installDb,
        runAs,
        logger: this.log,
        readyTimeoutMs: this.readyTimeoutMs,
      });
      this.staticVariables = new Set(cat.variables.filter((v) => v.readOnly).map((v) => v.name));
      return cat;
    })();
    this.cataloguePromise.catch(() => {
      this.cataloguePromise = null;
    });
    return this.cataloguePromise;
  }

  /**
   * SET GLOBAL of the recorded dynamic variables on the running engine (an adopted one may predate
   * them); static ones take effect from the command line of the next start only.
   */
  private async applyVariables(inst: Instance, dropped: string[] = []): Promise<void> {
    const entries = Object.entries(inst.variables);
    if (entries.length === 0 && dropped.length === 0) return;
    await this.variableCatalogue();
    const dynamic = entries.filter(([name]) => !this.staticVariables.has(name));
    try {
      // The compiled-in default, as information_schema reports it: `SET GLOBAL x = DEFAULT` would
      // give the value of the start's command line instead (time_zone after --default-time-zone).
      const known = new Map((await this.variableCatalogue()).variables.map((v) => [v.name, v.defaultValue]));
      const defaults = dropped.filter((n) => !this.staticVariables.has(n) && !(n in inst.variables));
      await this.setGlobals(inst.id, [...defaults.map((n): [string, string | null] => [n, known.get(n) ?? null]), ...dynamic]);
    } catch (e) {
      throw wrap(e, `setting server variables on engine instance ${inst.id}`);
    }
    this.log.info('engine server variables set', { id: inst.id, variables: Object.fromEntries(dynamic) });
  }

  isProvisioned(id: string): Promise<boolean> {
    return exists(this.instance(id).layout.metaFile);
  }

  async stop(id: string, opts: { kill?: boolean } = {}): Promise<void> {
    const inst = this.instance(id);
    inst.wanted = false;
    this.cancelRestart(inst);
    // A kill does not wait for an operation under way (a supervisor restart, say): the process goes now.
    if (opts.kill) await this.killAny(inst);
    await this.exclusive(inst, async () => {
      // Detached first, so the supervisor never takes this exit for a crash (even if start() is
      // already queued behind us). Without a process of ours, a mariadbd left by a previous tlsql
      // process is stopped instead.
      const proc = inst.proc ?? (await this.findOrphan(inst));
      inst.proc = null;
      if (proc !== null && opts.kill) await killNow(proc);
      else if (proc !== null) {
        const { killed } = await terminate(proc, this.stopTimeoutMs);
        if (killed) this.log.warn('engine did not shut down in time; killed', { id, pid: proc.pid, stopTimeoutMs: this.stopTimeoutMs });
      }
      this.setState(inst, 'stopped', 'stop requested');
    });
  }

  async destroy(id: string): Promise<void> {
    await this.stop(id);
    const inst = this.instance(id);
    await this.exclusive(inst, () => rm(inst.layout.dir, { recursive: true, force: true }));
    this.instances.delete(id);
  }

  async admin<T>(id: string, fn: (conn: Connection) => Promise<T>): Promise<T> {
    const inst = this.instance(id);
    let conn: Connection;
    try {
      conn = await connectSocket(await this.adminLogin(inst));
    } catch (e) {
      throw wrap(e, `admin connection to engine instance ${id}`);
    }
    try {
      await conn.query(resetSqlModeStatement);
      return await fn(conn);
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
  }

  async setMasterPassword(id: string, username: string, password: string): Promise<void> {
    const account = quoteAccount(username, '%');
    const auth = identifiedByPassword(password);
    try {
      await this.admin(id, async (conn) => {
        // As on RDS, resetting the master password also restores the master user and its privileges.
        await conn.query(`CREATE USER IF NOT EXISTS ${account} ${auth}`);
        await conn.query(`ALTER USER ${account} ${auth}`);
        await conn.query(`GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION`);
        await conn.query(`REVOKE ${MASTER_USER_WITHHELD.join(', ')} ON *.* FROM ${account}`);
      });
    } catch (e) {
      throw wrap(e, `setting the master password on engine instance ${id}`);
    }
  }

  async replaceTls(id: string, tls: EngineTlsUpdate): Promise<void> {
    checkTls(tls);
    const inst = this.instance(id);
    await this.exclusive(inst, async () => {
      const layout = inst.layout;
      const runAs = await this.runAs();
      let old: string[];
      try {
        old = await Promise.all([layout.certFile, layout.keyFile, layout.caFile].map((p) => readFile(p, 'utf8')));
      } catch (e) {
        throw wrap(e, `reading the TLS files of engine instance ${id} (is it provisioned?)`);
      }
      await this.writeTlsFiles(layout, { ...tls, caPem: tls.caPem ?? old[2]! }, runAs);
      if (inst.proc === null) return; // read at the next start
      try {
        await this.admin(id, (conn) => conn.query('FLUSH SSL'));
      } catch (e) {
        // The server keeps its old certificate in memory; put the matching files back so a restart serves it too.
        const [certPem, keyPem, caPem] = old as [string, string, string];
        await this.writeTlsFiles(layout, { certPem, keyPem, caPem }, runAs);
        throw new AppError('InternalFailure', `FLUSH SSL failed on engine instance ${id}; it still serves the previous certificate: ${(e as Error).message}`, {
          cause: e,
          expose: false,
        });
      }
      this.log.info('engine TLS files replaced', { id });
    });
  }

  async replaceTrustedCas(id: string, caPem: string): Promise<boolean> {
    try {
      for (const pem of caPem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []) new X509Certificate(pem);
      if (!caPem.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no certificate');
    } catch (e) {
      throw new AppError('InvalidParameterValue', `engine trusted CAs are not usable: ${(e as Error).message}`, { cause: e });
    }
    const inst = this.instance(id);
    return this.exclusive(inst, async () => {
      const layout = inst.layout;
      let old: string;
      try {
        old = await readFile(layout.caFile, 'utf8');
      } catch (e) {
        throw wrap(e, `reading the trusted CAs of engine instance ${id} (is it provisioned?)`);
      }
      if (old === caPem) return false;
      const runAs = await this.runAs();
      const write = async (pem: string) => {
        await writePrivateFile(`${layout.caFile}.new`, pem);
        await chownToRunAs(`${layout.caFile}.new`, runAs);
        await rename(`${layout.caFile}.new`, layout.caFile);
      };
      await write(caPem);
      if (inst.proc === null) return true; // read at the next start
      try {
        await this.admin(id, (conn) => conn.query('FLUSH SSL'));
      } catch (e) {
        await write(old);
        throw new AppError('InternalFailure', `FLUSH SSL failed on engine instance ${id}; it keeps its previous trusted CAs: ${(e as Error).message}`, { cause: e, expose: false });
      }
      this.log.info('engine trusted CAs replaced', { id });
      return true;
    });
  }

  async shutdownAll(): Promise<void> {
    await Promise.all([...this.instances.keys()].map((id) => this.stop(id)));
  }

  // ---- internals ----

  private instance(id: string): Instance {
    let inst = this.instances.get(id);
    if (inst === undefined) {
      inst = {
        id,
        layout: instanceLayout(this.instanceDir(id)),
        state: 'stopped',
        proc: null,
        wanted: false,
        backoffMs: this.restartBackoffMs,
        runningSinceMs: 0,
        restartTimer: null,
        adminPassword: null,
        variables: {},
      };
      this.instances.set(id, inst);
    }
    return inst;
  }

  /** Orders operations on one instance; each caller gets its own operation's outcome. */
  private exclusive<T>(inst: Instance, fn: () => Promise<T>): Promise<T> {
    return this.operations.run(inst.id, fn);
  }

  private runAs(): Promise<RunAs> {
    this.runAsPromise ??= resolveRunAs(this.runAsUser);
    return this.runAsPromise;
  }

  private template(): Promise<string> {
    this.templatePromise ??= (async () => {
      const runAs = await this.runAs();
      await mkdir(this.dataDir, { recursive: true, mode: 0o700 });
      await mkdir(this.templatesDir, { recursive: true, mode: 0o700 });
      await ensureSearchable([this.dataDir, this.templatesDir], runAs);
      return ensureTemplate({
        templatesDir: this.templatesDir,
        version: this.version,
        mariadbd: this.mariadbd,
        installDb: this.installDb,
        runAs,
        logger: this.log,
        readyTimeoutMs: this.readyTimeoutMs,
      });
    })();
    // A failed build may succeed later (disk space freed, say): do not cache the failure.
    this.templatePromise.catch(() => {
      this.templatePromise = null;
    });
    return this.templatePromise;
  }

  private async adminLogin(inst: Instance): Promise<SocketLogin> {
    return { socketPath: inst.layout.socketPath, user: ADMIN_USER, password: await this.adminPasswordOf(inst), proxyHeader: ADMIN_PROXY_HEADER };
  }

  private async adminPasswordOf(inst: Instance): Promise<string> {
    inst.adminPassword ??= (await readSealedFile(inst.layout.adminSecret, this.masterKey, adminSecretLabel(inst.id))).toString('utf8');
    return inst.adminPassword;
  }

  /** A consistent copy of the running engine `sourceId` as `layout`'s data dir (replication.ts, takeBackup). */
  private async backupInto(sourceId: string, masterUsername: string, layout: InstanceLayout): Promise<{ gtidPosition: string }> {
    const source = this.instance(sourceId);
    if (source.proc === null || source.state !== 'running') {
      throw new AppError('InvalidDBInstanceState', `engine instance ${sourceId} is not running, so it cannot be copied`);
    }
    // A master user provisioned before tlsql withheld these (firstStartSql) could write on the copy
    // despite read_only: revoked on the source, in its binary log, before the copy. Only what it
    // holds: a REVOKE on a source that is itself a replica would be a transaction of its own.
    await this.admin(sourceId, async (c) => {
      const grantee = `${quoteString(masterUsername)}@'%'`;
      const [held] = await c.query<RowDataPacket[]>('SELECT PRIVILEGE_TYPE AS p FROM information_schema.USER_PRIVILEGES WHERE GRANTEE = ? AND PRIVILEGE_TYPE IN (?)', [grantee, [...MASTER_USER_WITHHELD]]);
      if (held.length > 0) await c.query(`REVOKE ${held.map((r) => String(r.p)).join(', ')} ON *.* FROM ${quoteAccount(masterUsername, '%')}`);
    });
    const started = performance.now();
    const out = await takeBackup({
      mariadbBackup: this.mariadbBackup,
      socketPath: source.layout.socketPath,
      targetDir: layout.dataDir,
      defaultsFile: join(layout.dir, 'backup.cnf'),
      admin: (fn) => this.admin(sourceId, fn),
    });
    this.log.info('engine instance copied', { from: sourceId, to: layout.dir, gtidPosition: out.gtidPosition, ms: Math.round(performance.now() - started) });
    return out;
  }

  async replicateFrom(id: string, channel: ReplicationChannel): Promise<void> {
    const inst = this.instance(id);
    const files = channelFiles(inst.layout.tlsDir);
    const runAs = await this.runAs();
    await this.exclusive(inst, async () => {
      for (const [path, pem] of [[files.cert, channel.certPem], [files.key, channel.keyPem], [files.ca, channel.caPem]] as const) {
        await writePrivateFile(`${path}.new`, pem);
        await chownToRunAs(`${path}.new`, runAs);
        await rename(`${path}.new`, path);
      }
    });
    await this.admin(id, async (c) => {
      for (const sql of changeMasterStatements(channel, files)) await c.query(sql);
    });
  }

  async renewReplicationCertificate(id: string, material: { certPem: string; keyPem: string }): Promise<void> {
    const inst = this.instance(id);
    const files = channelFiles(inst.layout.tlsDir);
    const runAs = await this.runAs();
    await this.exclusive(inst, async () => {
      // Both aside first, then renamed: the replica's next connection reads a matching pair.
      for (const [path, pem] of [[files.cert, material.certPem], [files.key, material.keyPem]] as const) {
        await writePrivateFile(`${path}.new`, pem);
        await chownToRunAs(`${path}.new`, runAs);
      }
      for (const path of [files.cert, files.key]) await rename(`${path}.new`, path);
    });
  }

  replicaStatus(id: string): Promise<ReplicaStatus | null> {
    return this.admin(id, readReplicaStatus);
  }

  async endReplication(id: string, applyTimeoutS = 60): Promise<void> {
    await this.admin(id, (c) => endReplication(c, applyTimeoutS));
    await rm(channelFiles(this.instance(id).layout.tlsDir).key, { force: true });
  }

  async setReplicationAccount(id: string, account: ({ user: string; password: string; subject: string } | { user: string; drop: true }) & { binlog: boolean }): Promise<void> {
    const name = quoteAccount(account.user, '%');
    await this.admin(id, async (c) => {
      // A read replica's own writes would be transactions its source never had.
      if (!account.binlog) await c.query('SET SESSION sql_log_bin = 0');
      if ('drop' in account) {
        await c.query(`DROP USER IF EXISTS ${name}`);
        return;
      }
      // In the binary log of a primary: its Multi-AZ standby copies the account, so after a
      // failover the new standby can log in to the new primary.
      await c.query(`CREATE OR REPLACE USER ${name} ${identifiedByPassword(account.password)} REQUIRE SUBJECT ${quoteString(account.subject)}`);
      await c.query(`GRANT REPLICATION SLAVE ON *.* TO ${name}`);
    });
  }

  async semiSyncStatus(id: string): Promise<{ on: boolean; clients: number }> {
    return this.admin(id, async (c) => {
      const [rows] = await c.query<RowDataPacket[]>("SHOW GLOBAL STATUS WHERE Variable_name IN ('Rpl_semi_sync_master_status', 'Rpl_semi_sync_master_clients')");
      const v = new Map(rows.map((r) => [String(r.Variable_name), String(r.Value)]));
      return { on: v.get('Rpl_semi_sync_master_status') === 'ON', clients: Number(v.get('Rpl_semi_sync_master_clients') ?? 0) };
    });
  }

  private setState(inst: Instance, state: EngineState, reason?: string, exit?: ProcessExit): void {
    if (inst.state === state) return;
    inst.state = state;
    const event: EngineStateEvent = { id: inst.id, state, ...(reason !== undefined ? { reason } : {}), ...(exit ?? {}) };
    this.log.info('engine state', { ...event });
    try {
      this.events.emit('state', event);
    } catch (e) {
      this.log.error('engine state listener threw', { id: inst.id, state, error: e });
    }
  }

  /** Spawns mariadbd and waits until the admin account can query it. Returns start-to-ready ms. */
  private async spawnUntilReady(inst: Instance, state: 'starting' | 'restarting', initFile?: string): Promise<number> {
    const layout = inst.layout;
    const runAs = await this.runAs();
    const login = await this.adminLogin(inst);
    this.setState(inst, state);
    const started = performance.now();
    const { commandLine, afterReady } = await this.splitVariables(inst.variables);
    const proc = await spawnMariadbd({ mariadbd: this.mariadbd, myCnf: layout.myCnf, runAs, stderrLog: layout.stderrLog, initFile, serverVariables: commandLine, serverId: serverIdFor(inst.id) });
    inst.proc = proc;
    try {
      await waitForReady({
        ...login,
        proc,
        timeoutMs: this.readyTimeoutMs,
        explain: () => this.explainFailure(inst),
      });
    } catch (e) {
      // Detach first, so the supervisor does not also take this exit for a crash.
      inst.proc = null;
      await killNow(proc);
      throw e;
    }
    // A value the engine refuses must not keep it from running: it runs with its default, and says so.
    if (afterReady.length > 0) await this.setGlobals(inst.id, afterReady).catch((e: unknown) => this.log.warn('engine refused a server variable at start; it runs with its default', { id: inst.id, error: e }));
    const readyMs = Math.round(performance.now() - started);
    inst.runningSinceMs = this.clock.now().getTime();
    this.supervise(inst, proc);
    this.setState(inst, 'running', state === 'restarting' ? 'restarted after a crash' : undefined);
    this.log.debug('engine ready', { id: inst.id, pid: proc.pid, startToReadyMs: readyMs });
    return readyMs;
  }

  /**
   * Splits recorded variables into those mariadbd takes on its command line (an option of the
   * same name, or COMMAND_LINE_ALIASES) and dynamic ones without one (`information_schema` says
   * so), which are set with SET GLOBAL as soon as the engine answers.
   */
  private async splitVariables(variables: Readonly<Record<string, string>>): Promise<{ commandLine: Record<string, string>; afterReady: [string, string][] }> {
    const known = new Map((await this.variableCatalogue()).variables.map((v) => [v.name, v]));
    const commandLine: Record<string, string> = {};
    const afterReady: [string, string][] = [];
    for (const [name, value] of Object.entries(variables)) {
      const alias = COMMAND_LINE_ALIASES[name];
      if (alias !== undefined) commandLine[alias] = value;
      else if (known.get(name)?.commandLine !== null) commandLine[name] = value;
      else afterReady.push([name, value]);
    }
    return { commandLine, afterReady };
  }

  /** SET GLOBAL name = value for each (names checked by setServerVariables). */
  private async setGlobals(id: string, entries: readonly (readonly [string, string | null])[]): Promise<void> {
    if (entries.length === 0) return;
    await this.admin(id, async (conn) => {
      for (const [name, value] of entries) {
        // Numbers as literals: MariaDB refuses a quoted value for numeric variables, and a
        // 64-bit value does not survive a JS number. The pattern admits digits only.
        if (value === null) await conn.query(`SET GLOBAL ${name} = DEFAULT`);
        else if (/^-?\d+(\.\d+)?$/.test(value)) await conn.query(`SET GLOBAL ${name} = ${value}`);
        else await conn.query(`SET GLOBAL ${name} = ?`, [value]);
      }
    });
  }

  /** A mariadbd for this instance that this engine object did not start (left by a previous tlsql process). */
  private async findOrphan(inst: Instance): Promise<EngineProcess | null> {
    const pid = await findMariadbd(inst.layout.pidFile, inst.layout.myCnf);
    return pid === null ? null : adoptProcess(pid).catch(() => null); // gone in between: nothing to adopt
  }

  /** Adopts a healthy mariadbd left by a previous tlsql process; kills an unhealthy one. */
  private async adopt(inst: Instance): Promise<boolean> {
    const proc = await this.findOrphan(inst);
    if (proc === null) return false;
    const pid = proc.pid;
    try {
      await waitForReady({
        ...(await this.adminLogin(inst)),
        proc,
        timeoutMs: Math.min(this.readyTimeoutMs, 5_000),
        explain: () => this.explainFailure(inst),
      });
    } catch (e) {
      this.log.warn('orphaned engine process does not answer; killing it', { id: inst.id, pid, error: e });
      await killNow(proc);
      return false;
    }
    inst.proc = proc;
    inst.runningSinceMs = this.clock.now().getTime();
    this.supervise(inst, proc);
    this.log.info('adopted running engine process', { id: inst.id, pid });
    this.setState(inst, 'running', 'adopted a running process');
    return true;
  }

  private supervise(inst: Instance, proc: EngineProcess): void {
    void proc.exited.then((exit) => {
      // stop() and failed starts detach the process (or clear `wanted`) before it exits.
      if (inst.proc !== proc || !inst.wanted) return;
      inst.proc = null;
      if (this.clock.now().getTime() - inst.runningSinceMs >= this.stableAfterMs) inst.backoffMs = this.restartBackoffMs;
      const how = exit.signal !== null ? `signal ${exit.signal}` : exit.exitCode !== null ? `exit code ${exit.exitCode}` : 'process vanished';
      this.log.error('engine process exited unexpectedly', { id: inst.id, pid: proc.pid, ...exit });
      this.setState(inst, 'crashed', `mariadbd ended (${how})`, exit);
      this.scheduleRestart(inst);
    });
  }

  private scheduleRestart(inst: Instance): void {
    const delay = inst.backoffMs;
    inst.backoffMs = Math.min(delay * 2, this.maxRestartBackoffMs);
    this.log.info('engine restart scheduled', { id: inst.id, delayMs: delay });
    inst.restartTimer = setTimeout(() => {
      inst.restartTimer = null;
      void this.exclusive(inst, async () => {
        if (!inst.wanted || inst.proc !== null) return;
        try {
          await this.spawnUntilReady(inst, 'restarting');
        } catch (e) {
          this.log.error('engine restart failed', { id: inst.id, error: e });
          if (!inst.wanted) return;
          this.setState(inst, 'crashed', `restart failed: ${(e as Error).message.split('\n')[0]}`);
          this.scheduleRestart(inst);
        }
      });
    }, delay);
  }

  private cancelRestart(inst: Instance): void {
    if (inst.restartTimer !== null) clearTimeout(inst.restartTimer);
    inst.restartTimer = null;
  }

  /** Detaches and kills this instance's process, if any (one of ours or an orphan). */
  private async killAny(inst: Instance): Promise<void> {
    const proc = inst.proc ?? (await this.findOrphan(inst));
    inst.proc = null;
    if (proc !== null) await killNow(proc);
  }

  /** Removes what a failed provision left (including a running mariadbd), keeping the instance dir itself. */
  private async clearHalfProvisioned(inst: Instance): Promise<void> {
    const l = inst.layout;
    await this.killAny(inst);
    for (const p of [l.dataDir, l.runDir, l.tlsDir, l.logDir, l.filesDir, l.tmpDir, l.pluginDir, l.myCnf, l.adminSecret]) {
      await rm(p, { recursive: true, force: true });
    }
  }

  private async writeTlsFiles(layout: InstanceLayout, tls: EngineTls, runAs: RunAs): Promise<void> {
    const files = [[layout.certFile, tls.certPem], [layout.keyFile, tls.keyPem], [layout.caFile, tls.caPem]] as const;
    // All three written aside first, then renamed: mariadbd (FLUSH SSL, next start) never reads a
    // half-written file, and a crash in between leaves at most a moment of mismatch, not a torn file.
    for (const [path, pem] of files) {
      await writePrivateFile(`${path}.new`, pem);
      await chownToRunAs(`${path}.new`, runAs);
    }
    for (const [path] of files) await rename(`${path}.new`, path);
  }

  private async checkMasterUser(inst: Instance, username: string): Promise<void> {
    const found = await this.admin(inst.id, async (conn) => {
      const [rows] = await conn.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM mysql.global_priv WHERE User = ? AND Host = '%'", [username]);
      return Number(rows[0]?.n ?? 0);
    });
    if (found !== 1) {
      throw new AppError('InternalFailure', `master user was not created on first start:\n${await this.explainFailure(inst)}`, { expose: false });
    }
  }

  private async explainFailure(inst: Instance): Promise<string> {
    const secrets = inst.adminPassword !== null ? [inst.adminPassword] : [];
    const [errorLog, stderr] = await Promise.all([tailFile(inst.layout.errorLog, 20, secrets), tailFile(inst.layout.stderrLog, 5, secrets)]);
    const parts = [`--- ${inst.layout.errorLog} (tail) ---\n${errorLog}`];
    // mariadbd's stderr repeats the error log once that is open; it matters when it is not.
    if (stderr.trim() !== '' && !errorLog.includes(stderr.trim().split('\n').pop() ?? '')) parts.push(`--- ${inst.layout.stderrLog} (tail) ---\n${stderr}`);
    return parts.join('\n');
  }
}

function assertId(id: string): void {
  if (!ID_PATTERN.test(id)) throw new AppError('InvalidParameterValue', `engine instance id ${JSON.stringify(id)} must be 1-63 letters, digits, '-' or '_'`);
}

function adminSecretLabel(id: string): string {
  return `instances/${id}/admin.secret`;
}

/**
 * SQL for the first start (`--init-file`, one statement per line): unlocks the internal admin
 * account with this instance's password and creates the master user. Passwords appear only as
 * mysql_native_password hashes.
 */
export function firstStartSql(adminPassword: string, masterUsername: string, masterPassword: string): string {
  const master = quoteAccount(masterUsername, '%');
  return [
    resetSqlModeStatement,
    `ALTER USER ${quoteAccount(ADMIN_USER, ADMIN_HOST)} ${identifiedByPassword(adminPassword)} ACCOUNT UNLOCK`,
    `CREATE USER ${master} ${identifiedByPassword(masterPassword)}`,
    `GRANT ALL PRIVILEGES ON *.* TO ${master} WITH GRANT OPTION`,
    `REVOKE ${MASTER_USER_WITHHELD.join(', ')} ON *.* FROM ${master}`,
    '',
  ].join(';\n');
}

function checkTls(tls: EngineTlsUpdate): void {
  try {
    const cert = new X509Certificate(tls.certPem);
    const key = createPrivateKey(tls.keyPem);
    if (tls.caPem !== undefined) new X509Certificate(tls.caPem);
    if (!cert.checkPrivateKey(key)) throw new Error('the private key does not match the certificate');
  } catch (e) {
    throw new AppError('InvalidParameterValue', `engine TLS material is not usable: ${(e as Error).message}`, { cause: e });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}

/** `cp -a`: one process, keeps owners and modes (Node's fs.cp does not keep owners); sparse, as the redo log and ibdata1 are mostly zeros (25 MB -> 7 MB on disk). */
async function copyTree(from: string, to: string): Promise<void> {
  await execFileP('cp', ['-a', '--sparse=always', '--', from, to]);
}

