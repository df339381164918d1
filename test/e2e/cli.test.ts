import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mariadbCli } from '../helpers/clients.js';
import { startServerProcess, tlsql, type ServerProcess } from '../helpers/cli.js';

let srv: ServerProcess;
const apiPort = 19336 + (process.pid % 500);
const firstPort = 24000 + (process.pid % 50) * 20;

beforeAll(async () => {
  srv = await startServerProcess({ apiPort, firstPort });
});

afterAll(async () => {
  await srv?.stop();
});

const create = (id: string, extra: string[] = []) =>
  tlsql(srv.dataDir, ['create-db-instance', '--db-instance-identifier', id, '--engine', 'mariadb', '--master-username', 'admin', '--master-user-password', 'Cli-pass-123', '--wait', ...extra]);

describe('tlsql CLI against a running tlsql server', () => {
  it('creates an instance, prints AWS-CLI-shaped JSON, and the printed endpoint works with the downloaded bundle', async () => {
    const r = await create('cli-db');
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout).DBInstance;
    expect(out.DBInstanceStatus).toBe('available');
    expect(out.Endpoint.Address).toMatch(/^cli-db\.[a-z0-9]{12}\.us-east-1\.tlsql\.localhost$/);
    expect(out.Endpoint.Port).toBe(firstPort);
    expect(out.CACertificateIdentifier).toBe('tlsql-ca-rsa2048-g1');
    expect(out.CertificateDetails.ValidTill).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$/);
    expect(out.DbiResourceId).toMatch(/^db-[A-Z2-7]{26}$/);

    const dir = await mkdtemp(join(tmpdir(), 'tlsql-bundle-'));
    const b = await tlsql(srv.dataDir, ['download-bundle', '--out', join(dir, 'global-bundle.pem')]);
    expect(b.code).toBe(0);
    const pem = readFileSync(join(dir, 'global-bundle.pem'), 'utf8');
    expect(pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(3); // three families, one region: roots only

    const q = await mariadbCli({ host: out.Endpoint.Address, port: out.Endpoint.Port, user: 'admin', password: 'Cli-pass-123', ca: join(dir, 'global-bundle.pem'), sql: 'SELECT 7*6' });
    expect(q.stdout.trim()).toBe('42');
  });

  it('describes instances as a table and certificates with the default for new launches', async () => {
    const t = await tlsql(srv.dataDir, ['describe-db-instances', '--output', 'table']);
    expect(t.code).toBe(0);
    expect(t.stdout).toContain('DescribeDBInstances');
    expect(t.stdout).toContain('cli-db');
    const c = JSON.parse((await tlsql(srv.dataDir, ['describe-certificates'])).stdout);
    expect(c.DefaultCertificateForNewLaunches).toBe('tlsql-ca-rsa2048-g1');
    expect(c.Certificates.map((x: { CertificateIdentifier: string }) => x.CertificateIdentifier).sort()).toEqual(['tlsql-ca-ecc384-g1', 'tlsql-ca-rsa2048-g1', 'tlsql-ca-rsa4096-g1']);
    for (const cert of c.Certificates) expect(cert.Thumbprint).toMatch(/^[0-9a-f]{40}$/);
  });

  it.each([
    [['--db-instance-identifier', '1bad'], /not a valid identifier/],
    [['--db-instance-identifier', 'cli-db'], /DBInstanceAlreadyExists/],
    [['--ca-certificate-identifier', 'rds-ca-2019'], /CertificateNotFound/],
    [['--master-user-password', 'short'], /shorter than 8 characters/],
    [['--master-user-password', ''], /MasterUserPassword must be provided/],
    [['--engine', 'postgres'], /Invalid DB engine: postgres/],
  ])('refuses bad input %j with a specific message, a non-zero exit and no new instance', async (flags, message) => {
    const args = ['create-db-instance', '--db-instance-identifier', 'bad-input', '--engine', 'mariadb', '--master-username', 'admin', '--master-user-password', 'Cli-pass-123'];
    for (let i = 0; i < flags.length; i += 2) {
      const at = args.indexOf(flags[i]!);
      if (at >= 0) args[at + 1] = flags[i + 1]!;
      else args.push(flags[i]!, flags[i + 1]!);
    }
    const r = await tlsql(srv.dataDir, args);
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(message);
    const list = JSON.parse((await tlsql(srv.dataDir, ['describe-db-instances'])).stdout).DBInstances.map((i: { DBInstanceIdentifier: string }) => i.DBInstanceIdentifier);
    expect(list).toEqual(['cli-db']);
  });

  it('refuses a port that something else listens on', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(firstPort + 7, '127.0.0.1', () => r()));
    try {
      const r = await create('port-clash', ['--port', String(firstPort + 7)]);
      expect(r.code).toBe(254);
      expect(r.stderr).toMatch(/PortInUse.*already in use/);
    } finally {
      blocker.close();
    }
  });

  it('says the server is not running, with a non-zero exit, when nothing answers', async () => {
    const r = await tlsql(srv.dataDir, ['describe-db-instances', '--endpoint-url', 'http://127.0.0.1:1']);
    expect(r.code).toBe(255);
    expect(r.stderr).toMatch(/tlsql server is not running at http:\/\/127\.0\.0\.1:1/);
  });

  it('deletes an instance and frees its endpoint', async () => {
    const r = await tlsql(srv.dataDir, ['delete-db-instance', '--db-instance-identifier', 'cli-db', '--skip-final-snapshot', '--wait']);
    expect(r.code).toBe(0);
    const list = JSON.parse((await tlsql(srv.dataDir, ['describe-db-instances'])).stdout).DBInstances;
    expect(list).toEqual([]);
    const free = await new Promise<boolean>((res) => {
      const s = net.createServer().once('error', () => res(false));
      s.listen(firstPort, '127.0.0.1', () => s.close(() => res(true)));
    });
    expect(free).toBe(true);
  });
});
