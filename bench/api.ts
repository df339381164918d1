/**
 * RDS API benchmark (issue 3): DescribeDBInstances with 1000 instances in the metadata store,
 * p50/p99 and requests/s, against DescribeDBEngineVersions (same SigV4 + awsQuery path, constant
 * small body) measured in the same run. Instances are recorded as `stopped`, so no engine runs.
 *
 *   npm run build && node dist/bench/api.js
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DescribeDBEngineVersionsCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { Store } from '../src/store/store.js';
import type { DbInstance } from '../src/control/types.js';
import { machine, pct, startServer } from './lib.js';

async function measure(name: string, n: number, fn: () => Promise<unknown>): Promise<{ name: string; p50: number; p99: number; rps: number }> {
  for (let i = 0; i < 50; i++) await fn();
  const xs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    xs.push(performance.now() - s);
  }
  const total = performance.now() - t0;
  xs.sort((a, b) => a - b);
  return { name, p50: pct(xs, 50), p99: pct(xs, 99), rps: (n / total) * 1000 };
}

function fakeInstance(i: number): DbInstance {
  const id = `bench-${String(i).padStart(4, '0')}`;
  return {
    id,
    resourceId: `db-${'A'.repeat(22)}${String(i).padStart(4, '0').replace(/\d/g, (d) => 'BCDEFGHIJK'[Number(d)]!)}`,
    arn: `arn:aws:rds:us-east-1:123456789012:db:${id}`,
    region: 'us-east-1',
    engine: 'mariadb',
    engineVersion: '10.11.19',
    instanceClass: 'db.t3.micro',
    status: 'stopped',
    masterUsername: 'admin',
    dbName: null,
    endpoint: { address: `${id}.abcdefghijkl.us-east-1.tlsql.localhost`, port: 30000 + i, hostedZoneId: 'Z2R2ITUGPM61AM' },
    allocatedStorageGiB: 20,
    createdAt: new Date(),
    caCertificateIdentifier: 'tlsql-ca-rsa2048-g1',
    certificate: { caIdentifier: 'tlsql-ca-rsa2048-g1', validTill: new Date(Date.now() + 365 * 864e5) },
    parameterGroup: { name: 'default.mariadb10.11', applyStatus: 'in-sync' },
    pendingModifiedValues: {},
    iamDatabaseAuthenticationEnabled: false,
    preferredMaintenanceWindow: 'sun:05:00-sun:05:30',
    preferredBackupWindow: '03:00-03:30',
    backupRetentionPeriod: 1,
    tags: [{ key: 'team', value: 'bench' }],
    insecureTlsAllowed: false,
  } as DbInstance;
}

async function main(): Promise<void> {
  // A first server run initialises the data dir; then 1000 instances are recorded while it is down.
  let s = await startServer(19811, 26000);
  const dataDir = s.dataDir;
  await s.stop();
  const store = new Store(join(dataDir, 'tlsql.db'));
  store.tx(() => {
    for (let i = 0; i < 1000; i++) store.insertInstance(fakeInstance(i));
  });
  store.close();
  s = await startServer(19811, 26000, dataDir);
  const rds: RDSClient = s.rds;
  try {
    const base = await measure('DescribeDBEngineVersions (baseline)', 500, () => rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'mariadb' })));
    const page = await measure('DescribeDBInstances, first page (MaxRecords 100 of 1000)', 500, () => rds.send(new DescribeDBInstancesCommand({})));
    const one = await measure('DescribeDBInstances by identifier (1 of 1000)', 500, () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'bench-0500' })));
    const rows = [base, page, one]
      .map((r) => `| ${r.name} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.rps.toFixed(0)}/s | ${(r.p99 / base.p99).toFixed(2)}x |`)
      .join('\n');
    process.stdout.write(
      [`### RDS API (${new Date().toISOString()})`, '', `Machine: ${machine()}. One SDK client, sequential requests, 1000 instances in the store.`, '', '| request | p50 | p99 | requests/s | p99 vs baseline |', '|---|---|---|---|---|', rows, '', 'Target: DescribeDBInstances p99 <= 20 ms.', ''].join('\n'),
    );
  } finally {
    await s.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
