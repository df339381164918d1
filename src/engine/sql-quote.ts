import { nativePasswordHash } from '../protocol/native-password.js';

/**
 * SQL text built by the engine module. Only for sessions whose sql_mode does not contain
 * NO_BACKSLASH_ESCAPES (the engine clears it on its own sessions, see `resetSqlModeStatement`):
 * there, a backslash starts an escape sequence, so it must be doubled.
 */

const escapes: Record<string, string> = {
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  "'": "\\'",
  '\\': '\\\\',
};

/** A single-quoted SQL string literal for `s` (same escaping as the mysql2 client's). */
export function quoteString(s: string): string {
  return `'${s.replace(/[\0\n\r\x1a'\\]/g, (c) => escapes[c] ?? c)}'`;
}

/** An account name, `'user'@'host'`, each part quoted as a string literal. */
export function quoteAccount(user: string, host: string): string {
  return `${quoteString(user)}@${quoteString(host)}`;
}

/** `IDENTIFIED VIA mysql_native_password USING '<hash>'` for `password`. */
export function identifiedByPassword(password: string): string {
  return `IDENTIFIED VIA mysql_native_password USING ${quoteString(nativePasswordHash(password))}`;
}

/** Clears NO_BACKSLASH_ESCAPES for the session, keeping the rest of its sql_mode. */
export const resetSqlModeStatement = "SET SESSION sql_mode = REPLACE(@@SESSION.sql_mode, 'NO_BACKSLASH_ESCAPES', '')";
