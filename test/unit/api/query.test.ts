import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../src/errors/app-error.js';
import { parseQueryString, QueryReader } from '../../../src/api/query.js';

function fault(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    if (isAppError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a fault');
}

describe('parseQueryString', () => {
  it('builds a tree from flattened dotted keys and decodes form encoding', () => {
    const root = parseQueryString('Action=X&Filters.Filter.1.Name=engine&Filters.Filter.1.Values.Value.1=maria+db%26co');
    expect(root.children.get('Action')?.value).toBe('X');
    expect(root.children.get('Filters')?.children.get('Filter')?.children.get('1')?.children.get('Values')?.children.get('Value')?.children.get('1')?.value).toBe('maria db&co');
  });

  it('merges a second source into the same tree, later values winning', () => {
    const root = parseQueryString('A=1&B=2');
    parseQueryString('B=3', root);
    const r = new QueryReader(root);
    expect([r.string('A'), r.string('B')]).toEqual(['1', '3']);
  });
});

describe('QueryReader', () => {
  it('reads filters with their value lists in index order, tolerating gaps', () => {
    const r = QueryReader.parse(
      'Filters.Filter.2.Name=engine&Filters.Filter.2.Values.Value.1=mariadb&Filters.Filter.1.Name=db-instance-id&Filters.Filter.1.Values.Value.3=c&Filters.Filter.1.Values.Value.1=a&Filters.Filter.10.Name=z',
    );
    const filters = r.list('Filters', 'Filter')?.map((f) => ({ name: f.requiredString('Name'), values: f.stringList('Values', 'Value') ?? [] }));
    expect(filters).toEqual([
      { name: 'db-instance-id', values: ['a', 'c'] },
      { name: 'engine', values: ['mariadb'] },
      { name: 'z', values: [] },
    ]);
  });

  it('reads tags, parameters and security group ids', () => {
    const r = QueryReader.parse(
      [
        'Tags.Tag.1.Key=env&Tags.Tag.1.Value=prod',
        'Parameters.Parameter.1.ParameterName=max_connections&Parameters.Parameter.1.ParameterValue=100&Parameters.Parameter.1.ApplyMethod=immediate',
        'VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1&VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2',
      ].join('&'),
    );
    expect(r.list('Tags', 'Tag')?.map((t) => [t.string('Key'), t.string('Value')])).toEqual([['env', 'prod']]);
    const p = r.list('Parameters', 'Parameter')?.[0];
    expect([p?.string('ParameterName'), p?.string('ParameterValue'), p?.requiredOneOf('ApplyMethod', ['immediate', 'pending-reboot'])]).toEqual(['max_connections', '100', 'immediate']);
    expect(r.stringList('VpcSecurityGroupIds', 'VpcSecurityGroupId')).toEqual(['sg-1', 'sg-2']);
  });

  it('distinguishes an absent list from an explicitly empty one, and accepts the default member name', () => {
    const r = QueryReader.parse('Filters=&EventCategories.member.1=backup');
    expect(r.list('Filters', 'Filter')).toEqual([]);
    expect(r.list('Tags', 'Tag')).toBeUndefined();
    expect(r.stringList('EventCategories', 'EventCategory')).toEqual(['backup']);
  });

  it('rejects list indices that are not positive integers', () => {
    expect(fault(() => QueryReader.parse('Tags.Tag.0.Key=a').list('Tags', 'Tag'))).toMatchObject({ code: 'InvalidParameterValue' });
    expect(fault(() => QueryReader.parse('Tags.Tag.x.Key=a').list('Tags', 'Tag'))).toMatchObject({ code: 'InvalidParameterValue' });
    expect(fault(() => QueryReader.parse('Tags.Nope.1.Key=a').list('Tags', 'Tag')).message).toContain('expected Tags.Tag.N');
  });

  it('names the full flattened parameter when a nested required one is missing', () => {
    const r = QueryReader.parse('Filters.Filter.1.Values.Value.1=x');
    expect(fault(() => r.list('Filters', 'Filter')?.map((f) => f.requiredString('Name')))).toEqual({
      code: 'MissingParameter',
      message: 'The request must contain the parameter Filters.Filter.1.Name',
    });
    expect(fault(() => r.requiredString('DBInstanceIdentifier')).message).toBe('The request must contain the parameter DBInstanceIdentifier');
  });

  it('parses booleans case-insensitively and refuses anything else naming the parameter', () => {
    const r = QueryReader.parse('A=true&B=FALSE&C=1&D=');
    expect([r.boolean('A'), r.boolean('B'), r.boolean('Z')]).toEqual([true, false, undefined]);
    expect(fault(() => r.boolean('C'))).toEqual({ code: 'InvalidParameterValue', message: "Invalid value '1' for C: must be a boolean (true or false)." });
    expect(fault(() => r.boolean('D')).code).toBe('InvalidParameterValue');
  });

  it('parses 32-bit integers only', () => {
    const r = QueryReader.parse('A=42&B=-7&C=1.5&D=2147483648&E=12abc&F=');
    expect([r.integer('A'), r.integer('B')]).toEqual([42, -7]);
    for (const name of ['C', 'D', 'E', 'F']) expect(fault(() => r.integer(name)).message).toContain(`for ${name}: must be an integer`);
  });

  it('parses ISO-8601 and epoch-second timestamps', () => {
    const r = QueryReader.parse('A=2026-01-02T03:04:05Z&B=2026-01-02T03:04:05.678Z&C=1767322800&D=yesterday&E=2026-13-45T99:00:00Z');
    expect(r.timestamp('A')?.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(r.timestamp('B')?.toISOString()).toBe('2026-01-02T03:04:05.678Z');
    expect(r.timestamp('C')?.toISOString()).toBe('2026-01-02T03:00:00.000Z');
    expect(fault(() => r.timestamp('D')).code).toBe('InvalidParameterValue');
    expect(fault(() => r.timestamp('E')).code).toBe('InvalidParameterValue');
  });

  it('restricts enumerations to their values', () => {
    const r = QueryReader.parse('Source=user&Bad=users');
    expect(r.oneOf('Source', ['user', 'system', 'engine-default'])).toBe('user');
    expect(fault(() => r.oneOf('Bad', ['user', 'system'])).message).toBe("Invalid value 'users' for Bad: must be one of user, system.");
  });
});
