import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { filtersOption, parametersOption, tagsOption } from '../../../src/cli/commands/common-options.js';
import { UsageError } from '../../../src/cli/errors.js';
import type { OptionSpec } from '../../../src/cli/options.js';
import { parseOptions, parseTimestamp } from '../../../src/cli/parse-args.js';
import { parseShorthand } from '../../../src/cli/shorthand.js';
import { cli } from './fake-rds-server.js';

const specs: readonly OptionSpec[] = [
  { name: 'db-instance-identifier', type: 'string', required: true, help: '' },
  { name: 'port', type: 'integer', help: '' },
  { name: 'apply-immediately', type: 'boolean', help: '' },
  { name: 'enable-iam-database-authentication', type: 'boolean', help: '' },
  { name: 'output', type: 'string', choices: ['json', 'table', 'text'], help: '' },
  { name: 'event-categories', type: 'string-list', help: '' },
  { name: 'start-time', type: 'timestamp', help: '' },
  filtersOption,
  tagsOption,
  parametersOption,
];

const parse = (...tokens: string[]) => parseOptions(['--db-instance-identifier', 'db1', ...tokens], specs, { command: 'create-db-instance' }).values;

function usageError(f: () => unknown): UsageError {
  try {
    f();
  } catch (e) {
    if (e instanceof UsageError) return e;
    throw e;
  }
  throw new Error('expected a UsageError');
}

describe('option syntax', () => {
  it('accepts a value as the next token or after =', () => {
    expect(parseOptions(['--db-instance-identifier', 'a'], specs, { command: 'x' }).values).toEqual({ dbInstanceIdentifier: 'a' });
    expect(parseOptions(['--db-instance-identifier=a=b'], specs, { command: 'x' }).values).toEqual({ dbInstanceIdentifier: 'a=b' });
  });

  it('turns booleans on with --flag and off with --no-flag', () => {
    expect(parse('--apply-immediately')).toMatchObject({ applyImmediately: true });
    expect(parse('--no-apply-immediately')).toMatchObject({ applyImmediately: false });
    expect(parse('--enable-iam-database-authentication')).toMatchObject({ enableIamDatabaseAuthentication: true });
    expect(parse('--no-enable-iam-database-authentication')).toMatchObject({ enableIamDatabaseAuthentication: false });
  });

  it('validates integers', () => {
    expect(parse('--port', '3307')).toMatchObject({ port: 3307 });
    expect(parse('--port=-1')).toMatchObject({ port: -1 });
    expect(usageError(() => parse('--port', 'abc')).message).toBe("argument --port: invalid integer value: 'abc'");
    expect(usageError(() => parse('--port', '1.5')).message).toContain('invalid integer');
  });

  it('checks choices', () => {
    expect(usageError(() => parse('--output', 'yaml')).message).toBe("argument --output: Invalid choice 'yaml', valid choices are: json | table | text");
  });

  it('names an unknown option and the command', () => {
    const e = usageError(() => parse('--foo', 'x'));
    expect(e.message).toBe('unknown option --foo for create-db-instance');
    expect(e.exitCode).toBe(252);
    expect(usageError(() => parse('--no-port')).message).toBe('unknown option --no-port for create-db-instance');
  });

  it('lists every missing required option', () => {
    const e = usageError(() => parseOptions(['--port', '1'], specs, { command: 'create-db-instance' }));
    expect(e.message).toBe('the following arguments are required: --db-instance-identifier');
  });

  it('does not require options when help is asked for', () => {
    expect(parseOptions(['help'], specs, { command: 'x' }).help).toBe(true);
    expect(parseOptions(['--help'], specs, { command: 'x' }).help).toBe(true);
  });

  it('rejects a missing value, a repeated option and stray arguments', () => {
    expect(usageError(() => parse('--port')).message).toBe('argument --port: expected one argument');
    expect(usageError(() => parse('--port', '--apply-immediately')).message).toBe('argument --port: expected one argument');
    expect(usageError(() => parse('--port', '1', '--port', '2')).message).toBe('argument --port: given more than once');
    expect(usageError(() => parse('stray')).message).toBe('unrecognized arguments: stray');
    expect(usageError(() => parse('--apply-immediately=yes')).message).toContain('takes no value');
  });
});

describe('lists and structures', () => {
  it('reads filters in AWS shorthand, one structure per token, with comma lists of values', () => {
    expect(parse('--filters', 'Name=engine,Values=mariadb,mysql', 'Name=db-instance-id,Values=a')).toMatchObject({
      filters: [
        { Name: 'engine', Values: ['mariadb', 'mysql'] },
        { Name: 'db-instance-id', Values: ['a'] },
      ],
    });
  });

  it('reads filters as JSON', () => {
    expect(parse('--filters', '[{"Name":"engine","Values":["mariadb","mysql"]}]')).toMatchObject({
      filters: [{ Name: 'engine', Values: ['mariadb', 'mysql'] }],
    });
  });

  it('reads explicit [a,b] lists and quoted values', () => {
    expect(parse('--filters', 'Name=engine,Values=[mariadb, mysql]')).toMatchObject({ filters: [{ Name: 'engine', Values: ['mariadb', 'mysql'] }] });
    expect(parse('--tags', `Key=note,Value='a, b'`)).toMatchObject({ tags: [{ Key: 'note', Value: 'a, b' }] });
    expect(parse('--tags', 'Key=note,Value="say \\"hi\\""')).toMatchObject({ tags: [{ Key: 'note', Value: 'say "hi"' }] });
  });

  it('reads tags in shorthand and JSON', () => {
    expect(parse('--tags', 'Key=a,Value=b', 'Key=c,Value=')).toMatchObject({
      tags: [
        { Key: 'a', Value: 'b' },
        { Key: 'c', Value: '' },
      ],
    });
    expect(parse('--tags', '{"Key":"a","Value":"b"}')).toMatchObject({ tags: [{ Key: 'a', Value: 'b' }] });
  });

  it('reads parameters in shorthand and JSON', () => {
    expect(parse('--parameters', 'ParameterName=require_secure_transport,ParameterValue=ON,ApplyMethod=immediate')).toMatchObject({
      parameters: [{ ParameterName: 'require_secure_transport', ParameterValue: 'ON', ApplyMethod: 'immediate' }],
    });
    expect(parse('--parameters', '[{"ParameterName":"max_connections","ParameterValue":100,"ApplyMethod":"immediate"}]')).toMatchObject({
      parameters: [{ ParameterName: 'max_connections', ParameterValue: '100', ApplyMethod: 'immediate' }],
    });
  });

  it('keeps a comma list given to a single-valued member as one value', () => {
    expect(parse('--parameters', 'ParameterName=tls_version,ParameterValue=TLSv1.2,TLSv1.3,ApplyMethod=pending-reboot')).toMatchObject({
      parameters: [{ ParameterName: 'tls_version', ParameterValue: 'TLSv1.2,TLSv1.3', ApplyMethod: 'pending-reboot' }],
    });
  });

  it('names the option and the problem for bad structures', () => {
    expect(usageError(() => parse('--filters', 'Nam=engine')).message).toBe(
      "Error parsing parameter '--filters': unknown key Nam; valid keys are: Name, Values",
    );
    expect(usageError(() => parse('--filters', 'engine')).message).toContain("Error parsing parameter '--filters': expected '='");
    expect(usageError(() => parse('--filters', '[{"Name":')).message).toContain("Error parsing parameter '--filters': Invalid JSON");
    expect(usageError(() => parse('--tags', 'Key=[a,b],Value=c')).message).toContain('Key must be a single value');
  });

  it('reads string lists as tokens, comma lists or JSON', () => {
    expect(parse('--event-categories', 'creation', 'deletion')).toMatchObject({ eventCategories: ['creation', 'deletion'] });
    expect(parse('--event-categories', 'creation,deletion')).toMatchObject({ eventCategories: ['creation', 'deletion'] });
    expect(parse('--event-categories', '["creation"]')).toMatchObject({ eventCategories: ['creation'] });
  });

  it('reads a value from file://', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tlsql-cli-'));
    await writeFile(join(dir, 'p.json'), '[{"ParameterName":"a","ParameterValue":"1","ApplyMethod":"immediate"}]');
    const values = parseOptions(['--db-instance-identifier', 'x', '--parameters', 'file://p.json'], specs, {
      command: 'x',
      loadFile: (p) => readFileSync(join(dir, p), 'utf8'),
    }).values;
    expect(values.parameters).toEqual([{ ParameterName: 'a', ParameterValue: '1', ApplyMethod: 'immediate' }]);
  });
});

describe('shorthand parser', () => {
  it('stops a comma list at the next key=', () => {
    expect(parseShorthand('a=b,c,d=e')).toEqual({ a: { kind: 'list', items: ['b', 'c'], csv: true }, d: 'e' });
    expect(parseShorthand('a=b\\,c')).toEqual({ a: 'b,c' });
    expect(parseShorthand('a=')).toEqual({ a: '' });
  });
});

describe('timestamps', () => {
  it('reads ISO 8601 (zone-less as UTC) and epoch seconds', () => {
    expect(parseTimestamp('2026-01-02T03:04:05Z')?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(parseTimestamp('2026-01-02T03:04:05')?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(parseTimestamp('2026-01-02T03:04:05+01:00')?.toISOString()).toBe('2026-01-02T02:04:05.000Z');
    expect(parseTimestamp('1767225600')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseTimestamp('yesterday')).toBeNull();
  });
});

describe('command line errors through runCli', () => {
  it('exits 252 with the AWS-style message for an unknown option', async () => {
    const r = await cli(['create-db-instance', '--db-instance-identifier', 'a', '--engine', 'mariadb', '--foo', '1']);
    expect(r.code).toBe(252);
    expect(r.stderr).toContain('tlsql: error: unknown option --foo for create-db-instance');
    expect(r.stderr).toContain('tlsql create-db-instance help');
    expect(r.stdout).toBe('');
  });

  it('exits 252 naming missing required options', async () => {
    const r = await cli(['create-db-instance', '--engine', 'mariadb']);
    expect(r.code).toBe(252);
    expect(r.stderr).toContain('the following arguments are required: --db-instance-identifier');
  });

  it('suggests a close command name for a typo', async () => {
    const r = await cli(['describe-db-instance']);
    expect(r.code).toBe(252);
    expect(r.stderr).toContain("unknown command 'describe-db-instance'; did you mean describe-db-instances");
  });

  it('requires a command and a waiter name', async () => {
    expect((await cli([])).code).toBe(252);
    const w = await cli(['wait', '--db-instance-identifier', 'a']);
    expect(w.code).toBe(252);
    expect(w.stderr).toContain('db-instance-available, db-instance-deleted, db-instance-stopped');
  });

  it('rejects a bad --output before doing anything', async () => {
    const r = await cli(['describe-db-instances', '--output', 'yaml']);
    expect(r.code).toBe(252);
    expect(r.stderr).toContain('argument --output: Invalid choice');
  });
});

describe('help', () => {
  it('lists commands and exit codes', async () => {
    const r = await cli(['help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('describe-db-instances');
    expect(r.stdout).toContain('download-bundle');
    expect(r.stdout).toMatch(/wait\s+Waits until DB instances reach a state/);
    expect(r.stdout).toContain('252 bad command line');
    expect((await cli(['--help'])).stdout).toBe(r.stdout);
  });

  it('describes a command from its option specs, however asked', async () => {
    const a = await cli(['create-db-instance', 'help']);
    expect(a.code).toBe(0);
    expect(a.stdout).toContain('usage: tlsql create-db-instance --db-instance-identifier <value> --engine <value> [options]');
    expect(a.stdout).toContain('--enable-iam-database-authentication | --no-enable-iam-database-authentication');
    expect(a.stdout).toContain('--tags Key=string,Value=string ...');
    expect((await cli(['create-db-instance', '--help'])).stdout).toBe(a.stdout);
    expect((await cli(['help', 'create-db-instance'])).stdout).toBe(a.stdout);
  });

  it('lists the waiters', async () => {
    const r = await cli(['wait', 'help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('db-instance-available');
    expect(r.stdout).toContain('db-instance-stopped');
    const one = await cli(['wait', 'db-instance-deleted', 'help']);
    expect(one.stdout).toContain('usage: tlsql wait db-instance-deleted');
    expect(one.stdout).toContain('--timeout <seconds>');
  });
});

describe('pagination tokens', () => {
  it('round-trips the AWS CLI token format and takes anything else as a raw Marker', async () => {
    const { decodeNextToken, encodeNextToken } = await import('../../../src/cli/paginate.js');
    expect(decodeNextToken(encodeNextToken('m1', 2))).toEqual({ marker: 'm1', skip: 2 });
    expect(decodeNextToken(Buffer.from('{"Marker": null, "boto_truncate_amount": 1}').toString('base64'))).toEqual({ marker: undefined, skip: 1 });
    const serverMarker = Buffer.from('{"k":"db3","n":1}').toString('base64url');
    expect(decodeNextToken(serverMarker)).toEqual({ marker: serverMarker, skip: 0 });
    expect(decodeNextToken('plain')).toEqual({ marker: 'plain', skip: 0 });
  });
});
