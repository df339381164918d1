import { encodeErrPacket } from './err-packet.js';

/**
 * The MariaDB server errors the front door sends in place of the backend, so clients see exactly
 * what MariaDB itself would send: same name, number, SQLSTATE and English text.
 *
 * Rows are copied from MariaDB 10.11's sql/share/errmsg-utf8.txt (installed as
 * /usr/share/mysql/errmsg-utf8.txt), keeping the server's printf formats, including width limits
 * such as `%-.64s`; an empty SQLSTATE there means HY000. Edit rows only by re-copying them from
 * that file, and keep them sorted by code.
 *
 * Three rows are not 10.11's own. ER_UNKNOWN_ERROR_MSG and ER_ACCESS_DENIED_CERTIFICATE_REVOKED are marked below. ER_SECURE_TRANSPORT_REQUIRED is not in 10.11 (which answers an insecure connection under
 * require_secure_transport with ER_ACCESS_DENIED_ERROR); its row is MariaDB 11.x's, which took
 * MySQL's number and text with SQLSTATE 08004 (MySQL itself sends HY000).
 */
export const MYSQL_ERRORS = {
  ER_CON_COUNT_ERROR: { code: 1040, sqlState: '08004', format: 'Too many connections' },
  ER_HANDSHAKE_ERROR: { code: 1043, sqlState: '08S01', format: 'Bad handshake' },
  ER_DBACCESS_DENIED_ERROR: { code: 1044, sqlState: '42000', format: "Access denied for user '%s'@'%s' to database '%-.192s'" },
  ER_ACCESS_DENIED_ERROR: { code: 1045, sqlState: '28000', format: "Access denied for user '%s'@'%s' (using password: %s)" },
  // Not a row of errmsg-utf8.txt: 1045 as MariaDB sends for a certificate it cannot verify, with a
  // text that says the client certificate is revoked (docs/revocation.md), so a user sees why.
  ER_ACCESS_DENIED_CERTIFICATE_REVOKED: { code: 1045, sqlState: '28000', format: "Access denied for user '%s'@'%s': client certificate %s" },
  ER_SERVER_SHUTDOWN: { code: 1053, sqlState: '08S01', format: 'Server shutdown in progress' },
  ER_UNKNOWN_ERROR: { code: 1105, sqlState: 'HY000', format: 'Unknown error' },
  // Not a row of errmsg-utf8.txt: the server's my_message(ER_UNKNOWN_ERROR, text) form, 1105 with
  // a caller-supplied text, for front-door refusals that have no MariaDB error of their own.
  ER_UNKNOWN_ERROR_MSG: { code: 1105, sqlState: 'HY000', format: '%s' },
  ER_HOST_NOT_PRIVILEGED: { code: 1130, sqlState: 'HY000', format: "Host '%-.64s' is not allowed to connect to this MariaDB server" },
  ER_NET_PACKET_TOO_LARGE: { code: 1153, sqlState: '08S01', format: "Got a packet bigger than 'max_allowed_packet' bytes" },
  ER_NET_READ_ERROR: { code: 1158, sqlState: '08S01', format: 'Got an error reading communication packets' },
  ER_NET_READ_INTERRUPTED: { code: 1159, sqlState: '08S01', format: 'Got timeout reading communication packets' },
  ER_NET_ERROR_ON_WRITE: { code: 1160, sqlState: '08S01', format: 'Got an error writing communication packets' },
  ER_NET_WRITE_INTERRUPTED: { code: 1161, sqlState: '08S01', format: 'Got timeout writing communication packets' },
  ER_NOT_SUPPORTED_AUTH_MODE: {
    code: 1251,
    sqlState: '08004',
    format: 'Client does not support authentication protocol requested by server; consider upgrading MariaDB client',
  },
  ER_PLUGIN_IS_NOT_LOADED: { code: 1524, sqlState: 'HY000', format: "Plugin '%-.192s' is not loaded" },
  ER_SECURE_TRANSPORT_REQUIRED: {
    code: 3159,
    sqlState: '08004',
    format: 'Connections using insecure transport are prohibited while --require_secure_transport=ON.',
  },
} as const satisfies Record<string, { code: number; sqlState: string; format: string }>;

/** Name of a server error the front door can send. */
export type MysqlErrorName = keyof typeof MYSQL_ERRORS;

/** A server error ready to encode as an ERR packet. */
export interface MysqlError {
  code: number;
  sqlState: string;
  message: string;
}

/**
 * The error `name` with its format filled in from `args`, in order, the way the server's
 * my_vsnprintf does: `%s` inserts the argument, `%-.Ns` at most its first N characters, `%d`,
 * `%u`, `%ld`, `%lu` a number, `%%` a percent sign. Missing arguments become empty strings.
 */
export function mysqlError(name: MysqlErrorName, ...args: ReadonlyArray<string | number>): MysqlError {
  const entry = MYSQL_ERRORS[name];
  return { code: entry.code, sqlState: entry.sqlState, message: formatServerMessage(entry.format, args) };
}

/** `mysqlError(name, ...args)` encoded as an ERR packet payload (add the header with `encodePacket`). */
export function errPacketFor(name: MysqlErrorName, ...args: ReadonlyArray<string | number>): Buffer {
  return encodeErrPacket(mysqlError(name, ...args));
}

const FORMAT_SPEC = /%(?:%|(-)?(?:\.(\d+))?(l?[sdu]))/g;

function formatServerMessage(format: string, args: ReadonlyArray<string | number>): string {
  let next = 0;
  return format.replace(FORMAT_SPEC, (spec: string, _left: string | undefined, precision: string | undefined) => {
    if (spec === '%%') return '%';
    const arg = args[next++];
    const text = arg === undefined ? '' : String(arg);
    if (precision === undefined) return text;
    // Precision counts characters, not bytes or UTF-16 units, as in the server.
    const chars = Array.from(text);
    return chars.length > Number(precision) ? chars.slice(0, Number(precision)).join('') : text;
  });
}
