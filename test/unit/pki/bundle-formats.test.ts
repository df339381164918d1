import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFileNameFor, encodePkcs12TrustStore, encodePkcs7Bundle, parseBundleFileName, pkcs12Kdf } from '../../../src/pki/bundle-formats.js';
import { splitPemCertificates } from '../../../src/pki/inspect.js';

let dir: string;
let bundle: string;

/** Three self-signed roots of different key types, like a tlsql region bundle. */
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tlsql-bundle-formats-'));
  const make = (cn: string, keyArgs: string[]) =>
    execFileSync('openssl', ['req', '-x509', ...keyArgs, '-nodes', '-keyout', '/dev/null', '-subj', `/C=US/O=tlsql/CN=${cn}`, '-days', '30'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  bundle = [
    make('tlsql test Root CA RSA2048 G1', ['-newkey', 'rsa:2048']),
    make('tlsql test Root CA RSA4096 G1', ['-newkey', 'rsa:2048']),
    make('tlsql test Root CA ECC384 G1', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384']),
  ].join('');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function subjectsOf(pem: string): string[] {
  return splitPemCertificates(pem).map((p) => execFileSync('openssl', ['x509', '-noout', '-subject'], { input: p }).toString().trim());
}

describe('PKCS#7 bundle', () => {
  it('holds every certificate of the PEM bundle in order, as openssl reads it', () => {
    const p7b = encodePkcs7Bundle(bundle);
    expect(p7b).toMatch(/^-----BEGIN PKCS7-----\n/);
    const file = join(dir, 'b.p7b');
    writeFileSync(file, p7b);
    const printed = execFileSync('openssl', ['pkcs7', '-print_certs', '-in', file]).toString();
    expect(subjectsOf(printed)).toEqual(subjectsOf(bundle));
    // The certificates come back byte for byte.
    expect(splitPemCertificates(printed).map((p) => p.replace(/\s+/g, ''))).toEqual(splitPemCertificates(bundle).map((p) => p.replace(/\s+/g, '')));
  });
});

describe('PKCS#12 truststore', () => {
  it('lists every root as a trustedCertEntry in keytool', () => {
    const file = join(dir, 'trust.p12');
    writeFileSync(file, encodePkcs12TrustStore(bundle, 'changeit'));
    const out = execFileSync('keytool', ['-list', '-keystore', file, '-storetype', 'PKCS12', '-storepass', 'changeit']).toString();
    expect(out).toMatch(/contains 3 entries/);
    expect(out.match(/trustedCertEntry/g)).toHaveLength(3);
    expect(out).toContain('tlsql test root ca ecc384 g1');
  });

  it('refuses a wrong store password (the MAC is checked)', () => {
    const file = join(dir, 'trust2.p12');
    writeFileSync(file, encodePkcs12TrustStore(bundle, 'right-password'));
    const r = spawnSync('keytool', ['-list', '-keystore', file, '-storetype', 'PKCS12', '-storepass', 'wrong-password']);
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/integrity check failed|password was incorrect/i);
  });

  it('passes OpenSSL MAC verification and yields the same certificates', () => {
    const file = join(dir, 'trust3.p12');
    writeFileSync(file, encodePkcs12TrustStore(bundle, 's3cret'));
    const out = execFileSync('openssl', ['pkcs12', '-in', file, '-nokeys', '-passin', 'pass:s3cret']).toString();
    expect(subjectsOf(out)).toEqual(subjectsOf(bundle));
  });

  it('is deterministic for the same bundle and password', () => {
    expect(encodePkcs12TrustStore(bundle, 'x1').equals(encodePkcs12TrustStore(bundle, 'x1'))).toBe(true);
  });

  it('derives MAC keys as RFC 7292 appendix B (cross-checked with the OpenSSL KDF)', () => {
    // openssl kdf -kdfopt is not available for PKCS12KDF in 3.0; check instead that a file made with a
    // known salt and iteration count verifies in OpenSSL, which computes the KDF itself.
    const file = join(dir, 'trust4.p12');
    writeFileSync(file, encodePkcs12TrustStore(bundle, 'pw', { salt: Buffer.alloc(8, 7), iterations: 2048 }));
    const info = execFileSync('openssl', ['pkcs12', '-in', file, '-info', '-nokeys', '-passin', 'pass:pw'], { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
    expect(info).toContain('BEGIN CERTIFICATE');
    expect(pkcs12Kdf('pw', Buffer.alloc(8, 7), 3, 1, 32)).toHaveLength(32);
  });
});

describe('bundle file names', () => {
  const regions = ['us-east-1', 'eu-west-3'];
  it.each([
    ['global-bundle.pem', { region: undefined, familyId: undefined, format: 'pem' }],
    ['global-bundle.p7b', { region: undefined, familyId: undefined, format: 'p7b' }],
    ['eu-west-3-bundle.pem', { region: 'eu-west-3', familyId: undefined, format: 'pem' }],
    ['tlsql-ca-ecc384-g1-bundle.pem', { region: undefined, familyId: 'tlsql-ca-ecc384-g1', format: 'pem' }],
    ['us-east-1-tlsql-ca-rsa4096-g1-bundle.p7b', { region: 'us-east-1', familyId: 'tlsql-ca-rsa4096-g1', format: 'p7b' }],
  ])('reads %s', (name, sel) => {
    expect(parseBundleFileName(name, regions)).toEqual(sel);
    expect(bundleFileNameFor(sel as never)).toBe(name);
  });

  it.each(['ap-south-1-bundle.pem', 'tlsql-ca-nope-g1-bundle.pem', 'global-bundle.der', '../global-bundle.pem', 'us-east-1-tlsql-ca-bogus-bundle.pem'])('refuses %s', (name) => {
    expect(parseBundleFileName(name, regions)).toBeNull();
  });
});
