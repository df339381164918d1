/**
 * What infrastructure-as-code tools do to a DB instance, against a real tlsql: the exact sequence
 * of RDS calls the AWS Terraform provider makes for an `aws_db_instance` with an
 * `aws_db_parameter_group`, an `aws_db_subnet_group` and tags (create, refresh, update, destroy;
 * docs/iac.md lists it with the provider source it comes from), boto3's waiters, the AWS CLI, and
 * RDS's refusals of bad input.
 */
import {
  AddTagsToResourceCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSubnetGroupCommand,
  DeleteDBInstanceCommand,
  DeleteDBParameterGroupCommand,
  DeleteDBSubnetGroupCommand,
  DescribeAccountAttributesCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOptionGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  ListTagsForResourceCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  ModifyDBSubnetGroupCommand,
  RemoveTagsFromResourceCommand,
  type DBInstance,
  type Parameter,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsql } from '../helpers/cli.js';
import { run } from '../helpers/clients.js';
import { createInstance, startTestService, sdkError, awsCliEnv, type TestService } from '../helpers/service.js';

let t: TestService;

beforeAll(async () => {
  t = await startTestService();
});

afterAll(async () => {
  await t?.close();
});

const awsEnv = () => awsCliEnv(t);

/**
 * The provider's client: every call is logged by operation name, so the test can compare the
 * sequence with the one docs/iac.md lists (consecutive waiter polls counted once).
 */
const calls: string[] = [];
async function send<O>(cmd: object): Promise<O> {
  const op = cmd.constructor.name.replace(/Command$/, '');
  if (calls[calls.length - 1] !== op || !op.startsWith('Describe')) calls.push(op);
  // Any RDS command: the client's overloads cannot be named for a union of them.
  return (await t.rds.send(cmd as Parameters<RDSClient['send']>[0])) as O;
}

/** The provider's findDBInstanceByID: a `db-...` resource id goes through the dbi-resource-id filter. */
async function findInstance(id: string): Promise<DBInstance | undefined> {
  const input = /^db-[0-9A-Za-z]{2,255}$/.test(id) ? { Filters: [{ Name: 'dbi-resource-id', Values: [id] }] } : { DBInstanceIdentifier: id };
  const out = await send<{ DBInstances?: DBInstance[] }>(new DescribeDBInstancesCommand(input));
  if ((out.DBInstances ?? []).length > 1) throw new Error('more than one instance for one id');
  return out.DBInstances?.[0];
}

/**
 * The provider's StateChangeConf waiters (waitDBInstanceAvailable / waitDBInstanceDeleted): the
 * target must be seen 3 polls in a row (ContinuousTargetOccurence 3); a status outside the pending
 * list fails. Polls every 100 ms instead of 10 s, bounded.
 */
async function waitFor(id: string, target: 'available' | 'deleted', pending: string[]): Promise<DBInstance | undefined> {
  const deadline = Date.now() + 120_000;
  let inARow = 0;
  for (;;) {
    const inst = await findInstance(id);
    const status = inst?.DBInstanceStatus ?? 'deleted';
    if (status === target) {
      if (++inARow === 3) return inst;
    } else {
      inARow = 0;
      if (!pending.includes(status)) throw new Error(`unexpected status ${status} while waiting for ${target}`);
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${target}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
const availablePending = ['backing-up', 'configuring-enhanced-monitoring', 'configuring-iam-database-auth', 'configuring-log-exports', 'creating', 'maintenance', 'modifying', 'moving-to-vpc', 'rebooting', 'renaming', 'resetting-master-credentials', 'starting', 'stopping', 'storage-full', 'upgrading'];
const deletedPending = ['available', 'backing-up', 'configuring-enhanced-monitoring', 'configuring-log-exports', 'creating', 'delete-precheck', 'deleting', 'incompatible-parameters', 'incompatible-restore', 'modifying', 'starting', 'stopping', 'storage-full', 'storage-optimization'];

/** aws_db_parameter_group create: CreateDBParameterGroup, then its Update (ModifyDBParameterGroup) and Read. */
async function createParameterGroup(name: string, tags: Record<string, string>, parameters: Parameter[]): Promise<string> {
  const out = await send<{ DBParameterGroup?: { DBParameterGroupName?: string; DBParameterGroupArn?: string } }>(
    new CreateDBParameterGroupCommand({ DBParameterGroupFamily: 'mariadb10.11', DBParameterGroupName: name, Description: 'Managed by Terraform', Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
  expect(out.DBParameterGroup?.DBParameterGroupName).toBe(name);
  expect(out.DBParameterGroup?.DBParameterGroupArn).toMatch(new RegExp(`^arn:aws:rds:us-east-1:\\d{12}:pg:${name}$`));
  if (parameters.length) await send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: name, Parameters: parameters }));
  await readParameterGroup(name, tags, parameters);
  return out.DBParameterGroup!.DBParameterGroupArn!;
}

/** aws_db_parameter_group read: DescribeDBParameterGroups, DescribeDBParameters (all pages), then ListTagsForResource (tags interceptor). */
async function readParameterGroup(name: string, tags: Record<string, string>, parameters: Parameter[]): Promise<void> {
  const g = (await send<{ DBParameterGroups?: { DBParameterGroupName?: string; DBParameterGroupArn?: string; DBParameterGroupFamily?: string; Description?: string }[] }>(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: name }))).DBParameterGroups ?? [];
  expect(g).toHaveLength(1);
  expect(g[0]).toMatchObject({ DBParameterGroupName: name, DBParameterGroupFamily: 'mariadb10.11', Description: 'Managed by Terraform' });
  const all: Parameter[] = [];
  let marker: string | undefined;
  do {
    const page = await send<{ Parameters?: Parameter[]; Marker?: string }>(new DescribeDBParametersCommand({ DBParameterGroupName: name, ...(marker ? { Marker: marker } : {}) }));
    all.push(...(page.Parameters ?? []));
    marker = page.Marker;
  } while (marker);
  for (const p of parameters) expect(all.find((x) => x.ParameterName === p.ParameterName)).toMatchObject({ ParameterValue: p.ParameterValue, Source: 'user' });
  const listed = (await send<{ TagList?: { Key?: string; Value?: string }[] }>(new ListTagsForResourceCommand({ ResourceName: g[0]!.DBParameterGroupArn! }))).TagList ?? [];
  expect(Object.fromEntries(listed.map((x) => [x.Key, x.Value]))).toEqual(tags);
}

/** aws_db_instance read: every field the provider sets in its state, with RDS's shapes. */
function expectInstanceState(v: DBInstance, want: { parameterGroup: string; backupRetention: number; deletionProtection: boolean; tags: Record<string, string>; subnets?: string[] }): void {
  expect(v).toMatchObject({
    AllocatedStorage: 20,
    AutoMinorVersionUpgrade: true,
    BackupRetentionPeriod: want.backupRetention,
    PreferredBackupWindow: '07:00-07:30',
    CACertificateIdentifier: 'tlsql-ca-rsa2048-g1',
    CopyTagsToSnapshot: false,
    DBSubnetGroup: { DBSubnetGroupName: 'tf-subnets', DBSubnetGroupDescription: 'Managed by Terraform', SubnetGroupStatus: 'Complete' },
    DeletionProtection: want.deletionProtection,
    Engine: 'mariadb',
    IAMDatabaseAuthenticationEnabled: false,
    DBInstanceIdentifier: 'tf-db',
    DBInstanceClass: 'db.t3.micro',
    LicenseModel: 'general-public-license',
    PreferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    MaxAllocatedStorage: 100,
    MultiAZ: false,
    NetworkType: 'IPV4',
    OptionGroupMemberships: [{ OptionGroupName: 'default:mariadb-10-11', Status: 'in-sync' }],
    PerformanceInsightsEnabled: false,
    PubliclyAccessible: false,
    StorageEncrypted: false,
    StorageType: 'gp3',
    MasterUsername: 'admin',
    DBInstanceStatus: 'available',
  });
  expect(v.DBSubnetGroup?.Subnets?.map((s) => s.SubnetIdentifier)).toEqual(want.subnets ?? ['subnet-0a1b2c3d', 'subnet-4e5f6a7b']);
  expect(v.DBParameterGroups?.[0]?.DBParameterGroupName).toBe(want.parameterGroup);
  expect(v.DBInstanceArn).toMatch(/^arn:aws:rds:us-east-1:\d{12}:db:tf-db$/);
  expect(v.DbiResourceId).toMatch(/^db-[0-9A-Z]{26}$/);
  expect(v.Endpoint?.Address).toMatch(/^tf-db\.[a-z0-9]{12}\.us-east-1\.tlsql\.localhost$/);
  expect(v.Endpoint?.Port).toBeGreaterThan(0);
  expect(v.EngineVersion).toMatch(/^10\.11\.\d+$/);
  expect(Object.fromEntries((v.TagList ?? []).map((x) => [x.Key, x.Value]))).toEqual(want.tags);
}

describe('the AWS Terraform provider’s calls for an aws_db_instance with a parameter group, a subnet group and tags', () => {
  it('answers create, refresh, update and destroy with RDS’s shapes, and enforces deletion protection', async () => {
    // --- apply 1: create (dependencies first, as Terraform orders them) --------------------------
    const orderable = (await send<{ OrderableDBInstanceOptions?: { DBInstanceClass?: string; StorageType?: string }[] }>(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mariadb', LicenseModel: 'general-public-license', Vpc: true })))
      .OrderableDBInstanceOptions ?? [];
    expect(orderable).toContainEqual(expect.objectContaining({ DBInstanceClass: 'db.t3.micro', StorageType: 'gp3' }));

    const subnet = (await send<{ DBSubnetGroup?: { DBSubnetGroupArn?: string; DBSubnetGroupName?: string } }>(
      new CreateDBSubnetGroupCommand({ DBSubnetGroupName: 'tf-subnets', DBSubnetGroupDescription: 'Managed by Terraform', SubnetIds: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'], Tags: [{ Key: 'env', Value: 'dev' }] }),
    )).DBSubnetGroup!;
    expect(subnet.DBSubnetGroupArn).toMatch(/^arn:aws:rds:us-east-1:\d{12}:subgrp:tf-subnets$/);
    const readSubnetGroup = async (subnets = ['subnet-0a1b2c3d', 'subnet-4e5f6a7b']) => {
      const g = (await send<{ DBSubnetGroups?: { DBSubnetGroupName?: string; Subnets?: { SubnetIdentifier?: string }[]; DBSubnetGroupArn?: string; SupportedNetworkTypes?: string[] }[] }>(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: 'tf-subnets' }))).DBSubnetGroups!;
      expect(g[0]).toMatchObject({ DBSubnetGroupName: 'tf-subnets', DBSubnetGroupArn: subnet.DBSubnetGroupArn, SupportedNetworkTypes: ['IPV4'] });
      expect(g[0]!.Subnets!.map((x) => x.SubnetIdentifier)).toEqual(subnets);
      expect((await send<{ TagList?: unknown[] }>(new ListTagsForResourceCommand({ ResourceName: subnet.DBSubnetGroupArn! }))).TagList).toEqual([{ Key: 'env', Value: 'dev' }]);
    };
    await readSubnetGroup();

    await createParameterGroup('tf-pg', { team: 'payments' }, [{ ParameterName: 'max_connections', ParameterValue: '150', ApplyMethod: 'immediate' }]);

    // resourceInstanceCreate: the members it always sends (empty DBName and EngineVersion included), then the configured ones.
    const created = (await send<{ DBInstance?: DBInstance }>(
      new CreateDBInstanceCommand({
        AllocatedStorage: 20,
        AutoMinorVersionUpgrade: true,
        BackupRetentionPeriod: 1,
        CopyTagsToSnapshot: false,
        DBInstanceClass: 'db.t3.micro',
        DBInstanceIdentifier: 'tf-db',
        DBName: '',
        DeletionProtection: false,
        Engine: 'mariadb',
        EngineVersion: '',
        MasterUsername: 'admin',
        PubliclyAccessible: false,
        StorageEncrypted: false,
        Tags: [
          { Key: 'team', Value: 'payments' },
          { Key: 'env', Value: 'dev' },
        ],
        PreferredBackupWindow: '07:00-07:30',
        DBSubnetGroupName: 'tf-subnets',
        MaxAllocatedStorage: 100,
        MasterUserPassword: 'Sup3r-secret!',
        DBParameterGroupName: 'tf-pg',
        StorageType: 'gp3',
      }),
    )).DBInstance!;
    expect(created.DBInstanceStatus).toBe('creating');
    const resourceId = created.DbiResourceId!;
    // waitDBInstanceAvailableSDKv1(identifier), then d.SetId(resourceID) and Read by resource id.
    await waitFor('tf-db', 'available', availablePending);
    expectInstanceState((await findInstance(resourceId))!, { parameterGroup: 'tf-pg', backupRetention: 1, deletionProtection: false, tags: { team: 'payments', env: 'dev' } });

    // --- plan: refresh every resource -------------------------------------------------------------
    await readSubnetGroup();
    await readParameterGroup('tf-pg', { team: 'payments' }, [{ ParameterName: 'max_connections', ParameterValue: '150' }]);
    expectInstanceState((await findInstance(resourceId))!, { parameterGroup: 'tf-pg', backupRetention: 1, deletionProtection: false, tags: { team: 'payments', env: 'dev' } });

    // --- apply 2: a third subnet, tags, backup retention, deletion protection on, another parameter group
    const subnets3 = ['subnet-0a1b2c3d', 'subnet-4e5f6a7b', 'subnet-8c9d0e1f'];
    await send(new ModifyDBSubnetGroupCommand({ DBSubnetGroupDescription: 'Managed by Terraform', DBSubnetGroupName: 'tf-subnets', SubnetIds: subnets3 }));
    await readSubnetGroup(subnets3);
    await createParameterGroup('tf-pg2', {}, []);
    const arn = created.DBInstanceArn!;
    // The tags interceptor runs before the resource's Update: removed keys, then added or changed ones.
    await send(new RemoveTagsFromResourceCommand({ ResourceName: arn, TagKeys: ['team'] }));
    await send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: 'dba' }] }));
    // dbInstancePopulateModify: the changed members, DeletionProtection always.
    const modified = (await send<{ DBInstance?: DBInstance }>(new ModifyDBInstanceCommand({ ApplyImmediately: true, DBInstanceIdentifier: 'tf-db', BackupRetentionPeriod: 7, DeletionProtection: true, DBParameterGroupName: 'tf-pg2' }))).DBInstance!;
    expect(modified).toMatchObject({ BackupRetentionPeriod: 7, DeletionProtection: true });
    await waitFor(resourceId, 'available', availablePending);
    const updated = (await findInstance(resourceId))!;
    expectInstanceState(updated, { parameterGroup: 'tf-pg2', backupRetention: 7, deletionProtection: true, tags: { env: 'prod', owner: 'dba' }, subnets: subnets3 });
    // As in RDS, a new parameter group applies at the next reboot.
    expect(updated.DBParameterGroups?.[0]?.ParameterApplyStatus).toBe('pending-reboot');

    // --- destroy while the configuration still protects the instance: refused, nothing changes -----
    const del = { DBInstanceIdentifier: 'tf-db', DeleteAutomatedBackups: true, SkipFinalSnapshot: true };
    expect(await sdkError(send(new DeleteDBInstanceCommand(del)))).toEqual({
      name: 'InvalidParameterCombination',
      status: 400,
      message: 'Cannot delete protected DB Instance, please disable deletion protection and try again.',
    });
    expectInstanceState((await findInstance(resourceId))!, { parameterGroup: 'tf-pg2', backupRetention: 7, deletionProtection: true, tags: { env: 'prod', owner: 'dba' }, subnets: subnets3 });

    // --- apply 3: deletion_protection = false -------------------------------------------------------
    expectInstanceState((await findInstance(resourceId))!, { parameterGroup: 'tf-pg2', backupRetention: 7, deletionProtection: true, tags: { env: 'prod', owner: 'dba' }, subnets: subnets3 });
    await send(new ModifyDBInstanceCommand({ ApplyImmediately: true, DBInstanceIdentifier: 'tf-db', DeletionProtection: false }));
    await waitFor(resourceId, 'available', availablePending);
    expect((await findInstance(resourceId))!.DeletionProtection).toBe(false);

    // --- destroy: the instance, then what it depended on ---------------------------------------------
    const deleting = (await send<{ DBInstance?: DBInstance }>(new DeleteDBInstanceCommand(del))).DBInstance!;
    expect(deleting.DBInstanceStatus).toBe('deleting');
    await waitFor(resourceId, 'deleted', deletedPending);
    await send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: 'tf-pg2' }));
    await send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: 'tf-pg' }));
    await send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: 'tf-subnets' }));
    expect(await sdkError(send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: 'tf-subnets' })))).toMatchObject({ name: 'DBSubnetGroupNotFoundFault', status: 404 });

    // The sequence docs/iac.md lists, each call answered (consecutive Describe polls counted once).
    const pgCreate = ['CreateDBParameterGroup', 'ModifyDBParameterGroup', 'DescribeDBParameterGroups', 'DescribeDBParameters', 'ListTagsForResource'];
    const pgRead = ['DescribeDBParameterGroups', 'DescribeDBParameters', 'ListTagsForResource'];
    const subnetRead = ['DescribeDBSubnetGroups', 'ListTagsForResource'];
    expect(calls).toEqual([
      'DescribeOrderableDBInstanceOptions',
      'CreateDBSubnetGroup',
      ...subnetRead,
      ...pgCreate,
      'CreateDBInstance',
      'DescribeDBInstances',
      ...subnetRead,
      ...pgRead,
      'DescribeDBInstances',
      'ModifyDBSubnetGroup',
      ...subnetRead,
      'CreateDBParameterGroup',
      ...pgRead,
      'RemoveTagsFromResource',
      'AddTagsToResource',
      'ModifyDBInstance',
      'DescribeDBInstances',
      'DeleteDBInstance',
      'DescribeDBInstances',
      'ModifyDBInstance',
      'DescribeDBInstances',
      'DeleteDBInstance',
      'DescribeDBInstances',
      'DeleteDBParameterGroup',
      'DeleteDBParameterGroup',
      'DeleteDBSubnetGroup',
      'DescribeDBSubnetGroups',
    ]);
  });
});

describe('the other reads infrastructure-as-code tools make', () => {
  it('serves orderable options, option groups, quotas, and empty snapshot and backup lists', async () => {
    const opts = (await t.rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mariadb', DBInstanceClass: 'db.r6g.large' }))).OrderableDBInstanceOptions!;
    expect(opts.map((o) => o.StorageType)).toEqual(['gp2', 'gp3']);
    expect(opts[0]).toMatchObject({ Engine: 'mariadb', DBInstanceClass: 'db.r6g.large', LicenseModel: 'general-public-license', MultiAZCapable: true, ReadReplicaCapable: true, MinStorageSize: 20, MaxStorageSize: 65536, SupportsIAMDatabaseAuthentication: true });
    expect((await t.rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mysql' }))).OrderableDBInstanceOptions).toEqual([]);
    // Paging through the whole catalogue.
    const first = await t.rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mariadb', MaxRecords: 20 }));
    expect(first.OrderableDBInstanceOptions).toHaveLength(20);
    const second = await t.rds.send(new DescribeOrderableDBInstanceOptionsCommand({ Engine: 'mariadb', MaxRecords: 100, Marker: first.Marker! }));
    expect(second.Marker).toBeUndefined();
    expect(new Set([...first.OrderableDBInstanceOptions!, ...second.OrderableDBInstanceOptions!].map((o) => `${o.DBInstanceClass}/${o.StorageType}`)).size).toBe(20 + second.OrderableDBInstanceOptions!.length);

    const groups = (await t.rds.send(new DescribeOptionGroupsCommand({ EngineName: 'mariadb' }))).OptionGroupsList!;
    expect(groups).toEqual([expect.objectContaining({ OptionGroupName: 'default:mariadb-10-11', EngineName: 'mariadb', MajorEngineVersion: '10.11', Options: [] })]);
    expect(await sdkError(t.rds.send(new DescribeOptionGroupsCommand({ OptionGroupName: 'custom-og' })))).toMatchObject({ name: 'OptionGroupNotFoundFault', status: 404 });

    const quotas = (await t.rds.send(new DescribeAccountAttributesCommand({}))).AccountQuotas!;
    const used = (await t.rds.send(new DescribeDBInstancesCommand({}))).DBInstances!.length;
    // The test service's port range is 20 ports: that is how many instances it can hold.
    expect(quotas).toContainEqual({ AccountQuotaName: 'DBInstances', Used: used, Max: 20 });
    expect(quotas).toContainEqual({ AccountQuotaName: 'ManualSnapshots', Used: 0, Max: 0 });

    expect((await t.rds.send(new DescribeDBSnapshotsCommand({}))).DBSnapshots).toEqual([]);
    expect(await sdkError(t.rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: 'final-snap' })))).toMatchObject({ name: 'DBSnapshotNotFoundFault', status: 404 });
    expect((await t.rds.send(new DescribeDBInstanceAutomatedBackupsCommand({}))).DBInstanceAutomatedBackups).toEqual([]);
    const subnets = (await t.rds.send(new DescribeDBSubnetGroupsCommand({}))).DBSubnetGroups!;
    expect(subnets[0]).toMatchObject({ DBSubnetGroupName: 'default', SubnetGroupStatus: 'Complete' });
  });

  it('works from boto3 with its db_instance_available and db_instance_deleted waiters, and from the AWS CLI and the tlsql CLI', async () => {
    const env = await awsEnv();
    const script = `
import boto3, json, sys
rds = boto3.client('rds', endpoint_url=sys.argv[1], region_name='us-east-1')
rds.create_db_instance(DBInstanceIdentifier='boto-db', Engine='mariadb', DBInstanceClass='db.t4g.micro', MasterUsername='admin',
    MasterUserPassword='Sup3r-secret!', AllocatedStorage=30, DeletionProtection=True, BackupRetentionPeriod=3, Tags=[{'Key': 'from', 'Value': 'boto3'}])
rds.get_waiter('db_instance_available').wait(DBInstanceIdentifier='boto-db', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
inst = rds.describe_db_instances(DBInstanceIdentifier='boto-db')['DBInstances'][0]
try:
    rds.delete_db_instance(DBInstanceIdentifier='boto-db', SkipFinalSnapshot=True)
    refused = None
except rds.exceptions.ClientError as e:
    refused = e.response['Error']['Code']
rds.modify_db_instance(DBInstanceIdentifier='boto-db', DeletionProtection=False, ApplyImmediately=True)
rds.delete_db_instance(DBInstanceIdentifier='boto-db', SkipFinalSnapshot=True)
rds.get_waiter('db_instance_deleted').wait(DBInstanceIdentifier='boto-db', WaiterConfig={'Delay': 1, 'MaxAttempts': 120})
print(json.dumps({'status': inst['DBInstanceStatus'], 'class': inst['DBInstanceClass'], 'storage': inst['AllocatedStorage'],
    'protected': inst['DeletionProtection'], 'retention': inst['BackupRetentionPeriod'], 'refused': refused,
    'left': [i['DBInstanceIdentifier'] for i in rds.describe_db_instances()['DBInstances']]}))
`;
    const py = await run('python3', ['-c', script, t.service.apiUrl], { env, timeoutMs: 240_000 });
    // The end of a traceback names the failure; a long stderr would be cut short in the report.
    expect(py.stderr.trim().split('\n').slice(-2).join('\n')).toBe('');
    expect(JSON.parse(py.stdout)).toEqual({ status: 'available', class: 'db.t4g.micro', storage: 30, protected: true, retention: 3, refused: 'InvalidParameterCombination', left: expect.not.arrayContaining(['boto-db']) });

    const cli = await run('aws', ['rds', 'describe-orderable-db-instance-options', '--endpoint-url', t.service.apiUrl, '--engine', 'mariadb'], { env });
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    const rows = JSON.parse(cli.stdout).OrderableDBInstanceOptions as { DBInstanceClass: string }[];
    expect(rows.map((r) => r.DBInstanceClass)).toContain('db.m5.large');

    const ours = await tlsql(t.dataDir, ['describe-orderable-db-instance-options', '--endpoint-url', t.service.apiUrl, '--engine', 'mariadb', '--db-instance-class', 'db.t3.small']);
    expect(ours.code).toBe(0);
    expect(JSON.parse(ours.stdout).OrderableDBInstanceOptions).toHaveLength(2);
    const sub = await tlsql(t.dataDir, ['create-db-subnet-group', '--endpoint-url', t.service.apiUrl, '--db-subnet-group-name', 'cli-subnets', '--db-subnet-group-description', 'from the CLI', '--subnet-ids', 'subnet-0123abcd']);
    expect(sub.code).toBe(0);
    expect(JSON.parse(sub.stdout).DBSubnetGroup.DBSubnetGroupName).toBe('cli-subnets');
    const gone = await tlsql(t.dataDir, ['delete-db-subnet-group', '--endpoint-url', t.service.apiUrl, '--db-subnet-group-name', 'cli-subnets']);
    expect(gone.code).toBe(0);
  });
});

describe('bad input is refused with RDS’s codes and changes nothing', () => {
  it('refuses bad CreateDBInstance settings and creates nothing', async () => {
    const base = { DBInstanceIdentifier: 'bad-db', Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: 'Sup3r-secret!', DBInstanceClass: 'db.t3.micro' };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ MultiAZ: true, StorageType: 'io1' }, 'InvalidParameterValue', /Invalid storage type: io1/],
      [{ BackupRetentionPeriod: 36 }, 'InvalidParameterValue', /from 0 to 35/],
      [{ PreferredBackupWindow: '25:00-25:30' }, 'InvalidParameterValue', /hh24:mi-hh24:mi/],
      [{ PreferredBackupWindow: '03:00-03:10' }, 'InvalidParameterValue', /at least 30 minutes/],
      [{ PreferredBackupWindow: '05:10-05:40', PreferredMaintenanceWindow: 'sun:05:00-sun:05:30' }, 'InvalidParameterCombination', /must not overlap/],
      [{ DBInstanceClass: 'db.x9.huge' }, 'InvalidParameterCombination', /DBInstanceClass=db\.x9\.huge/],
      [{ StorageType: 'io1' }, 'InvalidParameterValue', /Invalid storage type: io1/],
      [{ Iops: 3000 }, 'InvalidParameterCombination', /does not provision IOPS/],
      [{ AllocatedStorage: 50, MaxAllocatedStorage: 40 }, 'InvalidParameterCombination', /greater than AllocatedStorage/],
      [{ AllocatedStorage: 10 }, 'InvalidParameterValue', /from 20 to 65536/],
      [{ DBSubnetGroupName: 'nope' }, 'DBSubnetGroupNotFoundFault', /nope/],
      [{ OptionGroupName: 'custom-og' }, 'OptionGroupNotFoundFault', /custom-og/],
      [{ LicenseModel: 'bring-your-own-license' }, 'InvalidParameterValue', /general-public-license/],
    ];
    for (const [extra, code, message] of cases) {
      expect(await sdkError(t.rds.send(new CreateDBInstanceCommand({ ...base, ...extra }))), JSON.stringify(extra)).toMatchObject({ name: code, message: expect.stringMatching(message) });
    }
    expect(await sdkError(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'bad-db' })))).toMatchObject({ name: 'DBInstanceNotFoundFault' });
  });

  it('refuses bad ModifyDBInstance and DeleteDBInstance input on a live instance and leaves it as it was', async () => {
    await createInstance(t, 'kept-db', { AllocatedStorage: 100, DeletionProtection: true });
    const before = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'kept-db' }))).DBInstances![0]!;
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ AllocatedStorage: 50 }, 'InvalidParameterValue', /cannot be decreased/],
      [{ AllocatedStorage: 105 }, 'InvalidParameterValue', /at least 10%/],
      [{ MaxAllocatedStorage: 80 }, 'InvalidParameterCombination', /greater than AllocatedStorage/],
      [{ MultiAZ: true, BackupRetentionPeriod: 36 }, 'InvalidParameterValue', /from 0 to 35/],
      [{ BackupRetentionPeriod: -1, DeletionProtection: false }, 'InvalidParameterValue', /from 0 to 35/],
      [{ DBInstanceClass: 'db.t3.nano' }, 'InvalidParameterCombination', /DBInstanceClass=db\.t3\.nano/],
      [{ PreferredBackupWindow: '05:00-05:30' }, 'InvalidParameterCombination', /must not overlap/],
      [{ DBSubnetGroupName: 'nope', DeletionProtection: false }, 'DBSubnetGroupNotFoundFault', /nope/],
    ];
    for (const [extra, code, message] of cases) {
      expect(await sdkError(t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'kept-db', ApplyImmediately: true, ...extra }))), JSON.stringify(extra)).toMatchObject({ name: code, status: 400 + (code.endsWith('NotFoundFault') ? 4 : 0), message: expect.stringMatching(message) });
    }
    expect(await sdkError(t.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'kept-db', SkipFinalSnapshot: false })))).toMatchObject({ name: 'InvalidParameterCombination', message: expect.stringMatching(/FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot/) });
    expect(await sdkError(t.rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'kept-db', SkipFinalSnapshot: true })))).toMatchObject({ name: 'InvalidParameterCombination', message: 'Cannot delete protected DB Instance, please disable deletion protection and try again.' });
    const after = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'kept-db' }))).DBInstances![0]!;
    expect(after).toEqual(before);

    // Valid changes are stored and returned; MaxAllocatedStorage equal to AllocatedStorage turns autoscaling off.
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'kept-db', AllocatedStorage: 110, MaxAllocatedStorage: 200, DBInstanceClass: 'db.m5.large', CopyTagsToSnapshot: true, ApplyImmediately: true }));
    const changed = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'kept-db' }))).DBInstances![0]!;
    expect(changed).toMatchObject({ AllocatedStorage: 110, MaxAllocatedStorage: 200, DBInstanceClass: 'db.m5.large', CopyTagsToSnapshot: true, DeletionProtection: true, DBInstanceStatus: 'available' });
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'kept-db', MaxAllocatedStorage: 110 }));
    expect((await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'kept-db' }))).DBInstances![0]!.MaxAllocatedStorage).toBeUndefined();
  });

  it('refuses bad DB subnet group requests with RDS’s faults', async () => {
    const create = (name: string, subnets: string[]) => t.rds.send(new CreateDBSubnetGroupCommand({ DBSubnetGroupName: name, DBSubnetGroupDescription: 'x', SubnetIds: subnets }));
    expect(await sdkError(create('sg-bad', ['subnet-xyz']))).toMatchObject({ name: 'InvalidSubnet', status: 400 });
    expect(await sdkError(create('default', ['subnet-0123abcd']))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/reserved/) });
    expect(await sdkError(create('sg-many', Array.from({ length: 21 }, (_, i) => `subnet-${(0x10000000 + i).toString(16)}`)))).toMatchObject({ name: 'DBSubnetQuotaExceededFault' });
    await create('Used-Subnets', ['subnet-0123abcd']);
    expect(await sdkError(create('used-subnets', ['subnet-0123abcd']))).toMatchObject({ name: 'DBSubnetGroupAlreadyExistsFault', status: 400 });
    await createInstance(t, 'subnet-user', { DBSubnetGroupName: 'USED-subnets' });
    expect(await sdkError(t.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: 'used-subnets' })))).toMatchObject({ name: 'InvalidDBSubnetGroupStateFault', message: expect.stringMatching(/subnet-user is still using it/) });
    expect(await sdkError(t.rds.send(new DeleteDBSubnetGroupCommand({ DBSubnetGroupName: 'default' })))).toMatchObject({ name: 'InvalidDBSubnetGroupStateFault' });
    const modify = (name: string, subnets: string[]) => t.rds.send(new ModifyDBSubnetGroupCommand({ DBSubnetGroupName: name, SubnetIds: subnets }));
    expect(await sdkError(modify('used-subnets', ['subnet-0123abcd', 'subnet-nothex00']))).toMatchObject({ name: 'InvalidSubnet' });
    expect(await sdkError(modify('no-such-group', ['subnet-0123abcd']))).toMatchObject({ name: 'DBSubnetGroupNotFoundFault' });
    expect(await sdkError(modify('default', ['subnet-0123abcd']))).toMatchObject({ name: 'InvalidParameterValue' });
    expect((await t.rds.send(new DescribeDBSubnetGroupsCommand({ DBSubnetGroupName: 'used-subnets' }))).DBSubnetGroups![0]!.Subnets!.map((x) => x.SubnetIdentifier)).toEqual(['subnet-0123abcd']);
    expect((await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'subnet-user' }))).DBInstances![0]!.DBSubnetGroup?.DBSubnetGroupName).toBe('used-subnets');
  });
});
