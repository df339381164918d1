import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { ClientCertificateAuthority, parseOnelineSubject } from '../../../src/pki/client-ca.js';
import { CRL_VALIDITY_MS, signClientCrl, verifyImportedCrl } from '../../../src/pki/client-crl.js';
import { normaliseSerialHex } from '../../../src/model/client-certificate.js';
import { run } from '../../helpers/clients.js';
import { opensslCa } from '../../helpers/pki-fixtures.js';

let dir: string;
// Real time as the start: `openssl verify -crl_check` judges the CRL's dates by the real clock.
const clock = new ManualClock(Date.now());
let ca: ClientCertificateAuthority;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlsql-client-crl-'));
  ca = new ClientCertificateAuthority({ dir, masterKey: Buffer.alloc(32, 9), regions: ['us-east-1'], clock });
  await ca.ensure();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('CRLs tlsql signs for its client CA', () => {
  it('are read by openssl crl, verify against the client CA, list each serial with its reason, and make openssl verify refuse the certificate', async () => {
    const url = 'http://127.0.0.1:8080/crl/us-east-1-client-ca-g1.crl';
    const revoked = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/O=acme/CN=lost-laptop'), crlUrl: url });
    const other = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/O=acme/CN=retired'), crlUrl: url });
    const kept = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/O=acme/CN=sibling'), crlUrl: url });
    const crl = await signClientCrl({
      ca: ca.ca('us-east-1'),
      now: clock.now(),
      crlNumber: 7,
      entries: [
        { serialHex: revoked.serialHex, revokedAt: clock.now(), reason: 'keyCompromise' },
        { serialHex: other.serialHex, revokedAt: clock.now(), reason: 'unspecified' },
      ],
    });
    expect(crl.nextUpdate.getTime() - crl.thisUpdate.getTime()).toBe(CRL_VALIDITY_MS);
    const der = join(dir, 'ca.crl');
    const caPem = join(dir, 'client-ca.pem');
    writeFileSync(der, crl.der);
    writeFileSync(caPem, ca.ca('us-east-1').certPem);

    const text = await run('openssl', ['crl', '-inform', 'DER', '-in', der, '-noout', '-text']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Issuer: C = US, O = tlsql, CN = tlsql us-east-1 Client CA G1');
    expect(text.stdout).toMatch(/X509v3 CRL Number: *\n\s*7\n/);
    expect(text.stdout).toContain('X509v3 Authority Key Identifier');
    const entry = (serial: string) => new RegExp(`Serial Number: ${serial.toUpperCase()}\\n\\s*Revocation Date: [^\\n]+\\n(\\s*CRL entry extensions:\\n\\s*X509v3 CRL Reason Code: *\\n\\s*(.+)\\n)?`).exec(text.stdout);
    expect(entry(revoked.serialHex)?.[2]).toBe('Key Compromise');
    expect(entry(other.serialHex)).not.toBeNull();
    expect(entry(other.serialHex)?.[2]).toBeUndefined(); // RFC 5280: no reason code for unspecified
    expect(text.stdout).not.toContain(kept.serialHex.toUpperCase());

    const verified = await run('openssl', ['crl', '-inform', 'DER', '-in', der, '-CAfile', caPem, '-verify', '-noout']);
    expect(verified.stderr.trim()).toBe('verify OK');
    const pem = join(dir, 'ca.crl.pem');
    writeFileSync(pem, crl.pem);
    expect((await run('openssl', ['crl', '-in', pem, '-CAfile', caPem, '-verify', '-noout'])).stderr.trim()).toBe('verify OK');

    // The distribution point is in the certificate, and openssl's own CRL check refuses it with the CRL and accepts its sibling.
    const leaf = join(dir, 'revoked.pem');
    const sibling = join(dir, 'sibling.pem');
    writeFileSync(leaf, revoked.certPem);
    writeFileSync(sibling, kept.certPem);
    expect((await run('openssl', ['x509', '-in', leaf, '-noout', '-ext', 'crlDistributionPoints'])).stdout).toContain(`URI:${url}`);
    const refused = await run('openssl', ['verify', '-crl_check', '-CAfile', caPem, '-CRLfile', pem, leaf]);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout + refused.stderr).toContain('certificate revoked');
    const accepted = await run('openssl', ['verify', '-crl_check', '-CAfile', caPem, '-CRLfile', pem, sibling]);
    expect(accepted.stdout.trim()).toBe(`${sibling}: OK`);
  });

  it('is omitted from certificates issued without a CRL URL', async () => {
    const c = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=no-url') });
    const out = await run('openssl', ['x509', '-noout', '-ext', 'crlDistributionPoints'], { input: c.certPem });
    expect(out.stdout).not.toContain('URI:');
  });
});

describe('CRLs imported for an operator CA', () => {
  it("accept the operator CA's own CRL (openssl ca -gencrl), PEM or DER, with its entries and reasons", async () => {
    const op = opensslCa('/C=US/O=Operator/CN=Operator Client CA');
    const leaf = op.issue('/CN=app', 'app');
    op.revoke(leaf.certPath, 'keyCompromise');
    const pemPath = op.crl('one');
    const v = await verifyImportedCrl({ crl: readFileSync(pemPath), caPem: op.certPem, now: new Date() });
    const serial = normaliseSerialHex(new X509Certificate(readFileSync(leaf.certPath)).serialNumber);
    expect(v.entries).toEqual([{ serialHex: serial, revokedAt: expect.any(Date), reason: 'keyCompromise' }]);
    expect(v.crlNumber).toBe('1');
    const derOut = await run('openssl', ['crl', '-in', pemPath, '-outform', 'DER', '-out', join(op.dir, 'one.crl')]);
    expect(derOut.code).toBe(0);
    expect((await verifyImportedCrl({ crl: readFileSync(join(op.dir, 'one.crl')), caPem: op.certPem, now: new Date() })).entries).toHaveLength(1);
  });

  it('refuse a CRL of another CA, one signed by another key under the same name, a tampered one, and garbage', async () => {
    const op = opensslCa('/C=US/O=Operator/CN=Operator Client CA');
    const other = opensslCa('/C=US/O=Other/CN=Other CA');
    const sameName = opensslCa('/C=US/O=Operator/CN=Operator Client CA');
    const now = new Date();
    await expect(verifyImportedCrl({ crl: readFileSync(other.crl('x')), caPem: op.certPem, now })).rejects.toMatchObject({ code: 'InvalidParameterValue', message: expect.stringMatching(/issued by .*Other CA, not by the client CA/) });
    await expect(verifyImportedCrl({ crl: readFileSync(sameName.crl('x')), caPem: op.certPem, now })).rejects.toMatchObject({ code: 'InvalidParameterValue', message: expect.stringMatching(/signature does not verify/) });
    const der = (await run('openssl', ['crl', '-in', op.crl('t'), '-outform', 'DER', '-out', join(op.dir, 't.crl')])).code === 0 ? readFileSync(join(op.dir, 't.crl')) : Buffer.alloc(0);
    const tampered = Buffer.from(der);
    // The nextUpdate's last digit sits inside the signed TBS: change it and the signature fails.
    const at = tampered.indexOf(Buffer.from('Z', 'latin1'), tampered.indexOf(Buffer.from('Z', 'latin1')) + 1) - 1;
    tampered[at] = tampered[at] === 0x30 ? 0x31 : 0x30;
    await expect(verifyImportedCrl({ crl: tampered, caPem: op.certPem, now })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    await expect(verifyImportedCrl({ crl: Buffer.from('not a crl'), caPem: op.certPem, now })).rejects.toMatchObject({ code: 'InvalidParameterValue', message: expect.stringMatching(/not a valid X\.509 CRL/) });
  });
});
