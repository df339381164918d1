import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientTrust, type ClientCertificateCheck } from '../../../src/dataplane/client-certs.js';
import { NativeDataplane } from '../../../src/dataplane/native/native-dataplane.js';
import type { NativeSession, ServerTlsResult } from '../../../src/dataplane/native/native-session.js';
import { ManualClock } from '../../../src/lib/clock.js';
import { ClientCertificateAuthority, issueLinkClientCertificate, parseOnelineSubject } from '../../../src/pki/client-ca.js';
import { startEngine, startFrontDoor, type Listening } from '../../helpers/native-fixtures.js';
import { opensslCa } from '../../helpers/pki-fixtures.js';

let dir: string;
let ca: ClientCertificateAuthority;
let server: { cert: string; key: string };
let trust: ClientTrust;
let issued = 0;
let dp: NativeDataplane;
let engine: Listening;
let door: Listening & { port: number };
/** Sessions the front door accepts go to the handshakes waiting for them, in order. */
const waiting: ((s: NativeSession) => void)[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tlsql-client-trust-'));
  ca = new ClientCertificateAuthority({ dir, masterKey: Buffer.alloc(32, 1), regions: ['us-east-1'] });
  await ca.ensure();
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 's.key'), '-out', join(dir, 's.pem'), '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  server = { cert: await readFile(join(dir, 's.pem'), 'utf8'), key: await readFile(join(dir, 's.key'), 'utf8') };
  const own = ca.ca('us-east-1');
  dp = new NativeDataplane({ loops: 1 });
  engine = await startEngine(join(dir, 'engine.sock'), { onStream: () => {} });
  door = await startFrontDoor(dp, join(dir, 'engine.sock'), (s) => waiting.shift()?.(s));
  trust = new ClientTrust([{ caPem: own.certPem, linkSigner: own.signer, source: 'tlsql' }], (p) => {
    issued++;
    return issueLinkClientCertificate({ ...p, now: new Date() });
  });
});
afterAll(async () => {
  await door?.close();
  await engine?.close();
  dp?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

/** One TLS handshake the way the front door does it: the native data plane's server side, client certificate optional. */
async function presented(client: { cert?: string; key?: string }): Promise<ServerTlsResult> {
  const ctx = dp.serverContext({ certChainPem: server.cert, keyPem: server.key, ciphers: 'TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256', clientCaPem: trust.caPem, sessionIdContext: 'test' });
  const session = new Promise<NativeSession>((resolve) => waiting.push(resolve));
  const c = tls.connect({ port: door.port, host: '127.0.0.1', servername: 'localhost', ca: server.cert, ...client });
  c.on('error', () => {});
  const s = await session;
  try {
    return await s.startServerTls(ctx);
  } finally {
    s.close();
    c.destroy();
  }
}

async function handshake(client: { cert?: string; key?: string }): Promise<ClientCertificateCheck> {
  return trust.check(await presented(client));
}

describe('ClientTrust.check', () => {
  it('passes a client without a certificate through as "none"', async () => {
    expect((await handshake({})).kind).toBe('none');
  });

  it("trusts the region CA's certificate and issues its link identity once per certificate", async () => {
    const c = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/O=acme/CN=app') });
    const first = await handshake({ cert: c.certPem, key: c.keyPem });
    expect(first).toMatchObject({ kind: 'trusted', info: { subject: '/O=acme/CN=app', issuer: '/C=US/O=tlsql/CN=tlsql us-east-1 Client CA G1', refusedReason: null } });
    const second = await handshake({ cert: c.certPem, key: c.keyPem });
    if (first.kind !== 'trusted' || second.kind !== 'trusted') throw new Error('not trusted');
    const before = issued;
    const [a, b] = await Promise.all([first.linkIdentity(), second.linkIdentity()]);
    expect(a).toBe(b);
    expect(issued - before).toBeLessThanOrEqual(1);
    expect(a.certPem).toContain('BEGIN CERTIFICATE');
  });

  it('refuses an expired certificate with OpenSSL\'s reason', async () => {
    const past = new ClientCertificateAuthority({ dir, masterKey: Buffer.alloc(32, 1), regions: ['us-east-1'], clock: new ManualClock('2020-05-01T00:00:00Z') });
    const c = await past.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=old'), validityHours: 1 });
    expect(await handshake({ cert: c.certPem, key: c.keyPem })).toMatchObject({ kind: 'refused', reason: 'CERT_HAS_EXPIRED' });
  });

  it('refuses a certificate from a CA not in the list', async () => {
    const stranger = opensslCa('/CN=Stranger CA');
    const leaf = stranger.issue('/CN=app', 'app');
    const r = await handshake({ cert: await readFile(leaf.certPath, 'utf8'), key: await readFile(leaf.keyPath, 'utf8') });
    expect(r).toMatchObject({ kind: 'refused', reason: expect.stringMatching(/UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE/) });
  });

  it("enforces OpenSSL's verdict even for a certificate of a listed CA", async () => {
    const c = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=app') });
    const r = await presented({ cert: c.certPem, key: c.keyPem });
    expect(trust.check(r).kind).toBe('trusted');
    expect(trust.check({ ...r, verifyError: 'CERT_REVOKED' })).toMatchObject({ kind: 'refused', reason: 'CERT_REVOKED' });
  });

  it('refuses a revoked serial of a listed CA with the revocation, and trusts its sibling', async () => {
    const own = ca.ca('us-east-1');
    const revoked = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=lost') });
    const sibling = await ca.issueClientCertificate({ region: 'us-east-1', subject: parseOnelineSubject('/CN=kept') });
    const revocation = { revokedAt: new Date('2026-05-01T00:00:00Z'), reason: 'keyCompromise' as const };
    const withRevocation = new ClientTrust([{ caPem: own.certPem, linkSigner: own.signer, source: 'tlsql', revoked: new Map([[revoked.serialHex, revocation]]) }], (p) => issueLinkClientCertificate({ ...p, now: new Date() }));
    const r = withRevocation.check(await presented({ cert: revoked.certPem, key: revoked.keyPem }));
    expect(r).toMatchObject({ kind: 'refused', revocation, reason: `certificate serial ${revoked.serialHex} was revoked on 2026-05-01T00:00:00.000Z (keyCompromise)`, info: { serialHex: revoked.serialHex, subject: '/CN=lost' } });
    expect(withRevocation.check(await presented({ cert: sibling.certPem, key: sibling.keyPem })).kind).toBe('trusted');
    // The same certificate under the list without the revocation: trusted (the map is what refuses it).
    expect(trust.check(await presented({ cert: revoked.certPem, key: revoked.keyPem })).kind).toBe('trusted');
  });
});
