import { createHash, randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../../../src/errors/app-error.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/logger.js';
import { CertificateAuthority } from '../../../src/pki/certificate-authority.js';
import { CA_FAMILIES } from '../../../src/pki/families.js';
import { parseCertificate, splitPemCertificates } from '../../../src/pki/inspect.js';
import { writeSealedFile } from '../../../src/pki/key-store.js';
import { exportPrivateKeyPem, generateKeyPair, spkiOfPrivateKeyPem } from '../../../src/pki/keys.js';
import * as x509 from '../../../src/pki/x509.js';

const START = new Date('2026-01-01T00:00:00Z');
const REGIONS = ['us-east-1', 'eu-west-1'];
const ENDPOINT = 'db1.abcdefghijkl.us-east-1.tlsql.localhost';
const DAY_MS = 86_400_000;

let tmp: string;
let dir: string;
let masterKey: Buffer;
let clock: ManualClock;
let ca: CertificateAuthority;
const logLines: string[] = [];

/** A copy of the shared hierarchy that a test may damage. */
async function copyOfHierarchy(name: string): Promise<string> {
  const copy = join(tmp, name);
  await cp(dir, copy, { recursive: true });
  return copy;
}

function spkiOfCert(pem: string): Buffer {
  return new NodeX509(pem).publicKey.export({ format: 'der', type: 'spki' });
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tlsql-pki-unit-'));
  dir = join(tmp, 'pki');
  masterKey = randomBytes(32);
  clock = new ManualClock(START);
  ca = new CertificateAuthority({ dir, masterKey, regions: REGIONS, clock, logger: createLogger({ level: 'debug', write: (l) => logLines.push(l) }) });
  await ca.ensureHierarchy();
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('CertificateAuthority hierarchy', () => {
  it('has one root per family and region, valid for the family lifetime from five minutes before creation', () => {
    const records = ca.records();
    expect(records.map((r) => `${r.region}/${r.familyId}`)).toEqual(REGIONS.flatMap((r) => CA_FAMILIES.map((f) => `${r}/${f.id}`)));
    for (const r of records) {
      const family = CA_FAMILIES.find((f) => f.id === r.familyId)!;
      expect(r.notBefore.toISOString()).toBe('2025-12-31T23:55:00.000Z');
      expect(r.notAfter.getUTCFullYear()).toBe(2025 + family.rootValidityYears);
      const root = parseCertificate(r.rootPem);
      expect(root.subjectCommonName).toBe(`tlsql ${r.region} Root CA ${family.label}`);
      expect(root.issuer).toBe(root.subject);
      expect(root.keyType).toBe(family.keyType);
      const sub = parseCertificate(r.subordinatePem);
      expect(sub.subjectCommonName).toBe(`tlsql ${r.region} Subordinate CA ${family.label}.A.1`);
      expect(sub.issuer).toBe(root.subject);
      expect(sub.notAfter.toISOString()).toBe('2035-12-31T23:55:00.000Z');
    }
  });

  it('reports the thumbprint as the lowercase SHA-1 of the root DER', () => {
    const r = ca.record('tlsql-ca-ecc384-g1', 'eu-west-1');
    const der = new NodeX509(r.rootPem).raw;
    expect(r.thumbprintSha1).toBe(createHash('sha1').update(der).digest('hex'));
    expect(r.thumbprintSha1).toMatch(/^[0-9a-f]{40}$/);
  });

  it('throws CertificateNotFound for a region it does not serve', () => {
    expect(() => ca.record('tlsql-ca-rsa2048-g1', 'ap-south-1')).toThrow(expect.objectContaining({ code: 'CertificateNotFound' }));
  });

  it('loads the same hierarchy again instead of creating a new one', async () => {
    const before = await readFile(join(dir, 'us-east-1/tlsql-ca-rsa4096-g1/root.pem'));
    const again = new CertificateAuthority({ dir, masterKey, regions: REGIONS, clock });
    await again.ensureHierarchy();
    expect(again.records()).toEqual(ca.records());
    expect(await readFile(join(dir, 'us-east-1/tlsql-ca-rsa4096-g1/root.pem'))).toEqual(before);
  });

  it('runs concurrent ensureHierarchy calls as one', async () => {
    const again = new CertificateAuthority({ dir, masterKey, regions: REGIONS, clock });
    const a = again.ensureHierarchy();
    const b = again.ensureHierarchy();
    expect(b).toBe(a);
    await Promise.all([a, b]);
    expect(again.records()).toHaveLength(REGIONS.length * CA_FAMILIES.length);
  });

  it('stores CA private keys sealed, mode 0600, with no PEM in the file', async () => {
    const sealed = [
      ...REGIONS.flatMap((r) => CA_FAMILIES.flatMap((f) => [`${r}/${f.id}/root.key.sealed`, `${r}/${f.id}/sub.key.sealed`])),
      'internal/link-ca.key.sealed',
    ];
    for (const rel of sealed) {
      const path = join(dir, rel);
      expect((await stat(path)).mode & 0o777, rel).toBe(0o600);
      const bytes = await readFile(path);
      expect(bytes.subarray(0, 8).toString('latin1')).toBe('TLSQLS1\0');
      expect(bytes.includes('-----BEGIN')).toBe(false);
      expect(bytes.includes('PRIVATE KEY')).toBe(false);
    }
  });

  it('writes certificates and bundles world-readable (0644)', async () => {
    for (const rel of ['us-east-1/tlsql-ca-rsa2048-g1/root.pem', 'eu-west-1/tlsql-ca-ecc384-g1/sub.pem', 'internal/link-ca.pem', 'bundles/global-bundle.pem', 'bundles/eu-west-1-bundle.pem']) {
      expect((await stat(join(dir, rel))).mode & 0o777, rel).toBe(0o644);
    }
  });

  it('detects a private key that does not match its certificate when loading', async () => {
    const copy = await copyOfHierarchy('mismatch');
    const other = await generateKeyPair('rsa2048', 'SHA-256');
    // Sealed under the right label, so decryption succeeds and only the key/cert check can catch it.
    await writeSealedFile(join(copy, 'eu-west-1/tlsql-ca-rsa2048-g1/sub.key.sealed'), masterKey, 'pki/eu-west-1/tlsql-ca-rsa2048-g1/sub.key', await exportPrivateKeyPem(other.privateKey));
    const broken = new CertificateAuthority({ dir: copy, masterKey, regions: REGIONS, clock });
    await expect(broken.ensureHierarchy()).rejects.toThrow(/sub\.key\.sealed does not match certificate .*sub\.pem/);
    expect(broken.records()).toEqual([]);
  });

  it('refuses a CA certificate whose private key is missing rather than replacing a published root', async () => {
    const copy = await copyOfHierarchy('missing-key');
    await unlink(join(copy, 'us-east-1/tlsql-ca-ecc384-g1/root.key.sealed'));
    const broken = new CertificateAuthority({ dir: copy, masterKey, regions: REGIONS, clock });
    await expect(broken.ensureHierarchy()).rejects.toThrow(/root\.pem has no private key/);
  });

  it('refuses to load with the wrong master key', async () => {
    const wrong = new CertificateAuthority({ dir, masterKey: randomBytes(32), regions: REGIONS, clock });
    await expect(wrong.ensureHierarchy()).rejects.toThrow(/wrong master key or tampered file/);
  });

  it('re-creates a missing subordinate under the existing root', async () => {
    const copy = await copyOfHierarchy('missing-sub');
    const rel = 'us-east-1/tlsql-ca-ecc384-g1';
    await unlink(join(copy, rel, 'sub.pem'));
    await unlink(join(copy, rel, 'sub.key.sealed'));
    const repaired = new CertificateAuthority({ dir: copy, masterKey, regions: REGIONS, clock });
    await repaired.ensureHierarchy();
    const old = ca.record('tlsql-ca-ecc384-g1', 'us-east-1');
    const now = repaired.record('tlsql-ca-ecc384-g1', 'us-east-1');
    expect(now.rootPem).toBe(old.rootPem);
    expect(now.subordinatePem).not.toBe(old.subordinatePem);
    expect(await new x509.X509Certificate(now.subordinatePem).verify({ publicKey: new x509.X509Certificate(now.rootPem), signatureOnly: true })).toBe(true);
  });

  it('puts only roots in the bundles: all of them in the global bundle, a region\'s own in its regional bundle', async () => {
    const global = splitPemCertificates(ca.bundlePem()).map(parseCertificate);
    expect(global).toHaveLength(REGIONS.length * CA_FAMILIES.length);
    expect(global.every((c) => c.isCa && c.subject === c.issuer && c.subjectCommonName?.includes(' Root CA '))).toBe(true);
    expect(global.map((c) => c.thumbprintSha1).sort()).toEqual(ca.records().map((r) => r.thumbprintSha1).sort());

    const regional = splitPemCertificates(ca.bundlePem('eu-west-1')).map(parseCertificate);
    expect(regional.map((c) => c.subjectCommonName)).toEqual(CA_FAMILIES.map((f) => `tlsql eu-west-1 Root CA ${f.label}`));

    expect(await readFile(ca.bundlePath(), 'utf8')).toBe(ca.bundlePem());
    expect(await readFile(ca.bundlePath('eu-west-1'), 'utf8')).toBe(ca.bundlePem('eu-west-1'));
    expect(ca.bundlePath('us-east-1')).toBe(join(dir, 'bundles', 'us-east-1-bundle.pem'));
    expect(ca.bundlePem()).not.toContain(ca.internalCaPem().trim());
  });

  it('rejects bundle requests for a region it does not serve', () => {
    expect(() => ca.bundlePem('ap-south-1')).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
  });

  it('never logs key material', () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('\n')).not.toMatch(/PRIVATE KEY|-----BEGIN/);
  });
});

describe('CertificateAuthority server certificates', () => {
  it('issues a certificate for the endpoint signed by the regional subordinate, with the chain and a matching PKCS#8 key', async () => {
    const issued = await ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1' });
    const record = ca.record('tlsql-ca-ecc384-g1', 'us-east-1');
    const info = parseCertificate(issued.certPem);
    expect(info.subjectCommonName).toBe(ENDPOINT);
    expect(info.sans).toEqual([ENDPOINT]);
    expect(info.isCa).toBe(false);
    expect(info.keyType).toBe('ecdsa-p384');
    expect(info.issuer).toBe(parseCertificate(record.subordinatePem).subject);
    expect(issued.chainPem).toBe(issued.certPem + record.subordinatePem);
    expect(issued.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(spkiOfPrivateKeyPem(issued.keyPem)).toEqual(spkiOfCert(issued.certPem));
    expect(issued).toMatchObject({ familyId: 'tlsql-ca-ecc384-g1', keyType: 'ecdsa-p384', serialHex: info.serialHex });
    const leaf = new x509.X509Certificate(issued.certPem);
    expect(await leaf.verify({ publicKey: new x509.X509Certificate(record.subordinatePem), date: clock.now() })).toBe(true);
    expect(leaf.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
    expect(leaf.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      new x509.X509Certificate(record.subordinatePem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
  });

  it('gives every certificate a distinct 128-bit positive serial', async () => {
    const issued = await Promise.all(
      Array.from({ length: 8 }, () => ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1' })),
    );
    const serials = issued.map((c) => c.serialHex);
    expect(new Set(serials).size).toBe(serials.length);
    for (const c of issued) {
      expect(c.serialHex).toMatch(/^[0-9a-f]{32}$/);
      expect(BigInt('0x' + c.serialHex) >> 127n).toBe(1n);
      // Node prints the serial without the DER sign byte; the INTEGER is positive because it has one.
      expect(new NodeX509(c.certPem).serialNumber.toLowerCase()).toBe(c.serialHex);
    }
  });

  it('generates a fresh key for every issuance, even for the same endpoint', async () => {
    const a = await ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-rsa2048-g1', region: 'us-east-1' });
    const b = await ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-rsa2048-g1', region: 'us-east-1' });
    expect(a.keyPem).not.toBe(b.keyPem);
    expect(spkiOfCert(a.certPem)).not.toEqual(spkiOfCert(b.certPem));
    expect(a.keyType).toBe('rsa2048');
  });

  it('backdates notBefore five minutes and lasts 365 days by default', async () => {
    const issued = await ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'eu-west-1' });
    expect(issued.notBefore.getTime()).toBe(clock.now().getTime() - 5 * 60_000);
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(365 * DAY_MS);
    expect(parseCertificate(issued.certPem).notAfter).toEqual(issued.notAfter);
  });

  it('never outlives the subordinate that signs it', async () => {
    const issued = await ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'eu-west-1', validityDays: 20 * 365 });
    expect(issued.notAfter).toEqual(parseCertificate(ca.record('tlsql-ca-ecc384-g1', 'eu-west-1').subordinatePem).notAfter);
  });

  it('makes a certificate that has expired once the clock passes its validity', async () => {
    const local = new ManualClock(START);
    const shortLived = new CertificateAuthority({ dir, masterKey, regions: REGIONS, clock: local });
    await shortLived.ensureHierarchy();
    const issued = await shortLived.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1', validityDays: 1 });
    const leaf = new x509.X509Certificate(issued.certPem);
    const sub = new x509.X509Certificate(ca.record('tlsql-ca-ecc384-g1', 'us-east-1').subordinatePem);
    expect(await leaf.verify({ publicKey: sub, date: local.now() })).toBe(true);
    local.advance(2 * DAY_MS);
    expect(issued.notAfter.getTime()).toBeLessThan(local.now().getTime());
    expect(await leaf.verify({ publicKey: sub, date: local.now() })).toBe(false);
    expect(await leaf.verify({ publicKey: sub, signatureOnly: true })).toBe(true);
  });

  it('rejects bad requests with the matching error codes', async () => {
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof AppError ? e.code : String(e)));
    expect(await code(ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'rds-ca-2019' as never, region: 'us-east-1' }))).toBe('CertificateNotFound');
    expect(await code(ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'ap-south-1' }))).toBe('InvalidParameterValue');
    expect(await code(ca.issueServerCertificate({ endpoint: 'db.example.', familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1' }))).toBe('InvalidParameterValue');
    expect(await code(ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1', validityDays: 0 }))).toBe('InvalidParameterValue');
    expect(await code(ca.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1', validityDays: 1.5 }))).toBe('InvalidParameterValue');
    const unloaded = new CertificateAuthority({ dir, masterKey, regions: REGIONS, clock });
    expect(await code(unloaded.issueServerCertificate({ endpoint: ENDPOINT, familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1' }))).toBe('InternalFailure');
  });

  it('rejects a bad configuration when constructed', () => {
    expect(() => new CertificateAuthority({ dir, masterKey: randomBytes(16), regions: REGIONS })).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
    expect(() => new CertificateAuthority({ dir, masterKey, regions: [] })).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
    expect(() => new CertificateAuthority({ dir, masterKey, regions: ['../etc'] })).toThrow(expect.objectContaining({ code: 'ConfigInvalid' }));
  });
});

describe('CertificateAuthority link certificates', () => {
  it('has an internal P-256 link CA valid ten years that is in no bundle', () => {
    const info = parseCertificate(ca.internalCaPem());
    expect(info.subjectCommonName).toBe('tlsql internal link CA');
    expect(info.keyType).toBe('ecdsa-p256');
    expect(info.isCa).toBe(true);
    expect(info.notAfter.getUTCFullYear() - info.notBefore.getUTCFullYear()).toBe(10);
    expect(splitPemCertificates(ca.bundlePem()).map((p) => parseCertificate(p).subjectCommonName)).not.toContain('tlsql internal link CA');
  });

  it.each(['rsa2048', 'ecdsa-p256'] as const)('issues a %s link certificate signed by the link CA', async (keyType) => {
    const issued = await ca.issueLinkCertificate({ hostname: 'engine-1.tlsql.internal', keyType });
    const info = parseCertificate(issued.certPem);
    expect(info).toMatchObject({ subjectCommonName: 'engine-1.tlsql.internal', sans: ['engine-1.tlsql.internal'], keyType, isCa: false, issuerCommonName: 'tlsql internal link CA' });
    expect(issued.chainPem).toBe(issued.certPem);
    expect(issued.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(spkiOfPrivateKeyPem(issued.keyPem)).toEqual(spkiOfCert(issued.certPem));
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(365 * DAY_MS);
    expect(await new x509.X509Certificate(issued.certPem).verify({ publicKey: new x509.X509Certificate(ca.internalCaPem()), date: clock.now() })).toBe(true);
  });

  it('puts an IP address hostname in the SAN as an IP address', async () => {
    const issued = await ca.issueLinkCertificate({ hostname: '127.0.0.1', keyType: 'ecdsa-p256' });
    expect(new NodeX509(issued.certPem).subjectAltName).toBe('IP Address:127.0.0.1');
  });
});
