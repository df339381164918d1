import { X509Certificate } from 'node:crypto';
import {
  CreateDBInstanceCommand,
  CreateDBParameterGroupCommand,
  DescribeEventsCommand,
  RDSClient,
  DeleteDBParameterGroupCommand,
  DescribeCertificatesCommand,
  DescribeDBEngineVersionsCommand,
  DescribeDBInstancesCommand,
  DescribeDBParametersCommand,
  ModifyCertificatesCommand,
  ModifyDBInstanceCommand,
  ModifyDBParameterGroupCommand,
  RebootDBInstanceCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
  paginateDescribeDBInstances,
} from '@aws-sdk/client-rds';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataPaths } from '../../src/config/paths.js';
import { readCredentials } from '../../src/config/credentials.js';
import { mysql2Tls, run } from '../helpers/clients.js';
import { tlsql } from '../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;

beforeAll(async () => {
  t = await startTestService();
  db = await createInstance(t, 'api-db');
});

afterAll(async () => {
  await t?.close();
});

const describeOne = async (id: string) => (await t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }))).DBInstances![0]!;

describe('RDS API against real instances', () => {
  it('reports every DBInstance field truthfully, CertificateDetails.ValidTill being the served certificate expiry', async () => {
    const i = await describeOne('api-db');
    expect(i).toMatchObject({
      DBInstanceIdentifier: 'api-db',
      Engine: 'mariadb',
      DBInstanceStatus: 'available',
      MasterUsername: 'admin',
      CACertificateIdentifier: 'tlsql-ca-rsa2048-g1',
      IAMDatabaseAuthenticationEnabled: false,
      PubliclyAccessible: false,
      StorageEncrypted: false,
      DBParameterGroups: [{ DBParameterGroupName: 'default.mariadb10.11', ParameterApplyStatus: 'in-sync' }],
    });
    expect(i.DBInstanceArn).toMatch(/^arn:aws:rds:us-east-1:\d{12}:db:api-db$/);
    expect(i.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);
    expect(i.EngineVersion).toBe(execFileSync('mariadbd', ['--version']).toString().match(/Ver (\d+\.\d+\.\d+)/)![1]);
    const served = await run('openssl', ['s_client', '-starttls', 'mysql', '-connect', `127.0.0.1:${db.port}`, '-servername', db.host, '-verify_hostname', db.host, '-CAfile', t.bundlePath], { input: '' });
    expect(served.stdout).toContain('Verify return code: 0 (ok)');
    const leafPem = served.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)![0];
    expect(i.CertificateDetails?.ValidTill?.getTime()).toBe(new Date(new X509Certificate(leafPem).validTo).getTime());
  });

  it('pages DescribeDBInstances from the store by identifier, every instance once and in order', async () => {
    // 44 more instances recorded as stopped (no engines), beside the real one.
    const real = t.service.store.getInstance('api-db')!;
    const ids = Array.from({ length: 44 }, (_, i) => `page-${String(i).padStart(2, '0')}`);
    ids.forEach((id, i) =>
      t.service.store.insertInstance({ ...structuredClone(real), id, resourceId: `db-PAGE${String(i).padStart(22, 'A')}`, arn: real.arn.replace(/api-db$/, id), status: 'stopped', endpoint: { ...real.endpoint, port: 40000 + i } }),
    );
    try {
      const pages: string[][] = [];
      for await (const page of paginateDescribeDBInstances({ client: t.rds, pageSize: 20 }, {})) pages.push(page.DBInstances!.map((d) => d.DBInstanceIdentifier!));
      expect(pages.map((p) => p.length)).toEqual([20, 20, 5]);
      expect(pages.flat()).toEqual(['api-db', ...ids].sort());
      // A filter goes the other way (whole list, filtered) and pages the same.
      const filtered = await t.rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20, Filters: [{ Name: 'engine', Values: ['mariadb'] }] }));
      expect(filtered.DBInstances!.map((d) => d.DBInstanceIdentifier)).toEqual(pages[0]);
      const next = await t.rds.send(new DescribeDBInstancesCommand({ MaxRecords: 20, Marker: filtered.Marker, Filters: [{ Name: 'engine', Values: ['mariadb'] }] }));
      expect(next.DBInstances!.map((d) => d.DBInstanceIdentifier)).toEqual(pages[1]);
    } finally {
      for (const id of ids) t.service.store.deleteInstance(id);
    }
  });

  it('describes certificates with the SHA-1 thumbprint and dates of each root, and switches the default for new launches', async () => {
    const out = await t.rds.send(new DescribeCertificatesCommand({}));
    expect(out.DefaultCertificateForNewLaunches).toBe('tlsql-ca-rsa2048-g1');
    for (const c of out.Certificates!) {
      const rec = t.service.ca.record(c.CertificateIdentifier as 'tlsql-ca-rsa2048-g1', 'us-east-1');
      const x = new X509Certificate(rec.rootPem);
      expect(c.Thumbprint).toBe(x.fingerprint.replace(/:/g, '').toLowerCase());
      expect(c.ValidTill!.getTime()).toBe(new Date(x.validTo).getTime());
      expect(c.CertificateArn).toBe(`arn:aws:rds:us-east-1::cert:${c.CertificateIdentifier}`);
    }
    const mod = await t.rds.send(new ModifyCertificatesCommand({ CertificateIdentifier: 'tlsql-ca-ecc384-g1' }));
    expect(mod.Certificate?.CustomerOverride).toBe(true);
    expect((await t.rds.send(new DescribeCertificatesCommand({}))).DefaultCertificateForNewLaunches).toBe('tlsql-ca-ecc384-g1');
    await t.rds.send(new ModifyCertificatesCommand({ RemoveCustomerOverride: true }));
    expect((await t.rds.send(new DescribeCertificatesCommand({}))).DefaultCertificateForNewLaunches).toBe('tlsql-ca-rsa2048-g1');
  });

  it('lists the installed engine with every CA and rotation without restart', async () => {
    const v = (await t.rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'mariadb' }))).DBEngineVersions!;
    expect(v).toHaveLength(1);
    expect(v[0]!.SupportedCACertificateIdentifiers!.sort()).toEqual(['tlsql-ca-ecc384-g1', 'tlsql-ca-rsa2048-g1', 'tlsql-ca-rsa4096-g1']);
    expect(v[0]!.SupportsCertificateRotationWithoutRestart).toBe(true);
    expect((await t.rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'mysql' }))).DBEngineVersions).toEqual([]);
  });

  it('moves through stopping -> stopped -> starting -> available, refusing actions that do not fit the status', async () => {
    const stopping = await t.rds.send(new StopDBInstanceCommand({ DBInstanceIdentifier: 'api-db' }));
    expect(stopping.DBInstance!.DBInstanceStatus).toBe('stopping');
    await expect(t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'api-db' }))).rejects.toMatchObject({ name: 'InvalidDBInstanceStateFault', $metadata: { httpStatusCode: 400 } });
    await t.service.control.idle();
    expect((await describeOne('api-db')).DBInstanceStatus).toBe('stopped');
    await expect(mysql2Tls({ ...db, ca: t.bundlePath })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const starting = await t.rds.send(new StartDBInstanceCommand({ DBInstanceIdentifier: 'api-db' }));
    expect(starting.DBInstance!.DBInstanceStatus).toBe('starting');
    await t.service.control.idle();
    expect((await describeOne('api-db')).DBInstanceStatus).toBe('available');
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    await c.end();
  });

  it('stores and validates parameters, reporting pending-reboot for static ones until a reboot', async () => {
    await t.rds.send(new CreateDBParameterGroupCommand({ DBParameterGroupName: 'strict', DBParameterGroupFamily: 'mariadb10.11', Description: 'TLS 1.3 only' }));
    await expect(
      t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'strict', Parameters: [{ ParameterName: 'tls_version', ParameterValue: 'TLSv1', ApplyMethod: 'pending-reboot' }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', message: expect.stringContaining('TLSv1 for tls_version') });
    await expect(
      t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'strict', Parameters: [{ ParameterName: 'tls_version', ParameterValue: 'TLSv1.3', ApplyMethod: 'immediate' }] })),
    ).rejects.toMatchObject({ name: 'InvalidParameterCombination' });
    await t.rds.send(new ModifyDBParameterGroupCommand({ DBParameterGroupName: 'strict', Parameters: [{ ParameterName: 'tls_version', ParameterValue: 'TLSv1.3', ApplyMethod: 'pending-reboot' }] }));
    const params = (await t.rds.send(new DescribeDBParametersCommand({ DBParameterGroupName: 'strict', Source: 'user' }))).Parameters!;
    expect(params).toEqual([expect.objectContaining({ ParameterName: 'tls_version', ParameterValue: 'TLSv1.3', ApplyType: 'static' })]);

    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'api-db', DBParameterGroupName: 'strict', ApplyImmediately: true }));
    expect((await describeOne('api-db')).DBParameterGroups).toEqual([{ DBParameterGroupName: 'strict', ParameterApplyStatus: 'pending-reboot' }]);
    await expect(t.rds.send(new DeleteDBParameterGroupCommand({ DBParameterGroupName: 'strict' }))).rejects.toMatchObject({ name: 'InvalidDBParameterGroupStateFault' });
    // Before the reboot TLS 1.2 still works; after it, only TLS 1.3.
    const c12 = await mysql2Tls({ ...db, ca: t.bundlePath, tls: { maxVersion: 'TLSv1.2' } });
    await c12.end();
    await t.rds.send(new RebootDBInstanceCommand({ DBInstanceIdentifier: 'api-db' }));
    await t.service.control.idle();
    expect((await describeOne('api-db')).DBParameterGroups).toEqual([{ DBParameterGroupName: 'strict', ParameterApplyStatus: 'in-sync' }]);
    await expect(mysql2Tls({ ...db, ca: t.bundlePath, tls: { maxVersion: 'TLSv1.2' } })).rejects.toThrow(/protocol|alert|version/i);
    const c13 = await mysql2Tls({ ...db, ca: t.bundlePath });
    await c13.end();
  });

  it('changes the master password on modify, live', async () => {
    await t.rds.send(new ModifyDBInstanceCommand({ DBInstanceIdentifier: 'api-db', MasterUserPassword: 'New-pass-22', ApplyImmediately: true }));
    await expect(mysql2Tls({ ...db, ca: t.bundlePath })).rejects.toMatchObject({ errno: 1045 });
    const c = await mysql2Tls({ ...db, password: 'New-pass-22', ca: t.bundlePath });
    await c.end();
  });

  it('raises the SDK typed faults for the matching conditions, changing nothing', async () => {
    const base = { Engine: 'mariadb', MasterUsername: 'admin', MasterUserPassword: 'Sup3r-secret!', DBInstanceClass: 'db.t3.micro' };
    await expect(t.rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: 'API-DB' }))).rejects.toMatchObject({ name: 'DBInstanceAlreadyExistsFault', $metadata: { httpStatusCode: 400 } });
    await expect(t.rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: 'other', CACertificateIdentifier: 'rds-ca-2019' }))).rejects.toMatchObject({ name: 'CertificateNotFoundFault', $metadata: { httpStatusCode: 404 } });
    await expect(t.rds.send(new CreateDBInstanceCommand({ ...base, DBInstanceIdentifier: 'other', DBParameterGroupName: 'missing' }))).rejects.toMatchObject({ name: 'DBParameterGroupNotFoundFault', $metadata: { httpStatusCode: 404 } });
    await expect(t.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'other' }))).rejects.toMatchObject({ name: 'DBInstanceNotFoundFault', $metadata: { httpStatusCode: 404 } });
    const wrong = new RDSClient({ endpoint: t.service.apiUrl, region: 'us-east-1', credentials: { accessKeyId: (await t.rds.config.credentials()).accessKeyId, secretAccessKey: 'not-the-secret' }, maxAttempts: 1 });
    await expect(wrong.send(new DescribeDBInstancesCommand({}))).rejects.toMatchObject({ name: 'SignatureDoesNotMatch', $metadata: { httpStatusCode: 403 } });
    wrong.destroy();
  });

  it('finds the endpoint from AWS_ENDPOINT_URL_RDS, as the SDK does for RDS', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_RDS;
    process.env.AWS_ENDPOINT_URL_RDS = t.service.apiUrl;
    try {
      const c = new RDSClient({ region: 'us-east-1', credentials: await t.rds.config.credentials(), maxAttempts: 1 });
      const out = await c.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'api-db' }));
      expect(out.DBInstances![0]!.DBInstanceIdentifier).toBe('api-db');
      c.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_RDS;
      else process.env.AWS_ENDPOINT_URL_RDS = saved;
    }
  });

  it('records created, modified, rebooted and certificate events', async () => {
    const msgs = ((await t.rds.send(new DescribeEventsCommand({ SourceIdentifier: 'api-db', SourceType: 'db-instance' }))).Events ?? []).map((e) => e.Message);
    expect(msgs).toEqual(
      expect.arrayContaining([
        'DB instance created',
        expect.stringMatching(/^DB instance modified: MasterUserPassword/),
        'DB instance restarted',
        expect.stringMatching(/certificate|Certificate/),
      ]),
    );
  });

  it('works from the real AWS CLI', async () => {
    const creds = await readCredentials(dataPaths(t.dataDir).credentials);
    const env = { ...process.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    const r = await run('aws', ['rds', 'describe-db-instances', '--endpoint-url', t.service.apiUrl, '--db-instance-identifier', 'api-db'], { env });
    expect(r.stderr).toBe('');
    const i = JSON.parse(r.stdout).DBInstances[0];
    expect(i.Endpoint).toEqual({ Address: db.host, Port: db.port, HostedZoneId: expect.any(String) });
    const bad = await run('aws', ['rds', 'describe-db-instances', '--endpoint-url', t.service.apiUrl, '--db-instance-identifier', 'nope'], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/An error occurred \(DBInstanceNotFound\) when calling the DescribeDBInstances operation: DBInstance nope not found/);
  });

  it('prints the same --query results as the AWS CLI, in json and text', async () => {
    const creds = await readCredentials(dataPaths(t.dataDir).credentials);
    const env = { ...process.env, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    // As the RDS documentation writes them. (No timestamps: this Debian awscli is v1, which prints
    // them as sent; tlsql prints them as AWS CLI v2 does, 2026-11-24T10:00:00.123000+00:00.)
    const queries = [
      ['--query', '*[].[DBInstanceIdentifier,Endpoint.Address,Endpoint.Port,MasterUsername]'],
      ['--query', 'DBInstances[].[DBInstanceIdentifier,CACertificateIdentifier,Endpoint.Port]', '--output', 'text'],
      ['--query', 'DBInstances[?DBInstanceIdentifier==`api-db`].CACertificateIdentifier | [0]', '--output', 'text'],
    ];
    for (const q of queries) {
      const aws = await run('aws', ['rds', 'describe-db-instances', '--endpoint-url', t.service.apiUrl, ...q], { env });
      const ours = await tlsql(t.dataDir, ['describe-db-instances', '--endpoint-url', t.service.apiUrl, ...q]);
      expect(aws.code).toBe(0);
      expect(ours.stderr).toBe('');
      expect(ours.stdout).toBe(aws.stdout);
    }
    expect((await tlsql(t.dataDir, ['describe-db-instances', '--endpoint-url', t.service.apiUrl, ...queries[2]!])).stdout).toBe('tlsql-ca-rsa2048-g1\n');
  });
});
