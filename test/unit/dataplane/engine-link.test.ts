import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineLink } from '../../../src/dataplane/engine-link.js';
import { NativeDataplane } from '../../../src/dataplane/native/native-dataplane.js';
import type { NativeSession } from '../../../src/dataplane/native/native-session.js';
import { readBytes, startFrontDoor, type Listening } from '../../helpers/native-fixtures.js';

// A TLS server on a unix socket standing in for the engine's side of the link (no MySQL: the
// link's TLS is what is under test), with an RSA certificate naming the link servername.
const dir = mkdtempSync(join(tmpdir(), 'tlsql-engine-link-'));
const NAME = 'db-test.engine.tlsql.internal';
execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem'), '-subj', `/CN=${NAME}`, '-days', '1', '-addext', `subjectAltName=DNS:${NAME}`], { stdio: 'ignore' });
const certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
const socketPath = join(dir, 'engine.sock');
let server: tls.Server;
let dp: NativeDataplane;
let door: Listening & { port: number };
/** Sessions the front door accepts go to the links waiting for them, in order. */
const waiting: ((s: NativeSession) => void)[] = [];

beforeAll(async () => {
  // The engine writes a greeting-like hello once its side of the handshake is done: a link that has
  // read it has also read the session tickets sent before it.
  server = tls.createServer({ cert: certPem, key: readFileSync(join(dir, 'k.pem')) }, (s) => {
    s.on('error', () => {});
    s.on('data', () => {});
    s.write('hello');
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  dp = new NativeDataplane({ loops: 1 });
  door = await startFrontDoor(dp, socketPath, (s) => waiting.shift()?.(s));
});

afterAll(async () => {
  await door.close();
  dp.shutdown();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A native session whose engine socket is connected (its client is a plain TCP socket of the test). */
async function session(): Promise<{ s: NativeSession; client: net.Socket }> {
  const accepted = new Promise<NativeSession>((resolve) => waiting.push(resolve));
  const client = net.connect(door.port, '127.0.0.1');
  client.on('error', () => {});
  const s = await accepted;
  await s.engineConnected;
  return { s, client };
}

/** A link handshake that completes, kept open until the engine's session ticket has arrived. */
async function link(l: EngineLink): Promise<{ reused: boolean }> {
  const { s, client } = await session();
  const r = await l.connect(s, 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 5000);
  expect((await readBytes(s.engine, 5)).toString()).toBe('hello');
  s.close();
  client.destroy();
  return { reused: r.resumed };
}

describe('EngineLink', () => {
  it('keeps its session when a link is closed under its handshake (its client left), and resumes with it', async () => {
    const l = new EngineLink(dp, certPem, NAME, 'rsa');
    expect(await link(l)).toEqual({ reused: false });
    expect(await link(l)).toEqual({ reused: true });

    const { s, client } = await session();
    const aborted = l.connect(s, 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 5000);
    s.close(); // the session ends (client gone) while the link handshake is in flight
    client.destroy();
    await expect(aborted).rejects.toThrow(/closed/);

    expect(await link(l)).toEqual({ reused: true });
    expect(l.stats).toEqual({ handshakes: 3, resumed: 2 });
  });

  it('refuses an engine whose certificate does not name the link servername', async () => {
    const l = new EngineLink(dp, certPem, 'other.engine.tlsql.internal', 'rsa');
    const { s, client } = await session();
    await expect(l.connect(s, 'TLSv1.3', 'TLS_AES_256_GCM_SHA384', 5000)).rejects.toMatchObject({ code: 'HOSTNAME_MISMATCH' });
    client.destroy();
  });
});
