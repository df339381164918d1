import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CopyDBParameterGroupCommand,
  CreateDBParameterGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  DescribeEngineDefaultParametersCommand,
  type DescribeDBParametersCommandOutput,
  type DescribeEngineDefaultParametersCommandOutput,
  ListTagsForResourceCommand,
  ModifyDBParameterGroupCommand,
  RebootDBInstanceCommand,
  ResetDBParameterGroupCommand,
  type Parameter,
} from '@aws-sdk/client-rds';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsql } from '../helpers/cli.js';
import { mysql2Tls, run } from '../helpers/clients.js';
import { createInstance, startTestService, sdkError, awsCliEnv, type TestService } from '../helpers/service.js';
import { waitFor } from '../helpers/engine-fixture.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  await t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'app', DBParameterGroupFamily: 'mariadb10.11', Description: 'what the application needs', Tags: [{ Key: 'team', Value: 'db' }] }));
  await modify([{ ParameterName: 'tmp_table_size', ParameterValue: '{DBInstanceClassMemory/32}', ApplyMethod: 'immediate' }]);
  db = await createInstance(t, 'catdb', { DBParameterGroupName: 'app' });
}, 180_000);

afterAll(async () => {
  await t?.close();
});

function modify(parameters: { ParameterName: string; ParameterValue: string; ApplyMethod: 'immediate' | 'pending-reboot' }[], group = 'app') {
  return t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: group, Parameters: parameters }));
}

/** Polls until a value comes (helpers/engine-fixture.ts `waitFor`), with this file's bound. */
const until = <T>(what: string, fn: () => Promise<T | undefined>): Promise<T> => waitFor(what, fn, 60_000, 100);

/** What a new session through the endpoint (verified TLS) sees. */
async function session(): Promise<Record<string, unknown>> {
  const c = await mysql2Tls({ ...db, ca: t.bundlePath });
  try {
    const [rows] = await c.query<mysql.RowDataPacket[]>(
      'SELECT @@sql_mode AS sql_mode, @@time_zone AS time_zone, @@max_allowed_packet AS max_allowed_packet, @@back_log AS back_log, @@tmp_table_size AS tmp_table_size, @@max_heap_table_size AS max_heap_table_size',
    );
    return { ...rows[0] };
  } finally {
    await c.end();
  }
}

async function applyStatus(): Promise<string | undefined> {
  return (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'catdb' }))).DBInstances![0]!.DBParameterGroups![0]!.ParameterApplyStatus;
}

async function available(): Promise<void> {
  await until('available', async () => ((await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'catdb' }))).DBInstances![0]!.DBInstanceStatus === 'available' ? true : undefined));
}

async function userParameters(group = 'app'): Promise<Parameter[]> {
  return (await t.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: group, Source: 'user' }))).Parameters ?? [];
}

const awsEnv = () => awsCliEnv(t);

describe('the engine parameter catalogue in parameter groups', () => {
  it('evaluates a formula against the instance class from the first start (db.t3.micro: 1 GiB)', async () => {
    expect(Number((await session()).tmp_table_size)).toBe(2 ** 30 / 32);
    expect((await userParameters()).find((p) => p.ParameterName === 'tmp_table_size')).toMatchObject({ ParameterValue: '{DBInstanceClassMemory/32}', DataType: 'integer', Source: 'user' });
  });

  it('applies dynamic parameters to the next session at once, and a static one after a reboot; both survive a reboot and a kill -9', async () => {
    const before = await session();
    await modify([
      { ParameterName: 'sql_mode', ParameterValue: 'STRICT_ALL_TABLES,NO_ZERO_DATE', ApplyMethod: 'immediate' },
      { ParameterName: 'time_zone', ParameterValue: '+02:00', ApplyMethod: 'immediate' },
      { ParameterName: 'max_allowed_packet', ParameterValue: '33554432', ApplyMethod: 'immediate' },
    ]);
    // mysql2 asks for IGNORE_SPACE (CLIENT_IGNORE_SPACE), which the server adds to the session's mode.
    const strict = expect.stringMatching(/^(IGNORE_SPACE,)?STRICT_ALL_TABLES,NO_ZERO_DATE$/) as unknown;
    expect(await session()).toMatchObject({ sql_mode: strict, time_zone: '+02:00', max_allowed_packet: 33554432 });
    expect(await applyStatus()).toBe('in-sync');

    // back_log is read-only on a running server: static.
    await expect(sdkError(modify([{ ParameterName: 'back_log', ParameterValue: '77', ApplyMethod: 'immediate' }]))).resolves.toMatchObject({ name: 'InvalidParameterCombination' });
    await modify([{ ParameterName: 'back_log', ParameterValue: '77', ApplyMethod: 'pending-reboot' }]);
    expect(await applyStatus()).toBe('pending-reboot');
    expect((await session()).back_log).toBe(before.back_log);

    // A dynamic parameter asked for with pending-reboot waits for the reboot too.
    await modify([{ ParameterName: 'max_heap_table_size', ParameterValue: '33554432', ApplyMethod: 'pending-reboot' }]);
    expect(Number((await session()).max_heap_table_size)).toBe(Number(before.max_heap_table_size));

    await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'catdb' }));
    await available();
    expect(await applyStatus()).toBe('in-sync');
    const expected = { sql_mode: strict, time_zone: '+02:00', max_allowed_packet: 33554432, back_log: 77, tmp_table_size: 2 ** 30 / 32, max_heap_table_size: 33554432 };
    expect(await session()).toMatchObject(expected);

    const pid = Number((await readFile(join(t.dataDir, 'instances', 'catdb', 'run', 'mysqld.pid'), 'utf8')).trim());
    process.kill(pid, 'SIGKILL');
    await until('a new mariadbd', async () => {
      const p = t.service.control.runtime.enginePid('catdb');
      return p && p !== pid ? p : undefined;
    });
    expect(await until('a login after the crash', () => session())).toMatchObject(expected);
  }, 180_000);

  it('refuses what tlsql owns, unknown parameters and bad values with InvalidParameterValue naming the parameter, changing nothing', async () => {
    const before = await userParameters();
    for (const [name, value, why] of [
      ['datadir', '/tmp/elsewhere', /datadir cannot be modified: .*instance directory/],
      ['ssl_cert', '/tmp/cert.pem', /ssl_cert cannot be modified: the front door terminates client TLS/],
      ['port', '3307', /port cannot be modified: the front door owns the endpoint port/],
      ['proxy_protocol_networks', '*', /proxy_protocol_networks cannot be modified/],
      ['secure_file_priv', '', /secure_file_priv cannot be modified/],
      ['version', '1', /version cannot be modified: informational/],
      ['no_such_thing', '1', /Unknown parameter no_such_thing/],
      ['max_allowed_packet', 'lots', /Invalid parameter value: lots for: max_allowed_packet allowed values are: 1024-1073741824/],
      ['sql_mode', 'STRICT_ALL_TABLES,SLOPPY', /for: sql_mode allowed values are: a comma-separated list of .*STRICT_ALL_TABLES/],
      ['time_zone', 'Mars/Olympus', /for: time_zone allowed values are: SYSTEM, or an offset/],
      ['tmp_table_size', '{DBInstanceClassMemory*}', /for: tmp_table_size: incomplete expression/],
    ] as const) {
      // One good change beside the bad one: all or nothing.
      const err = await sdkError(modify([{ ParameterName: 'long_query_time', ParameterValue: '2', ApplyMethod: 'immediate' }, { ParameterName: name, ParameterValue: value, ApplyMethod: 'pending-reboot' }]));
      expect(err, name).toMatchObject({ name: 'InvalidParameterValue', status: 400 });
      expect(err.message, name).toMatch(why);
    }
    expect(await userParameters()).toEqual(before);
  });

  it('pages through every parameter once (MaxRecords 20 to 100), the same catalogue as DescribeEngineDefaultParameters', async () => {
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const out: DescribeDBParametersCommandOutput = await t.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'app', MaxRecords: 20, Marker: marker }));
      expect(out.Parameters!.length).toBeLessThanOrEqual(20);
      names.push(...out.Parameters!.map((p) => p.ParameterName!));
      marker = out.Marker;
      pages++;
    } while (marker);
    expect(pages).toBeGreaterThan(20);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(names);

    const defaults: string[] = [];
    marker = undefined;
    do {
      const out: DescribeEngineDefaultParametersCommandOutput = await t.rds.send(new DescribeEngineDefaultParametersCommand({ DBParameterGroupFamily: 'mariadb10.11', Marker: marker }));
      expect(out.EngineDefaults!.DBParameterGroupFamily).toBe('mariadb10.11');
      defaults.push(...out.EngineDefaults!.Parameters!.map((p) => p.ParameterName!));
      marker = out.EngineDefaults!.Marker;
    } while (marker);
    expect(defaults).toEqual(names);

    const all = new Map<string, Parameter>();
    marker = undefined;
    do {
      const out: DescribeEngineDefaultParametersCommandOutput = await t.rds.send(new DescribeEngineDefaultParametersCommand({ DBParameterGroupFamily: 'mariadb10.11', Marker: marker }));
      for (const p of out.EngineDefaults!.Parameters!) all.set(p.ParameterName!, p);
      marker = out.EngineDefaults!.Marker;
    } while (marker);
    expect(all.get('max_allowed_packet')).toMatchObject({ DataType: 'integer', ApplyType: 'dynamic', IsModifiable: true, Source: 'engine-default', AllowedValues: '1024-1073741824' });
    expect(all.get('sql_mode')).toMatchObject({ DataType: 'list', ApplyType: 'dynamic', IsModifiable: true });
    expect(all.get('back_log')).toMatchObject({ ApplyType: 'static', IsModifiable: true });
    expect(all.get('character_set_server')).toMatchObject({ Source: 'system', ParameterValue: 'utf8mb4', IsModifiable: true });
    expect(all.get('max_connections')).toMatchObject({ ParameterValue: '1000', AllowedValues: '1-100000', IsModifiable: true });
    expect(all.get('datadir')).toMatchObject({ Source: 'system', IsModifiable: false, Description: expect.stringMatching(/Set by tlsql/) });
    expect(all.get('require_secure_transport')).toMatchObject({ DataType: 'boolean', IsModifiable: true, ParameterValue: '0' });
    expect(all.get('tls_version')).toMatchObject({ ApplyType: 'static', IsModifiable: true, ParameterValue: 'TLSv1.2,TLSv1.3' });

    expect(await sdkError(t.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'app', MaxRecords: 19 })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/MaxRecords/) });
    expect(await sdkError(t.rds.send(new DescribeEngineDefaultParametersCommand({ DBParameterGroupFamily: 'mysql8.0' })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/mysql8.0 is not supported/) });
  });

  it('copies a group with its values and tags (CopyDBParameterGroup), by name or ARN, refusing an existing target', async () => {
    const copied = await t.rds.send(
      new CopyDBParameterGroupCommand({ SourceDBParameterGroupIdentifier: 'app', TargetDBParameterGroupIdentifier: 'App-Copy', TargetDBParameterGroupDescription: 'a copy', Tags: [{ Key: 'env', Value: 'test' }] }),
    );
    expect(copied.DBParameterGroup).toMatchObject({ DBParameterGroupName: 'app-copy', DBParameterGroupFamily: 'mariadb10.11', Description: 'a copy' });
    const values = (ps: Parameter[]) => ps.map((p) => [p.ParameterName, p.ParameterValue]);
    expect(values(await userParameters('app-copy'))).toEqual(values(await userParameters('app')));
    const tags = (await t.rds.send(new ListTagsForResourceCommand({ ResourceName: copied.DBParameterGroup!.DBParameterGroupArn! }))).TagList;
    expect(tags).toEqual([
      { Key: 'env', Value: 'test' },
      { Key: 'team', Value: 'db' },
    ]);
    const arn = copied.DBParameterGroup!.DBParameterGroupArn!.replace('app-copy', 'app');
    await t.rds.send(new CopyDBParameterGroupCommand({ SourceDBParameterGroupIdentifier: arn, TargetDBParameterGroupIdentifier: 'app-copy2', TargetDBParameterGroupDescription: 'by ARN' }));
    expect((await userParameters('app-copy2')).length).toBe((await userParameters('app')).length);
    expect(
      await sdkError(t.rds.send(new CopyDBParameterGroupCommand({ SourceDBParameterGroupIdentifier: 'app', TargetDBParameterGroupIdentifier: 'app-copy', TargetDBParameterGroupDescription: 'again' }))),
    ).toMatchObject({ name: 'DBParameterGroupAlreadyExistsFault' });
    expect(
      await sdkError(t.rds.send(new CopyDBParameterGroupCommand({ SourceDBParameterGroupIdentifier: 'nope', TargetDBParameterGroupIdentifier: 'x', TargetDBParameterGroupDescription: 'x' }))),
    ).toMatchObject({ name: 'DBParameterGroupNotFoundFault' });
    expect(
      await sdkError(t.rds.send(new CopyDBParameterGroupCommand({ SourceDBParameterGroupIdentifier: 'app', TargetDBParameterGroupIdentifier: 'bad--name', TargetDBParameterGroupDescription: 'x' }))),
    ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/TargetDBParameterGroupIdentifier/) });
    // The source's tag and 50 more are 51: refused, and no group is made.
    const fifty = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(
      await sdkError(t.rds.send(new CopyDBParameterGroupCommand({ SourceDBParameterGroupIdentifier: 'app', TargetDBParameterGroupIdentifier: 'too-many', TargetDBParameterGroupDescription: 'x', Tags: fifty }))),
    ).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/at most 50 tags/) });
    expect(await sdkError(t.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'too-many' })))).toMatchObject({ name: 'DBParameterGroupNotFoundFault' });
  });

  it('works from boto3 (paginator, modify) and the AWS CLI (describe-db-parameters --source user)', async () => {
    const env = await awsEnv();
    const script = `
import boto3, json, sys
rds = boto3.client('rds', endpoint_url=sys.argv[1], region_name='us-east-1')
names = []
for page in rds.get_paginator('describe_db_parameters').paginate(DBParameterGroupName='app', PaginationConfig={'PageSize': 50}):
    names += [p['ParameterName'] for p in page['Parameters']]
rds.modify_db_parameter_group(DBParameterGroupName='app', Parameters=[{'ParameterName': 'long_query_time', 'ParameterValue': '2.5', 'ApplyMethod': 'immediate'}])
try:
    rds.modify_db_parameter_group(DBParameterGroupName='app', Parameters=[{'ParameterName': 'socket', 'ParameterValue': '/tmp/x.sock', 'ApplyMethod': 'pending-reboot'}])
    refused = None
except rds.exceptions.ClientError as e:
    refused = [e.response['Error']['Code'], e.response['Error']['Message']]
print(json.dumps({'names': names, 'refused': refused}))
`;
    const py = await run('python3', ['-c', script, t.service.apiUrl], { env });
    expect(py.stderr).toBe('');
    const out = JSON.parse(py.stdout) as { names: string[]; refused: [string, string] };
    expect(new Set(out.names).size).toBe(out.names.length);
    expect(out.names).toContain('innodb_buffer_pool_size');
    expect(out.refused[0]).toBe('InvalidParameterValue');
    expect(out.refused[1]).toMatch(/socket/);
    expect(Number((await until('long_query_time', async () => {
      const c = await mysql2Tls({ ...db, ca: t.bundlePath });
      try {
        return (await c.query<mysql.RowDataPacket[]>('SELECT @@long_query_time AS q'))[0][0]!.q as unknown;
      } finally {
        await c.end();
      }
    })))).toBe(2.5);

    const cli = await run('aws', ['rds', 'describe-db-parameters', '--endpoint-url', t.service.apiUrl, '--db-parameter-group-name', 'app', '--source', 'user'], { env });
    expect(cli.stderr).toBe('');
    const listed = (JSON.parse(cli.stdout) as { Parameters: Parameter[] }).Parameters.map((p) => p.ParameterName);
    expect(listed).toEqual(['back_log', 'long_query_time', 'max_allowed_packet', 'max_heap_table_size', 'sql_mode', 'time_zone', 'tmp_table_size']);
  });

  it('works from the tlsql CLI: copy-db-parameter-group, and describe-engine-default-parameters following every page', async () => {
    const copy = await tlsql(t.dataDir, ['copy-db-parameter-group', '--endpoint-url', t.service.apiUrl, '--source-db-parameter-group-identifier', 'app', '--target-db-parameter-group-identifier', 'cli-copy', '--target-db-parameter-group-description', 'from the CLI']);
    expect(copy.stderr).toBe('');
    expect(JSON.parse(copy.stdout).DBParameterGroup).toMatchObject({ DBParameterGroupName: 'cli-copy' });
    const all = await tlsql(t.dataDir, ['describe-engine-default-parameters', '--endpoint-url', t.service.apiUrl, '--db-parameter-group-family', 'mariadb10.11', '--page-size', '50']);
    expect(all.stderr).toBe('');
    const names = (JSON.parse(all.stdout) as { EngineDefaults: { Parameters: Parameter[] } }).EngineDefaults.Parameters.map((p) => p.ParameterName);
    expect(names.length).toBeGreaterThan(400);
    expect(new Set(names).size).toBe(names.length);
    const bad = await tlsql(t.dataDir, ['modify-db-parameter-group', '--endpoint-url', t.service.apiUrl, '--db-parameter-group-name', 'cli-copy', '--parameters', 'ParameterName=bind_address,ParameterValue=0.0.0.0,ApplyMethod=pending-reboot']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidParameterValue.*bind_address cannot be modified/);
  });

  it('puts a reset dynamic parameter back to its default on the running engine at once', async () => {
    await t.rds.send(new ResetDBParameterGroupCommand({ DBParameterGroupName: 'app', Parameters: [{ ParameterName: 'max_allowed_packet', ApplyMethod: 'immediate' }, { ParameterName: 'time_zone', ApplyMethod: 'immediate' }] }));
    expect(await session()).toMatchObject({ max_allowed_packet: 16777216, time_zone: 'SYSTEM', back_log: 77 });
    expect((await userParameters()).map((p) => p.ParameterName)).not.toContain('max_allowed_packet');
  });
});
