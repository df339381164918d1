import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, testKey, type ApiHarness } from './harness.js';

const awsCli = '/usr/bin/aws';

function runAws(api: ApiHarness, home: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      awsCli,
      ['rds', ...args, '--endpoint-url', api.url, '--region', 'us-east-1', '--output', 'json'],
      {
        timeout: 60_000,
        env: {
          PATH: process.env['PATH'] ?? '/usr/bin:/bin',
          HOME: home,
          AWS_ACCESS_KEY_ID: testKey.accessKeyId,
          AWS_SECRET_ACCESS_KEY: testKey.secretAccessKey,
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          AWS_PAGER: '',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe.skipIf(!existsSync(awsCli))('RDS API via the AWS CLI', () => {
  let api: ApiHarness;
  let home: string;

  beforeAll(async () => {
    api = await startApi();
    home = mkdtempSync(join(tmpdir(), 'tlsql-awscli-'));
  });
  afterAll(async () => {
    await api.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('creates and describes an instance with tags, security groups and filters encoded by botocore', async () => {
    const created = await runAws(api, home, [
      'create-db-instance',
      '--db-instance-identifier', 'cli-db',
      '--db-instance-class', 'db.t3.micro',
      '--engine', 'mariadb',
      '--master-username', 'admin',
      '--master-user-password', 'cli-password-123',
      '--vpc-security-group-ids', 'sg-1', 'sg-2',
      '--tags', 'Key=team,Value=data', 'Key=env,Value=ci',
      '--enable-iam-database-authentication',
    ]);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).DBInstance.DBInstanceIdentifier).toBe('cli-db');
    expect(api.control.callsTo('createDbInstance')).toEqual([
      expect.objectContaining({
        dbInstanceIdentifier: 'cli-db',
        enableIAMDatabaseAuthentication: true,
        tags: [
          { key: 'team', value: 'data' },
          { key: 'env', value: 'ci' },
        ],
      }),
    ]);

    const described = await runAws(api, home, ['describe-db-instances', '--filters', 'Name=engine,Values=mariadb,mysql']);
    expect(described.code).toBe(0);
    const out = JSON.parse(described.stdout) as { DBInstances: Array<Record<string, unknown>> };
    expect(out.DBInstances).toHaveLength(1);
    const db = out.DBInstances[0];
    expect(db).toMatchObject({
      DBInstanceIdentifier: 'cli-db',
      Engine: 'mariadb',
      DBInstanceStatus: 'available',
      Endpoint: { Address: 'cli-db.c0ffee123456.us-east-1.rds.amazonaws.com', Port: 3306, HostedZoneId: 'Z2R2ITUGPM61AM' },
      IAMDatabaseAuthenticationEnabled: true,
      PubliclyAccessible: false,
      TagList: [
        { Key: 'team', Value: 'data' },
        { Key: 'env', Value: 'ci' },
      ],
      CertificateDetails: { CAIdentifier: 'tlsql-ca-rsa2048-g1' },
    });
    // botocore prints timestamps as ISO-8601 with the UTC offset.
    expect(db?.['InstanceCreateTime']).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(000)?(\+00:00|Z)$/);
    expect(api.control.callsTo('describeDbInstances').at(-1)).toEqual({ filters: [{ name: 'engine', values: ['mariadb', 'mysql'] }], limit: 101 });
  });

  it('reports an RDS fault with its wire code and a non-zero exit', async () => {
    const res = await runAws(api, home, ['describe-db-instances', '--db-instance-identifier', 'missing-db']);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('(DBInstanceNotFound)');
    expect(res.stderr).toContain('DBInstance missing-db not found.');
  });
});
