import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadNativeBinding, NativeLoadError, probeNativeBinding, type NativeEvent } from '../../../src/dataplane/native/native-binding.js';
import { PacketChannel } from '../../../src/protocol/packet-channel.js';
import { NativeDataplane } from '../../../src/dataplane/native/native-dataplane.js';
import type { NativeSession } from '../../../src/dataplane/native/native-session.js';
import { PREAMBLE, readBytes, startEngine, startFrontDoor, testCa, type TestCa } from '../../helpers/native-fixtures.js';

let dp: NativeDataplane;
let dir: string;
let n = 0;
let ca: TestCa;

beforeAll(() => {
  dp = new NativeDataplane({ loops: 2 });
  dir = mkdtempSync(join(tmpdir(), 'tlsql-native-relay-'));
  ca = testCa('/CN=tlsql native relay test CA');
});

afterAll(() => dp.shutdown());

/** A plain engine and a front door that greets with `greeting` from the engine, then relays. */
async function plainPair(onEngine: (s: net.Socket) => void, onSession: (s: NativeSession) => Promise<void> | void = (s) => s.relay()) {
  const path = join(dir, `engine-${n++}.sock`);
  const engine = await startEngine(path, { onStream: (s) => onEngine(s as net.Socket) });
  const sessions: NativeSession[] = [];
  const door = await startFrontDoor(dp, path, (s) => {
    sessions.push(s);
    void (async () => {
      await s.engineConnected;
      await onSession(s);
    })().catch(() => s.close('test front door failed'));
  });
  const close = async () => {
    await door.close();
    await engine.close();
  };
  return { port: door.port, sessions, engine, close };
}

function closed(s: NativeSession): Promise<string> {
  if (s.isClosed) return Promise.resolve(s.reason!);
  return new Promise((resolve) => s.once('close', (reason: string) => resolve(reason)));
}

async function connect(port: number): Promise<net.Socket> {
  const c = net.connect(port, '127.0.0.1');
  await new Promise((r) => c.once('connect', r));
  return c;
}

/** Waits for a condition of real sockets (polled on the event loop; no fixed delays). */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 20_000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function packet(seq: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUIntLE(payload.length, 0, 3);
  h[3] = seq;
  return Buffer.concat([h, payload]);
}

function query(text: string): Buffer {
  return packet(0, Buffer.concat([Buffer.from([0x03]), Buffer.from(text, 'latin1')]));
}

describe('native relay, plaintext', () => {
  test('relays small messages both ways and reports socket byte counts', async () => {
    const pair = await plainPair((e) => e.on('data', (d) => e.write(Buffer.concat([Buffer.from('re:'), d]))));
    const c = await connect(pair.port);
    c.write('one');
    expect((await readBytes(c, 6)).toString()).toBe('re:one');
    c.write('two');
    expect((await readBytes(c, 6)).toString()).toBe('re:two');
    const s = pair.sessions[0]!;
    expect(s.bytes()).toEqual({ clientIn: 6, clientOut: 12, engineIn: 12, engineOut: 6 });
    c.end();
    expect(await closed(s)).toBe('client closed');
    expect(s.bytes().clientIn).toBe(6);
    await pair.close();
  });

  test('propagates an engine close to the client, after what the engine sent last', async () => {
    const pair = await plainPair((e) => e.on('data', () => e.end('bye')));
    const c = await connect(pair.port);
    const ended = new Promise<Buffer>((resolve) => {
      const parts: Buffer[] = [];
      c.on('data', (d) => parts.push(d));
      c.on('end', () => resolve(Buffer.concat(parts)));
    });
    c.write('quit');
    expect((await ended).toString()).toBe('bye');
    expect(await closed(pair.sessions[0]!)).toBe('engine closed');
    c.destroy();
    await pair.close();
  });

  test('propagates a client close to the engine', async () => {
    let engineEnded!: () => void;
    const ended = new Promise<void>((r) => (engineEnded = r));
    const pair = await plainPair((e) => {
      e.resume();
      e.on('end', engineEnded);
    });
    const c = await connect(pair.port);
    await until(() => pair.engine.connections.length === 1, 'engine connection');
    c.end();
    await ended;
    expect(await closed(pair.sessions[0]!)).toBe('client closed');
    await pair.close();
  });

  test('bounds what it holds when the client does not read (backpressure)', async () => {
    let engineSocket!: net.Socket;
    let written = 0;
    const pair = await plainPair((e) => {
      engineSocket = e;
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += chunk.length;
          if (!e.write(chunk)) return void e.once('drain', pump);
        }
      };
      // Starts once the client speaks: the client speaks after the relay started, so every byte
      // the engine sends goes through the relay (not the login phase's window).
      e.once('data', pump);
    });
    const c = await connect(pair.port);
    await until(() => pair.sessions.length === 1, 'the session');
    await new Promise((r) => setImmediate(r));
    c.write('go');
    c.pause(); // the client reads nothing
    const s = pair.sessions[0]!;
    // The engine's writes stall once every buffer on the way is full.
    await until(() => engineSocket !== undefined && engineSocket.writableLength > 0, 'the engine to be blocked');
    let last = -1;
    await until(() => {
      const b = s.bytes();
      const stable = b.engineIn === last;
      last = b.engineIn;
      return stable && b.engineIn > 0;
    }, 'the relay to stop reading');
    const b = s.bytes();
    // In flight inside the data plane: at most its per-direction bound (64 KiB).
    expect(b.engineIn - b.clientOut).toBeLessThanOrEqual(64 * 1024);
    expect(b.engineIn).toBeLessThan(32 * 1024 * 1024);
    // Reading again drains everything.
    let got = 0;
    c.on('data', (d: Buffer) => (got += d.length));
    c.resume();
    await until(() => got === 64 * 1024 * 1024, 'all 64 MiB');
    c.destroy();
    await closed(s);
    await pair.close();
  }, 60_000);

  test('closes mid-handshake when asked, and the client sees the connection end', async () => {
    const pair = await plainPair(
      () => {},
      async (s) => {
        await readBytes(s.client, 4);
        // TLS 1.2: the client cannot finish before the server's Finished, which never comes.
        const handshake = s.startServerTls(dp.serverContext({ ...serverMaterial(), ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' }));
        handshake.catch(() => {});
        s.close('handshake timeout');
        await expect(handshake).rejects.toThrow(/session closed during the TLS handshake/);
      },
    );
    const c = await connect(pair.port);
    c.write(PREAMBLE);
    const t = tls.connect({ socket: c, servername: 'db.relay.test', ca: ca.certPem });
    let secure = false;
    t.on('secureConnect', () => (secure = true));
    t.on('error', () => {});
    await new Promise((resolve) => t.once('close', resolve));
    expect(secure).toBe(false);
    expect(await closed(pair.sessions[0]!)).toBe('handshake timeout');
    await pair.close();
  });

  test('reports a client that leaves mid-handshake as a failed handshake', async () => {
    let failure!: Promise<unknown>;
    const pair = await plainPair(
      () => {},
      async (s) => {
        await readBytes(s.client, 4);
        failure = s.startServerTls(dp.serverContext({ ...serverMaterial(), ciphers: 'TLS_AES_128_GCM_SHA256' })).catch((e: unknown) => e);
      },
    );
    const c = await connect(pair.port);
    c.write(PREAMBLE);
    c.write(Buffer.from([0x16, 0x03, 0x01, 0x00, 0x10])); // a record header and then nothing
    await until(() => failure !== undefined, 'TLS to start');
    c.destroy();
    const e = (await failure) as { code: string; message: string };
    expect(e.code).toBe('ECONNRESET');
    expect(e.message).toMatch(/client closed the connection during the TLS handshake/);
    pair.sessions[0]!.close();
    await closed(pair.sessions[0]!);
    await pair.close();
  });

  test('takes over an engine connection whose greeting JavaScript already read', async () => {
    const path = join(dir, `engine-${n++}.sock`);
    const engine = await startEngine(path, {
      onStream: (e) => {
        e.write('GREETING');
        e.on('data', (d: Buffer) => e.write(Buffer.concat([Buffer.from('re:'), d])));
      },
    });
    // The spare's way: connect, read the greeting, keep the socket.
    const spare = net.connect(path);
    expect((await readBytes(spare, 8)).toString()).toBe('GREETING');
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const sessions: NativeSession[] = [];
    server.on('connection', (socket) => {
      const s = dp.openSession(socket, spare);
      sessions.push(s);
      s.engineConnected.then(() => s.relay(), () => s.close());
    });
    const c = await connect((server.address() as net.AddressInfo).port);
    c.write('hi');
    expect((await readBytes(c, 5)).toString()).toBe('re:hi');
    expect(spare.destroyed).toBe(true);
    c.destroy();
    await closed(sessions[0]!);
    await new Promise((r) => server.close(r));
    await engine.close();
  });

  test('the login code reads packets from a side stream and hands the remainder on (PacketChannel)', async () => {
    const engineGot: Buffer[] = [];
    let seen!: { seq: number; payload: Buffer };
    const pair = await plainPair(
      (e) => e.on('data', (d: Buffer) => engineGot.push(d)),
      async (s) => {
        const ch = new PacketChannel(s.client, 1024);
        seen = await ch.read();
        s.relay({ clientPending: ch.release() });
      },
    );
    const c = await connect(pair.port);
    // One packet and, in the same write, bytes that belong to the relay.
    c.write(Buffer.concat([packet(1, Buffer.from('login')), Buffer.from('pipelined')]));
    await until(() => Buffer.concat(engineGot).length === 9, 'the pipelined bytes at the engine');
    expect(seen).toEqual({ seq: 1, payload: Buffer.from('login') });
    expect(Buffer.concat(engineGot).toString()).toBe('pipelined');
    c.destroy();
    await closed(pair.sessions[0]!);
    await pair.close();
  });

  test('reports an engine that is not there', async () => {
    const sessions: NativeSession[] = [];
    const door = await startFrontDoor(dp, join(dir, 'nobody.sock'), (s) => sessions.push(s));
    const c = await connect(door.port);
    await until(() => sessions.length === 1, 'the session');
    await expect(sessions[0]!.engineConnected).rejects.toMatchObject({ code: 'ENOENT' });
    sessions[0]!.close();
    await closed(sessions[0]!);
    c.destroy();
    await door.close();
  });
});

describe('native relay, inspected client -> engine direction', () => {
  test('holds a matching COM_QUERY until answered; others and large packets stream', async () => {
    const engineGot: Buffer[] = [];
    let engineBytes = 0;
    const pair = await plainPair(
      (e) =>
        e.on('data', (d: Buffer) => {
          engineGot.push(d);
          engineBytes += d.length;
        }),
      (s) => s.relay({ inspect: { keywords: ['AWSAuthenticationPlugin', 'grant'] } }),
    );
    const c = await connect(pair.port);
    const s = pair.sessions[0]!;
    const held: { packet: Buffer; partial: boolean }[] = [];
    await until(() => pair.sessions.length === 1, 'the session');
    s.on('inspect', (packet: Buffer, partial: boolean) => held.push({ packet, partial }));

    // Not matching: straight through.
    const plain = query('SELECT 1');
    c.write(plain);
    await until(() => engineBytes === plain.length, 'the plain query');
    // Matching (case-insensitive): held, replaced.
    const matching = query("CREATE USER x IDENTIFIED WITH awsauthenticationplugin AS 'RDS'");
    c.write(matching);
    await until(() => held.length === 1, 'the held query');
    expect(held[0]).toEqual({ packet: matching, partial: false });
    expect(engineBytes).toBe(plain.length);
    const replacement = query('CREATE USER x');
    s.inspectDone(replacement, true);
    await until(() => engineBytes === plain.length + replacement.length, 'the replacement');
    // holdNext: the next command is held whatever it is.
    const ping = packet(0, Buffer.from([0x0e]));
    c.write(ping);
    await until(() => held.length === 2, 'the command after holdNext');
    expect(held[1]).toEqual({ packet: ping, partial: false });
    s.inspectDone(ping, false);
    // Larger than 64 KiB: streams even with the keyword.
    const big = query(`SELECT '${'g'.repeat(70 * 1024)}' -- GRANT`);
    c.write(big);
    const before = plain.length + replacement.length + ping.length;
    await until(() => engineBytes === before + big.length, 'the large query');
    expect(held.length).toBe(2);
    expect(Buffer.concat(engineGot)).toEqual(Buffer.concat([plain, replacement, ping, big]));
    c.destroy();
    await closed(s);
    await pair.close();
  });

  test('holds the header of a large command after holdNext, then streams it', async () => {
    const engineGot: Buffer[] = [];
    let engineBytes = 0;
    const pair = await plainPair(
      (e) =>
        e.on('data', (d: Buffer) => {
          engineGot.push(d);
          engineBytes += d.length;
        }),
      (s) => s.relay({ inspect: { keywords: ['grant'] } }),
    );
    const c = await connect(pair.port);
    await until(() => pair.sessions.length === 1, 'the session');
    const s = pair.sessions[0]!;
    const held: { packet: Buffer; partial: boolean }[] = [];
    s.on('inspect', (p: Buffer, partial: boolean) => held.push({ packet: p, partial }));
    const grant = query('GRANT ALL ON *.* TO x');
    c.write(grant);
    await until(() => held.length === 1, 'the grant');
    s.inspectDone(grant, true);
    const big = query(`SELECT '${'b'.repeat(100 * 1024)}'`);
    c.write(big);
    await until(() => held.length === 2, 'the large command header');
    expect(held[1]).toEqual({ packet: big.subarray(0, 4), partial: true });
    // The grant may still be on its way to the engine socket; once it is there, nothing of the held command is.
    await until(() => engineBytes >= grant.length, 'the grant at the engine');
    expect(engineBytes).toBe(grant.length);
    s.inspectDone(Buffer.alloc(0), false);
    await until(() => engineBytes === grant.length + big.length, 'the large command');
    expect(Buffer.concat(engineGot)).toEqual(Buffer.concat([grant, big]));
    c.destroy();
    await closed(s);
    await pair.close();
  });
});

describe('native session switching', () => {
  test('bytes in flight to JavaScript when the relay starts come back ahead of newer ones', async () => {
    // Drives the addon directly, so the switch can name an offset behind what was delivered.
    const binding = loadNativeBinding();
    const events: NativeEvent[] = [];
    let wake = () => {};
    const raw = new binding.Dataplane({ loops: 1 }, (batch) => {
      events.push(...batch);
      wake();
    });
    const next = async (pred: (e: NativeEvent) => boolean) => {
      for (;;) {
        const e = events.find(pred);
        if (e) return e;
        await new Promise<void>((r) => (wake = r));
      }
    };
    const engineGot: Buffer[] = [];
    const path = join(dir, `engine-${n++}.sock`);
    const engine = await startEngine(path, { onStream: (s) => s.on('data', (d: Buffer) => engineGot.push(d)) });
    const server = net.createServer({ pauseOnConnect: true });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const c = await connect((server.address() as net.AddressInfo).port);
    const sock = await accepted;
    const id = raw.openSession((sock as unknown as { _handle: { fd: number } })._handle.fd, path);
    sock.destroy();
    await next((e) => e.type === 'connected');
    c.write('AAAA');
    const first = (await next((e) => e.type === 'data')) as { data: Buffer };
    expect(first.data.toString()).toBe('AAAA');
    // JavaScript says it has seen 2 bytes: the other 2 are "in flight" and must be fed back.
    raw.relay(id, { clientPending: Buffer.from('AA'), enginePending: Buffer.alloc(0), clientReceived: 2, engineReceived: 0, inspect: false, keywords: [] });
    c.write('BBBB'); // must not overtake the bytes owed
    raw.feed(id, 0, Buffer.from('AA'));
    await until(() => Buffer.concat(engineGot).length === 8, 'all bytes at the engine');
    expect(Buffer.concat(engineGot).toString()).toBe('AAAABBBB');
    c.destroy();
    await next((e) => e.type === 'close');
    raw.shutdown();
    await new Promise((r) => server.close(r));
    await engine.close();
  });
});

describe('native data plane settings', () => {
  test('busy polling is set on every loop and shown in the stats', () => {
    dp.setBusyPollMicros(150);
    expect(dp.stats().loops.map((l) => l.busyPollMicros)).toEqual([150, 150]);
    dp.setBusyPollMicros(0);
    expect(dp.stats()).toMatchObject({ loaded: true, opensslVersion: expect.stringMatching(/^OpenSSL 3\./) });
    expect(dp.stats().loops.every((l) => l.busyPollMicros === 0)).toBe(true);
  });
});

describe('native contexts and loading', () => {
  test('a server context with a key that does not match its certificate throws', () => {
    const a = ca.server('a.relay.test');
    const b = ca.server('b.relay.test');
    expect(() => dp.serverContext({ certChainPem: a.certPem, keyPem: b.keyPem, ciphers: 'TLS_AES_128_GCM_SHA256' })).toThrow(/private key does not match the certificate/);
    expect(() => dp.clientContext({ caPem: ca.certPem, servername: 'e', ciphers: 'TLS_AES_128_GCM_SHA256', certPem: a.certPem, keyPem: b.keyPem })).toThrow(/private key does not match the certificate/);
  });

  test('a context with no usable cipher or an unknown version throws', () => {
    const a = ca.server('a.relay.test');
    expect(() => dp.serverContext({ certChainPem: a.certPem, keyPem: a.keyPem, ciphers: 'NOPE-CIPHER' })).toThrow(/invalid cipher list/);
    expect(() => dp.serverContext({ certChainPem: a.certPem, keyPem: a.keyPem, ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'SSLv3' })).toThrow(/unknown TLS version/);
  });

  test('the load state is reported without throwing', () => {
    expect(probeNativeBinding()).toMatchObject({ loaded: true, opensslVersion: expect.stringMatching(/^OpenSSL 3\./) });
  });

  test('a missing build says how to build it', () => {
    let err: unknown;
    try {
      loadNativeBinding([join(dir, 'missing', 'tlsql_dataplane.node')]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NativeLoadError);
    expect((err as Error).message).toMatch(/native data plane not built .*run npm ci .*g\+\+, make and python3/);
  });
});

function serverMaterial() {
  const m = ca.server('db.relay.test');
  return { certChainPem: m.certPem, keyPem: m.keyPem };
}
