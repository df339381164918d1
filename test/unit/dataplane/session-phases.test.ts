import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrontDoor } from '../../../src/dataplane/front-door.js';
import { NativeDataplane } from '../../../src/dataplane/native/native-dataplane.js';
import { runSession } from '../../../src/dataplane/session.js';
import { tlsPolicyFor } from '../../../src/dataplane/tls-policy.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { parseErrPacket } from '../../../src/protocol/err-packet.js';
import { encodePacket, PACKET_HEADER_BYTES } from '../../../src/protocol/framing.js';
import { parseHandshakeV10 } from '../../../src/protocol/handshake-v10.js';
import { payloadOf } from '../../fixtures/protocol/captured.js';
import { GREETING_MARIADB_CLI } from '../../fixtures/protocol/server-packets.js';
import { createTestPki } from '../../helpers/engine-tls.js';

// Each phase of a session (session.ts) against stand-in engines on unix sockets: one that greets
// and then only listens, one that accepts and never greets. Bounds are short so the phases' own
// timeouts are what ends the sessions under test.
const dir = mkdtempSync(join(tmpdir(), 'tlsql-session-phases-'));
const pki = createTestPki('db1.test.internal');
const dataplane = new NativeDataplane({ loops: 1 });
const greeting = payloadOf(GREETING_MARIADB_CLI);
/** What the greeting engine received from each connection, in order. */
const engineReceived: Buffer[] = [];
const engines: net.Server[] = [];
const listeners: net.Server[] = [];

function door(name: string, o: { handshakeTimeoutMs?: number; engineConnectTimeoutMs?: number } = {}): FrontDoor {
  return new FrontDoor({
    instanceId: 'db1',
    addresses: [],
    port: 3306,
    engineSocketPath: join(dir, name),
    certificateChainPem: pki.certPem,
    privateKeyPem: pki.keyPem,
    policy: tlsPolicyFor('10.11.19'),
    link: { caPem: pki.caPem, servername: 'db1.engine.test.internal', keyType: 'ecdsa' },
    requireSecureTransport: () => false,
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 5000,
    engineConnectTimeoutMs: o.engineConnectTimeoutMs ?? 5000,
    maxHandshakePacketBytes: 1 << 16,
    dataplane,
    logger: silentLogger,
  });
}

async function listen(server: net.Server, where: string | number): Promise<number> {
  await new Promise<void>((r) => (typeof where === 'string' ? server.listen(where, r) : server.listen(where, '127.0.0.1', r)));
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

/** A listener running every accepted connection as a session of `d`. */
async function endpoint(d: FrontDoor): Promise<number> {
  const l = net.createServer({ pauseOnConnect: true }, (s) => void runSession(d, s, randomUUID()));
  listeners.push(l);
  return listen(l, 0);
}

/** Connects, optionally writes `send` after the greeting, and collects what the front door sends until it closes. */
function converse(port: number, send?: Buffer): Promise<{ packets: Buffer[]; seqs: number[]; closed: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    const packets: Buffer[] = [];
    const seqs: number[] = [];
    s.on('error', () => {});
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= PACKET_HEADER_BYTES && buf.length >= PACKET_HEADER_BYTES + buf.readUIntLE(0, 3)) {
        const n = buf.readUIntLE(0, 3);
        packets.push(buf.subarray(PACKET_HEADER_BYTES, PACKET_HEADER_BYTES + n));
        seqs.push(buf[3]!);
        buf = buf.subarray(PACKET_HEADER_BYTES + n);
        if (packets.length === 1 && send) s.write(send);
      }
    });
    s.on('close', () => resolve({ packets, seqs, closed: true }));
  });
}

beforeAll(async () => {
  const greeter = net.createServer((s) => {
    const got: Buffer[] = [];
    s.on('data', (d: Buffer) => got.push(d));
    s.on('close', () => engineReceived.push(Buffer.concat(got)));
    s.on('error', () => {});
    s.write(encodePacket(0, greeting));
  });
  const mute = net.createServer((s) => s.on('error', () => {}));
  engines.push(greeter, mute);
  await listen(greeter, join(dir, 'greeter.sock'));
  await listen(mute, join(dir, 'mute.sock'));
});

afterAll(async () => {
  for (const l of [...listeners, ...engines]) l.close();
  dataplane.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe('session phases', () => {
  it('engine: a greeting that never comes ends the session with 1105 after engineConnectTimeoutMs', async () => {
    const d = door('mute.sock', { engineConnectTimeoutMs: 300 });
    const r = await converse(await endpoint(d));
    expect(r.packets).toHaveLength(1);
    const err = parseErrPacket(r.packets[0]!);
    expect(err.code).toBe(1105);
    expect(err.message).toContain('DB instance db1 is not available right now');
    expect(r.seqs).toEqual([0]); // the first packet the server sends
    expect(d.stats.refusals.get('engine_unavailable')).toBe(1);
  });

  it("greet: the client gets the engine's greeting with CLIENT_SSL offered, thread id and scramble unchanged; the engine gets the PROXY v2 header first", async () => {
    const d = door('greeter.sock', { handshakeTimeoutMs: 300 });
    const before = engineReceived.length;
    const r = await converse(await endpoint(d));
    const sent = parseHandshakeV10(greeting);
    const got = parseHandshakeV10(r.packets[0]!);
    expect(got.connectionId).toBe(sent.connectionId);
    expect(got.authPluginData).toEqual(sent.authPluginData);
    expect(got.capabilityFlags & 0x800).toBe(0x800); // CLIENT_SSL
    while (engineReceived.length === before) await new Promise((res) => setTimeout(res, 10));
    expect(engineReceived[before]!.subarray(0, 12).toString('hex')).toBe('0d0a0d0a000d0a515549540a'); // PROXY v2 signature
  });

  it('transport: a client silent after the greeting is answered 1159 (ER_NET_READ_INTERRUPTED) at handshakeTimeoutMs, then closed', async () => {
    const d = door('greeter.sock', { handshakeTimeoutMs: 300 });
    const r = await converse(await endpoint(d));
    expect(r.closed).toBe(true);
    expect(r.packets).toHaveLength(2);
    expect(parseErrPacket(r.packets[1]!).code).toBe(1159);
    expect(r.seqs).toEqual([0, 1]);
    expect(d.sessions.size).toBe(0);
  });

  it('login: a malformed HandshakeResponse is answered 1043 (ER_HANDSHAKE_ERROR) with the next sequence id', async () => {
    const d = door('greeter.sock');
    const r = await converse(await endpoint(d), encodePacket(1, Buffer.from([0x01, 0x02])));
    expect(r.packets).toHaveLength(2);
    expect(parseErrPacket(r.packets[1]!).code).toBe(1043);
    expect(r.seqs).toEqual([0, 2]);
  });

  it("login: an oversized packet is answered 1153 with the sequence id after the client's (as announced in its header)", async () => {
    const d = door('greeter.sock');
    const r = await converse(await endpoint(d), Buffer.from([0x00, 0x00, 0x10, 0x01]));
    expect(parseErrPacket(r.packets[1]!).code).toBe(1153);
    expect(r.seqs).toEqual([0, 2]);
    const odd = await converse(await endpoint(d), Buffer.from([0x00, 0x00, 0x10, 0x07]));
    expect(odd.seqs).toEqual([0, 8]);
  });

  it('transport: a packet cut short is answered 1159 at handshakeTimeoutMs with the sequence id after its own', async () => {
    const d = door('greeter.sock', { handshakeTimeoutMs: 300 });
    const r = await converse(await endpoint(d), Buffer.concat([Buffer.from([100, 0, 0, 1]), Buffer.alloc(10, 7)]));
    expect(parseErrPacket(r.packets[1]!).code).toBe(1159);
    expect(r.seqs).toEqual([0, 2]);
  });
});
