import {
  ApplyPendingMaintenanceActionCommand,
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DBInstanceNotFoundFault,
  DeleteDBInstanceCommand,
  DeleteDBParameterGroupCommand,
  DescribeCertificatesCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  DescribeEventsCommand,
  DescribePendingMaintenanceActionsCommand,
  ModifyCertificatesCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  RebootDBInstanceCommand,
  ResetDBParameterGroupCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
  paginateDescribeDBInstances,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { startApi, testKey, type ApiHarness } from './harness.js';

let api: ApiHarness;
let rds: RDSClient;

beforeEach(async () => {
  api = await startApi();
  rds = api.client();
});
afterEach(async () => {
  await api.close();
});

async function createInstance(id: string, extra: Record<string, unknown> = {}) {
  return rds.send(
    new CreateDBInstanceCommand({
      DBInstanceIdentifier: id,
      DBInstanceClass: 'db.t3.micro',
      Engine: 'mariadb',
      MasterUsername: 'admin',
      MasterUserPassword: 'correct-horse-battery',
      ...extra,
    }),
  );
}

describe('RDS API via @aws-sdk/client-rds', () => {
  it('round-trips create, describe, modify and delete with every DBInstance field deserialized', async () => {
    const created = await createInstance('Orders-DB', {
      DBName: 'orders',
      Port: 3307,
      AllocatedStorage: 50,
      EngineVersion: '10.11.9',
      CACertificateIdentifier: 'tlsql-ca-ecc384-g1',
      EnableIAMDatabaseAuthentication: true,
      PreferredMaintenanceWindow: 'mon:01:00-mon:01:30',
      Tags: [
        { Key: 'team', Value: 'payments & <billing>' },
        { Key: 'env', Value: 'test' },
        { Key: 'note', Value: 'line1\r\nline2\ttabbed' },
      ],
    });
    expect(created.$metadata.httpStatusCode).toBe(200);
    expect(created.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.DBInstance?.DBInstanceIdentifier).toBe('orders-db');

    const described = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'orders-db' }));
    expect(described.Marker).toBeUndefined();
    expect(described.DBInstances).toHaveLength(1);
    const db = described.DBInstances?.[0];
    expect(db).toMatchObject({
      DBInstanceIdentifier: 'orders-db',
      DBInstanceClass: 'db.t3.micro',
      Engine: 'mariadb',
      EngineVersion: '10.11.9',
      DBInstanceStatus: 'available',
      MasterUsername: 'admin',
      DBName: 'orders',
      Endpoint: { Address: 'orders-db.c0ffee123456.us-east-1.rds.amazonaws.com', Port: 3307, HostedZoneId: 'Z2R2ITUGPM61AM' },
      AllocatedStorage: 50,
      DBParameterGroups: [{ DBParameterGroupName: 'default.mariadb10.11', ParameterApplyStatus: 'in-sync' }],
      PendingModifiedValues: {},
      CACertificateIdentifier: 'tlsql-ca-ecc384-g1',
      CertificateDetails: { CAIdentifier: 'tlsql-ca-ecc384-g1' },
      IAMDatabaseAuthenticationEnabled: true,
      DBInstanceArn: 'arn:aws:rds:us-east-1:123456789012:db:orders-db',
      PubliclyAccessible: false,
      StorageEncrypted: false,
      MultiAZ: false,
      AutoMinorVersionUpgrade: true,
      StorageType: 'gp2',
      LicenseModel: 'general-public-license',
      DeletionProtection: false,
      PreferredMaintenanceWindow: 'mon:01:00-mon:01:30',
      PreferredBackupWindow: '03:00-03:30',
      BackupRetentionPeriod: 1,
      TagList: [
        { Key: 'team', Value: 'payments & <billing>' },
        { Key: 'env', Value: 'test' },
        { Key: 'note', Value: 'line1\r\nline2\ttabbed' },
      ],
      DBSecurityGroups: [],
      VpcSecurityGroups: [],
      ReadReplicaDBInstanceIdentifiers: [],
    });
    expect(db?.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(db?.InstanceCreateTime).toBeInstanceOf(Date);
    expect(db?.CertificateDetails?.ValidTill).toBeInstanceOf(Date);
    expect(typeof db?.Endpoint?.Port).toBe('number');
    expect(typeof db?.AllocatedStorage).toBe('number');
    // Timestamps keep their milliseconds on the wire.
    const [stored] = await api.control.describeDbInstances({ dbInstanceIdentifier: 'orders-db' });
    expect(db?.InstanceCreateTime?.getTime()).toBe(stored?.createdAt.getTime());
    expect(db?.CertificateDetails?.ValidTill?.getTime()).toBe(stored?.certificate?.validTill.getTime());

    const modified = await rds.send(
      new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', CACertificateIdentifier: 'tlsql-ca-rsa4096-g1', ApplyImmediately: false, MasterUserPassword: 'another-long-password' }),
    );
    expect(modified.DBInstance?.PendingModifiedValues).toEqual({ CACertificateIdentifier: 'tlsql-ca-rsa4096-g1', MasterUserPassword: '****' });
    expect(api.control.callsTo('modifyDbInstance')).toEqual([
      { dbInstanceIdentifier: 'orders-db', caCertificateIdentifier: 'tlsql-ca-rsa4096-g1', applyImmediately: false, masterUserPassword: 'another-long-password' },
    ]);

    const deleted = await rds.send(new DeleteDBInstanceCommand({ DBInstanceIdentifier: 'orders-db', SkipFinalSnapshot: true }));
    expect(deleted.DBInstance?.DBInstanceStatus).toBe('deleting');
    expect(api.control.callsTo('deleteDbInstance')).toEqual([{ dbInstanceIdentifier: 'orders-db', skipFinalSnapshot: true }]);

    const after = await rds.send(new DescribeDBInstancesCommand({}));
    expect(after.DBInstances).toEqual([]);
  });

  it('never writes the master password or request signatures to the log', async () => {
    await createInstance('secretive');
    const log = api.logs.join('\n');
    expect(log).not.toContain('correct-horse-battery');
    expect(log).not.toContain(testKey.secretAccessKey);
    expect(log).not.toMatch(/Signature=/);
    expect(log).toContain('"action":"CreateDBInstance"');
    expect(log).toContain('"principal":"test-admin"');
  });

  it('pages 45 instances with MaxRecords 20 into 20 + 20 + 5 with an opaque Marker', async () => {
    for (let i = 0; i < 45; i++) await createInstance(`db-${String(i).padStart(2, '0')}`);
    const first = await rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20 }));
    expect(first.DBInstances).toHaveLength(20);
    expect(first.Marker).toBeTypeOf('string');

    const pages: string[][] = [];
    for await (const page of paginateDescribeDBInstances({ client: rds, pageSize: 20 }, {})) {
      pages.push((page.DBInstances ?? []).map((d) => d.DBInstanceIdentifier ?? ''));
    }
    expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
    const all = pages.flat();
    expect(new Set(all).size).toBe(45);
    expect(all).toEqual([...all].sort());
  });

  it('refuses MaxRecords outside 20..100 with InvalidParameterValue', async () => {
    await expect(rds.send(new DescribeDBInstancesCommand({ MaxRecords: 5 }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      $metadata: { httpStatusCode: 400 },
      message: expect.stringContaining('MaxRecords'),
    });
    await expect(rds.send(new DescribeDBInstancesCommand({ Marker: 'not a marker!' }))).rejects.toMatchObject({ name: 'InvalidParameterValue' });
  });

  it('decodes Filters.Filter.N.Name and Values.Value.M into domain filters', async () => {
    await createInstance('alpha');
    await createInstance('beta');
    await createInstance('gamma');
    const out = await rds.send(
      new DescribeDBInstancesCommand({
        Filters: [
          { Name: 'db-instance-id', Values: ['alpha', 'gamma', 'arn:aws:rds:us-east-1:123456789012:db:zeta'] },
          { Name: 'engine', Values: ['mariadb'] },
        ],
      }),
    );
    expect(out.DBInstances?.map((d) => d.DBInstanceIdentifier)).toEqual(['alpha', 'gamma']);
    expect(api.control.callsTo('describeDbInstances').at(-1)).toEqual({
      filters: [
        { name: 'db-instance-id', values: ['alpha', 'gamma', 'arn:aws:rds:us-east-1:123456789012:db:zeta'] },
        { name: 'engine', values: ['mariadb'] },
      ],
      limit: 101, // a page of MaxRecords (default 100) plus one to tell whether another follows
    });
  });

  it('maps the control plane fault to DBInstanceNotFoundFault with status 404 and wire code DBInstanceNotFound', async () => {
    const err = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'nope' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DBInstanceNotFoundFault);
    expect(err).toMatchObject({
      name: 'DBInstanceNotFoundFault',
      Code: 'DBInstanceNotFound',
      Type: 'Sender',
      message: 'DBInstance nope not found.',
      $fault: 'client',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('returns the RDS faults for state and duplicate errors', async () => {
    await createInstance('dup');
    await expect(createInstance('dup')).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault', Code: 'DBInstanceAlreadyExists', $metadata: { httpStatusCode: 400 } });
    await expect(rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'dup' }))).rejects.toMatchObject({
      name: 'InvalidDBInstanceStateFault',
      Code: 'InvalidDBInstanceState',
    });
    await expect(createInstance('ca-less', { CACertificateIdentifier: 'rds-ca-nope' })).rejects.toMatchObject({ name: 'CertificateNotFoundFault', $metadata: { httpStatusCode: 404 } });
  });

  it('reports a missing required parameter as MissingParameter naming it', async () => {
    const err = await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'x', DBInstanceClass: 'db.t3.micro' } as never)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'MissingParameter', $metadata: { httpStatusCode: 400 }, message: 'The request must contain the parameter Engine' });
    expect(api.control.calls).toEqual([]);
  });

  it('lets the control plane default DBInstanceClass, which is informational in tlsql', async () => {
    const out = await rds.send(new CreateDBInstanceCommand({ DBInstanceIdentifier: 'classless', Engine: 'mariadb' } as never));
    expect(out.DBInstance?.DBInstanceClass).toBe('db.t3.micro');
    expect(api.control.callsTo('createDbInstance')).toEqual([{ dbInstanceIdentifier: 'classless', engine: 'mariadb' }]);
  });

  it('stops, starts and reboots an instance', async () => {
    await createInstance('cycle');
    const stopped = await rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'cycle' }));
    expect(stopped.DBInstance?.DBInstanceStatus).toBe('stopping');
    const started = await rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'cycle' }));
    expect(started.DBInstance?.DBInstanceStatus).toBe('starting');
    const rebooted = await rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'cycle', ForceFailover: false }));
    expect(rebooted.DBInstance?.DBInstanceStatus).toBe('rebooting');
    expect(api.control.callsTo('rebootDbInstance')).toEqual([{ dbInstanceIdentifier: 'cycle', forceFailover: false }]);
  });

  it('describes certificates with every field, the default CA, and paging', async () => {
    const out = await rds.send(new DescribeCertificatesCommand({}));
    expect(out.DefaultCertificateForNewLaunches).toBe('tlsql-ca-rsa2048-g1');
    expect(out.Certificates?.map((c) => c.CertificateIdentifier)).toEqual(['tlsql-ca-ecc384-g1', 'tlsql-ca-rsa2048-g1', 'tlsql-ca-rsa4096-g1']);
    const rsa = out.Certificates?.find((c) => c.CertificateIdentifier === 'tlsql-ca-rsa2048-g1');
    expect(rsa).toEqual({
      CertificateIdentifier: 'tlsql-ca-rsa2048-g1',
      CertificateType: 'CA',
      Thumbprint: 'a'.repeat(40),
      ValidFrom: new Date(Date.UTC(2026, 0, 1)),
      ValidTill: new Date(Date.UTC(2066, 0, 1)),
      CertificateArn: 'arn:aws:rds:us-east-1::cert:tlsql-ca-rsa2048-g1',
      CustomerOverride: false,
    });

    const one = await rds.send(new DescribeCertificatesCommand({ CertificateIdentifier: 'tlsql-ca-rsa4096-g1', MaxRecords: 20 }));
    expect(one.Certificates).toHaveLength(1);
    expect(one.Marker).toBeUndefined();
    await expect(rds.send(new DescribeCertificatesCommand({ CertificateIdentifier: 'nope' }))).rejects.toMatchObject({ name: 'CertificateNotFoundFault' });
  });

  it('sets and clears the default CA with ModifyCertificates', async () => {
    const set = await rds.send(new ModifyCertificatesCommand({ CertificateIdentifier: 'tlsql-ca-ecc384-g1' }));
    expect(set.Certificate).toMatchObject({ CertificateIdentifier: 'tlsql-ca-ecc384-g1', CustomerOverride: true });
    expect(set.Certificate?.CustomerOverrideValidTill).toBeInstanceOf(Date);
    expect((await rds.send(new DescribeCertificatesCommand({}))).DefaultCertificateForNewLaunches).toBe('tlsql-ca-ecc384-g1');
    await rds.send(new ModifyCertificatesCommand({ RemoveCustomerOverride: true }));
    expect(api.control.callsTo('modifyCertificates').at(-1)).toEqual({ removeCustomerOverride: true });
    expect((await rds.send(new DescribeCertificatesCommand({}))).DefaultCertificateForNewLaunches).toBe('tlsql-ca-rsa2048-g1');
  });

  it('decodes the pending-maintenance actions and encodes every PendingMaintenanceAction field', async () => {
    const { DBInstance } = await createInstance('rotating', { PreferredMaintenanceWindow: 'sun:05:00-sun:05:30' });
    await rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'rotating', CACertificateIdentifier: 'tlsql-ca-ecc384-g1', ApplyImmediately: false }));
    const listed = await rds.send(new DescribePendingMaintenanceActionsCommand({ Filters: [{ Name: 'db-instance-id', Values: ['rotating'] }] }));
    expect(api.control.callsTo('describePendingMaintenanceActions').at(-1)).toEqual({ filters: [{ name: 'db-instance-id', values: ['rotating'] }] });
    expect(listed.PendingMaintenanceActions).toHaveLength(1);
    const [resource] = listed.PendingMaintenanceActions!;
    expect(resource?.ResourceIdentifier).toBe(DBInstance?.DBInstanceArn);
    expect(resource?.PendingMaintenanceActionDetails?.[0]).toMatchObject({ Action: 'ca-certificate-rotation', OptInStatus: 'next-maintenance' });
    expect(resource?.PendingMaintenanceActionDetails?.[0]?.CurrentApplyDate?.getUTCDay()).toBe(0);

    const held = await rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: DBInstance!.DBInstanceArn!, ApplyAction: 'ca-certificate-rotation', OptInType: 'undo-opt-in' }));
    expect(api.control.callsTo('applyPendingMaintenanceAction').at(-1)).toEqual({ resourceIdentifier: DBInstance!.DBInstanceArn, applyAction: 'ca-certificate-rotation', optInType: 'undo-opt-in' });
    expect(held.ResourcePendingMaintenanceActions?.PendingMaintenanceActionDetails?.[0]).toMatchObject({ OptInStatus: 'undo-opt-in' });
    expect(held.ResourcePendingMaintenanceActions?.PendingMaintenanceActionDetails?.[0]?.CurrentApplyDate).toBeUndefined();

    const applied = await rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: DBInstance!.DBInstanceArn!, ApplyAction: 'ca-certificate-rotation', OptInType: 'immediate' }));
    expect(applied.ResourcePendingMaintenanceActions?.PendingMaintenanceActionDetails ?? []).toEqual([]);
    expect((await rds.send(new DescribePendingMaintenanceActionsCommand({}))).PendingMaintenanceActions ?? []).toEqual([]);
    await expect(
      rds.send(new ApplyPendingMaintenanceActionCommand({ ResourceIdentifier: DBInstance!.DBInstanceArn!, ApplyAction: 'ca-certificate-rotation', OptInType: 'tomorrow' })),
    ).rejects.toMatchObject({ name: expect.stringMatching(/InvalidParameterValue/) });
  });

  it('lists engine versions with their supported CA identifiers', async () => {
    const out = await rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'mariadb' }));
    expect(out.DBEngineVersions?.map((v) => v.EngineVersion)).toEqual(['10.6.21', '10.11.9']);
    expect(out.DBEngineVersions?.[1]).toMatchObject({
      Engine: 'mariadb',
      MajorEngineVersion: '10.11',
      DBParameterGroupFamily: 'mariadb10.11',
      SupportsCertificateRotationWithoutRestart: true,
      SupportedCACertificateIdentifiers: ['tlsql-ca-rsa2048-g1', 'tlsql-ca-rsa4096-g1', 'tlsql-ca-ecc384-g1'],
    });
  });

  it('manages parameter groups and describes their parameters', async () => {
    const created = await rds.send(
      new CreateDBParameterGroupCommand({ DBParameterGroupName: 'secure', DBParameterGroupFamily: 'mariadb10.11', Description: 'TLS only', Tags: [{ Key: 'k', Value: 'v' }] }),
    );
    expect(created.DBParameterGroup).toEqual({
      DBParameterGroupName: 'secure',
      DBParameterGroupFamily: 'mariadb10.11',
      Description: 'TLS only',
      DBParameterGroupArn: 'arn:aws:rds:us-east-1:123456789012:pg:secure',
    });
    const groups = await rds.send(new DescribeDBParameterGroupsCommand({}));
    expect(groups.DBParameterGroups?.map((g) => g.DBParameterGroupName)).toEqual(['default.mariadb10.11', 'secure']);

    const modified = await rds.send(
      new ModifyDBParameterGroupCommand({
        DBParameterGroupName: 'secure',
        Parameters: [
          { ParameterName: 'require_secure_transport', ParameterValue: '1', ApplyMethod: 'immediate' },
          { ParameterName: 'tls_version', ParameterValue: 'TLSv1.3', ApplyMethod: 'pending-reboot' },
        ],
      }),
    );
    expect(modified.DBParameterGroupName).toBe('secure');
    expect(api.control.callsTo('modifyDbParameterGroup')).toEqual([
      {
        name: 'secure',
        parameters: [
          { name: 'require_secure_transport', value: '1', applyMethod: 'immediate' },
          { name: 'tls_version', value: 'TLSv1.3', applyMethod: 'pending-reboot' },
        ],
      },
    ]);

    const user = await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'secure', Source: 'user' }));
    expect(user.Parameters).toEqual([
      {
        ParameterName: 'require_secure_transport',
        ParameterValue: '1',
        Description: 'Whether client connections must use TLS.',
        Source: 'user',
        ApplyType: 'dynamic',
        DataType: 'boolean',
        AllowedValues: '0,1',
        IsModifiable: true,
        MinimumEngineVersion: '10.6',
        ApplyMethod: 'immediate',
      },
      expect.objectContaining({ ParameterName: 'tls_version', ParameterValue: 'TLSv1.3', ApplyType: 'static', ApplyMethod: 'pending-reboot' }),
    ]);
    const all = await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'secure' }));
    const maxConnections = all.Parameters?.find((p) => p.ParameterName === 'max_connections');
    expect(maxConnections).toBeDefined();
    expect(maxConnections?.ParameterValue).toBeUndefined();

    const reset = await rds.send(new ResetDBParameterGroupCommand({ DBParameterGroupName: 'secure', ResetAllParameters: true }));
    expect(reset.DBParameterGroupName).toBe('secure');
    expect((await rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'secure', Source: 'user' }))).Parameters).toEqual([]);

    const deleted = await rds.send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: 'secure' }));
    expect(deleted.$metadata.httpStatusCode).toBe(200);
    await expect(rds.send(new DescribeDBParameterGroupsCommand({ DBParameterGroupName: 'secure' }))).rejects.toMatchObject({
      name: 'DBParameterGroupNotFoundFault',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('refuses Filters where the control plane cannot filter, but accepts an empty list', async () => {
    await expect(rds.send(new DescribeDBParameterGroupsCommand({ Filters: [{ Name: 'x', Values: ['y'] }] }))).rejects.toMatchObject({
      name: 'InvalidParameterValue',
      message: 'DescribeDBParameterGroups does not support the Filters parameter.',
    });
    const out = await rds.send(new DescribeDBParameterGroupsCommand({ Filters: [] }));
    expect(out.DBParameterGroups?.map((g) => g.DBParameterGroupName)).toEqual(['default.mariadb10.11']);
  });

  it('refuses a Parameters entry without ApplyMethod as MissingParameter', async () => {
    await rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'g', DBParameterGroupFamily: 'mariadb10.11', Description: 'd' }));
    await expect(
      rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'g', Parameters: [{ ParameterName: 'max_connections', ParameterValue: '10' }] })),
    ).rejects.toMatchObject({ name: 'MissingParameter', message: 'The request must contain the parameter Parameters.Parameter.1.ApplyMethod' });
  });

  it('describes events with time range and categories decoded', async () => {
    await createInstance('evented');
    const start = new Date(Date.now() - 3_600_000);
    const out = await rds.send(new DescribeEventsCommand({ SourceIdentifier: 'evented', SourceType: 'db-instance', StartTime: start, EventCategories: ['creation'], Duration: 60 }));
    expect(out.Events).toHaveLength(1);
    expect(out.Events?.[0]).toMatchObject({
      SourceIdentifier: 'evented',
      SourceType: 'db-instance',
      Message: 'DB instance created',
      EventCategories: ['creation'],
      SourceArn: 'arn:aws:rds:us-east-1:123456789012:db:evented',
    });
    expect(out.Events?.[0]?.Date).toBeInstanceOf(Date);
    const call = api.control.callsTo('describeEvents').at(-1) as { startTime: Date };
    expect(call).toMatchObject({ sourceIdentifier: 'evented', sourceType: 'db-instance', eventCategories: ['creation'], durationMinutes: 60 });
    // The SDK sends whole seconds; the decoded time is the same instant.
    expect(Math.floor(call.startTime.getTime() / 1000)).toBe(Math.floor(start.getTime() / 1000));
  });

  it('hides an unexpected control-plane error behind InternalFailure with the request id', async () => {
    api.control.failNext = new Error('sqlite disk I/O error at /var/lib/tlsql/meta.db');
    const err = (await rds.send(new DescribeDBInstancesCommand({})).catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number; requestId: string } };
    expect(err).toMatchObject({ name: 'InternalFailure', $fault: 'server', $metadata: { httpStatusCode: 500 } });
    expect(err.message).toBe(`An internal error has occurred. Request id ${err.$metadata.requestId}.`);
    expect(err.message).not.toContain('sqlite');
    const logged = api.logs.find((l) => l.includes('internal failure'));
    expect(logged).toContain('sqlite disk I/O error');
    expect(logged).toContain(err.$metadata.requestId);
  });
});

describe('RDS API authentication via the SDK', () => {
  it('refuses a wrong secret with SignatureDoesNotMatch 403', async () => {
    const bad = api.client({ credentials: { accessKeyId: testKey.accessKeyId, secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret00' } });
    await expect(bad.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
  });

  it('refuses an unknown access key with InvalidClientTokenId 403 and logs the key id, not the secret', async () => {
    const bad = api.client({ credentials: { accessKeyId: 'AKIAUNKNOWNUNKNOWN00', secretAccessKey: testKey.secretAccessKey } });
    await expect(bad.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
      message: 'The security token included in the request is invalid.',
      $metadata: { httpStatusCode: 403 },
    });
    const refused = api.logs.find((l) => l.includes('api request refused'));
    expect(refused).toContain('AKIAUNKNOWNUNKNOWN00');
    expect(refused).toContain('InvalidClientTokenId');
    expect(api.logs.join('\n')).not.toContain(testKey.secretAccessKey);
  });

  it('refuses a request signed for another region', async () => {
    const other = api.client({ region: 'eu-west-1' });
    await expect(other.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
      message: "Credential should be scoped to a valid region, not 'eu-west-1'.",
    });
  });

  it('refuses a session token, which tlsql does not issue, with InvalidClientTokenId', async () => {
    const withToken = api.client({ credentials: { ...testKey, sessionToken: 'FwoGZXIvYXdzEJr' } as never });
    await expect(withToken.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
      message: expect.stringContaining('does not issue temporary credentials'),
    });
  });
});

describe('RDS API clock skew', () => {
  it('answers RequestExpired when the server clock is 10 minutes ahead', async () => {
    const skewed = await startApi({ clock: new ManualClock(Date.now() + 10 * 60_000) });
    try {
      const err = await skewed.client({ maxAttempts: 1 }).send(new DescribeDBInstancesCommand({})).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'RequestExpired', $metadata: { httpStatusCode: 403 }, message: expect.stringMatching(/^Signature expired: \d{8}T\d{6}Z is now earlier than/) });
    } finally {
      await skewed.close();
    }
  });

  it('lets the SDK correct its clock from the Date header and succeed on retry', async () => {
    const skewed = await startApi({ clock: new ManualClock(Date.now() - 10 * 60_000) });
    try {
      const client = skewed.client({ maxAttempts: 2 });
      const out = await client.send(new DescribeDBInstancesCommand({}));
      expect(out.$metadata.attempts).toBe(2);
      expect(out.DBInstances).toEqual([]);
    } finally {
      await skewed.close();
    }
  });
});
