import type { OutputFormat } from '../options.js';
import { formatJson } from './format-json.js';
import { formatTable } from './format-table.js';
import { formatText } from './format-text.js';
import { normalizeOutput } from './normalize.js';

/**
 * Renders an API response (SDK output or plain data) in the chosen `--output` format.
 * `operation` titles the table (e.g. `DescribeDBInstances`); `terminalWidth` (default 80) only
 * affects tables.
 */
export function renderOutput(format: OutputFormat, operation: string, response: unknown, terminalWidth = 80): string {
  const value = normalizeOutput(response);
  switch (format) {
    case 'json':
      return formatJson(value);
    case 'table':
      return formatTable(operation, value, terminalWidth);
    case 'text':
      return formatText(value);
  }
}
