import {
  AddTagsToResourceCommand,
  CreateDBParameterGroupCommand,
  CreateDBSecurityGroupCommand,
  DeleteDBParameterGroupCommand,
  DeleteDBSecurityGroupCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBSecurityGroupsCommand,
  ListTagsForResourceCommand,
  RemoveTagsFromResourceCommand,
  type Tag,
} from '@aws-sdk/client-rds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsql } from '../helpers/cli.js';
import { run } from '../helpers/clients.js';
import { createInstance, startTestService, sdkError, awsCliEnv, type TestService } from '../helpers/service.js';

let t: TestService;
let dbArn: string;

beforeAll(async () => {
  t = await startTestService();
  const db = await createInstance(t, 'tagged-db', { Tags: [{ Key: 'team', Value: 'payments' }, { Key: 'env', Value: 'dev' }] });
  dbArn = db.instance.DBInstanceArn!;
});

afterAll(async () => {
  await t?.close();
});

const tagsOf = async (arn: string): Promise<Tag[]> => (await t.rds.send(new ListTagsForResourceCommand({ ResourceName: arn }))).TagList ?? [];
const awsEnv = () => awsCliEnv(t);

describe('tags on DB instances, parameter groups and DB security groups', () => {
  it('keeps a DB instance tags from CreateDBInstance, and adds, overwrites and removes them by ARN', async () => {
    expect(await tagsOf(dbArn)).toEqual([
      { Key: 'env', Value: 'dev' },
      { Key: 'team', Value: 'payments' },
    ]);
    await t.rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn, Tags: [{ Key: 'env', Value: 'prod' }, { Key: 'owner', Value: '' }] }));
    expect(await tagsOf(dbArn)).toEqual([
      { Key: 'env', Value: 'prod' },
      { Key: 'owner', Value: '' },
      { Key: 'team', Value: 'payments' },
    ]);
    await t.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: dbArn, TagKeys: ['owner', 'not-there'] }));
    const described = (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'tagged-db' }))).DBInstances![0]!;
    expect(described.TagList).toEqual([
      { Key: 'env', Value: 'prod' },
      { Key: 'team', Value: 'payments' },
    ]);
    expect(described.DBInstanceStatus).toBe('available');
  });

  it('tags parameter groups at creation and by ARN, and forgets them with the group', async () => {
    const g = (await t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'tagged-pg', DBParameterGroupFamily: 'mariadb10.11', Description: 'tags', Tags: [{ Key: 'app', Value: 'shop' }] }))).DBParameterGroup!;
    expect(g.DBParameterGroupArn).toMatch(/^arn:aws:rds:us-east-1:\d{12}:pg:tagged-pg$/);
    expect(await tagsOf(g.DBParameterGroupArn!)).toEqual([{ Key: 'app', Value: 'shop' }]);
    await t.rds.send(new AddTagsToResourceCommand({ ResourceName: g.DBParameterGroupArn!, Tags: [{ Key: 'tier', Value: 'gold' }] }));
    await t.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: g.DBParameterGroupArn!, TagKeys: ['app'] }));
    expect(await tagsOf(g.DBParameterGroupArn!)).toEqual([{ Key: 'tier', Value: 'gold' }]);

    await t.rds.send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: 'tagged-pg' }));
    expect(await sdkError(tagsOf(g.DBParameterGroupArn!))).toMatchObject({ name: 'DBParameterGroupNotFoundFault', status: 404 });
    await t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'tagged-pg', DBParameterGroupFamily: 'mariadb10.11', Description: 'again' }));
    expect(await tagsOf(g.DBParameterGroupArn!)).toEqual([]);
    // The default group is a resource too.
    const def = (await t.rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: 'default.mariadb10.11' }))).DBParameterGroups![0]!;
    expect(await tagsOf(def.DBParameterGroupArn!)).toEqual([]);
  });

  it('tags DB security groups at creation and by ARN, and forgets them with the group', async () => {
    const g = (await t.rds.send(new CreateDBSecurityGroupCommand({ DBSecurityGroupName: 'tagged-sg', DBSecurityGroupDescription: 'tags', Tags: [{ Key: 'net', Value: 'office' }] }))).DBSecurityGroup!;
    expect(await tagsOf(g.DBSecurityGroupArn!)).toEqual([{ Key: 'net', Value: 'office' }]);
    const listed = (await t.rds.send(new DescribeDBSecurityGroupsCommand({ DBSecurityGroupName: 'tagged-sg' }))).DBSecurityGroups![0]!;
    expect(listed.DBSecurityGroupArn).toBe(g.DBSecurityGroupArn);
    await t.rds.send(new DeleteDBSecurityGroupCommand({ DBSecurityGroupName: 'tagged-sg' }));
    expect(await sdkError(tagsOf(g.DBSecurityGroupArn!))).toMatchObject({ name: 'DBSecurityGroupNotFoundFault', status: 404 });
    await t.rds.send(new CreateDBSecurityGroupCommand({ DBSecurityGroupName: 'tagged-sg', DBSecurityGroupDescription: 'again' }));
    expect(await tagsOf(g.DBSecurityGroupArn!)).toEqual([]);
  });

  it('keeps tags given through an ARN spelt with capitals under the group\'s own ARN, and forgets them with the group', async () => {
    const g = (await t.rds.send(new CreateDBSecurityGroupCommand({ DBSecurityGroupName: 'Mixed-SG', DBSecurityGroupDescription: 'case' }))).DBSecurityGroup!;
    expect(g.DBSecurityGroupArn).toMatch(/:secgrp:mixed-sg$/);
    const mixed = g.DBSecurityGroupArn!.replace(/mixed-sg$/, 'Mixed-SG');
    await t.rds.send(new AddTagsToResourceCommand({ ResourceName: mixed, Tags: [{ Key: 'net', Value: 'lab' }, { Key: 'owner', Value: 'ops' }] }));
    expect(await tagsOf(g.DBSecurityGroupArn!)).toEqual([
      { Key: 'net', Value: 'lab' },
      { Key: 'owner', Value: 'ops' },
    ]);
    await t.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: g.DBSecurityGroupArn!.replace(/mixed-sg$/, 'MIXED-sg'), TagKeys: ['owner'] }));
    expect(await tagsOf(mixed)).toEqual([{ Key: 'net', Value: 'lab' }]);

    await t.rds.send(new DeleteDBSecurityGroupCommand({ DBSecurityGroupName: 'mixed-sg' }));
    await t.rds.send(new CreateDBSecurityGroupCommand({ DBSecurityGroupName: 'mixed-sg', DBSecurityGroupDescription: 'again' }));
    expect(await tagsOf(mixed)).toEqual([]);
    expect(await tagsOf(g.DBSecurityGroupArn!)).toEqual([]);
    // Parameter groups and instances: the same resource whatever the capitals.
    await t.rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn.replace(/tagged-db$/, 'Tagged-DB'), Tags: [{ Key: 'case', Value: 'mixed' }] }));
    expect(await tagsOf(dbArn)).toContainEqual({ Key: 'case', Value: 'mixed' });
    await t.rds.send(new RemoveTagsFromResourceCommand({ ResourceName: dbArn, TagKeys: ['case'] }));
  });

  it('refuses tags past RDS limits with the right fault, changing nothing', async () => {
    const before = await tagsOf(dbArn);
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await sdkError(t.rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn, Tags: many })))).toMatchObject({ name: 'InvalidParameterValue', status: 400, message: expect.stringMatching(/at most 50 tags; this request would give it 51/) });
    expect(await sdkError(t.rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn, Tags: [{ Key: 'aws:cloudformation:stack-name', Value: 'x' }] })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/"aws:" are reserved/) });
    expect(await sdkError(t.rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn, Tags: [{ Key: 'k'.repeat(129), Value: 'x' }] })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/1 to 128 characters/) });
    expect(await sdkError(t.rds.send(new AddTagsToResourceCommand({ ResourceName: dbArn, Tags: [{ Key: 'long', Value: 'v'.repeat(257) }] })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/at most 256 characters/) });
    expect(await tagsOf(dbArn)).toEqual(before);

    const other = dbArn.replace(':db:tagged-db', ':db:nope');
    expect(await sdkError(tagsOf(other))).toMatchObject({ name: 'DBInstanceNotFoundFault', status: 404, message: 'DBInstance nope not found.' });
    expect(await sdkError(tagsOf('tagged-db'))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/is not the ARN of a tlsql resource/) });
    expect(await sdkError(tagsOf(dbArn.replace('us-east-1', 'eu-west-1')))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/this endpoint serves region us-east-1/) });
    // A create with too many tags creates nothing.
    const fiftyOne = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    expect(await sdkError(t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'too-many', DBParameterGroupFamily: 'mariadb10.11', Description: 'x', Tags: fiftyOne })))).toMatchObject({ name: 'InvalidParameterValue', message: expect.stringMatching(/at most 50 tags/) });
    expect(await sdkError(t.rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: 'too-many' })))).toMatchObject({ name: 'DBParameterGroupNotFoundFault' });
  });

  it('works from boto3, the AWS CLI and the tlsql CLI', async () => {
    const env = await awsEnv();
    // boto3: the lifecycle on each kind of resource, groups created with Tags and deleted with them.
    const script = `
import boto3, json, sys
rds = boto3.client('rds', endpoint_url=sys.argv[1], region_name='us-east-1')
pg = rds.create_db_parameter_group(DBParameterGroupName='boto-pg', DBParameterGroupFamily='mariadb10.11', Description='boto3', Tags=[{'Key': 'made', 'Value': 'create'}])['DBParameterGroup']['DBParameterGroupArn']
sg = rds.create_db_security_group(DBSecurityGroupName='boto-sg', DBSecurityGroupDescription='boto3', Tags=[{'Key': 'made', 'Value': 'create'}])['DBSecurityGroup']['DBSecurityGroupArn']
out = {}
for name, arn in (('db', sys.argv[2]), ('pg', pg), ('sg', sg)):
    rds.add_tags_to_resource(ResourceName=arn, Tags=[{'Key': 'from', 'Value': 'boto3'}])
    tags = rds.list_tags_for_resource(ResourceName=arn)['TagList']
    rds.remove_tags_from_resource(ResourceName=arn, TagKeys=['from'])
    out[name] = {'tags': tags, 'after': rds.list_tags_for_resource(ResourceName=arn)['TagList']}
rds.delete_db_parameter_group(DBParameterGroupName='boto-pg')
rds.delete_db_security_group(DBSecurityGroupName='boto-sg')
print(json.dumps(out))
`;
    const py = await run('python3', ['-c', script, t.service.apiUrl, dbArn], { env });
    expect(py.stderr).toBe('');
    const out = JSON.parse(py.stdout) as Record<'db' | 'pg' | 'sg', { tags: Tag[]; after: Tag[] }>;
    for (const kind of ['db', 'pg', 'sg'] as const) {
      expect(out[kind].tags).toContainEqual({ Key: 'from', Value: 'boto3' });
      expect(out[kind].after.find((x) => x.Key === 'from')).toBeUndefined();
    }
    expect(out.pg.after).toEqual([{ Key: 'made', Value: 'create' }]);
    expect(out.sg.after).toEqual([{ Key: 'made', Value: 'create' }]);

    const add = await run('aws', ['rds', 'add-tags-to-resource', '--endpoint-url', t.service.apiUrl, '--resource-name', dbArn, '--tags', 'Key=from,Value=awscli'], { env });
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const list = await run('aws', ['rds', 'list-tags-for-resource', '--endpoint-url', t.service.apiUrl, '--resource-name', dbArn], { env });
    expect(JSON.parse(list.stdout).TagList).toContainEqual({ Key: 'from', Value: 'awscli' });

    const ours = await tlsql(t.dataDir, ['remove-tags-from-resource', '--endpoint-url', t.service.apiUrl, '--resource-name', dbArn, '--tag-keys', 'from']);
    expect(ours.stderr).toBe('');
    expect(ours.code).toBe(0);
    const text = await tlsql(t.dataDir, ['list-tags-for-resource', '--endpoint-url', t.service.apiUrl, '--resource-name', dbArn, '--query', 'TagList[].Key', '--output', 'text']);
    expect(text.stdout.trim().split(/\s+/)).toEqual(['env', 'team']);
    const bad = await tlsql(t.dataDir, ['add-tags-to-resource', '--endpoint-url', t.service.apiUrl, '--resource-name', dbArn, '--tags', 'Key=aws:x,Value=1']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/InvalidParameterValue.*"aws:" are reserved/);
  });
});
