import { X509Certificate as NodeX509 } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../../src/pki/keys.js';
import { parseCertificate, splitPemCertificates, thumbprintSha1 } from '../../../src/pki/inspect.js';
import { serverProfile } from '../../../src/pki/profiles.js';
import { certificateToPem, signCertificate } from '../../../src/pki/sign.js';

const NOW = new Date('2026-06-01T00:00:00Z');
let pem: string;

beforeAll(async () => {
  // A known serial and a self-signed P-256 certificate: cheap, and every field is predictable.
  const keys = await generateKeyPair('ecdsa-p256');
  const cert = await signCertificate({
    profile: serverProfile({ hostname: 'db.example', keyType: 'ecdsa-p256', now: NOW, validityDays: 30 }),
    publicKey: keys.publicKey,
    signer: { privateKey: keys.privateKey, keyType: 'ecdsa-p256', hash: 'SHA-256' },
    serialHex: '80000000000000000000000000000001',
  });
  pem = certificateToPem(cert);
});

describe('inspect', () => {
  it('reads subject, issuer, validity, serial, SANs and key type', () => {
    expect(parseCertificate(pem)).toMatchObject({
      subject: 'C=US, O=tlsql, CN=db.example',
      subjectCommonName: 'db.example',
      issuerCommonName: 'db.example',
      notBefore: new Date('2026-05-31T23:55:00Z'),
      notAfter: new Date('2026-06-30T23:55:00Z'),
      serialHex: '80000000000000000000000000000001',
      sans: ['db.example'],
      keyType: 'ecdsa-p256',
      isCa: false,
    });
  });

  it('computes the same SHA-1 thumbprint as Node, in lowercase hex', () => {
    const node = new NodeX509(pem).fingerprint.replace(/:/g, '').toLowerCase();
    expect(thumbprintSha1(pem)).toBe(node);
    expect(parseCertificate(pem).thumbprintSha1).toBe(node);
  });

  it('splits a bundle into its certificates and parses the first of a chain', () => {
    const chain = pem + 'junk between\n' + pem;
    expect(splitPemCertificates(chain)).toEqual([pem, pem]);
    expect(parseCertificate(chain).serialHex).toBe('80000000000000000000000000000001');
  });

  it('fails with InternalFailure on text that holds no certificate', () => {
    expect(() => parseCertificate('hello')).toThrow(expect.objectContaining({ code: 'InternalFailure' }));
    expect(() => parseCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(expect.objectContaining({ code: 'InternalFailure' }));
  });
});
