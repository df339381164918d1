import { X509Certificate } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../src/lib/clock.js';
import { ClientCertificateAuthority, createShadowCa, issueLinkClientCertificate, loadCaWithKey, onelineName, parseOnelineSubject } from '../../../src/pki/client-ca.js';
import { opensslCa } from '../../helpers/pki-fixtures.js';

const key = Buffer.alloc(32, 7);
let dir: string;
let clock: ManualClock;
let ca: ClientCertificateAuthority;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlsql-client-ca-'));
  clock = new ManualClock('2026-03-01T12:00:00Z');
  ca = new ClientCertificateAuthority({ dir, masterKey: key, regions: ['us-east-1', 'eu-west-1'], clock });
  await ca.ensure();
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('client CA', () => {
  it('is one self-signed P-256 CA per region, separate from the server CA families, reloaded unchanged', async () => {
    const c = new X509Certificate(ca.ca('us-east-1').certPem);
    expect(onelineName(c.subject)).toBe('/C=US/O=tlsql/CN=tlsql us-east-1 Client CA G1');
    expect(c.ca).toBe(true);
    expect(c.checkIssued(c)).toBe(true);
    expect(onelineName(new X509Certificate(ca.ca('eu-west-1').certPem).subject)).toContain('eu-west-1 Client CA');
    const again = new ClientCertificateAuthority({ dir, masterKey: key, regions: ['us-east-1'] });
    await again.ensure();
    expect(again.ca('us-east-1').certPem).toBe(ca.ca('us-east-1').certPem);
    await expect(new ClientCertificateAuthority({ dir, masterKey: Buffer.alloc(32, 8), regions: ['us-east-1'] }).ensure()).rejects.toThrow(/wrong master key|cannot decrypt/);
  });

  it('issues a clientAuth certificate with the subject as given, backdated 5 minutes, for the hours asked', async () => {
    const issued = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/C=DE/O=acme/OU=ops/CN=app'), validityHours: 2 });
    const c = new X509Certificate(issued.certPem);
    expect(issued.subject).toBe('/C=DE/O=acme/OU=ops/CN=app');
    expect(issued.issuer).toBe('/C=US/O=tlsql/CN=tlsql us-east-1 Client CA G1');
    expect(c.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(c.ca).toBe(false);
    expect(c.checkIssued(new X509Certificate(issued.caPem))).toBe(true);
    expect(issued.notBefore.toISOString()).toBe('2026-03-01T11:55:00.000Z');
    expect(issued.notAfter.toISOString()).toBe('2026-03-01T13:55:00.000Z');
    expect(c.checkPrivateKey((await import('node:crypto')).createPrivateKey(issued.keyPem))).toBe(true);
    expect(issued.keyType).toBe('rsa2048');
  });

  it('refuses bad subjects and validities', async () => {
    for (const bad of ['CN=app', '/CN=', '/XX=1/CN=a', '/C=usa/CN=a', '/O=acme', '/CN=a/b']) {
      expect(() => parseOnelineSubject(bad)).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
    }
    await expect(ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=a'), validityHours: 0 })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
    await expect(ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=a'), validityHours: 24 * 398 })).rejects.toMatchObject({ code: 'InvalidParameterValue' });
  });

  it("gives a link certificate the client's exact subject and issuer name, valid at most an hour and never past the client's", async () => {
    const client = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/C=US/O=acme/CN=app'), validityHours: 720 });
    const der = new Uint8Array(new X509Certificate(client.certPem).raw);
    const now = new Date();
    const link = await issueLinkClientCertificate({ clientCertDer: der, issuer: ca.ca('us-east-1').signer, now });
    const l = new X509Certificate(link.certPem);
    expect(onelineName(l.subject)).toBe(client.subject);
    expect(onelineName(l.issuer)).toBe(client.issuer);
    expect(l.checkIssued(new X509Certificate(client.caPem))).toBe(true);
    expect(l.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(link.notAfter.getTime() - now.getTime()).toBeLessThanOrEqual(3_600_000);
    // A client certificate ending sooner bounds the link certificate.
    const short = await new ClientCertificateAuthority({ dir, masterKey: key, regions: ['us-east-1'], clock: new ManualClock(now) }).issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=short'), validityHours: 1 });
    const shortLink = await issueLinkClientCertificate({ clientCertDer: new Uint8Array(new X509Certificate(short.certPem).raw), issuer: ca.ca('us-east-1').signer, now });
    expect(shortLink.notAfter.getTime()).toBe(short.notAfter.getTime());
  });

  it("makes a shadow of an operator CA with the same subject bytes, whose link certificates name the operator CA as issuer", async () => {
    const op = opensslCa('/C=US/O=Operator Inc/OU=Security/CN=Operator Client CA');
    const shadow = await createShadowCa(op.certPem, new Date());
    const s = new X509Certificate(shadow.certPem);
    const o = new X509Certificate(op.certPem);
    expect(s.subject).toBe(o.subject);
    expect(s.ca).toBe(true);
    expect(s.publicKey.equals(o.publicKey)).toBe(false);
    const leaf = op.issue('/C=US/O=acme/CN=app', 'leaf');
    const leafDer = new Uint8Array(new X509Certificate((await import('node:fs')).readFileSync(leaf.certPath)).raw);
    const loaded = await loadCaWithKey(shadow.certPem, shadow.keyPem, 'shadow');
    const link = new X509Certificate((await issueLinkClientCertificate({ clientCertDer: leafDer, issuer: loaded.signer, now: new Date() })).certPem);
    expect(link.issuer).toBe(o.subject);
    expect(link.checkIssued(s)).toBe(true);
    expect(link.verify(s.publicKey)).toBe(true);
    expect(link.verify(o.publicKey)).toBe(false);
  });
});
