import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/errors/codes.js';
import { MYSQL_ERRORS } from '../../src/protocol/mysql-errors.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

describe('docs/errors.md', () => {
  it.each(Object.entries(errorCodes))('documents API fault %s with its HTTP status', (code, { status }) => {
    expect(doc).toMatch(new RegExp(`\\| \`${code}\` \\| ${status} \\|`));
  });

  it.each(Object.entries(MYSQL_ERRORS))('documents MySQL error %s with its code', (name, e) => {
    expect(doc).toContain(`\`${name}\``);
    expect(doc).toMatch(new RegExp(`\\| ${e.code} \\| ${e.sqlState} \\|`));
  });
});
