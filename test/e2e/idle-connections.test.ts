import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseErrPacket } from '../../src/protocol/err-packet.js';
import { CLIENT_PROTOCOL_41, CLIENT_SSL } from '../../src/protocol/capabilities.js';
import { encodePacket, PACKET_HEADER_BYTES } from '../../src/protocol/framing.js';
import { encodeSslRequest } from '../../src/protocol/ssl-request.js';
import { mysql2Tls } from '../helpers/clients.js';
import { createInstance, engineAdminQuery, startTestService, type TestService } from '../helpers/service.js';

// Idle TCP sockets against an endpoint whose engine allows few connections: with the front door's
// default bounds on unauthenticated sessions (config.ts frontDoor.*PreAuth*), verified logins from
// another address all succeed while the idle sockets are held, and every idle socket turned away
// is told why (1040) and counted.
const IDLE_SOCKETS = 1000;
const MAX_CONNECTIONS = 60;
const LOGINS = 60;
/** Where the idle sockets come from; the logins come from 127.0.0.1. */
const IDLE_SOURCE = '127.0.0.2';
const SSL_REQUEST = encodeSslRequest({ capabilityFlags: (CLIENT_PROTOCOL_41 | CLIENT_SSL) >>> 0, maxPacketSize: 1 << 24, characterSet: 45 });

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;
let admin: mysql.Connection;

beforeAll(async () => {
  // The default bounds; a login bound long enough that the idle sockets still held are not ended by it during the test.
  t = await startTestService({ frontDoor: { handshakeTimeoutMs: 60_000 } });
  db = await createInstance(t, 'idle-flood');
  admin = await mysql2Tls({ ...db, ca: t.bundlePath });
  // The master user has no SUPER (as on RDS): tlsql's own account sets it.
  await engineAdminQuery(t, 'idle-flood', `SET GLOBAL max_connections = ${MAX_CONNECTIONS}`);
});

afterAll(async () => {
  await admin?.end();
  await t?.close();
});

interface Idle {
  socket: net.Socket;
  /** Packets the front door sent: sequence id and payload. */
  packets: { seq: number; payload: Buffer }[];
  closed: boolean;
}

/** A TCP connection that never sends a byte; records what it is sent. */
function idleSocket(port: number, localAddress = IDLE_SOURCE): Promise<Idle> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, localAddress });
    const idle: Idle = { socket, packets: [], closed: false };
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= PACKET_HEADER_BYTES && buf.length >= PACKET_HEADER_BYTES + buf.readUIntLE(0, 3)) {
        const n = buf.readUIntLE(0, 3);
        idle.packets.push({ seq: buf[3]!, payload: buf.subarray(PACKET_HEADER_BYTES, PACKET_HEADER_BYTES + n) });
        buf = buf.subarray(PACKET_HEADER_BYTES + n);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => (idle.closed = true));
    socket.on('connect', () => resolve(idle));
  });
}

async function metrics(): Promise<string> {
  return (await fetch(`${t.service.apiUrl}/metrics`)).text();
}

function metricValue(text: string, name: string, labels: Record<string, string>): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('idle sockets and the engine connections', () => {
  it(`lets ${LOGINS} verified logins through while ${IDLE_SOCKETS} idle sockets are held against an engine with max_connections ${MAX_CONNECTIONS}; the idle sockets turned away get 1040 and are counted`, async () => {
    const door = t.service.control.runtime.frontDoor('idle-flood')!;
    const limits = door.preAuth.limits;
    const idle: Idle[] = [];
    try {
      for (let i = 0; i < IDLE_SOCKETS; i += 100) idle.push(...(await Promise.all(Array.from({ length: 100 }, () => idleSocket(db.port)))));
      // Every idle socket beyond the per-address bound is turned away, within one grace period.
      await until('the idle sockets to be bounded', () => idle.filter((s) => !s.closed).length <= limits.maxIdlePerAddress && door.preAuth.size.idle <= limits.maxIdlePerAddress);
      // What the engine holds for them: the idle sessions, the service's own connection, the admin's.
      await until('the engine to release the turned-away sessions', async () => {
        const [[row]] = await admin.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Threads_connected'");
        return Number(row!.Value) <= limits.maxIdlePerAddress + 3;
      });

      const results = [];
      for (let i = 0; i < LOGINS; i += 10) {
        results.push(
          ...(await Promise.allSettled(
            Array.from({ length: 10 }, async () => {
              const c = await mysql2Tls({ ...db, ca: t.bundlePath });
              try {
                const [[row]] = await c.query<mysql.RowDataPacket[]>('SELECT 1 AS one');
                return row!.one as number;
              } finally {
                await c.end();
              }
            }),
          )),
        );
      }
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect(results).toHaveLength(LOGINS);

      const turnedAway = idle.filter((s) => s.closed);
      expect(turnedAway.length).toBeGreaterThanOrEqual(IDLE_SOCKETS - limits.maxIdlePerAddress);
      for (const s of turnedAway) {
        // Refused at accept: the error is the first packet (sequence 0). Evicted after the greeting: sequence 1.
        const last = s.packets.at(-1)!;
        expect(parseErrPacket(last.payload).code).toBe(1040);
        expect(last.seq).toBe(s.packets.length === 1 ? 0 : 1);
      }
      const m = await metrics();
      const refusedAtAccept = metricValue(m, 'tlsql_connection_refusals_total', { instance: 'idle-flood', reason: 'pre_auth_limit' });
      const evicted = metricValue(m, 'tlsql_connection_refusals_total', { instance: 'idle-flood', reason: 'pre_auth_idle' });
      expect(refusedAtAccept).toBeGreaterThan(0);
      expect(evicted).toBeGreaterThan(0);
      // Every one was turned away by the front door, none by the engine: the bounds kept it under max_connections.
      expect(refusedAtAccept + evicted).toBe(turnedAway.length);
      expect(metricValue(m, 'tlsql_pre_auth_sessions', { instance: 'idle-flood', state: 'idle' })).toBeLessThanOrEqual(limits.maxIdlePerAddress);
    } finally {
      for (const s of idle) s.socket.destroy();
    }
  }, 60_000);

  it('answers a mysql2 client over the per-address bound with 1040 Too many connections, and never evicts logins that progress', async () => {
    const door = t.service.control.runtime.frontDoor('idle-flood')!;
    const limits = door.preAuth.limits;
    const source = '127.0.0.3';
    const ca = readFileSync(t.bundlePath, 'utf8');
    // Clients that finished their TLS handshake (verified: chain and host name) and stall before
    // their HandshakeResponse: progressing, held until handshakeTimeoutMs.
    const stalled = await Promise.all(
      Array.from(
        { length: limits.maxSessionsPerAddress },
        () =>
          new Promise<tls.TLSSocket>((resolve, reject) => {
            const s = net.connect({ host: '127.0.0.1', port: db.port, localAddress: source });
            s.on('error', reject);
            s.once('data', () =>
              s.write(encodePacket(1, SSL_REQUEST), () => {
                const secure = tls.connect({ socket: s, ca, servername: db.host }, () => resolve(secure));
                secure.on('error', reject);
              }),
            );
          }),
      ),
    );
    try {
      await until('the stalled sessions to be progressing', () => door.preAuth.size.all - door.preAuth.size.idle >= limits.maxSessionsPerAddress);
      const err = await mysql
        .createConnection({ stream: net.connect({ host: '127.0.0.1', port: db.port, localAddress: source }), host: db.host, port: db.port, user: db.user, password: db.password, ssl: { ca: readFileSync(t.bundlePath, 'utf8'), verifyIdentity: true } })
        .then(
          (c) => (c.destroy(), null),
          (e: { errno?: number; message: string }) => e,
        );
      expect(err).toMatchObject({ errno: 1040, message: 'Too many connections' });
      expect(stalled.every((s) => !s.destroyed)).toBe(true);
      // Another address is not affected.
      const c = await mysql2Tls({ ...db, ca: t.bundlePath });
      await c.end();
    } finally {
      for (const s of stalled) s.destroy();
    }
  });

  it('counts a client that sent its SSLRequest and stalls before its TLS handshake as idle, and closes it past the idle bound', async () => {
    const door = t.service.control.runtime.frontDoor('idle-flood')!;
    const limits = door.preAuth.limits;
    const evictedBefore = metricValue(await metrics(), 'tlsql_connection_refusals_total', { instance: 'idle-flood', reason: 'pre_auth_idle' });
    const stalled: Idle[] = [];
    try {
      for (let i = 0; i < limits.maxIdlePerAddress + 4; i++) {
        const idle = await idleSocket(db.port, '127.0.0.4');
        // The SSLRequest answers the greeting; no ClientHello ever follows.
        await until('the greeting', () => idle.packets.length === 1);
        await new Promise<void>((resolve) => idle.socket.write(encodePacket(1, SSL_REQUEST), () => resolve()));
        stalled.push(idle);
      }
      await until('the stalled sessions beyond the per-address idle bound to be closed', () => stalled.filter((s) => !s.closed).length <= limits.maxIdlePerAddress);
      // Closed mid TLS handshake: no MySQL packet after the greeting (none can be sent there).
      for (const s of stalled.filter((x) => x.closed)) expect(s.packets).toHaveLength(1);
      const evicted = metricValue(await metrics(), 'tlsql_connection_refusals_total', { instance: 'idle-flood', reason: 'pre_auth_idle' });
      expect(evicted - evictedBefore).toBe(stalled.filter((s) => s.closed).length);
    } finally {
      for (const s of stalled) s.socket.destroy();
    }
  });
});
