/**
 * The CLI end to end against a local HTTP server returning canned RDS XML: endpoint and
 * credential resolution, SigV4 signing, form encoding, Marker paging, error mapping, waiters.
 */

import { once } from 'node:events';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, dbInstanceXml, fakeClock, makeDataDir, startFakeRds, TEST_ACCESS_KEY_ID, xmlError, xmlOk, type FakeRds } from './fake-rds-server.js';

let server: FakeRds | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** Three pages of two instances each, linked by Markers. */
function threePages(req: { params: URLSearchParams; action: string }) {
  const marker = req.params.get('Marker');
  const page = marker === null ? 0 : Number(marker.replace('page-', ''));
  const ids = [`db${page * 2 + 1}`, `db${page * 2 + 2}`];
  const next = page < 2 ? `<Marker>page-${page + 1}</Marker>` : '';
  return xmlOk('DescribeDBInstances', `<DBInstances>${ids.map((id) => `<DBInstance>${dbInstanceXml(id)}</DBInstance>`).join('')}</DBInstances>${next}`);
}

describe('describe-db-instances against the API', () => {
  it('signs with the data dir credentials, finds the endpoint in the config and follows Markers across 3 pages', async () => {
    server = await startFakeRds(threePages);
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { DBInstances: { DBInstanceIdentifier: string; InstanceCreateTime: string }[]; Marker?: string };
    expect(out.DBInstances.map((i) => i.DBInstanceIdentifier)).toEqual(['db1', 'db2', 'db3', 'db4', 'db5', 'db6']);
    expect(out.DBInstances[0]?.InstanceCreateTime).toBe('2026-11-24T10:00:00.123000+00:00');
    expect(Object.keys(out)).toEqual(['DBInstances']);

    expect(server.requests.map((q) => q.params.get('Marker'))).toEqual([null, 'page-1', 'page-2']);
    for (const q of server.requests) {
      expect(q.method).toBe('POST');
      expect(q.action).toBe('DescribeDBInstances');
      expect(q.params.get('Version')).toBe('2014-10-31');
      expect(q.headers.authorization).toMatch(new RegExp(`^AWS4-HMAC-SHA256 Credential=${TEST_ACCESS_KEY_ID}/\\d{8}/us-east-1/rds/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$`));
      expect(q.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    }
  });

  it('stops at --max-items with a NextToken that --starting-token resumes from', async () => {
    server = await startFakeRds(threePages);
    const dataDir = await makeDataDir({ apiPort: server.port });
    const first = await cli(['describe-db-instances', '--data-dir', dataDir, '--max-items', '3']);
    const a = JSON.parse(first.stdout) as { DBInstances: { DBInstanceIdentifier: string }[]; NextToken: string };
    expect(a.DBInstances.map((i) => i.DBInstanceIdentifier)).toEqual(['db1', 'db2', 'db3']);
    expect(JSON.parse(Buffer.from(a.NextToken, 'base64').toString())).toEqual({ Marker: 'page-1', boto_truncate_amount: 1 });

    const second = await cli(['describe-db-instances', '--data-dir', dataDir, '--starting-token', a.NextToken]);
    const b = JSON.parse(second.stdout) as { DBInstances: { DBInstanceIdentifier: string }[]; NextToken?: string };
    expect(b.DBInstances.map((i) => i.DBInstanceIdentifier)).toEqual(['db4', 'db5', 'db6']);
    expect(b.NextToken).toBeUndefined();
  });

  it('passes --page-size as MaxRecords and makes one call with --no-paginate', async () => {
    server = await startFakeRds(threePages);
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir, '--no-paginate', '--page-size', '20']);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.params.get('MaxRecords')).toBe('20');
    expect(JSON.parse(r.stdout)).toMatchObject({ Marker: 'page-1' });
  });

  it('encodes filters from shorthand the way the Query API expects', async () => {
    server = await startFakeRds(() => xmlOk('DescribeDBInstances', '<DBInstances/>'));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir, '--filters', 'Name=engine,Values=mariadb,mysql', 'Name=db-instance-id,Values=a']);
    expect(r.stdout).toBe('{\n    "DBInstances": []\n}\n');
    const p = server.requests[0]?.params;
    expect(p?.get('Filters.Filter.1.Name')).toBe('engine');
    expect(p?.get('Filters.Filter.1.Values.Value.1')).toBe('mariadb');
    expect(p?.get('Filters.Filter.1.Values.Value.2')).toBe('mysql');
    expect(p?.get('Filters.Filter.2.Name')).toBe('db-instance-id');
  });

  it('prints table and text output', async () => {
    server = await startFakeRds(() => xmlOk('DescribeDBInstances', `<DBInstances><DBInstance>${dbInstanceXml('db1')}</DBInstance></DBInstances>`));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const table = await cli(['--output', 'table', 'describe-db-instances', '--data-dir', dataDir]);
    expect(table.stdout.split('\n')[1]).toMatch(/^\|\s+DescribeDBInstances\s+\|$/);
    expect(table.stdout).toContain('||  DBInstanceIdentifier');
    const text = await cli(['describe-db-instances', '--data-dir', dataDir, '--output=text']);
    expect(text.stdout.split('\n')[0]).toBe('DBINSTANCES\tdb.t3.micro\tdb1\tavailable\tmariadb\t2026-11-24T10:00:00.123000+00:00\tadmin');
  });
});

describe('--query', () => {
  it('selects from the whole paginated response with JMESPath, as the AWS CLI does, in json and text', async () => {
    server = await startFakeRds(threePages);
    const dataDir = await makeDataDir({ apiPort: server.port });
    const ids = await cli(['describe-db-instances', '--data-dir', dataDir, '--query', 'DBInstances[].DBInstanceIdentifier']);
    expect(ids.stderr).toBe('');
    expect(ids.stdout).toBe('[\n    "db1",\n    "db2",\n    "db3",\n    "db4",\n    "db5",\n    "db6"\n]\n');
    const rows = await cli(['describe-db-instances', '--data-dir', dataDir, '--output', 'text', '--query', 'DBInstances[?DBInstanceIdentifier!=`db2`].[DBInstanceIdentifier,DBInstanceStatus]']);
    expect(rows.stdout).toBe(['db1\tavailable', 'db3\tavailable', 'db4\tavailable', 'db5\tavailable', 'db6\tavailable', ''].join('\n'));
    // Timestamps are matched as printed.
    const created = await cli(['describe-db-instances', '--data-dir', dataDir, '--output', 'text', '--query', 'DBInstances[0].InstanceCreateTime']);
    expect(created.stdout).toBe('2026-11-24T10:00:00.123000+00:00\n');
  });

  it('refuses an expression that is not JMESPath with exit 252 before sending anything', async () => {
    server = await startFakeRds(threePages);
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir, '--query', 'DBInstances[?']);
    expect(r.code).toBe(252);
    expect(r.stderr).toMatch(/^tlsql: error: Bad value for --query DBInstances\[\?: /);
    expect(r.stdout).toBe('');
    expect(server.requests).toHaveLength(0);
  });
});

describe('endpoint and credentials', () => {
  it('prefers --endpoint-url, then AWS_ENDPOINT_URL_RDS, over the config', async () => {
    server = await startFakeRds(() => xmlOk('DescribeDBInstances', '<DBInstances/>'));
    const dataDir = await makeDataDir({ apiPort: 1 });
    expect((await cli(['describe-db-instances', '--data-dir', dataDir, '--endpoint-url', server.url])).code).toBe(0);
    expect((await cli(['describe-db-instances', '--data-dir', dataDir], { env: { AWS_ENDPOINT_URL_RDS: `${server.url}/` } })).code).toBe(0);
    expect(server.requests).toHaveLength(2);
  });

  it('signs for --region', async () => {
    server = await startFakeRds(() => xmlOk('DescribeDBInstances', '<DBInstances/>'));
    const dataDir = await makeDataDir({ apiPort: server.port });
    await cli(['describe-db-instances', '--data-dir', dataDir, '--region', 'eu-west-1']);
    expect(server.requests[0]?.headers.authorization).toContain('/eu-west-1/rds/aws4_request');
  });

  it('falls back to AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY without credentials.json', async () => {
    server = await startFakeRds(() => xmlOk('DescribeDBInstances', '<DBInstances/>'));
    const dataDir = await makeDataDir({ apiPort: server.port, credentials: false });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir], { env: { AWS_ACCESS_KEY_ID: 'AKIAENVENVENVENVENV0', AWS_SECRET_ACCESS_KEY: 's' } });
    expect(r.code).toBe(0);
    expect(server.requests[0]?.headers.authorization).toContain('Credential=AKIAENVENVENVENVENV0/');
  });

  it('exits 253 when there are no credentials at all', async () => {
    const dataDir = await makeDataDir({ credentials: false });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir]);
    expect(r.code).toBe(253);
    expect(r.stderr).toContain('no API credentials at');
    expect(r.stderr).toContain('tlsql init');
  });

  it('exits 253 for an invalid config', async () => {
    const dataDir = await makeDataDir();
    await writeFile(join(dataDir, 'config.json'), JSON.stringify({ api: { port: 'x' } }));
    const r = await cli(['describe-db-instances', '--data-dir', dataDir]);
    expect(r.code).toBe(253);
    expect(r.stderr).toContain('invalid configuration');
  });

  it('says the server is not running and exits 255 when the connection is refused', async () => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const dataDir = await makeDataDir({ apiPort: port });
    const r = await cli(['describe-db-instances', '--data-dir', dataDir]);
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(
      `tlsql: the tlsql server is not running at http://127.0.0.1:${port}. Start it with \`tlsql server\` (or scripts/setup).\n`,
    );
    expect(r.stdout).toBe('');
  });
});

describe('API errors', () => {
  it('prints the AWS CLI error line with the wire code and exits 254', async () => {
    server = await startFakeRds(() => xmlError('DBInstanceNotFound', 'DBInstance x not found.', 404));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['describe-db-instances', '--db-instance-identifier', 'x', '--data-dir', dataDir]);
    expect(r.code).toBe(254);
    expect(r.stderr).toBe('\nAn error occurred (DBInstanceNotFound) when calling the DescribeDBInstances operation: DBInstance x not found.\n');
    expect(r.stdout).toBe('');
  });

  it('reports error codes the SDK does not model', async () => {
    server = await startFakeRds(() => xmlError('SignatureDoesNotMatch', 'The request signature we calculated does not match.', 403));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['delete-db-instance', '--db-instance-identifier', 'x', '--data-dir', dataDir]);
    expect(r.code).toBe(254);
    expect(r.stderr).toContain('An error occurred (SignatureDoesNotMatch) when calling the DeleteDBInstance operation: The request signature');
  });
});

describe('create-db-instance and waiting', () => {
  function lifecycle(statuses: string[]) {
    let polls = 0;
    return (req: { action: string }) => {
      if (req.action === 'CreateDBInstance') return xmlOk('CreateDBInstance', `<DBInstance>${dbInstanceXml('db1', 'creating')}</DBInstance>`);
      const status = statuses[Math.min(polls++, statuses.length - 1)] as string;
      return xmlOk('DescribeDBInstances', `<DBInstances><DBInstance>${dbInstanceXml('db1', status)}</DBInstance></DBInstances>`);
    };
  }

  it('returns at once when stdout is not a terminal', async () => {
    server = await startFakeRds(lifecycle(['available']));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['create-db-instance', '--db-instance-identifier', 'db1', '--engine', 'mariadb', '--master-user-password', 'pw', '--port', '3307', '--enable-iam-database-authentication', '--tags', 'Key=a,Value=b', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(server.requests.map((q) => q.action)).toEqual(['CreateDBInstance']);
    const p = server.requests[0]?.params;
    expect(p?.get('DBInstanceIdentifier')).toBe('db1');
    expect(p?.get('Port')).toBe('3307');
    expect(p?.get('EnableIAMDatabaseAuthentication')).toBe('true');
    expect(p?.get('Tags.Tag.1.Key')).toBe('a');
    expect(JSON.parse(r.stdout)).toMatchObject({ DBInstance: { DBInstanceStatus: 'creating' } });
  });

  it('waits until available with --wait and prints the instance as it is then', async () => {
    server = await startFakeRds(lifecycle(['creating', 'creating', 'available']));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const clock = fakeClock();
    const r = await cli(['create-db-instance', '--db-instance-identifier', 'db1', '--engine', 'mariadb', '--wait', '--data-dir', dataDir], { run: { clock } });
    expect(r.code).toBe(0);
    expect(server.requests.map((q) => q.action)).toEqual(['CreateDBInstance', 'DescribeDBInstances', 'DescribeDBInstances', 'DescribeDBInstances']);
    expect(clock.slept).toEqual([250, 500]);
    expect(JSON.parse(r.stdout)).toMatchObject({ DBInstance: { DBInstanceIdentifier: 'db1', DBInstanceStatus: 'available' } });
    expect(r.stderr).toBe('');
  });

  it('waits by default on a terminal, with progress on stderr only', async () => {
    server = await startFakeRds(lifecycle(['creating', 'available']));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['create-db-instance', '--db-instance-identifier', 'db1', '--engine', 'mariadb', '--data-dir', dataDir], { isTTY: true, run: { clock: fakeClock() } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ DBInstance: { DBInstanceStatus: 'available' } });
    expect(r.stderr).toContain('db-instance db1: creating');
    expect(r.stderr).toContain('db-instance db1 is available');
    const noWait = await cli(['create-db-instance', '--db-instance-identifier', 'db1', '--engine', 'mariadb', '--no-wait', '--data-dir', dataDir], { isTTY: true });
    expect(JSON.parse(noWait.stdout)).toMatchObject({ DBInstance: { DBInstanceStatus: 'creating' } });
  });

  it('fails the waiter with exit 255 when the instance fails', async () => {
    server = await startFakeRds(lifecycle(['creating', 'failed']));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['create-db-instance', '--db-instance-identifier', 'db1', '--engine', 'mariadb', '--wait', '--data-dir', dataDir], { run: { clock: fakeClock() } });
    expect(r.code).toBe(255);
    expect(r.stderr).toBe(
      '\nWaiter DBInstanceAvailable failed: Waiter encountered a terminal failure state: For expression "DBInstances[].DBInstanceStatus" we matched expected path: "failed" at least once\n',
    );
  });

  it('times out `wait db-instance-available` with exit 255', async () => {
    server = await startFakeRds(lifecycle(['creating']));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const clock = fakeClock();
    const r = await cli(['wait', 'db-instance-available', '--db-instance-identifier', 'db1', '--timeout', '10', '--delay', '4', '--data-dir', dataDir], { run: { clock } });
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Waiter DBInstanceAvailable failed: Max attempts exceeded');
    expect(r.stderr).toContain('last status: creating');
    expect(clock.slept).toEqual([250, 500, 1000, 2000, 4000]);
  });

  it('treats DBInstanceNotFound as success for `wait db-instance-deleted`', async () => {
    let polls = 0;
    server = await startFakeRds(() =>
      polls++ === 0
        ? xmlOk('DescribeDBInstances', `<DBInstances><DBInstance>${dbInstanceXml('db1', 'deleting')}</DBInstance></DBInstances>`)
        : xmlError('DBInstanceNotFound', 'DBInstance db1 not found.', 404),
    );
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['wait', 'db-instance-deleted', '--db-instance-identifier', 'db1', '--data-dir', dataDir], { run: { clock: fakeClock() } });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(server.requests).toHaveLength(2);
  });

  it('fails `wait db-instance-available` on DBInstanceNotFound', async () => {
    server = await startFakeRds(() => xmlError('DBInstanceNotFound', 'DBInstance db1 not found.', 404));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['wait', 'db-instance-available', '--db-instance-identifier', 'db1', '--data-dir', dataDir], { run: { clock: fakeClock() } });
    expect(r.code).toBe(255);
    expect(r.stderr).toBe('\nWaiter DBInstanceAvailable failed: An error occurred (DBInstanceNotFound): DBInstance db1 not found.\n');
  });
});

describe('--debug', () => {
  it('logs requests to stderr without the password or the signature', async () => {
    server = await startFakeRds(() => xmlOk('ModifyDBInstance', `<DBInstance>${dbInstanceXml('db1', 'modifying')}</DBInstance>`));
    const dataDir = await makeDataDir({ apiPort: server.port });
    const r = await cli(['modify-db-instance', '--db-instance-identifier', 'db1', '--master-user-password', 'hunter2-secret', '--apply-immediately', '--data-dir', dataDir, '--debug']);
    expect(r.code).toBe(0);
    expect(server.requests[0]?.params.get('MasterUserPassword')).toBe('hunter2-secret');
    expect(r.stderr).toContain('tlsql debug: HTTP POST');
    expect(r.stderr).toContain('MasterUserPassword=[redacted]');
    expect(r.stderr).toContain('Signature=[redacted]');
    expect(r.stderr).not.toContain('hunter2');
    expect(r.stderr).not.toContain('test-secret-key');
  });
});

describe('download-bundle', () => {
  const pem = (n: number) => Array.from({ length: n }, () => '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').join('');

  async function bundleServer(body: () => string) {
    const { createServer: createHttp } = await import('node:http');
    const paths: string[] = [];
    const srv = createHttp((req, res) => {
      paths.push(req.url ?? '');
      if (req.url === '/bundles/global-bundle.pem' || req.url === '/bundles/eu-west-1-bundle.pem') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' }).end(body());
      } else res.writeHead(404).end('not found');
    });
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    return { port: (srv.address() as { port: number }).port, paths, close: () => new Promise<void>((r) => srv.close(() => r())) };
  }

  it('writes the bundle, reports its path and certificate count, and refuses to overwrite a different file without --force', async () => {
    let current = pem(3);
    const srv = await bundleServer(() => current);
    try {
      const dataDir = await makeDataDir({ apiPort: srv.port, credentials: false });
      const cwd = await mkdtemp(join(tmpdir(), 'tlsql-bundle-'));
      const first = await cli(['download-bundle', '--data-dir', dataDir], { run: { cwd } });
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      expect(first.stdout).toBe(`${join(cwd, 'global-bundle.pem')}: 3 certificates\n`);
      expect(await readFile(join(cwd, 'global-bundle.pem'), 'utf8')).toBe(current);

      const again = await cli(['download-bundle', '--data-dir', dataDir], { run: { cwd } });
      expect(again.stdout).toBe(`${join(cwd, 'global-bundle.pem')}: 3 certificates (unchanged)\n`);

      current = pem(4);
      const refused = await cli(['download-bundle', '--data-dir', dataDir], { run: { cwd } });
      expect(refused.code).toBe(255);
      expect(refused.stderr).toContain('exists and differs from the downloaded bundle (3 -> 4 certificates); pass --force');
      const forced = await cli(['download-bundle', '--data-dir', dataDir, '--force'], { run: { cwd } });
      expect(forced.code).toBe(0);
      expect(await readFile(join(cwd, 'global-bundle.pem'), 'utf8')).toBe(current);

      const regional = await cli(['download-bundle', '--data-dir', dataDir, '--region', 'eu-west-1', '--out', 'certs/../eu.pem'], { run: { cwd } });
      expect(regional.stdout).toBe(`${join(cwd, 'eu.pem')}: 4 certificates\n`);
      const missing = await cli(['download-bundle', '--data-dir', dataDir, '--region', 'ap-south-1'], { run: { cwd } });
      expect(missing.code).toBe(255);
      expect(missing.stderr).toContain('HTTP 404');
      expect(srv.paths).toContain('/bundles/ap-south-1-bundle.pem');
    } finally {
      await srv.close();
    }
  });
});

describe('credentials', () => {
  it('prints export lines for the AWS CLI and SDKs', async () => {
    const dataDir = await makeDataDir({ apiPort: 9999 });
    const r = await cli(['credentials', '--data-dir', dataDir]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `export AWS_ACCESS_KEY_ID='${TEST_ACCESS_KEY_ID}'\n` +
        "export AWS_SECRET_ACCESS_KEY='test-secret-key'\n" +
        "export AWS_REGION='us-east-1'\n" +
        "export AWS_DEFAULT_REGION='us-east-1'\n" +
        "export AWS_ENDPOINT_URL_RDS='http://127.0.0.1:9999'\n",
    );
    const fish = await cli(['credentials', '--data-dir', dataDir, '--shell', 'fish']);
    expect(fish.stdout).toContain(`set -gx AWS_ACCESS_KEY_ID '${TEST_ACCESS_KEY_ID}';`);
  });
});
