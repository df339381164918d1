/**
 * The `tlsql` CLI for certificate rotation (docs/certificate-rotation.md): modify-db-instance
 * --apply-immediately, describe/apply-pending-maintenance-action, and download-bundle's
 * per-CA-family, PKCS#7 and PKCS#12 (Java truststore) outputs, checked with openssl, keytool and a
 * Java TLS client. Two regions, so bundles hold every family of every region.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../helpers/clients.js';
import { tlsql as tlsqlIn } from '../helpers/cli.js';
import { sClient } from '../helpers/rotation.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

const ID = 'cli-rotate';
let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;
let dir: string;

beforeAll(async () => {
  t = await startTestService({ regions: ['us-east-1', 'eu-west-3'] });
  db = await createInstance(t, ID);
  dir = mkdtempSync(join(tmpdir(), 'tlsql-bundles-'));
});

afterAll(async () => {
  await t?.close();
});

/** The real `tlsql` executable against the in-process service (whose API listens on an ephemeral port). */
const tlsql = (dataDir: string, args: string[]) => tlsqlIn(dataDir, [...args, '--endpoint-url', t.service.apiUrl]);
const json = (r: { stdout: string; stderr: string; code: number }) => {
  expect(r.stderr, r.stderr).toBe('');
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Record<string, any>;
};
const subjects = (pem: string) => (pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).map((p) => execFileSync('openssl', ['x509', '-noout', '-subject'], { input: p }).toString().trim());

describe('tlsql CLI: CA rotation', () => {
  it('rotates with modify-db-instance --apply-immediately', async () => {
    const out = json(await tlsql(t.dataDir, ['modify-db-instance', '--db-instance-identifier', ID, '--ca-certificate-identifier', 'tlsql-ca-ecc384-g1', '--apply-immediately']));
    expect(out.DBInstance.CACertificateIdentifier).toBe('tlsql-ca-ecc384-g1');
    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
    expect(s.verifyLine).toBe('Verify return code: 0 (ok)');
    expect(s.keyType).toBe('ecdsa-p384');
  });

  it('lists and applies a pending rotation with describe/apply-pending-maintenance-action', async () => {
    const mod = json(await tlsql(t.dataDir, ['modify-db-instance', '--db-instance-identifier', ID, '--ca-certificate-identifier', 'tlsql-ca-rsa4096-g1', '--preferred-maintenance-window', 'sun:05:00-sun:06:00']));
    expect(mod.DBInstance.PendingModifiedValues.CACertificateIdentifier).toBe('tlsql-ca-rsa4096-g1');
    const pending = json(await tlsql(t.dataDir, ['describe-pending-maintenance-actions']));
    expect(pending.PendingMaintenanceActions).toHaveLength(1);
    const [r] = pending.PendingMaintenanceActions;
    expect(r.ResourceIdentifier).toBe(db.instance.DBInstanceArn);
    expect(r.PendingMaintenanceActionDetails[0]).toMatchObject({ Action: 'ca-certificate-rotation', OptInStatus: 'next-maintenance' });
    expect(r.PendingMaintenanceActionDetails[0].CurrentApplyDate).toMatch(/T05:00:00/);

    const applied = json(
      await tlsql(t.dataDir, ['apply-pending-maintenance-action', '--resource-identifier', db.instance.DBInstanceArn!, '--apply-action', 'ca-certificate-rotation', '--opt-in-type', 'immediate']),
    );
    expect(applied.ResourcePendingMaintenanceActions.PendingMaintenanceActionDetails).toEqual([]);
    const s = await sClient({ endpoint: db.host, port: db.port, bundlePath: t.bundlePath });
    expect(s.keyType).toBe('rsa4096');
    expect(json(await tlsql(t.dataDir, ['describe-pending-maintenance-actions'])).PendingMaintenanceActions).toEqual([]);
  });

  it('refuses an unknown CA with CertificateNotFound (exit 254)', async () => {
    const r = await tlsql(t.dataDir, ['modify-db-instance', '--db-instance-identifier', ID, '--ca-certificate-identifier', 'tlsql-ca-bogus-g1', '--apply-immediately']);
    expect(r.code).toBe(254);
    expect(r.stderr).toMatch(/CertificateNotFound/);
  });
});

describe('tlsql download-bundle', () => {
  it('writes the global bundle with every family of every region', async () => {
    const r = await tlsql(t.dataDir, ['download-bundle', '--out', join(dir, 'global-bundle.pem')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/global-bundle\.pem: 6 certificates/);
    const s = subjects(readFileSync(join(dir, 'global-bundle.pem'), 'utf8'));
    for (const region of ['us-east-1', 'eu-west-3']) for (const label of ['RSA2048 G1', 'RSA4096 G1', 'ECC384 G1']) expect(s.some((x) => x.includes(`tlsql ${region} Root CA ${label}`))).toBe(true);
  });

  it('writes a per-CA-family file, for all regions or one', async () => {
    const fam = await tlsql(t.dataDir, ['download-bundle', '--ca-certificate-identifier', 'tlsql-ca-ecc384-g1', '--out', join(dir, 'tlsql-ca-ecc384-g1-bundle.pem')]);
    expect(fam.code).toBe(0);
    expect(fam.stdout).toMatch(/: 2 certificates/);
    expect(subjects(readFileSync(join(dir, 'tlsql-ca-ecc384-g1-bundle.pem'), 'utf8')).every((x) => x.includes('ECC384 G1'))).toBe(true);
    const one = await tlsql(t.dataDir, ['download-bundle', '--region', 'eu-west-3', '--ca-certificate-identifier', 'tlsql-ca-rsa4096-g1', '--out', join(dir, 'one.pem')]);
    expect(one.code).toBe(0);
    expect(subjects(readFileSync(join(dir, 'one.pem'), 'utf8'))).toEqual([expect.stringContaining('tlsql eu-west-3 Root CA RSA4096 G1')]);
    const bad = await tlsql(t.dataDir, ['download-bundle', '--ca-certificate-identifier', 'tlsql-ca-nope-g1', '--out', join(dir, 'bad.pem')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/HTTP 404.*describe-certificates/);
  });

  it('writes PKCS#7 (.p7b) that openssl reads as the same roots', async () => {
    const r = await tlsql(t.dataDir, ['download-bundle', '--format', 'p7b', '--out', join(dir, 'global-bundle.p7b')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/6 certificates \(PKCS#7\)/);
    const printed = execFileSync('openssl', ['pkcs7', '-print_certs', '-in', join(dir, 'global-bundle.p7b')]).toString();
    expect(subjects(printed)).toEqual(subjects(readFileSync(join(dir, 'global-bundle.pem'), 'utf8')));
    // The API serves the same file.
    const served = await (await fetch(`${t.service.apiUrl}/bundles/global-bundle.p7b`)).text();
    expect(served).toBe(readFileSync(join(dir, 'global-bundle.p7b'), 'utf8'));
  });

  it('writes a PKCS#12 truststore in which keytool lists every root as a trustedCertEntry, and Java verifies the endpoint with it', async () => {
    const p12 = join(dir, 'global-bundle.p12');
    const r = await tlsql(t.dataDir, ['download-bundle', '--format', 'pkcs12', '--truststore-password', 'Trust-me-1', '--out', p12]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/6 certificates \(PKCS#12 truststore/);
    const list = execFileSync('keytool', ['-list', '-keystore', p12, '-storetype', 'PKCS12', '-storepass', 'Trust-me-1']).toString();
    expect(list).toMatch(/Your keystore contains 6 entries/);
    expect(list.match(/trustedCertEntry/g)).toHaveLength(6);
    // Same bundle, same password: same bytes (re-downloading is a no-op).
    const again = await tlsql(t.dataDir, ['download-bundle', '--format', 'pkcs12', '--truststore-password', 'Trust-me-1', '--out', p12]);
    expect(again.stdout).toMatch(/\(unchanged\)/);

    const java = await run('java', [resolve('test/fixtures/java/TlsqlProbe.java'), db.host, String(db.port), p12, 'Trust-me-1'], { timeoutMs: 60_000 });
    expect(java.stderr).toBe('');
    expect(java.stdout).toMatch(new RegExp(`^OK TLSv1\\.[23] CN=${db.host.replace(/\./g, '\\.')}.* RSA`));
  });
});
