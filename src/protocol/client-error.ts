/**
 * Errors as a MySQL client reports them, printed the way MySQL users recognise them:
 * `ERROR 1045 (28000): Access denied ...`, `ERROR 2026 (HY000): SSL connection error: ...`.
 * Server errors keep the server's number; failures on the client side use libmysqlclient's.
 * Here rather than in client/ because the greeting and TLS upgrade steps (greeting.ts,
 * upgrade-to-tls.ts) report with them, for `tlsql mysql` and `tlsql doctor` alike.
 */

/** Client-side error numbers of libmysqlclient (errmsg.h) that tlsql mysql reports. */
export const CR = {
  /** Can't connect to MySQL server on '%s:%d' (%d). */
  CONN_HOST_ERROR: 2003,
  /** Unknown MySQL server host '%s' (%d). */
  UNKNOWN_HOST: 2005,
  /** MySQL server has gone away. */
  SERVER_GONE_ERROR: 2006,
  /** Lost connection to MySQL server during query / at '%s'. */
  SERVER_LOST: 2013,
  /** SSL connection error: %s. */
  SSL_CONNECTION_ERROR: 2026,
  /** Authentication plugin '%s' cannot be loaded. */
  AUTH_PLUGIN_CANNOT_LOAD: 2059,
  /** Failed to read the password from the terminal (tlsql's own use of an unused slot). */
  UNKNOWN_ERROR: 2000,
} as const;

/** An error with a MySQL error number and SQLSTATE, from the server or from the client. */
export class ClientError extends Error {
  readonly errno: number;
  readonly sqlState: string;
  /** One line telling what to do, or undefined when the cause is not known. */
  hint: string | undefined;

  constructor(errno: number, sqlState: string, message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ClientError';
    this.errno = errno;
    this.sqlState = sqlState;
    this.hint = opts.hint;
  }

  /** `ERROR 2026 (HY000): SSL connection error: <detail>`. */
  static ssl(detail: string, opts: { hint?: string; cause?: unknown } = {}): ClientError {
    return new ClientError(CR.SSL_CONNECTION_ERROR, 'HY000', `SSL connection error: ${detail}`, opts);
  }

  /** `ERROR 1045 (28000): Access denied ...` style, without the hint. */
  format(): string {
    return `ERROR ${this.errno} (${this.sqlState}): ${this.message}`;
  }
}
