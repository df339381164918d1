import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NativeDataplane } from '../../../src/dataplane/native/native-dataplane.js';
import type { NativeClientContext, NativeServerContext } from '../../../src/dataplane/native/native-context.js';
import type { NativeSession, ServerTlsResult } from '../../../src/dataplane/native/native-session.js';
import { PREAMBLE, readBytes, startEngine, startFrontDoor, testCa, type TestCa } from '../../helpers/native-fixtures.js';

const CIPHERS = 'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
const FRONT_NAME = 'db.native.test';
const ENGINE_NAME = 'engine.link.test';

let dp: NativeDataplane;
let frontCa: TestCa;
let engineCa: TestCa;
let clientCa: TestCa;
let front: { certPem: string; keyPem: string };
let engineCert: { certPem: string; keyPem: string };
let dir: string;
let n = 0;

beforeAll(() => {
  dp = new NativeDataplane({ loops: 2 });
  frontCa = testCa('/CN=tlsql native test front CA');
  engineCa = testCa('/CN=tlsql native test engine CA');
  clientCa = testCa('/CN=tlsql native test client CA');
  front = frontCa.server(FRONT_NAME);
  engineCert = engineCa.server(ENGINE_NAME);
  dir = mkdtempSync(join(tmpdir(), 'tlsql-native-'));
});

afterAll(() => dp.shutdown());

function serverCtx(extra: { clientCaPem?: string; minVersion?: string; maxVersion?: string } = {}): NativeServerContext {
  return dp.serverContext({ certChainPem: front.certPem, keyPem: front.keyPem, ciphers: CIPHERS, minVersion: extra.minVersion ?? 'TLSv1.2', maxVersion: extra.maxVersion ?? 'TLSv1.3', sessionIdContext: 'tlsql-test', ...(extra.clientCaPem ? { clientCaPem: extra.clientCaPem } : {}) });
}

function clientCtx(version: 'TLSv1.2' | 'TLSv1.3' = 'TLSv1.3'): NativeClientContext {
  return dp.clientContext({ caPem: engineCa.certPem, servername: ENGINE_NAME, minVersion: version, maxVersion: version, ciphers: CIPHERS });
}

/** What a front-door session reports in a TLS scenario. */
interface Seen {
  negotiated?: { version: string; cipher: string };
  server?: ServerTlsResult;
  link?: { version: string; cipher: string; resumed: boolean };
  closed: Promise<string>;
}

/** The front door's part: preamble, client TLS, engine preamble + link TLS, relay. */
function tlsFrontDoorSession(s: NativeSession, sctx: NativeServerContext, cctx: NativeClientContext, seen: Seen[], opts: { waitForHello?: boolean } = {}): void {
  const entry: Seen = { closed: new Promise((resolve) => s.once('close', (reason: string) => resolve(reason))) };
  seen.push(entry);
  void (async () => {
    expect(await readBytes(s.client, 4)).toEqual(PREAMBLE);
    if (opts.waitForHello) {
      // The ClientHello is already buffered in the stream when TLS starts: it must be fed first.
      while (s.client.readableLength === 0) await new Promise((r) => s.client.once('readable', r));
    }
    entry.server = await s.startServerTls(sctx, Buffer.alloc(0), (neg) => (entry.negotiated = neg));
    await s.engineConnected;
    s.engine.write(PREAMBLE);
    entry.link = await s.startClientTls(cctx);
    s.relay();
  })().catch(() => s.close('test front door failed'));
}

async function tlsEngine(onStream: (s: net.Socket | tls.TLSSocket) => void) {
  const path = join(dir, `engine-${n++}.sock`);
  const engine = await startEngine(path, { tls: { cert: engineCert.certPem, key: engineCert.keyPem, minVersion: 'TLSv1.2' }, onStream });
  return { path, engine };
}

async function connectClient(port: number, opts: Partial<tls.ConnectionOptions> = {}): Promise<tls.TLSSocket> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.write(PREAMBLE);
  const t = tls.connect({ socket: sock, servername: FRONT_NAME, ca: frontCa.certPem, ...opts });
  await new Promise<void>((resolve, reject) => {
    t.once('secureConnect', resolve);
    t.once('error', reject);
  });
  return t;
}

/** authorizationError of a Node TLS server that requests (and does not require) client certificates. */
async function nodeVerdict(caPem: string, cert: { certPem: string; keyPem: string }): Promise<string | null> {
  const server = tls.createServer({ cert: front.certPem, key: front.keyPem, ca: caPem, requestCert: true, rejectUnauthorized: false });
  const verdict = new Promise<string | null>((resolve) =>
    server.once('secureConnection', (s) => {
      resolve(s.authorized ? null : String(s.authorizationError));
      s.destroy();
    }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const c = tls.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', servername: FRONT_NAME, ca: frontCa.certPem, cert: cert.certPem, key: cert.keyPem });
  c.on('error', () => {});
  const v = await verdict;
  c.destroy();
  await new Promise((r) => server.close(r));
  return v;
}

describe('native data plane over TLS', () => {
  test('terminates the client TLS, verifies the engine link, and relays both ways', async () => {
    const { path, engine } = await tlsEngine((s) => s.pipe(s));
    const seen: Seen[] = [];
    const sctx = serverCtx();
    const cctx = clientCtx();
    const door = await startFrontDoor(dp, path, (s) => tlsFrontDoorSession(s, sctx, cctx, seen));
    const c = await connectClient(door.port);
    expect(c.authorized).toBe(true);
    c.write('hello through two TLS hops');
    expect((await readBytes(c, 26)).toString()).toBe('hello through two TLS hops');
    const s = seen[0]!;
    expect(s.negotiated).toEqual({ version: 'TLSv1.3', cipher: c.getCipher().name });
    expect(s.server).toMatchObject({ version: c.getProtocol(), cipher: c.getCipher().name, resumed: false, peerCertificates: [], verifyError: null });
    expect(s.link).toMatchObject({ version: 'TLSv1.3', resumed: false });
    c.end();
    expect(await s.closed).toBe('client closed');
    await door.close();
    await engine.close();
  });

  test('reports TLS 1.2 version and cipher as Node names them', async () => {
    const { path, engine } = await tlsEngine((s) => s.pipe(s));
    const seen: Seen[] = [];
    const door = await startFrontDoor(dp, path, (s) => tlsFrontDoorSession(s, serverCtx({ maxVersion: 'TLSv1.2' }), clientCtx('TLSv1.2'), seen));
    const c = await connectClient(door.port);
    c.write('x');
    await readBytes(c, 1);
    expect(c.getProtocol()).toBe('TLSv1.2');
    expect(seen[0]!.server).toMatchObject({ version: 'TLSv1.2', cipher: c.getCipher().name });
    expect(seen[0]!.negotiated).toEqual({ version: 'TLSv1.2', cipher: c.getCipher().name });
    // The engine's certificate is ECDSA: the link's TLS 1.2 suite authenticates with it.
    expect(seen[0]!.link).toMatchObject({ version: 'TLSv1.2', cipher: expect.stringMatching(/^ECDHE-ECDSA-/) });
    c.destroy();
    await seen[0]!.closed;
    await door.close();
    await engine.close();
  });

  test('feeds a ClientHello that arrived before TLS started ahead of the socket', async () => {
    const { path, engine } = await tlsEngine((s) => s.pipe(s));
    const seen: Seen[] = [];
    const door = await startFrontDoor(dp, path, (s) => tlsFrontDoorSession(s, serverCtx(), clientCtx(), seen, { waitForHello: true }));
    const c = await connectClient(door.port);
    c.write('pipelined');
    expect((await readBytes(c, 9)).toString()).toBe('pipelined');
    expect(c.authorized).toBe(true);
    c.destroy();
    await seen[0]!.closed;
    await door.close();
    await engine.close();
  });

  test('resumes the engine link with the session the previous link received', async () => {
    const { path, engine } = await tlsEngine((s) => s.pipe(s));
    const seen: Seen[] = [];
    const sctx = serverCtx();
    const cctx = clientCtx();
    const door = await startFrontDoor(dp, path, (s) => tlsFrontDoorSession(s, sctx, cctx, seen));
    for (let i = 0; i < 4; i++) {
      const c = await connectClient(door.port);
      c.write('r');
      await readBytes(c, 1); // the link has read the engine's tickets by the time the echo comes back
      c.destroy();
      await seen[i]!.closed;
    }
    expect(seen[0]!.link!.resumed).toBe(false);
    // Every later link resumes, also with the ticket a resumed link received.
    expect(seen.slice(1).map((x) => x.link!.resumed)).toEqual([true, true, true]);
    await door.close();
    await engine.close();
  });

  test('reports a client certificate with the verdict of OpenSSL, without refusing it', async () => {
    const { path, engine } = await tlsEngine((s) => s.pipe(s));
    const seen: Seen[] = [];
    const sctx = serverCtx({ clientCaPem: clientCa.certPem });
    const door = await startFrontDoor(dp, path, (s) => tlsFrontDoorSession(s, sctx, clientCtx(), seen));
    const good = clientCa.client('/CN=app-user');
    const expired = clientCa.client('/CN=old-user', { expired: true });
    const stranger = testCa('/CN=stranger CA').client('/CN=intruder');
    const cases = [
      { cert: good, verifyError: null, cn: 'app-user' },
      { cert: expired, verifyError: 'CERT_HAS_EXPIRED', cn: 'old-user' },
      { cert: stranger, verifyError: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', cn: 'intruder' },
    ];
    // The same verdicts as a Node TLS server with the same trust gives (its authorizationError).
    for (const k of cases) expect(await nodeVerdict(clientCa.certPem, k.cert)).toBe(k.verifyError);
    for (const [i, k] of cases.entries()) {
      const c = await connectClient(door.port, { cert: k.cert.certPem, key: k.cert.keyPem });
      c.write('c');
      await readBytes(c, 1);
      const r = seen[i]!.server!;
      expect(r.verifyError).toBe(k.verifyError);
      expect(r.peerCertificates.length).toBe(1);
      expect(new X509Certificate(r.peerCertificates[0]!).subject).toBe(`CN=${k.cn}`);
      c.destroy();
      await seen[i]!.closed;
    }
    // No certificate at all: none reported, nothing to verify.
    const c = await connectClient(door.port);
    c.write('n');
    await readBytes(c, 1);
    expect(seen[3]!.server).toMatchObject({ peerCertificates: [], verifyError: null });
    c.destroy();
    await door.close();
    await engine.close();
  });

  test('refuses an engine whose certificate has another name or another issuer', async () => {
    const cases = [
      { cert: engineCa.server('someone-else.link.test'), code: 'HOSTNAME_MISMATCH' },
      { cert: testCa('/CN=impostor CA').server(ENGINE_NAME), code: 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY' },
    ];
    for (const k of cases) {
      const path = join(dir, `engine-${n++}.sock`);
      const engine = await startEngine(path, { tls: { cert: k.cert.certPem, key: k.cert.keyPem }, onStream: (s) => s.pipe(s) });
      let failure!: Promise<unknown>;
      const door = await startFrontDoor(dp, path, (s) => {
        failure = (async () => {
          await s.engineConnected;
          s.engine.write(PREAMBLE);
          return s.startClientTls(clientCtx());
        })().then(
          () => null,
          (e: unknown) => e,
        );
        void failure.then(() => s.close('test done'));
      });
      const c = net.connect(door.port, '127.0.0.1');
      await new Promise((r) => c.once('connect', r));
      while (!failure) await new Promise((r) => setImmediate(r));
      expect(await failure).toMatchObject({ code: k.code, message: expect.stringMatching(/engine certificate verification failed/) });
      c.destroy();
      await door.close();
      await engine.close();
    }
  });

  test('relays 50 MB each way byte for byte', async () => {
    const { path, engine } = await tlsEngine((s) => s.pipe(s));
    const seen: Seen[] = [];
    const door = await startFrontDoor(dp, path, (s) => tlsFrontDoorSession(s, serverCtx(), clientCtx(), seen));
    const c = await connectClient(door.port);
    const total = 50 * 1024 * 1024;
    const sent = createHash('sha256');
    const got = createHash('sha256');
    let received = 0;
    const done = new Promise<void>((resolve) =>
      c.on('data', (d: Buffer) => {
        got.update(d);
        received += d.length;
        if (received >= total) resolve();
      }),
    );
    const block = randomBytes(1024 * 1024);
    for (let i = 0; i < 50; i++) {
      const chunk = Buffer.from(block);
      chunk.writeUInt32LE(i, 0);
      sent.update(chunk);
      if (!c.write(chunk)) await new Promise((r) => c.once('drain', r));
    }
    await done;
    expect(received).toBe(total);
    expect(got.digest('hex')).toBe(sent.digest('hex'));
    const stats = dp.stats().loops.reduce((a, l) => a + l.relayedClientToEngine, 0);
    expect(stats).toBeGreaterThanOrEqual(total);
    c.destroy();
    await seen[0]!.closed;
    await door.close();
    await engine.close();
  }, 120_000);
});
