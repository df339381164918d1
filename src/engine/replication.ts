/**
 * MariaDB's own replication, as tlsql drives it (docs/replication.md): a consistent copy of a
 * running engine with `mariadb-backup`, GTID positions, the replica's channel (CHANGE MASTER TO a
 * source endpoint over verified TLS with a client certificate) and its status. SQL and files only;
 * which engine replicates from which is decided in control/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Connection, RowDataPacket } from 'mysql2/promise';
import { AppError } from '../errors/app-error.js';
import { writePrivateFile } from '../pki/key-store.js';
import { quoteAccount, quoteString } from './sql-quote.js';

const execFileP = promisify(execFile);

/** Where the replica's engine reaches its source, and who it is there. All PEM text. */
export interface ReplicationChannel {
  /** The source endpoint's DNS name: the name its server certificate carries, checked by the replica. */
  host: string;
  port: number;
  user: string;
  password: string;
  /** The replica's client certificate and key (the source's account REQUIREs its subject). */
  certPem: string;
  keyPem: string;
  /** The CAs the replica trusts for the source's server certificate: tlsql's whole bundle, every family. */
  caPem: string;
}

/** `SHOW REPLICA STATUS`, the parts tlsql reports. */
export interface ReplicaStatus {
  /** `Slave_IO_Running`: Yes, No or Connecting. */
  ioRunning: string;
  sqlRunning: boolean;
  /** The last IO or SQL error, with its number; null when there is none. */
  lastError: string | null;
  /** `Seconds_Behind_Master`; null when the SQL thread does not run. */
  secondsBehind: number | null;
  sslAllowed: boolean;
  sslVerifyServerCert: boolean;
  /** `Gtid_IO_Pos`: the last GTIDs received. */
  gtidIoPos: string;
  masterHost: string;
}

/** The account `mariadb-backup` logs in with, for the length of one backup; see takeBackup. */
export const BACKUP_USER = 'tlsql_backup';

/** Paths of the files an engine keeps for its replication channel (inside its 0700 tls dir). */
export function channelFiles(tlsDir: string): { cert: string; key: string; ca: string } {
  return { cert: join(tlsDir, 'replication-cert.pem'), key: join(tlsDir, 'replication-key.pem'), ca: join(tlsDir, 'replication-ca.pem') };
}

/**
 * A consistent copy of a running engine into `targetDir` (which must not exist), prepared so a
 * mariadbd can start on it, while the source keeps serving reads and writes: `mariadb-backup`
 * copies the InnoDB files while reading the redo log, then takes a short BACKUP STAGE lock for the
 * rest. It needs a login, and tlsql's admin account is reachable only with a PROXY header that
 * `mariadb-backup` cannot send (admin-account.ts); so a `tlsql_backup@localhost` account with a
 * random 256-bit password exists for the length of the backup, created and dropped outside the
 * binary log so no replica ever sees it. Returns the GTID position of the copy.
 */
export async function takeBackup(o: {
  mariadbBackup: string;
  socketPath: string;
  targetDir: string;
  /** A 0600 file for the backup's login, removed afterwards. */
  defaultsFile: string;
  admin: <T>(fn: (c: Connection) => Promise<T>) => Promise<T>;
}): Promise<{ gtidPosition: string }> {
  const password = randomBytes(32).toString('hex');
  const account = quoteAccount(BACKUP_USER, 'localhost');
  await o.admin(async (c) => {
    await c.query('SET SESSION sql_log_bin = 0');
    await c.query(`DROP USER IF EXISTS ${account}`);
    await c.query(`CREATE USER ${account} IDENTIFIED BY ${quoteString(password)}`);
    await c.query(`GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, SELECT ON *.* TO ${account}`);
  });
  try {
    await writePrivateFile(o.defaultsFile, `[mariadb-backup]\nuser=${BACKUP_USER}\npassword=${password}\nsocket=${o.socketPath}\n`);
    await runBackupTool(o.mariadbBackup, [`--defaults-file=${o.defaultsFile}`, '--backup', `--target-dir=${o.targetDir}`]);
    await runBackupTool(o.mariadbBackup, ['--no-defaults', '--prepare', `--target-dir=${o.targetDir}`]);
  } finally {
    await rm(o.defaultsFile, { force: true });
    await o.admin(async (c) => {
      await c.query('SET SESSION sql_log_bin = 0');
      await c.query(`DROP USER IF EXISTS ${account}`);
    }).catch(() => {});
  }
  return { gtidPosition: await backupGtid(o.targetDir) };
}

/** Runs mariadb-backup; on failure, the tail of what it printed (it writes its progress to stderr). */
async function runBackupTool(path: string, args: string[]): Promise<void> {
  try {
    await execFileP(path, args, { maxBuffer: 64 * 1024 * 1024 });
  } catch (e) {
    const err = e as { stderr?: string; message: string; code?: string };
    if (err.code === 'ENOENT') throw new AppError('EngineNotInstalled', `${path} not found: install it with apt-get install -y mariadb-backup`);
    const tail = (err.stderr ?? '').trim().split('\n').slice(-6).join('\n');
    throw new AppError('InternalFailure', `mariadb-backup ${args[1]} failed:\n${tail || err.message}`, { cause: e, expose: false });
  }
}

/**
 * The GTID position a prepared backup was taken at, from the file mariadb-backup writes
 * (`mariadb_backup_binlog_info`, named `xtrabackup_binlog_info` before 10.11.8): `<file> <pos> <gtid>`.
 */
export async function backupGtid(dir: string): Promise<string> {
  for (const name of ['mariadb_backup_binlog_info', 'xtrabackup_binlog_info']) {
    let text: string;
    try {
      text = await readFile(join(dir, name), 'utf8');
    } catch {
      continue;
    }
    const gtid = text.trim().split(/\s+/)[2] ?? '';
    if (gtid !== '' && !/^\d+-\d+-\d+(,\d+-\d+-\d+)*$/.test(gtid)) throw new AppError('InternalFailure', `unexpected GTID position in ${name}: ${gtid}`, { expose: false });
    return gtid;
  }
  throw new AppError('InternalFailure', `the backup in ${dir} has no binary log position: is the source engine writing binary logs?`, { expose: false });
}

/** Statements that point an engine at its source and start replicating (files written by the caller). */
export function changeMasterStatements(ch: ReplicationChannel, files: { cert: string; key: string; ca: string }): string[] {
  if (!Number.isInteger(ch.port) || ch.port < 1 || ch.port > 65535) throw new AppError('InvalidParameterValue', `replication port ${ch.port} is not a port`);
  return [
    'STOP SLAVE',
    [
      'CHANGE MASTER TO',
      `MASTER_HOST = ${quoteString(ch.host)},`,
      `MASTER_PORT = ${ch.port},`,
      `MASTER_USER = ${quoteString(ch.user)},`,
      `MASTER_PASSWORD = ${quoteString(ch.password)},`,
      'MASTER_SSL = 1,',
      `MASTER_SSL_CA = ${quoteString(files.ca)},`,
      `MASTER_SSL_CERT = ${quoteString(files.cert)},`,
      `MASTER_SSL_KEY = ${quoteString(files.key)},`,
      'MASTER_SSL_VERIFY_SERVER_CERT = 1,',
      'MASTER_USE_GTID = slave_pos,',
      // A source that restarts (or fails over) is back within seconds: retry every second, not every minute.
      'MASTER_CONNECT_RETRY = 1',
    ].join(' '),
    'START SLAVE',
  ];
}

/** Reads `SHOW SLAVE STATUS`; null when the engine replicates from nothing. */
export async function readReplicaStatus(c: Connection): Promise<ReplicaStatus | null> {
  const [rows] = await c.query<RowDataPacket[]>('SHOW SLAVE STATUS');
  const r = rows[0];
  if (!r) return null;
  const ioErr = Number(r.Last_IO_Errno ?? 0);
  const sqlErr = Number(r.Last_SQL_Errno ?? 0);
  const lastError = sqlErr ? `${sqlErr}: ${String(r.Last_SQL_Error)}` : ioErr ? `${ioErr}: ${String(r.Last_IO_Error)}` : null;
  return {
    ioRunning: String(r.Slave_IO_Running),
    sqlRunning: r.Slave_SQL_Running === 'Yes',
    lastError,
    secondsBehind: r.Seconds_Behind_Master === null || r.Seconds_Behind_Master === undefined ? null : Number(r.Seconds_Behind_Master),
    sslAllowed: r.Master_SSL_Allowed === 'Yes',
    sslVerifyServerCert: r.Master_SSL_Verify_Server_Cert === 'Yes',
    gtidIoPos: String(r.Gtid_IO_Pos ?? ''),
    masterHost: String(r.Master_Host ?? ''),
  };
}

/**
 * Ends replication on an engine: stops fetching, applies everything already fetched (a promoted
 * standby must have every commit its primary acknowledged), then forgets the source. Throws when the
 * applier stops on an error or does not catch up within `applyTimeoutS`.
 */
export async function endReplication(c: Connection, applyTimeoutS: number): Promise<void> {
  const before = await readReplicaStatus(c);
  if (before === null) return;
  await c.query('STOP SLAVE IO_THREAD');
  const fetched = (await readReplicaStatus(c))?.gtidIoPos ?? '';
  if (fetched !== '') {
    // The applier may have been stopped by an error: start it (a no-op when running) to apply the rest.
    await c.query('START SLAVE SQL_THREAD');
    const [rows] = await c.query<RowDataPacket[]>('SELECT MASTER_GTID_WAIT(?, ?) AS r', [fetched, applyTimeoutS]);
    const r = Number(rows[0]?.r);
    if (r !== 0) {
      const st = await readReplicaStatus(c);
      throw new AppError('InternalFailure', `the replica did not apply what it had received (${fetched})${st?.lastError ? `: ${st.lastError}` : ' in time'}`, { expose: false });
    }
  }
  await c.query('STOP SLAVE');
  await c.query('RESET SLAVE ALL');
}
