/**
 * Errors of `tlsql mysql` beyond the MySQL ones (protocol/client-error.ts): a bad command line,
 * and how an error is printed, the error line followed by one line of hint when tlsql knows the
 * likely cause.
 */
import type { ClientError } from '../protocol/client-error.js';

/** A bad command line (unknown option, missing value). */
export class ClientUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClientUsageError';
  }
}

/** The lines printed to stderr for `e`: the error and, when known, the hint. */
export function formatClientError(e: ClientError): string {
  return e.format() + '\n' + (e.hint !== undefined ? `Hint: ${e.hint}\n` : '');
}

/** True for mysql2 errors carrying a server error (errno + sqlState). */
export function isServerError(e: unknown): e is { errno: number; sqlState: string; sqlMessage: string; message: string; code?: string } {
  const x = e as { errno?: unknown; sqlState?: unknown; sqlMessage?: unknown };
  return typeof x?.errno === 'number' && typeof x?.sqlState === 'string' && typeof x?.sqlMessage === 'string';
}
