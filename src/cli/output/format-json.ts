import { isTruthy, type CliValue } from './normalize.js';

/**
 * The AWS CLI's `--output json`: 4-space indent, keys in response order, non-ASCII kept,
 * a trailing newline; nothing at all for an empty response.
 */
export function formatJson(value: CliValue): string {
  if (!isTruthy(value)) return '';
  return JSON.stringify(value, null, 4) + '\n';
}
