import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { CertificateAuthority, type IssuedCertificate } from '../../../src/pki/certificate-authority.js';
import { KeyPool } from '../../../src/pki/key-pool.js';
import { verifyChainOffline } from '../../../src/pki/verify-chain.js';

const DAY = 86_400_000;
let dir: string;
let otherDir: string;
let ca: CertificateAuthority;
let other: CertificateAuthority;
let clock: ManualClock;
let ecc: IssuedCertificate;
let rsa: IssuedCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tlsql-verify-'));
  otherDir = mkdtempSync(join(tmpdir(), 'tlsql-verify-other-'));
  clock = new ManualClock('2026-03-01T00:00:00Z');
  ca = new CertificateAuthority({ dir, masterKey: randomBytes(32), regions: ['us-east-1'], clock, keySource: new KeyPool() });
  other = new CertificateAuthority({ dir: otherDir, masterKey: randomBytes(32), regions: ['us-east-1'], clock });
  await Promise.all([ca.ensureHierarchy(), other.ensureHierarchy()]);
  ecc = await ca.issueServerCertificate({ endpoint: 'db1.example.test', familyId: 'tlsql-ca-ecc384-g1', region: 'us-east-1' });
  rsa = await ca.issueServerCertificate({ endpoint: 'db1.example.test', familyId: 'tlsql-ca-rsa2048-g1', region: 'us-east-1' });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

describe('verifyChainOffline', () => {
  const ok = (c: IssuedCertificate, over: Partial<Parameters<typeof verifyChainOffline>[0]> = {}) => () =>
    verifyChainOffline({ chainPem: c.chainPem, keyPem: c.keyPem, hostname: 'db1.example.test', trustedPem: ca.bundlePem(), now: clock.now(), ...over });

  it('accepts a fresh server certificate chained to the bundle', () => {
    expect(ok(ecc)).not.toThrow();
    expect(ok(rsa)).not.toThrow();
  });

  it('refuses another host name', () => {
    expect(ok(ecc, { hostname: 'db2.example.test' })).toThrow(/no subjectAltName matches db2\.example\.test/);
  });

  it('refuses a key that is not the certificate’s', () => {
    expect(ok(ecc, { keyPem: rsa.keyPem })).toThrow(/private key does not match/);
  });

  it('refuses a certificate outside its validity at the given time', () => {
    expect(ok(ecc, { now: new Date(clock.now().getTime() - DAY) })).toThrow(/is not valid at/);
    expect(ok(ecc, { now: new Date(clock.now().getTime() + 400 * DAY) })).toThrow(/is not valid at/);
  });

  it('refuses a chain that does not lead to a root of the bundle', () => {
    expect(ok(ecc, { trustedPem: other.bundlePem() })).toThrow(/does not lead to a root/);
  });

  it('refuses a chain whose intermediate did not sign the leaf', () => {
    const leafOnly = ecc.certPem;
    const wrongSub = ca.record('tlsql-ca-rsa2048-g1', 'us-east-1').subordinatePem;
    expect(ok(ecc, { chainPem: leafOnly + wrongSub })).toThrow(/not signed by certificate 1/);
  });
});
