/**
 * Capability flags of the connection phase, as in MariaDB's include/mysql_com.h (10.11) and
 * MySQL's. `>>> 0` keeps every value an unsigned 32-bit number, so `flags & ~CLIENT_SSL` style
 * arithmetic followed by `>>> 0` never produces negative numbers.
 *
 * The 32-bit `capabilityFlags` of a packet hold the CLIENT_* bits. MariaDB (10.2+) adds a second
 * 32-bit word, the MARIADB_CLIENT_* bits, in the last 4 filler bytes of the greeting and of the
 * client's SSLRequest/HandshakeResponse, but only when bit 0 (CLIENT_MYSQL) is clear in that
 * packet's `capabilityFlags`. The codecs expose that word as `mariadbExtendedCapabilities`; the
 * MARIADB_CLIENT_* constants below are bit positions within it (MariaDB's headers write them as
 * `1ULL << 32` and up).
 */

/** MariaDB meaning of bit 0: the peer is MySQL or an old MariaDB (no extended capabilities). */
export const CLIENT_MYSQL = 0x0000_0001 >>> 0;
/** MySQL meaning of bit 0 ("new more secure passwords"); the same bit as CLIENT_MYSQL. */
export const CLIENT_LONG_PASSWORD = 0x0000_0001 >>> 0;
export const CLIENT_FOUND_ROWS = 0x0000_0002 >>> 0;
export const CLIENT_LONG_FLAG = 0x0000_0004 >>> 0;
/** A database name follows the auth response in the HandshakeResponse. */
export const CLIENT_CONNECT_WITH_DB = 0x0000_0008 >>> 0;
export const CLIENT_NO_SCHEMA = 0x0000_0010 >>> 0;
export const CLIENT_COMPRESS = 0x0000_0020 >>> 0;
export const CLIENT_ODBC = 0x0000_0040 >>> 0;
export const CLIENT_LOCAL_FILES = 0x0000_0080 >>> 0;
export const CLIENT_IGNORE_SPACE = 0x0000_0100 >>> 0;
/** 4.1 protocol; the codecs require it in client packets. */
export const CLIENT_PROTOCOL_41 = 0x0000_0200 >>> 0;
export const CLIENT_INTERACTIVE = 0x0000_0400 >>> 0;
/** Server: can switch to TLS. Client: an SSLRequest precedes the TLS handshake. */
export const CLIENT_SSL = 0x0000_0800 >>> 0;
export const CLIENT_IGNORE_SIGPIPE = 0x0000_1000 >>> 0;
export const CLIENT_TRANSACTIONS = 0x0000_2000 >>> 0;
/** Old 4.1 protocol flag; reserved. */
export const CLIENT_RESERVED = 0x0000_4000 >>> 0;
/** 4.1 authentication: the auth response is prefixed by a 1-byte length. */
export const CLIENT_SECURE_CONNECTION = 0x0000_8000 >>> 0;
/** MySQL's later name for CLIENT_SECURE_CONNECTION. */
export const CLIENT_RESERVED2 = CLIENT_SECURE_CONNECTION;
export const CLIENT_MULTI_STATEMENTS = 0x0001_0000 >>> 0;
export const CLIENT_MULTI_RESULTS = 0x0002_0000 >>> 0;
export const CLIENT_PS_MULTI_RESULTS = 0x0004_0000 >>> 0;
/** Auth plugin names are exchanged (greeting, HandshakeResponse, AuthSwitchRequest). */
export const CLIENT_PLUGIN_AUTH = 0x0008_0000 >>> 0;
/** The HandshakeResponse carries a connection-attributes block. */
export const CLIENT_CONNECT_ATTRS = 0x0010_0000 >>> 0;
/** The auth response length is a length-encoded integer (so it may exceed 255 bytes). */
export const CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 0x0020_0000 >>> 0;
export const CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 0x0040_0000 >>> 0;
export const CLIENT_SESSION_TRACK = 0x0080_0000 >>> 0;
/** Result sets end with an OK packet (header 0xfe) instead of an EOF packet. */
export const CLIENT_DEPRECATE_EOF = 0x0100_0000 >>> 0;
/** MySQL 8 only. */
export const CLIENT_OPTIONAL_RESULTSET_METADATA = 0x0200_0000 >>> 0;
/** MySQL 8 only: a zstd compression level byte follows the connection attributes. */
export const CLIENT_ZSTD_COMPRESSION_ALGORITHM = 0x0400_0000 >>> 0;
/** MySQL 8 only. */
export const CLIENT_QUERY_ATTRIBUTES = 0x0800_0000 >>> 0;
/** MySQL 8 only. */
export const MULTI_FACTOR_AUTHENTICATION = 0x1000_0000 >>> 0;
/** MySQL meaning of bit 29. */
export const CLIENT_CAPABILITY_EXTENSION = 0x2000_0000 >>> 0;
/** MariaDB meaning of bit 29 (progress reports moved to MARIADB_CLIENT_PROGRESS). */
export const CLIENT_PROGRESS_OBSOLETE = 0x2000_0000 >>> 0;
/** Client-side option; never meaningful on the wire. */
export const CLIENT_SSL_VERIFY_SERVER_CERT = 0x4000_0000 >>> 0;
/** Client-side option; never meaningful on the wire. */
export const CLIENT_REMEMBER_OPTIONS = 0x8000_0000 >>> 0;

/** Bits of `mariadbExtendedCapabilities` (bit n here is bit 32+n of MariaDB's 64-bit flags). */
export const MARIADB_CLIENT_PROGRESS = 0x0000_0001 >>> 0;
/** Formerly MARIADB_CLIENT_COM_MULTI; the feature was removed. */
export const MARIADB_CLIENT_RESERVED_1 = 0x0000_0002 >>> 0;
export const MARIADB_CLIENT_COM_MULTI = MARIADB_CLIENT_RESERVED_1;
export const MARIADB_CLIENT_STMT_BULK_OPERATIONS = 0x0000_0004 >>> 0;
export const MARIADB_CLIENT_EXTENDED_METADATA = 0x0000_0008 >>> 0;
/** Since 10.6. */
export const MARIADB_CLIENT_CACHE_METADATA = 0x0000_0010 >>> 0;
/** Since 11.5; listed so newer clients' flags decode by name. */
export const MARIADB_CLIENT_BULK_UNIT_RESULTS = 0x0000_0020 >>> 0;

/** True when every bit of `cap` is set in `flags` (both read as unsigned 32-bit). */
export function hasCap(flags: number, cap: number): boolean {
  return ((flags & cap) >>> 0) === cap >>> 0;
}

/** `flags` with `cap` set, as an unsigned 32-bit number. */
export function withCap(flags: number, cap: number): number {
  return (flags | cap) >>> 0;
}

/** `flags` with `cap` cleared, as an unsigned 32-bit number. */
export function withoutCap(flags: number, cap: number): number {
  return (flags & ~cap) >>> 0;
}

/**
 * True when a packet with these `capabilityFlags` carries MariaDB extended capabilities in its
 * filler, i.e. its sender is a MariaDB 10.2+ server or a MariaDB-aware client (CLIENT_MYSQL clear).
 */
export function carriesMariadbExtendedCapabilities(capabilityFlags: number): boolean {
  return (capabilityFlags & CLIENT_MYSQL) === 0;
}

const CLIENT_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['CLIENT_MYSQL', CLIENT_MYSQL],
  ['CLIENT_FOUND_ROWS', CLIENT_FOUND_ROWS],
  ['CLIENT_LONG_FLAG', CLIENT_LONG_FLAG],
  ['CLIENT_CONNECT_WITH_DB', CLIENT_CONNECT_WITH_DB],
  ['CLIENT_NO_SCHEMA', CLIENT_NO_SCHEMA],
  ['CLIENT_COMPRESS', CLIENT_COMPRESS],
  ['CLIENT_ODBC', CLIENT_ODBC],
  ['CLIENT_LOCAL_FILES', CLIENT_LOCAL_FILES],
  ['CLIENT_IGNORE_SPACE', CLIENT_IGNORE_SPACE],
  ['CLIENT_PROTOCOL_41', CLIENT_PROTOCOL_41],
  ['CLIENT_INTERACTIVE', CLIENT_INTERACTIVE],
  ['CLIENT_SSL', CLIENT_SSL],
  ['CLIENT_IGNORE_SIGPIPE', CLIENT_IGNORE_SIGPIPE],
  ['CLIENT_TRANSACTIONS', CLIENT_TRANSACTIONS],
  ['CLIENT_RESERVED', CLIENT_RESERVED],
  ['CLIENT_SECURE_CONNECTION', CLIENT_SECURE_CONNECTION],
  ['CLIENT_MULTI_STATEMENTS', CLIENT_MULTI_STATEMENTS],
  ['CLIENT_MULTI_RESULTS', CLIENT_MULTI_RESULTS],
  ['CLIENT_PS_MULTI_RESULTS', CLIENT_PS_MULTI_RESULTS],
  ['CLIENT_PLUGIN_AUTH', CLIENT_PLUGIN_AUTH],
  ['CLIENT_CONNECT_ATTRS', CLIENT_CONNECT_ATTRS],
  ['CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA', CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA],
  ['CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS', CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS],
  ['CLIENT_SESSION_TRACK', CLIENT_SESSION_TRACK],
  ['CLIENT_DEPRECATE_EOF', CLIENT_DEPRECATE_EOF],
  ['CLIENT_OPTIONAL_RESULTSET_METADATA', CLIENT_OPTIONAL_RESULTSET_METADATA],
  ['CLIENT_ZSTD_COMPRESSION_ALGORITHM', CLIENT_ZSTD_COMPRESSION_ALGORITHM],
  ['CLIENT_QUERY_ATTRIBUTES', CLIENT_QUERY_ATTRIBUTES],
  ['MULTI_FACTOR_AUTHENTICATION', MULTI_FACTOR_AUTHENTICATION],
  ['CLIENT_CAPABILITY_EXTENSION', CLIENT_CAPABILITY_EXTENSION],
  ['CLIENT_SSL_VERIFY_SERVER_CERT', CLIENT_SSL_VERIFY_SERVER_CERT],
  ['CLIENT_REMEMBER_OPTIONS', CLIENT_REMEMBER_OPTIONS],
];

const MARIADB_NAMES: ReadonlyArray<readonly [string, number]> = [
  ['MARIADB_CLIENT_PROGRESS', MARIADB_CLIENT_PROGRESS],
  ['MARIADB_CLIENT_RESERVED_1', MARIADB_CLIENT_RESERVED_1],
  ['MARIADB_CLIENT_STMT_BULK_OPERATIONS', MARIADB_CLIENT_STMT_BULK_OPERATIONS],
  ['MARIADB_CLIENT_EXTENDED_METADATA', MARIADB_CLIENT_EXTENDED_METADATA],
  ['MARIADB_CLIENT_CACHE_METADATA', MARIADB_CLIENT_CACHE_METADATA],
  ['MARIADB_CLIENT_BULK_UNIT_RESULTS', MARIADB_CLIENT_BULK_UNIT_RESULTS],
];

/**
 * Names of the bits set in `flags`, for logs; unknown bits appear as `0x…`. Pass `'mariadb'` to
 * name `mariadbExtendedCapabilities` bits instead of CLIENT_* bits.
 */
export function describeCapabilities(flags: number, word: 'client' | 'mariadb' = 'client'): string[] {
  const table = word === 'client' ? CLIENT_NAMES : MARIADB_NAMES;
  const out: string[] = [];
  let rest = flags >>> 0;
  for (const [name, bit] of table) {
    if (rest & bit) {
      out.push(name);
      rest = (rest & ~bit) >>> 0;
    }
  }
  for (let bit = 1; rest !== 0; bit = (bit << 1) >>> 0) {
    if (rest & bit) {
      out.push(`0x${bit.toString(16).padStart(8, '0')}`);
      rest = (rest & ~bit) >>> 0;
    }
  }
  return out;
}
