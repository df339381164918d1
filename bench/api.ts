/**
 * RDS API benchmark (docs/benchmarks.md "RDS API"): DescribeDBInstances with 1000 instances in the
 * metadata store, p50/p99 and requests/s, against DescribeDBEngineVersions (same SigV4 + awsQuery
 * path, constant small body) measured in the same run. Instances are recorded as `stopped`, so no
 * engine runs.
 *
 *   npm run build && node dist/bench/api.js
 */
import { rm } from 'node:fs/promises';
import http from 'node:http';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { DescribeDBEngineVersionsCommand, DescribeDBInstancesCommand, type RDSClient } from '@aws-sdk/client-rds';
import { Store } from '../src/store/store.js';
import type { DbInstance } from '../src/model/db-instance.js';
import { machine, pct, startServer } from './lib.js';

/** Time of the last HTTP exchange (request sent to response body read), set by the wrapped handler. */
let lastHttpMs = 0;
/** The last signed request the SDK sent, for replaying without the SDK. */
let lastRequest: { method: string; hostname: string; port?: number; path: string; headers: Record<string, string>; body?: unknown } | null = null;

/** Times every HTTP exchange of the SDK client, so server time and SDK parsing can be told apart. */
function timeHttp(rds: RDSClient): void {
  const handler = rds.config.requestHandler as { handle: (...a: unknown[]) => Promise<{ response: { body: NodeJS.ReadableStream } }> };
  const handle = handler.handle.bind(handler);
  handler.handle = async (...a: unknown[]) => {
    lastRequest = a[0] as typeof lastRequest;
    const t0 = performance.now();
    const out = await handle(...a);
    // Read the body here so the exchange includes the transfer; the SDK then parses the buffered bytes.
    const chunks: Buffer[] = [];
    for await (const c of out.response.body) chunks.push(c as Buffer);
    lastHttpMs = performance.now() - t0;
    out.response.body = Readable.from([Buffer.concat(chunks)]);
    return out;
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

/**
 * Replays one signed request over keep-alive HTTP and reads the whole response: the server's
 * latency as a client sees it, without the SDK's XML parsing (25 ms for a page of 100 instances)
 * and its garbage collection in the measuring process.
 */
function replay(req: NonNullable<typeof lastRequest>): Promise<number> {
  return new Promise((resolve, reject) => {
    const r = http.request({ agent, method: req.method, host: req.hostname, port: req.port, path: req.path, headers: req.headers }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => (res.statusCode === 200 ? resolve(bytes) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    r.on('error', reject);
    r.end(req.body as string | undefined);
  });
}

/** Times `n` sequential calls after 50 warm-up calls; `after` runs after each timed call (outside the timing). */
async function timeCalls(n: number, fn: () => Promise<unknown>, after: () => void = () => {}): Promise<{ p50: number; p99: number; rps: number }> {
  for (let i = 0; i < 50; i++) await fn();
  const xs: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    await fn();
    xs.push(performance.now() - s);
    after();
  }
  const total = performance.now() - t0;
  xs.sort((a, b) => a - b);
  return { p50: pct(xs, 50), p99: pct(xs, 99), rps: (n / total) * 1000 };
}

async function measureServer(name: string, n: number, send: () => Promise<unknown>): Promise<{ name: string; p50: number; p99: number; rps: number; bytes: number }> {
  await send();
  const req = lastRequest!;
  const bytes = await replay(req);
  return { name, bytes, ...(await timeCalls(n, () => replay(req))) };
}

interface Result {
  name: string;
  p50: number;
  p99: number;
  rps: number;
  httpP50: number;
  httpP99: number;
}

async function measure(name: string, n: number, fn: () => Promise<unknown>): Promise<Result> {
  const http: number[] = [];
  const t = await timeCalls(n, fn, () => http.push(lastHttpMs));
  http.sort((a, b) => a - b);
  return { name, ...t, httpP50: pct(http, 50), httpP99: pct(http, 99) };
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
  timeHttp(rds);
  try {
    const base = await measure('DescribeDBEngineVersions (baseline)', 500, () => rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'mariadb' })));
    const page = await measure('DescribeDBInstances, first page (MaxRecords 100 of 1000)', 500, () => rds.send(new DescribeDBInstancesCommand({})));
    const one = await measure('DescribeDBInstances by identifier (1 of 1000)', 500, () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'bench-0500' })));
    const sdkRows = [base, page, one]
      .map((r) => `| ${r.name} | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.rps.toFixed(0)}/s | ${(r.p99 / base.p99).toFixed(2)}x | ${r.httpP50.toFixed(2)} / ${r.httpP99.toFixed(2)} ms |`)
      .join('\n');
    // The same three requests, signed once by the SDK and replayed over keep-alive HTTP.
    const sBase = await measureServer('DescribeDBEngineVersions (baseline)', 1000, () => rds.send(new DescribeDBEngineVersionsCommand({ Engine: 'mariadb' })));
    const sPage = await measureServer('DescribeDBInstances, first page (MaxRecords 100 of 1000)', 1000, () => rds.send(new DescribeDBInstancesCommand({})));
    const sOne = await measureServer('DescribeDBInstances by identifier (1 of 1000)', 1000, () => rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: 'bench-0500' })));
    const serverRows = [sBase, sPage, sOne]
      .map((r) => `| ${r.name} | ${(r.bytes / 1024).toFixed(1)} KiB | ${r.p50.toFixed(2)} ms | ${r.p99.toFixed(2)} ms | ${r.rps.toFixed(0)}/s | ${(r.p99 / sBase.p99).toFixed(2)}x |`)
      .join('\n');
    process.stdout.write(
      [
        `### RDS API (${new Date().toISOString()})`,
        '',
        `Machine: ${machine()}. Sequential requests, 1000 instances in the store.`,
        '',
        'Server latency (signed request replayed over keep-alive HTTP, whole response read):',
        '',
        '| request | response | p50 | p99 | requests/s | p99 vs baseline |',
        '|---|---|---|---|---|---|',
        serverRows,
        '',
        'End to end with @aws-sdk/client-rds (includes the SDK signing the request and parsing the XML):',
        '',
        '| request | p50 | p99 | requests/s | p99 vs baseline | of which HTTP exchange p50 / p99 |',
        '|---|---|---|---|---|---|',
        sdkRows,
        '',
        'Target: DescribeDBInstances p99 <= 20 ms.',
        '',
      ].join('\n'),
    );
  } finally {
    await s.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
