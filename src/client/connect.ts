/**
 * Opens a `tlsql mysql` connection on mysql2 with MySQL 8 `--ssl-mode` semantics: TCP, peek at
 * the greeting (does the server offer TLS?), decide per mode, then let mysql2 run the handshake
 * on the same socket. Failures become ClientErrors numbered like libmysqlclient's, with a hint
 * when the cause is known (for TLS failures, found by looking at the certificate the server sends).
 */

import type { TLSSocket } from 'node:tls';
import mysql from 'mysql2/promise';
import { CR, ClientError } from '../protocol/client-error.js';
import { connectTcp, peekGreeting, type GreetingInfo } from '../protocol/greeting.js';
import { isServerError } from './errors.js';
import type { MysqlClientOptions } from './options.js';
import { decideTls, mysql2SslOptions, type TlsSettings } from './ssl-mode.js';
import { hintForTlsFailure } from './tls-hints.js';
import { describeTlsSocket, identityReport, type IdentityReport, type TlsSessionInfo } from './tls-info.js';

/** An open session and what is known about it. */
export interface OpenConnection {
  conn: mysql.Connection;
  greeting: GreetingInfo;
  /** Undefined on a plaintext connection. */
  tls: TlsSessionInfo | undefined;
  identity: IdentityReport;
  /** The password used (kept to open the KILL QUERY connection on Ctrl-C). */
  password: string;
}

/** What `openConnection` needs besides the parsed options. */
export interface ConnectParams {
  options: MysqlClientOptions;
  tls: TlsSettings;
  password: string;
  /** Data dir of tlsql, for hints naming its bundles. */
  dataDir?: string;
}

/** The mysql2 charset name for a `--default-character-set` value. */
function charsetOf(name: string): string {
  const n = name.toLowerCase();
  if (n === 'utf8' || n === 'utf8mb3') return 'UTF8_GENERAL_CI';
  if (n === 'utf8mb4') return 'UTF8MB4_GENERAL_CI';
  if (n === 'latin1') return 'LATIN1_SWEDISH_CI';
  if (n === 'binary') return 'BINARY';
  return `${n.toUpperCase()}_GENERAL_CI`;
}

/** Opens a session. Throws ClientError (never a raw mysql2 error). */
export async function openConnection(p: ConnectParams): Promise<OpenConnection> {
  const o = p.options;
  const timeoutMs = Math.max(1, o.connectTimeoutSec) * 1000;
  const where = `${o.host}:${o.port}`;
  const sock = await connectTcp(o.host, o.port, timeoutMs);
  let greeting: GreetingInfo;
  try {
    greeting = await peekGreeting(sock, timeoutMs, where);
  } catch (e) {
    sock.destroy();
    throw e;
  }
  let decision;
  try {
    decision = decideTls(p.tls.mode, greeting.offersTls);
  } catch (e) {
    sock.destroy();
    if (e instanceof ClientError) {
      e.hint ??= `the server at ${where} (${greeting.serverVersion}) offers no TLS: tlsql endpoints always do, so this is not a tlsql endpoint; --ssl-mode=DISABLED connects in plaintext`;
    }
    throw e;
  }

  const config: mysql.ConnectionOptions = {
    host: o.host,
    port: o.port,
    user: o.user,
    password: p.password,
    stream: sock,
    connectTimeout: timeoutMs,
    charset: charsetOf(o.defaultCharacterSet),
    enableCleartextPlugin: o.enableCleartextPlugin,
    multipleStatements: false,
    // Values as the server sent them: the client prints text, never JS numbers or dates.
    typeCast: false,
    rowsAsArray: true,
    connectAttributes: { program_name: 'tlsql mysql' },
  };
  if (o.database !== undefined) config.database = o.database;
  if (decision.useTls) config.ssl = mysql2SslOptions(p.tls, decision) as mysql.SslOptions;

  let conn: mysql.Connection;
  try {
    const pending = mysql.createConnection(config);
    // mysql2 has attached its 'data' listener by now: let the greeting flow to it.
    sock.resume();
    conn = await pending;
  } catch (e) {
    sock.destroy();
    throw await toConnectError(e, p, greeting, decision.useTls);
  }

  const stream = (conn as unknown as { connection: { stream: unknown } }).connection.stream;
  const tls = decision.useTls ? describeTlsSocket(stream as TLSSocket, p.tls.caFiles) : undefined;
  const identity = identityReport(p.tls.mode, o.host, tls, decision.useTls ? undefined : decision.reason);
  if (o.initCommand !== undefined) {
    try {
      await conn.query(o.initCommand);
    } catch (e) {
      conn.destroy();
      throw toQueryError(e);
    }
  }
  return { conn, greeting, tls, identity, password: p.password };
}

/** A mysql2 failure during connect, as the MySQL client would print it. */
async function toConnectError(e: unknown, p: ConnectParams, greeting: GreetingInfo, usedTls: boolean): Promise<ClientError> {
  const o = p.options;
  if (e instanceof ClientError) return e;
  if (isServerError(e)) {
    const err = new ClientError(e.errno, e.sqlState, e.sqlMessage, { cause: e });
    err.hint = hintForServerError(err, p, usedTls);
    return err;
  }
  const x = e as NodeJS.ErrnoException & { message: string };
  if (x.code === 'MYSQL_CLEAR_PASSWORD_NOT_ENABLED') {
    return new ClientError(CR.AUTH_PLUGIN_CANNOT_LOAD, 'HY000', "Authentication plugin 'mysql_clear_password' cannot be loaded: plugin not enabled", {
      hint: 'this account logs in with an IAM authentication token: add --enable-cleartext-plugin and pass the token with --password=',
      cause: e,
    });
  }
  // mysql2 relabels every TLS failure HANDSHAKE_SSL_ERROR; Node's own codes may come through too.
  if (x.code === 'HANDSHAKE_SSL_ERROR' || /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_)/.test(x.code ?? '')) {
    const hint = await hintForTlsFailure({ host: o.host, port: o.port, mode: p.tls.mode, caFiles: p.tls.caFiles, message: x.message, dataDir: p.dataDir });
    return ClientError.ssl(x.message, { cause: e, ...(hint !== undefined ? { hint } : {}) });
  }
  if (x.code === 'PROTOCOL_CONNECTION_LOST' || x.code === 'ECONNRESET' || x.code === 'EPIPE') {
    return new ClientError(CR.SERVER_LOST, 'HY000', `Lost connection to MySQL server at 'reading authorization packet', system error: ${x.code === 'PROTOCOL_CONNECTION_LOST' ? 0 : x.code}`, { cause: e });
  }
  if (x.code === 'ETIMEDOUT') {
    return new ClientError(CR.CONN_HOST_ERROR, 'HY000', `Can't connect to MySQL server on '${o.host}:${o.port}' (110)`, { cause: e });
  }
  return new ClientError(CR.UNKNOWN_ERROR, 'HY000', `Unknown MySQL error: ${x.message ?? String(e)} (${greeting.serverVersion})`, { cause: e });
}

/** A hint for server errors whose usual cause tlsql knows. */
function hintForServerError(err: ClientError, p: ConnectParams, usedTls: boolean): string | undefined {
  const o = p.options;
  if (err.errno === 3159) {
    return 'the instance requires TLS (require_secure_transport=ON): connect with --ssl-mode=VERIFY_IDENTITY --ssl-ca=global-bundle.pem';
  }
  if (err.errno === 1045) {
    if (!usedTls) {
      return `the connection was not encrypted (--ssl-mode=${p.tls.mode}): accounts with REQUIRE SSL refuse plaintext logins; if the password is right, use --ssl-mode=VERIFY_IDENTITY --ssl-ca=global-bundle.pem`;
    }
    if (p.password.includes('X-Amz-Signature=')) {
      return 'the password is an IAM token: tokens live 15 minutes and are bound to this endpoint, port, user and region (tlsql doctor <endpoint> --token <token> checks which part fails)';
    }
    if (o.password.kind === 'none') return 'no password was given: add -p to be asked for it';
    return undefined;
  }
  if (err.errno === 1044 || err.errno === 1049) {
    return o.database !== undefined ? `check the database name '${o.database}' (SHOW DATABASES lists the ones you can use)` : undefined;
  }
  if (err.errno === 1130) return 'the instance does not accept connections from this address (network allow-list or account host)';
  return undefined;
}

/** A mysql2 failure of a statement, as the MySQL client prints it. */
export function toQueryError(e: unknown): ClientError {
  if (e instanceof ClientError) return e;
  if (isServerError(e)) return new ClientError(e.errno, e.sqlState, e.sqlMessage, { cause: e });
  const x = e as NodeJS.ErrnoException & { message: string; fatal?: boolean };
  if (x.code === 'PROTOCOL_CONNECTION_LOST' || x.code === 'ECONNRESET' || x.code === 'EPIPE') {
    return new ClientError(CR.SERVER_LOST, 'HY000', 'Lost connection to MySQL server during query', { cause: e });
  }
  if (x.code === 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR' || x.code === 'PROTOCOL_ENQUEUE_AFTER_QUIT') {
    return new ClientError(CR.SERVER_GONE_ERROR, 'HY000', 'MySQL server has gone away', { cause: e });
  }
  return new ClientError(CR.UNKNOWN_ERROR, 'HY000', x.message ?? String(e), { cause: e });
}
