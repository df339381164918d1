import { execFile } from 'node:child_process';
import { randomBytes, X509Certificate as NodeX509 } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, connect, createServer, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateAuthority, type IssuedCertificate } from '../../../src/pki/certificate-authority.js';
import { CA_FAMILIES, type CaFamilyId } from '../../../src/pki/families.js';

/**
 * The CA's output checked by independent implementations: the openssl binary (what MariaDB and
 * the mysql client link against) and Node's TLS stack. Real clock: openssl verifies against now.
 */
const run = promisify(execFile);

interface OpensslResult {
  ok: boolean;
  output: string;
}

async function openssl(...args: string[]): Promise<OpensslResult> {
  try {
    const { stdout, stderr } = await run('openssl', args);
    return { ok: true, output: stdout + stderr };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return { ok: false, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

const REGIONS = ['us-east-1', 'eu-west-1'];
const endpointOf = (familyId: CaFamilyId, region: string) => `db-${familyId.split('-')[2]}.abcdefghijkl.${region}.tlsql.localhost`;

const expected: Record<CaFamilyId, { key: RegExp[]; signature: string }> = {
  'tlsql-ca-rsa2048-g1': { key: [/Public-Key: \(2048 bit\)/], signature: 'sha256WithRSAEncryption' },
  'tlsql-ca-rsa4096-g1': { key: [/Public-Key: \(4096 bit\)/], signature: 'sha384WithRSAEncryption' },
  'tlsql-ca-ecc384-g1': { key: [/NIST CURVE: P-384/, /ASN1 OID: secp384r1/], signature: 'ecdsa-with-SHA384' },
};

let tmp: string;
let ca: CertificateAuthority;
const leaves = new Map<string, IssuedCertificate & { certPath: string; subPath: string }>();

/** Writes `text` to a file in the temp dir and returns its path. */
async function file(name: string, text: string): Promise<string> {
  const path = join(tmp, name);
  await writeFile(path, text);
  return path;
}

async function issue(familyId: CaFamilyId, region: string): Promise<void> {
  const issued = await ca.issueServerCertificate({ endpoint: endpointOf(familyId, region), familyId, region });
  leaves.set(`${region}/${familyId}`, {
    ...issued,
    certPath: await file(`${region}-${familyId}-leaf.pem`, issued.certPem),
    subPath: await file(`${region}-${familyId}-sub.pem`, ca.record(familyId, region).subordinatePem),
  });
}

function leaf(familyId: CaFamilyId, region = 'us-east-1') {
  const l = leaves.get(`${region}/${familyId}`);
  if (!l) throw new Error(`no leaf for ${region}/${familyId}`);
  return l;
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'tlsql-pki-openssl-'));
  ca = new CertificateAuthority({ dir: join(tmp, 'pki'), masterKey: randomBytes(32), regions: REGIONS });
  await ca.ensureHierarchy();
  await Promise.all([...CA_FAMILIES.map((f) => issue(f.id, 'us-east-1')), issue('tlsql-ca-rsa2048-g1', 'eu-west-1')]);
});

afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe.each(CA_FAMILIES.map((f) => f.id))('%s server certificate checked by openssl', (familyId) => {
  it('verifies against the global bundle and against its region\'s bundle, given the subordinate', async () => {
    const l = leaf(familyId);
    const viaGlobal = await openssl('verify', '-CAfile', ca.bundlePath(), '-untrusted', l.subPath, l.certPath);
    expect(viaGlobal.output).toContain(': OK');
    expect(viaGlobal.ok).toBe(true);
    const viaRegion = await openssl('verify', '-CAfile', ca.bundlePath('us-east-1'), '-untrusted', l.subPath, l.certPath);
    expect(viaRegion.ok, viaRegion.output).toBe(true);
  });

  it('verifies the chain the server sends (leaf + subordinate) with the endpoint as hostname', async () => {
    const l = leaf(familyId);
    const chainPath = await file(`${familyId}-chain.pem`, l.chainPem);
    const r = await openssl('verify', '-CAfile', ca.bundlePath(), '-untrusted', chainPath, '-verify_hostname', endpointOf(familyId, 'us-east-1'), '-purpose', 'sslserver', l.certPath);
    expect(r.ok, r.output).toBe(true);
    const wrongName = await openssl('verify', '-CAfile', ca.bundlePath(), '-untrusted', chainPath, '-verify_hostname', 'other.example', l.certPath);
    expect(wrongName.ok).toBe(false);
    expect(wrongName.output).toMatch(/hostname mismatch/i);
  });

  it('shows the endpoint, server auth usage, the family key and signature algorithm', async () => {
    const l = leaf(familyId);
    const { output } = await openssl('x509', '-in', l.certPath, '-text', '-noout');
    const endpoint = endpointOf(familyId, 'us-east-1');
    expect(output).toMatch(new RegExp(`Subject: .*CN = ${endpoint.replace(/\./g, '\\.')}\\s*$`, 'm'));
    expect(output).toContain(`DNS:${endpoint}`);
    expect(output).toContain('TLS Web Server Authentication');
    expect(output).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    for (const re of expected[familyId].key) expect(output).toMatch(re);
    expect(output).toContain(`Signature Algorithm: ${expected[familyId].signature}`);
    expect(output).toContain('X509v3 Subject Key Identifier');
    expect(output).toContain('X509v3 Authority Key Identifier');
  });

  it('has a subordinate limited to signing leaves (CA:TRUE, pathlen:0) with the family signature', async () => {
    const { output } = await openssl('x509', '-in', leaf(familyId).subPath, '-text', '-noout');
    expect(output).toContain('CA:TRUE, pathlen:0');
    expect(output).toContain(`Signature Algorithm: ${expected[familyId].signature}`);
  });

  it('does not verify with a bundle holding only another family\'s root', async () => {
    const other = CA_FAMILIES.find((f) => f.id !== familyId)!.id;
    const otherRoot = await file(`only-${other}-for-${familyId}.pem`, ca.record(other, 'us-east-1').rootPem);
    const l = leaf(familyId);
    const r = await openssl('verify', '-CAfile', otherRoot, '-untrusted', l.subPath, l.certPath);
    expect(r.ok).toBe(false);
    expect(r.output).toMatch(/unable to get (local )?issuer certificate/);
  });

  it('passes Node\'s hostname check for the endpoint and fails it for another name', () => {
    const cert = new NodeX509(leaf(familyId).certPem).toLegacyObject();
    expect(checkServerIdentity(endpointOf(familyId, 'us-east-1'), cert)).toBeUndefined();
    const err = checkServerIdentity('db-other.abcdefghijkl.us-east-1.tlsql.localhost', cert);
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('completes a TLS handshake with a client that checks chain and hostname against the regional bundle', async () => {
    const l = leaf(familyId);
    const server = createServer({ cert: l.chainPem, key: l.keyPem }, (s) => s.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const socket = await new Promise<TLSSocket>((resolve, reject) => {
        const s = connect({ host: '127.0.0.1', port, servername: endpointOf(familyId, 'us-east-1'), ca: ca.bundlePem('us-east-1') }, () => resolve(s));
        s.on('error', reject);
      });
      expect(socket.authorized).toBe(true);
      expect(socket.getPeerCertificate().subject.CN).toBe(endpointOf(familyId, 'us-east-1'));
      socket.destroy();
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('regional bundles', () => {
  it('do not trust another region\'s leaf, while the global bundle does', async () => {
    const eu = leaf('tlsql-ca-rsa2048-g1', 'eu-west-1');
    const viaUs = await openssl('verify', '-CAfile', ca.bundlePath('us-east-1'), '-untrusted', eu.subPath, eu.certPath);
    expect(viaUs.ok).toBe(false);
    const viaEu = await openssl('verify', '-CAfile', ca.bundlePath('eu-west-1'), '-untrusted', eu.subPath, eu.certPath);
    expect(viaEu.ok, viaEu.output).toBe(true);
    const viaGlobal = await openssl('verify', '-CAfile', ca.bundlePath(), '-untrusted', eu.subPath, eu.certPath);
    expect(viaGlobal.ok, viaGlobal.output).toBe(true);
  });

  it('hold self-signed roots only, as openssl reads them', async () => {
    const { output } = await openssl('crl2pkcs7', '-nocrl', '-certfile', ca.bundlePath());
    const p7 = await file('global.p7b', output);
    const { output: listing } = await openssl('pkcs7', '-in', p7, '-print_certs', '-noout');
    const subjects = [...listing.matchAll(/^subject=(.*)$/gm)].map((m) => m[1]);
    const issuers = [...listing.matchAll(/^issuer=(.*)$/gm)].map((m) => m[1]);
    expect(subjects).toHaveLength(REGIONS.length * CA_FAMILIES.length);
    expect(issuers).toEqual(subjects);
    expect(subjects.every((s) => s?.includes(' Root CA '))).toBe(true);
  });
});

describe('link certificates checked by openssl', () => {
  it.each(['rsa2048', 'ecdsa-p256'] as const)('a %s link certificate verifies against the internal CA only', async (keyType) => {
    const issued = await ca.issueLinkCertificate({ hostname: 'localhost', keyType });
    const certPath = await file(`link-${keyType}.pem`, issued.certPem);
    const keyPath = await file(`link-${keyType}.key`, issued.keyPem);
    const internal = await file('internal-ca.pem', ca.internalCaPem());
    const ok = await openssl('verify', '-CAfile', internal, '-verify_hostname', 'localhost', '-purpose', 'sslserver', certPath);
    expect(ok.ok, ok.output).toBe(true);
    expect((await openssl('verify', '-CAfile', ca.bundlePath(), certPath)).ok).toBe(false);
    // The key is PKCS#8 that OpenSSL (hence MariaDB) reads, and it belongs to the certificate.
    const keyPub = await openssl('pkey', '-in', keyPath, '-pubout');
    const certPub = await openssl('x509', '-in', certPath, '-noout', '-pubkey');
    expect(keyPub.ok, keyPub.output).toBe(true);
    expect(keyPub.output).toBe(certPub.output);
  });
});
