import { join } from 'node:path';
import { AppError } from '../errors/app-error.js';

/** Where an instance's files live inside its directory. */
export interface InstanceLayout {
  dir: string;
  dataDir: string;
  runDir: string;
  socketPath: string;
  pidFile: string;
  /** One-shot SQL run on first start; holds secrets, so it lives in the 0700 run dir. */
  initFile: string;
  tlsDir: string;
  certFile: string;
  keyFile: string;
  caFile: string;
  logDir: string;
  errorLog: string;
  /** mariadbd's stdout/stderr: messages written before the error log is opened. */
  stderrLog: string;
  /** secure_file_priv: LOAD DATA INFILE, SELECT INTO OUTFILE and LOAD_FILE stay in here. */
  filesDir: string;
  /**
   * tmpdir, private to the instance: mariadbd deletes every `#sql*` file in its tmpdir when it
   * starts, so a shared /tmp would let one instance's start destroy another's temporary tables.
   */
  tmpDir: string;
  /** plugin_dir: empty and not writable by mariadbd, so INSTALL PLUGIN/SONAME finds nothing to load. */
  pluginDir: string;
  myCnf: string;
  /** Written last by provision: its presence means the instance is complete. */
  metaFile: string;
  adminSecret: string;
}

export function instanceLayout(dir: string): InstanceLayout {
  const runDir = join(dir, 'run');
  const tlsDir = join(dir, 'tls');
  const logDir = join(dir, 'log');
  return {
    dir,
    dataDir: join(dir, 'data'),
    runDir,
    socketPath: join(runDir, 'mysqld.sock'),
    pidFile: join(runDir, 'mysqld.pid'),
    initFile: join(runDir, 'init.sql'),
    tlsDir,
    certFile: join(tlsDir, 'server-cert.pem'),
    keyFile: join(tlsDir, 'server-key.pem'),
    caFile: join(tlsDir, 'ca.pem'),
    logDir,
    errorLog: join(logDir, 'error.log'),
    stderrLog: join(logDir, 'mariadbd.stderr.log'),
    filesDir: join(dir, 'files'),
    pluginDir: join(dir, 'plugins'),
    tmpDir: join(dir, 'tmp'),
    myCnf: join(dir, 'my.cnf'),
    metaFile: join(dir, 'engine.json'),
    adminSecret: join(dir, 'admin.secret.sealed'),
  };
}

/** MariaDB 10.11's `tls_version` tokens (`TLSv1` alone makes mariadbd refuse to start). */
export const TLS_VERSION_TOKENS = ['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] as const;
export const DEFAULT_TLS_VERSIONS = ['TLSv1.2', 'TLSv1.3'];

/** Longest unix socket path the kernel accepts (sun_path is 108 bytes with the NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

/**
 * Server variables every instance's my.cnf sets that a parameter group may change (the group's
 * values win on the command line): DescribeDBParameters shows them with Source `system`. Small
 * footprint: dozens of instances per host.
 */
export const ENGINE_SETTINGS: Readonly<Record<string, string>> = {
  character_set_server: 'utf8mb4',
  collation_server: 'utf8mb4_general_ci',
  innodb_buffer_pool_size: String(16 * 1024 * 1024),
  innodb_log_file_size: String(8 * 1024 * 1024),
  innodb_log_buffer_size: String(2 * 1024 * 1024), // the 10.11 minimum
  key_buffer_size: String(1024 * 1024),
  aria_pagecache_buffer_size: String(8 * 1024 * 1024),
  performance_schema: '0',
  max_connections: '1000',
  table_open_cache: '256',
  table_definition_cache: '400',
  thread_cache_size: '8',
  // Every engine writes a binary log (replication): without this, CREATE TRIGGER and CREATE
  // FUNCTION would need SUPER, which the master user does not have (local-mariadb.ts). A group
  // may set 0, RDS's default, to get RDS's error 1419 instead.
  log_bin_trust_function_creators: '1',
};

export interface MyCnfOptions {
  /** Default `DEFAULT_TLS_VERSIONS`. */
  tlsVersions?: string[];
  sslCipher?: string;
}

/**
 * Server settings for one instance. Sized so dozens of idle instances fit on one host (measured
 * on 10.11.19: ~58 MB RSS idle, much of it shared code); every option checked against 10.11 by starting it.
 */
export function renderMyCnf(layout: InstanceLayout, opts: MyCnfOptions = {}): string {
  const tlsVersions = opts.tlsVersions ?? DEFAULT_TLS_VERSIONS;
  if (tlsVersions.length === 0 || tlsVersions.some((v) => !(TLS_VERSION_TOKENS as readonly string[]).includes(v))) {
    throw new AppError('InvalidParameterValue', `tls versions must be among ${TLS_VERSION_TOKENS.join(', ')}; got ${tlsVersions.join(', ') || 'none'}`);
  }
  if (opts.sslCipher !== undefined && !/^[A-Za-z0-9:+!@=_.,-]+$/.test(opts.sslCipher)) {
    throw new AppError('InvalidParameterValue', 'sslCipher must be an OpenSSL cipher list (letters, digits and :+!@=_.,-)');
  }
  for (const p of [layout.dir]) {
    // my.cnf values are unquoted: a newline, '#' or quote would change the meaning of the file.
    if (/[\n\r#"'\\]/.test(p)) throw new AppError('InvalidParameterValue', `instance directory ${JSON.stringify(p)} contains characters my.cnf cannot hold`);
  }
  const lines = [
    '# Written by tlsql; rewritten on provision. Read with --defaults-file only.',
    '[mariadbd]',
    `datadir = ${layout.dataDir}`,
    `socket = ${layout.socketPath}`,
    `pid-file = ${layout.pidFile}`,
    `log-error = ${layout.errorLog}`,
    `secure-file-priv = ${layout.filesDir}`,
    `tmpdir = ${layout.tmpDir}`,
    // The front door is the only way in: unix socket only, PROXY header carries the client address.
    'skip-networking',
    'skip-name-resolve',
    'proxy-protocol-networks = localhost',
    // Behind the front door every session's socket peer is tlsql itself: unix_socket accounts
    // would let anyone in. And no loadable plugins (a handlersocket or audit plugin installed by
    // the master user could open TCP ports or write files outside the instance).
    'unix-socket = OFF',
    `plugin-dir = ${layout.pluginDir}`,
    `ssl-cert = ${layout.certFile}`,
    `ssl-key = ${layout.keyFile}`,
    `ssl-ca = ${layout.caFile}`,
    `tls-version = ${tlsVersions.join(',')}`,
    ...(opts.sslCipher !== undefined ? [`ssl-cipher = ${opts.sslCipher}`] : []),
    // Sizing and character set: parameter group values override them on the command line.
    ...Object.entries(ENGINE_SETTINGS).map(([k, v]) => `${k.replaceAll('_', '-')} = ${v}`),
    // connect-timeout is set on mariadbd's command line (mariadb-process.ts), so it also reaches
    // instances provisioned before it existed.
    'skip-log-bin',
    '',
  ];
  return lines.join('\n');
}
