import type { OutputFormat } from '../options.js';
import { formatJson } from './format-json.js';
import { formatTable } from './format-table.js';
import { formatText } from './format-text.js';
import jmespath from 'jmespath';
import { normalizeOutput, type CliValue } from './normalize.js';

/**
 * Renders an API response (SDK output or plain data) in the chosen `--output` format.
 * `operation` titles the table (e.g. `DescribeDBInstances`); `terminalWidth` (default 80) only
 * affects tables. `query` (JMESPath, already checked) selects from the response first, as the
 * AWS CLI's `--query` does: on the response as printed (timestamps already strings).
 */
export function renderOutput(format: OutputFormat, operation: string, response: unknown, terminalWidth = 80, query?: string): string {
  const normalized = normalizeOutput(response);
  const value = query === undefined ? normalized : (jmespath.search(normalized, query) as CliValue);
  switch (format) {
    case 'json':
      return formatJson(value);
    case 'table':
      return formatTable(operation, value, terminalWidth);
    case 'text':
      return formatText(value);
  }
}
