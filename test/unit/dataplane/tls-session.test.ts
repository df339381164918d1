import { execFileSync } from 'node:child_process';
import { X509Certificate, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutPeerCertificate } from '../../../src/dataplane/tls-session.js';

const dir = mkdtempSync(join(tmpdir(), 'tlsql-tls-session-'));

/** A self-signed RSA-2048 server certificate for `localhost` (like the engines' link certificates). */
function selfSigned(name: string): { cert: string; key: string } {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, `${name}.key`), '-out', join(dir, `${name}.pem`), '-subj', '/CN=localhost', '-days', '1', '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, `${name}.pem`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

const trusted = selfSigned('trusted');
const stranger = selfSigned('stranger');
const servers: tls.Server[] = [];

function serve(creds: { cert: string; key: string }): Promise<number> {
  const server = tls.createServer(creds, (s) => {
    s.on('error', () => {});
    s.end('hello');
  });
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

interface Connected {
  reused: boolean;
  authorized: boolean;
  data: string;
  session: Buffer;
}

/** Connects with chain and name verified (the `ca` is the trusted certificate only). */
function connect(port: number, version: tls.SecureVersion, session?: Buffer): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: trusted.cert, minVersion: version, maxVersion: version, session });
    let data = '';
    let got: Buffer | undefined;
    let reused = false;
    s.once('secureConnect', () => (reused = s.isSessionReused()));
    s.on('session', (x: Buffer) => (got ??= x));
    s.on('data', (d: Buffer) => (data += d.toString()));
    s.on('error', reject);
    s.on('close', () => resolve({ reused, authorized: s.authorized, data, session: got! }));
  });
}

let port = 0;
let otherTicketKeys = 0;
let strangerPort = 0;

beforeAll(async () => {
  port = await serve(trusted);
  otherTicketKeys = await serve(trusted); // same certificate, its own ticket keys
  strangerPort = await serve(stranger);
});

afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('withoutPeerCertificate', () => {
  const certDer = new X509Certificate(trusted.cert).raw;

  it('drops only the server certificate from a TLS 1.3 session, which still resumes verified', async () => {
    const first = await connect(port, 'TLSv1.3');
    expect(first.authorized).toBe(true);
    expect(first.session.includes(certDer)).toBe(true);

    const kept = withoutPeerCertificate(first.session);
    expect(kept.includes(certDer)).toBe(false);
    // Only the certificate (plus its [3] wrapper and the outer length bytes) is gone.
    expect(first.session.length - kept.length).toBeGreaterThanOrEqual(certDer.length);
    expect(first.session.length - kept.length).toBeLessThanOrEqual(certDer.length + 8);

    const resumed = await connect(port, 'TLSv1.3', kept);
    expect(resumed).toMatchObject({ reused: true, authorized: true, data: 'hello' });
  });

  it('keeps a TLS 1.2 session whole: Node resumes TLS 1.2 only with the certificate', async () => {
    const first = await connect(port, 'TLSv1.2');
    expect(withoutPeerCertificate(first.session)).toBe(first.session);
    expect(await connect(port, 'TLSv1.2', first.session)).toMatchObject({ reused: true, authorized: true });
  });

  it('falls back to a full handshake, certificate verified, where the server does not know the session', async () => {
    const kept = withoutPeerCertificate((await connect(port, 'TLSv1.3')).session);
    const elsewhere = await connect(otherTicketKeys, 'TLSv1.3', kept);
    expect(elsewhere).toMatchObject({ reused: false, authorized: true, data: 'hello' });
    // A server with another certificate cannot use the session to skip verification.
    await expect(connect(strangerPort, 'TLSv1.3', kept)).rejects.toThrow(/self[- ]signed|unable to verify/i);
  });

  it('returns what it cannot parse, or what has no certificate, unchanged', () => {
    const junk = randomBytes(64);
    expect(withoutPeerCertificate(junk)).toBe(junk);
    const notDer = Buffer.from([0x30, 0x85, 1, 2, 3]);
    expect(withoutPeerCertificate(notDer)).toBe(notDer);
    const truncated = Buffer.from([0x30, 0x10, 0x02, 0x01, 0x01]);
    expect(withoutPeerCertificate(truncated)).toBe(truncated);
    const noPeer = Buffer.from([0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04, 0x04, 0x00]);
    expect(withoutPeerCertificate(noPeer)).toBe(noPeer);
  });

  it('re-encodes the outer length in its long form when the rest needs it', () => {
    const big = Buffer.alloc(200, 7);
    const inner = Buffer.concat([Buffer.from([0x04, 0x81, 200]), big]); // OCTET STRING of 200 bytes
    const peer = Buffer.from([0xa3, 0x03, 0x02, 0x01, 0x05]);
    const body = Buffer.concat([inner, peer]);
    const tls13 = Buffer.from([0x02, 0x01, 0x01, 0x02, 0x02, 0x03, 0x04]); // version 1, ssl_version 0x0304
    const all = Buffer.concat([tls13, body]);
    const session = Buffer.concat([Buffer.from([0x30, 0x81, all.length]), all]);
    const rest = Buffer.concat([tls13, inner]);
    expect(withoutPeerCertificate(session)).toEqual(Buffer.concat([Buffer.from([0x30, 0x81, rest.length]), rest]));
  });
});
