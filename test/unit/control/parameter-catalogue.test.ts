import { describe, expect, it } from 'vitest';
import { ParameterCatalogue } from '../../../src/control/parameter-catalogue.js';
import { evaluateFormula, instanceClassResources } from '../../../src/control/parameter-formula.js';
import type { EngineVariableCatalogue, EngineVariableInfo } from '../../../src/engine/variable-catalogue.js';

function v(name: string, o: Partial<EngineVariableInfo> = {}): EngineVariableInfo {
  return { name, scope: 'GLOBAL', type: 'VARCHAR', defaultValue: null, comment: `about ${name}`, min: null, max: null, enumValues: null, readOnly: false, commandLine: 'REQUIRED', ...o };
}

const engine: EngineVariableCatalogue = {
  mariadbdVersion: 'mariadbd  Ver 10.11.19-MariaDB',
  characterSets: ['latin1', 'utf8mb4'],
  collations: ['latin1_swedish_ci', 'utf8mb4_general_ci'],
  variables: [
    v('max_allowed_packet', { scope: 'SESSION', type: 'BIGINT UNSIGNED', defaultValue: '16777216', min: '1024', max: '1073741824' }),
    v('max_binlog_cache_size', { type: 'BIGINT UNSIGNED', defaultValue: '18446744073709547520', min: '4096', max: '18446744073709547520' }),
    v('back_log', { type: 'BIGINT UNSIGNED', defaultValue: '150', min: '0', max: '65535', readOnly: true }),
    v('sql_mode', { scope: 'SESSION', type: 'SET', enumValues: ['ANSI_QUOTES', 'STRICT_ALL_TABLES', 'NO_ZERO_DATE'], defaultValue: 'STRICT_ALL_TABLES' }),
    v('optimizer_switch', { scope: 'SESSION', type: 'FLAGSET', enumValues: ['index_merge', 'mrr', 'default'] }),
    v('binlog_format', { scope: 'SESSION', type: 'ENUM', enumValues: ['MIXED', 'STATEMENT', 'ROW'], defaultValue: 'MIXED' }),
    v('general_log', { type: 'BOOLEAN', defaultValue: 'OFF', commandLine: 'OPTIONAL' }),
    v('long_query_time', { scope: 'SESSION', type: 'DOUBLE', defaultValue: '10.000000', min: '0', max: '31536000' }),
    v('time_zone', { scope: 'SESSION', defaultValue: 'SYSTEM', commandLine: null }),
    v('character_set_server', { scope: 'SESSION', type: 'ENUM', defaultValue: 'latin1', commandLine: null }),
    v('max_connections', { type: 'BIGINT UNSIGNED', defaultValue: '151', min: '10', max: '100000' }),
    v('datadir', { readOnly: true, defaultValue: '/var/lib/mysql/' }),
    v('ssl_cert', { readOnly: true }),
    v('tls_version', { type: 'SET', readOnly: true, enumValues: ['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'] }),
    v('innodb_tmpdir', { scope: 'SESSION' }),
    v('skip_grant_tables', { type: 'BOOLEAN', readOnly: true }),
    v('innodb_force_recovery', { type: 'BIGINT UNSIGNED', readOnly: true, min: '0', max: '6' }),
    v('innodb_encrypt_log', { type: 'BOOLEAN', readOnly: true }),
    v('wsrep_provider', { readOnly: true, defaultValue: 'none' }),
    v('some_log_file', { readOnly: true }),
    v('insert_id', { scope: 'SESSION ONLY', type: 'BIGINT UNSIGNED', min: '0', max: '100', commandLine: null }),
    v('version', { readOnly: true, commandLine: null }),
  ],
};
const cat = new ParameterCatalogue(engine);

describe('the parameter catalogue derived from the engine variables', () => {
  it('maps types, ranges, enum members and read-only flags to RDS fields', () => {
    const rows = new Map(cat.describe(new Map(), false).map((p) => [p.name, p]));
    expect(rows.get('max_allowed_packet')).toMatchObject({ dataType: 'integer', applyType: 'dynamic', allowedValues: '1024-1073741824', value: '16777216', source: 'engine-default', isModifiable: true, description: 'about max_allowed_packet' });
    expect(rows.get('back_log')).toMatchObject({ applyType: 'static', isModifiable: true });
    expect(rows.get('sql_mode')).toMatchObject({ dataType: 'list', allowedValues: 'ANSI_QUOTES,STRICT_ALL_TABLES,NO_ZERO_DATE' });
    expect(rows.get('binlog_format')).toMatchObject({ dataType: 'string', allowedValues: 'MIXED,STATEMENT,ROW' });
    expect(rows.get('general_log')).toMatchObject({ dataType: 'boolean', allowedValues: '0,1', value: '0' });
    expect(rows.get('long_query_time')).toMatchObject({ dataType: 'float', allowedValues: '0-31536000' });
    expect(rows.get('character_set_server')).toMatchObject({ source: 'system', value: 'utf8mb4', allowedValues: 'latin1,utf8mb4', isModifiable: true });
    expect(rows.get('max_connections')).toMatchObject({ source: 'system', value: '1000', allowedValues: '1-100000' });
    expect(rows.get('tls_version')).toMatchObject({ isModifiable: true, value: 'TLSv1.2,TLSv1.3', description: expect.stringMatching(/TLS protocol versions the endpoint accepts/) });
    expect([...rows.keys()]).toEqual([...rows.keys()].sort());
    // In the default group nothing is modifiable.
    expect(cat.describe(new Map(), true).every((p) => !p.isModifiable)).toBe(true);
  });

  it('keeps what tlsql owns, session-only and informational variables unmodifiable, saying why', () => {
    for (const [name, why] of [
      ['datadir', /instance directory/],
      ['ssl_cert', /front door terminates client TLS/],
      ['innodb_tmpdir', /private tmpdir/],
      ['skip_grant_tables', /anyone would get in/],
      ['innodb_force_recovery', /unable to write/],
      ['innodb_encrypt_log', /key management plugin/],
      ['wsrep_provider', /Galera/],
      ['some_log_file', /file or directory path/],
      ['insert_id', /session-only/],
      ['version', /informational/],
    ] as const) {
      expect(() => cat.modifiable(name), name).toThrow(expect.objectContaining({ code: 'InvalidParameterValue', message: expect.stringMatching(new RegExp(`^The parameter ${name} cannot be modified: .*${why.source}`)) }));
    }
    expect(cat.describe(new Map(), false).find((p) => p.name === 'datadir')).toMatchObject({ source: 'system', value: null, description: expect.stringMatching(/^about datadir Set by tlsql: /) });
    expect(() => cat.get('nope')).toThrow(/Unknown parameter nope/);
  });

  it('validates values per type and names the parameter and what is allowed', () => {
    expect(cat.get('max_binlog_cache_size').normalise('18446744073709547520')).toBe('18446744073709547520');
    expect(() => cat.get('max_allowed_packet').normalise('1023')).toThrow('Invalid parameter value: 1023 for: max_allowed_packet allowed values are: 1024-1073741824');
    expect(cat.get('sql_mode').normalise('strict_all_tables, no_zero_date')).toBe('STRICT_ALL_TABLES,NO_ZERO_DATE');
    expect(cat.get('sql_mode').normalise('')).toBe('');
    expect(() => cat.get('sql_mode').normalise('STRICT_ALL_TABLES,NOPE')).toThrow(/for: sql_mode allowed values are: a comma-separated list of ANSI_QUOTES/);
    expect(cat.get('optimizer_switch').normalise('mrr=on,index_merge=OFF')).toBe('mrr=on,index_merge=off');
    expect(() => cat.get('optimizer_switch').normalise('nope=on')).toThrow(/for: optimizer_switch/);
    expect(cat.get('binlog_format').normalise('row')).toBe('ROW');
    expect(cat.get('general_log').normalise('ON')).toBe('1');
    expect(() => cat.get('general_log').normalise('maybe')).toThrow(/allowed values are: 0,1/);
    expect(cat.get('long_query_time').normalise('2.50')).toBe('2.5');
    expect(cat.get('time_zone').normalise('+2:00')).toBe('+02:00');
    expect(cat.get('time_zone').normalise('system')).toBe('SYSTEM');
    expect(() => cat.get('time_zone').normalise('Europe/Paris')).toThrow(/for: time_zone allowed values are: SYSTEM, or an offset/);
    expect(() => cat.get('time_zone').normalise('+14:00')).toThrow(/time_zone/);
    expect(() => cat.get('character_set_server').normalise('klingon')).toThrow(/allowed values are: latin1,utf8mb4/);
    expect(() => cat.get('max_connections').normalise('0')).toThrow(/1-100000/);
    expect(cat.get('max_allowed_packet').normalise('{DBInstanceClassMemory/64}')).toBe('{DBInstanceClassMemory/64}');
    expect(() => cat.get('max_allowed_packet').normalise('{DBInstanceClassMemory/x}')).toThrow(/for: max_allowed_packet: unexpected "x"/);
  });

  it('gives the engine tlsql\'s my.cnf values and the group\'s, formulas evaluated and clamped into range', () => {
    const user = new Map<string, string | null>([
      ['max_allowed_packet', '{DBInstanceClassMemory/64}'],
      ['back_log', '{DBInstanceClassMemory}'],
      ['sql_mode', ''],
      ['require_secure_transport', '1'],
      ['binlog_format', null],
    ]);
    const { memoryBytes, vcpus } = instanceClassResources('db.r5.large');
    const vars = cat.engineVariables(user, { DBInstanceClassMemory: memoryBytes, DBInstanceVCPU: vcpus, AllocatedStorage: 20n << 30n });
    expect(vars).toMatchObject({ max_allowed_packet: String((16 * 2 ** 30) / 64), back_log: '65535', sql_mode: '', character_set_server: 'utf8mb4', max_connections: '1000' });
    expect(vars).not.toHaveProperty('require_secure_transport');
    expect(vars).not.toHaveProperty('binlog_format');
  });
});

describe('parameter formulas', () => {
  const ctx = { DBInstanceClassMemory: 8n << 30n, DBInstanceVCPU: 2n, AllocatedStorage: 20n << 30n };
  it('evaluates RDS arithmetic left to right with integer division, and GREATEST, LEAST and SUM', () => {
    expect(evaluateFormula('p', '{DBInstanceClassMemory*3/4}', ctx)).toBe((8n << 30n) * 3n / 4n);
    expect(evaluateFormula('p', '{DBInstanceClassMemory/12582880}', ctx)).toBe(682n);
    expect(evaluateFormula('p', '{GREATEST(DBInstanceClassMemory/1073741824, 10)}', ctx)).toBe(10n);
    expect(evaluateFormula('p', '{LEAST(DBInstanceVCPU*2, 3)}', ctx)).toBe(3n);
    expect(evaluateFormula('p', '{SUM(DBInstanceVCPU, 1)}', ctx)).toBe(3n);
    for (const bad of ['{}', '{DBInstanceClassMemory*}', '{Foo}', '{1/0}', '{GREATEST 1}', 'DBInstanceClassMemory']) {
      expect(() => evaluateFormula('p', bad, ctx), bad).toThrow(/Invalid parameter value: .* for: p/);
    }
  });

  it('sizes instance classes as RDS does, and an unknown class as db.t3.micro', () => {
    expect(instanceClassResources('db.t3.micro')).toEqual({ memoryBytes: 1n << 30n, vcpus: 2n });
    expect(instanceClassResources('db.m5.xlarge')).toEqual({ memoryBytes: 16n << 30n, vcpus: 4n });
    expect(instanceClassResources('db.r6g.2xlarge')).toEqual({ memoryBytes: 64n << 30n, vcpus: 8n });
    expect(instanceClassResources('db.t4g.medium')).toEqual({ memoryBytes: 4n << 30n, vcpus: 2n });
    expect(instanceClassResources('custom')).toEqual({ memoryBytes: 1n << 30n, vcpus: 2n });
  });
});
