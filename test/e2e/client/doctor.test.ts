/**
 * `tlsql doctor` against a real tlsql service with two regions, a plain mariadbd, and the usual
 * mistakes: each case must give the right verdict on the right step and the right fix.
 */

import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Signer } from '@aws-sdk/rds-signer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport, DoctorStep } from '../../../src/doctor/doctor.js';
import { probe } from '../../../src/doctor/probe.js';
import { run } from '../../helpers/clients.js';
import { TLSQL_BIN, tlsql } from '../../helpers/cli.js';
import { createInstance, startTestService, type TestService } from '../../helpers/service.js';
import { startPlainMariadb, type PlainMariadb } from './plain-mariadb.js';

let t: TestService;
let one: Awaited<ReturnType<typeof createInstance>>;
let two: Awaited<ReturnType<typeof createInstance>>;
let plain: PlainMariadb;
let work: string;
let foreignCa: string;
let outdatedCa: string;

beforeAll(async () => {
  t = await startTestService({ regions: ['us-east-1', 'eu-west-1'] });
  [one, two] = await Promise.all([createInstance(t, 'one'), createInstance(t, 'two')]);
  plain = await startPlainMariadb();
  work = await mkdtemp(join(tmpdir(), 'tlsql-doctor-'));
  const selfSigned = (subj: string) =>
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', subj, '-days', '2'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  foreignCa = join(work, 'foreign-ca.pem');
  await writeFile(foreignCa, selfSigned('/CN=Some Other CA'));
  // Same name as tlsql's root, another key: what a bundle from before a CA re-creation looks like.
  outdatedCa = join(work, 'old-global-bundle.pem');
  await writeFile(outdatedCa, selfSigned('/C=US/O=tlsql/CN=tlsql us-east-1 Root CA RSA2048 G1'));
}, 240_000);

afterAll(async () => {
  await plain?.stop();
  await t?.close();
});

async function doctor(args: string[]): Promise<{ code: number; report: DoctorReport; stderr: string }> {
  const r = await tlsql(t.dataDir, ['doctor', ...args, '--output', 'json']);
  let report: DoctorReport;
  try {
    report = JSON.parse(r.stdout) as DoctorReport;
  } catch {
    throw new Error(`tlsql doctor ${args.join(' ')} printed no JSON (exit ${r.code}): ${r.stdout}\n${r.stderr}`);
  }
  return { code: r.code, report, stderr: r.stderr };
}

function step(r: DoctorReport, id: DoctorStep['id']): DoctorStep {
  const s = r.steps.find((x) => x.id === id);
  if (s === undefined) throw new Error(`no step ${id} in ${JSON.stringify(r.steps.map((x) => x.id))}`);
  return s;
}

const target = (db: { host: string; port: number }) => `${db.host}:${db.port}`;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('tlsql doctor', () => {
  it('finds nothing wrong with a healthy endpoint and the global bundle', async () => {
    const { code, report } = await doctor([target(one), '--ssl-ca', t.bundlePath]);
    expect(code).toBe(0);
    expect(report.verdict).toBe('ok');
    expect(report.steps.map((s) => [s.id, s.status])).toEqual([
      ['resolution', 'ok'],
      ['tcp', 'ok'],
      ['greeting', 'ok'],
      ['tls', 'ok'],
      ['chain', 'ok'],
      ['hostname', 'ok'],
      ['expiry', 'ok'],
      ['clock', expect.stringMatching(/^(ok|skip)$/)],
    ]);
    expect(step(report, 'greeting').summary).toMatch(/MariaDB.*TLS offered/);
    expect(step(report, 'tls').summary).toMatch(/^TLSv1\.[23], TLS_/);
    expect(step(report, 'chain').details.join('\n')).toMatch(/#0 "one\..*" issued by "tlsql us-east-1 Subordinate CA RSA2048 G1\.A\.1"/);
    expect(report.bundles.find((b) => b.path === t.bundlePath)?.verdict).toBe('verifies');
  });

  it('prints a readable report with a verdict in text mode', async () => {
    const r = await tlsql(t.dataDir, ['doctor', target(one)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[ OK \] certificate chain +verifies against tlsql's global-bundle\.pem, us-east-1-bundle\.pem/m);
    expect(r.stdout).toMatch(/DOES NOT +\S+eu-west-1-bundle\.pem: holds roots of eu-west-1 only/);
    expect(r.stdout).toMatch(/^Verdict: OK/m);
  });

  it('recognises a wrong bundle and names the one that verifies', async () => {
    const { code, report } = await doctor([target(one), `--ssl-ca=${foreignCa}`]);
    expect(code).toBe(1);
    const chain = step(report, 'chain');
    expect(chain.status).toBe('fail');
    expect(chain.summary).toContain('has no root for "tlsql us-east-1 Root CA RSA2048 G1"');
    expect(chain.fix).toMatch(/this bundle is not for this endpoint: use \S+\/pki\/bundles\/global-bundle\.pem/);
    expect(report.bundles.find((b) => b.path === foreignCa)?.verdict).toBe('no-issuer');
  });

  it('recognises an outdated bundle: a root with the right name and another key', async () => {
    const { report } = await doctor([target(one), '--ssl-ca', outdatedCa]);
    expect(report.bundles.find((b) => b.path === outdatedCa)?.verdict).toBe('outdated');
    expect(step(report, 'chain').summary).toMatch(/outdated or from another tlsql installation/);
    expect(step(report, 'chain').fix).toMatch(/^replace it: use /);
  });

  it("recognises another region's bundle and points to this region's", async () => {
    const euBundle = join(t.dataDir, 'pki', 'bundles', 'eu-west-1-bundle.pem');
    const { code, report } = await doctor([target(one), '--ssl-ca', euBundle]);
    expect(code).toBe(1);
    expect(report.bundles.find((b) => b.path === euBundle)?.verdict).toBe('other-region');
    expect(step(report, 'chain').summary).toContain('holds roots of eu-west-1 only');
    expect(step(report, 'chain').fix).toMatch(/CA is in us-east-1: use global-bundle\.pem or us-east-1-bundle\.pem \(tlsql --region us-east-1 download-bundle\)/);
  });

  it('explains a connection by IP address: the certificate holds the endpoint name only', async () => {
    const { code, report } = await doctor([`127.0.0.1:${one.port}`, '--ssl-ca', t.bundlePath]);
    expect(code).toBe(1);
    expect(step(report, 'chain').status).toBe('ok');
    const hn = step(report, 'hostname');
    expect(hn.status).toBe('fail');
    expect(hn.summary).toMatch(/you connected by IP address 127\.0\.0\.1/);
    expect(hn.fix).toContain(`connect with -h ${one.host}`);
  });

  it('explains host names that are not in the certificate: localhost, an alias, another instance', async () => {
    const byLocalhost = await doctor([`localhost:${one.port}`]);
    expect(step(byLocalhost.report, 'hostname').summary).toMatch(/^"localhost" is not in the certificate/);
    expect(step(byLocalhost.report, 'hostname').fix).toBe(`connect with -h ${one.host}`);

    // *.localhost resolves to loopback: a name the certificate does not hold but that reaches it.
    const alias = `alias-${one.host}`;
    const byAlias = await doctor([`${alias}:${one.port}`]);
    expect(step(byAlias.report, 'hostname').summary).toMatch(new RegExp(`^${esc(alias)} reaches the same address as ${esc(one.host)}`));

    const byOther = await doctor([`${two.host}:${one.port}`]);
    const hn = step(byOther.report, 'hostname');
    expect(hn.summary).toMatch(/the port belongs to another DB instance/);
    expect(hn.fix).toMatch(/use two\.\S+ with its own port/);
  });

  it('reports an expired server certificate when judged after its notAfter (injected clock)', async () => {
    const inTwoYears = new Date(Date.now() + 2 * 365 * 86_400_000).toISOString();
    const { code, report } = await doctor([target(one), '--ssl-ca', t.bundlePath, '--at', inTwoYears]);
    expect(code).toBe(1);
    const exp = step(report, 'expiry');
    expect(exp.status).toBe('fail');
    expect(exp.summary).toMatch(/server certificate "one\.\S+" EXPIRED on /);
    expect(exp.fix).toMatch(/must be renewed/);
    expect(step(report, 'clock').status).toBe('skip');
    expect(report.bundles.find((b) => b.path === t.bundlePath)?.verdict).toBe('expired');
  });

  it('warns when the server certificate expires soon', async () => {
    const inElevenMonths = new Date(Date.now() + 350 * 86_400_000).toISOString();
    const { code, report } = await doctor([target(one), '--at', inElevenMonths]);
    expect(code).toBe(0);
    expect(report.verdict).toBe('warn');
    expect(step(report, 'expiry').summary).toMatch(/expires in \d+ days/);
  });

  it('recognises a plaintext-only server from its greeting', async () => {
    const { code, report } = await doctor([`${plain.host}:${plain.port}`]);
    expect(code).toBe(1);
    const g = step(report, 'greeting');
    expect(g.status).toBe('fail');
    expect(g.summary).toMatch(/MariaDB.*TLS NOT offered/);
    expect(g.details.join(' ')).toMatch(/PREFERRED silently connect in plaintext/);
    expect(g.fix).toMatch(/not a tlsql endpoint/);
    expect(report.steps.map((s) => s.id)).not.toContain('tls');
  });

  it('reports a refused port at the TCP step', async () => {
    const { report } = await doctor([`${one.host}:1`]);
    expect(step(report, 'tcp').status).toBe('fail');
    expect(step(report, 'tcp').fix).toMatch(/nothing listens/);
  });

  it('decodes an expired IAM token without printing it or its signature', async () => {
    const token = await new Signer({ hostname: one.host, port: one.port, username: 'jane', region: 'us-east-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } }).getAuthToken();
    const later = new Date(Date.now() + 20 * 60_000).toISOString();
    const r = await tlsql(t.dataDir, ['doctor', target(one), '--token', token, '--user', 'jane', '--at', later, '--output', 'json']);
    const report = JSON.parse(r.stdout) as DoctorReport;
    const tok = step(report, 'token');
    expect(tok.status).toBe('fail');
    expect(tok.summary).toBe('would be refused: expiry');
    expect(tok.details.join('\n')).toMatch(/FAIL expiry: expired \d+ min ago/);
    expect(tok.details.join('\n')).toContain('ok   host: for host');
    const signature = new URLSearchParams(token.slice(token.indexOf('?') + 1)).get('X-Amz-Signature') as string;
    expect(r.stdout).not.toContain(signature);
    expect(r.stdout).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(r.stdout).toContain('AKIA…MPLE');
  });

  it("says a token signed for another instance's host would be refused", async () => {
    const token = await new Signer({ hostname: two.host, port: one.port, username: 'jane', region: 'us-east-1', credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'secret' } }).getAuthToken();
    const { report } = await doctor([target(one), '--token', token, '--user', 'jane']);
    const tok = step(report, 'token');
    expect(tok.status).toBe('fail');
    expect(tok.summary).toBe('would be refused: host');
    expect(tok.fix).toMatch(/sign the token for the endpoint you connect to/);
  });

  it('recognises settings that switch verification off in the application', async () => {
    const { report } = await doctor([target(one), '--app-config', `jdbc:mysql://${one.host}:${one.port}/shop?sslMode=REQUIRED&verifyServerCertificate=false`]);
    const app = step(report, 'app-config');
    expect(app.status).toBe('fail');
    expect(report.appConfig?.map((f) => f.match)).toEqual(['sslMode=REQUIRED', 'verifyServerCertificate=false']);
  });

  it('saves the intermediate for applications that take one CA certificate; it anchors the chain alone', async () => {
    const file = join(work, 'intermediate.pem');
    const { report } = await doctor([target(one), '--save-intermediate', file]);
    expect(report.intermediateSavedTo).toBe(file);
    const pem = await readFile(file, 'utf8');
    expect(execFileSync('openssl', ['x509', '-noout', '-subject'], { input: pem }).toString()).toMatch(/tlsql us-east-1 Subordinate CA RSA2048 G1\.A\.1/);
    // The server certificate verifies against the intermediate alone (partial chain), with its host name.
    const leaf = join(work, 'leaf.pem');
    await writeFile(leaf, (await probe(one.host, one.port)).tls.result!.sent[0]!.toString());
    const v = await run('openssl', ['verify', '-partial_chain', '-CAfile', file, '-verify_hostname', one.host, leaf]);
    expect(v.stdout).toContain(`${leaf}: OK`);
  });
});

describe('tlsql doctor --client snippets', () => {
  async function snippet(client: string): Promise<NonNullable<DoctorReport['snippet']>> {
    const { report } = await doctor([target(one), '--client', client, '--user', 'admin']);
    expect(report.snippet?.client).toBe(client);
    return report.snippet!;
  }

  it('mysql2: verifyIdentity true, and the snippet runs and gets TLS', async () => {
    const s = await snippet('mysql2');
    expect(s.text).toContain('verifyIdentity: true');
    const r = await run(process.execPath, ['--input-type=module', '-e', s.text], { env: { ...process.env, DB_PASSWORD: one.password } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Ssl_version.*TLSv1\.[23]/);
  });

  it('mariadb connector: the snippet runs and gets TLS', async () => {
    const s = await snippet('mariadb');
    const r = await run(process.execPath, ['--input-type=module', '-e', s.text], { env: { ...process.env, DB_PASSWORD: one.password } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Ssl_version.*TLSv1\.[23]/);
  });

  it('cli: the tlsql mysql line runs as printed (password at the -p prompt)', async () => {
    const s = await snippet('cli');
    const line = s.text.split('\n').find((l) => l.startsWith('tlsql mysql '))!;
    expect(line).toContain('--ssl-mode=VERIFY_IDENTITY');
    const bin = await mkdtemp(join(tmpdir(), 'tlsql-bin-'));
    await writeFile(join(bin, 'tlsql'), `#!/bin/sh\nexec "${process.execPath}" "${TLSQL_BIN}" "$@"\n`);
    await chmod(join(bin, 'tlsql'), 0o755);
    const r = await run('setsid', ['-w', 'sh', '-c', `${line} -N -e "SHOW SESSION STATUS LIKE 'Ssl_version'"`], {
      input: `${one.password}\n`,
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.stdout).toMatch(/^Ssl_version\tTLSv1\.[23]\n$/);
  });

  it('jdbc: VERIFY_IDENTITY with a truststore holding every root of the bundle', async () => {
    const s = await snippet('jdbc');
    expect(s.text).toContain('sslMode=VERIFY_IDENTITY');
    expect(s.text).toContain('trustCertificateKeyStoreUrl=file:');
    // The awk line splits the bundle into one file per certificate, as keytool needs.
    const dir = await mkdtemp(join(tmpdir(), 'tlsql-jdbc-'));
    const awk = s.text.split('\n').find((l) => l.startsWith('awk '))!;
    execFileSync('sh', ['-c', awk], { cwd: dir });
    const count = (await readFile(s.bundlePath, 'utf8')).match(/BEGIN CERTIFICATE/g)!.length;
    expect(execFileSync('sh', ['-c', 'ls root-*.pem | wc -l'], { cwd: dir }).toString().trim()).toBe(String(count));
  });

  it('pymysql and go: host name verification spelled out', async () => {
    expect((await snippet('pymysql')).text).toMatch(/ssl_verify_cert=True,[\s\S]*ssl_verify_identity=True/);
    const go = (await snippet('go')).text;
    expect(go).toContain(`ServerName: "${one.host}"`);
    expect(go).toContain('RootCAs: roots');
    expect(go).not.toMatch(/InsecureSkipVerify/);
  });
});
