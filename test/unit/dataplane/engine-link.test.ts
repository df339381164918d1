import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineLink } from '../../../src/dataplane/engine-link.js';

// A TLS server on a unix socket standing in for the engine's side of the link (no MySQL: the
// link's TLS is what is under test), with an RSA certificate naming the link servername.
const dir = mkdtempSync(join(tmpdir(), 'tlsql-engine-link-'));
const NAME = 'db-test.engine.tlsql.internal';
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', `/CN=${NAME}`, '-days', '1', '-addext', `subjectAltName=DNS:${NAME}`], { stdio: 'ignore' });
const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
const socketPath = join(dir, 'engine.sock');
let server: tls.Server;

beforeAll(async () => {
  server = tls.createServer({ cert: certPem, key: readFileSync(join(dir, 'k.pem')) }, (s) => {
    s.on('error', () => {});
    s.on('data', () => {});
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
});

afterAll(() => {
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function rawSocket(): Promise<net.Socket> {
  const s = net.connect(socketPath);
  await new Promise((r) => s.once('connect', r));
  return s;
}

/** A link handshake that completes, kept open until the engine's session ticket has arrived. */
async function link(l: EngineLink): Promise<{ reused: boolean }> {
  const s = await l.connect(await rawSocket(), 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 5000);
  const reused = s.isSessionReused();
  if (!reused) await new Promise((r) => s.once('session', r));
  s.destroy();
  return { reused };
}

describe('EngineLink', () => {
  it('keeps its session when a link is closed under its handshake (its client left), and resumes with it', async () => {
    const l = new EngineLink(certPem, NAME, 'rsa');
    expect(await link(l)).toEqual({ reused: false });
    expect(await link(l)).toEqual({ reused: true });

    const raw = await rawSocket();
    const aborted = l.connect(raw, 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 5000);
    raw.destroy(); // the session ends (client gone) while the link handshake is in flight
    await expect(aborted).rejects.toThrow('engine link closed during its TLS handshake');

    expect(await link(l)).toEqual({ reused: true });
    expect(l.stats).toEqual({ handshakes: 3, resumed: 2 });
  });

  it('refuses an engine whose certificate does not name the link servername', async () => {
    const l = new EngineLink(certPem, 'other.engine.tlsql.internal', 'rsa');
    await expect(l.connect(await rawSocket(), 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 5000)).rejects.toMatchObject({ code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});
