import { spawn } from 'node:child_process';
import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/protocol/framing.js';
import { encodeSslRequest } from '../../src/protocol/ssl-request.js';
import { CLIENT_PLUGIN_AUTH, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_SSL } from '../../src/protocol/capabilities.js';
import { encodeHandshakeResponse } from '../../src/protocol/handshake-response.js';
import { mysql2Tls } from '../helpers/clients.js';
import { createInstance, startTestService, type TestService } from '../helpers/service.js';

let t: TestService;
let db: Awaited<ReturnType<typeof createInstance>>;
let survivor: mysql.Connection;

beforeAll(async () => {
  t = await startTestService({ frontDoor: { handshakeTimeoutMs: 700, engineConnectTimeoutMs: 2000, maxHandshakePacketBytes: 64 * 1024 } });
  db = await createInstance(t, 'tough');
  survivor = await mysql2Tls({ ...db, ca: t.bundlePath });
});

afterAll(async () => {
  await survivor?.end();
  await t?.close();
});

/** Opens a raw TCP connection, waits for the greeting, runs `act`, and collects what comes back until close. */
async function raw(act: (s: net.Socket) => void): Promise<Buffer> {
  const s = net.connect({ host: '127.0.0.1', port: db.port });
  const chunks: Buffer[] = [];
  let greeted = false;
  return new Promise((resolve) => {
    s.on('data', (d) => {
      if (!greeted) {
        greeted = true;
        act(s);
        return;
      }
      chunks.push(d);
    });
    s.on('error', () => {});
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

/**
 * `openssl s_client -starttls mysql -tls1_2` with chain and host name verification; once the
 * handshake is done, sends `R` (renegotiate) and collects everything until s_client exits (or 10 s pass).
 */
function sClientRenegotiate(host: string, port: number, caFile: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('openssl', ['s_client', '-starttls', 'mysql', '-tls1_2', '-connect', `127.0.0.1:${port}`, '-servername', host, '-CAfile', caFile, '-verify_hostname', host, '-verify_return_error', '-msg'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && /Verify return code: 0 \(ok\)[\s\S]*---\n/.test(stdout)) {
        sent = true;
        p.stdin.write('R\n');
        // Give the server time to answer, then end the session from our side if it is still open.
        setTimeout(() => p.stdin.end(), 1500);
      }
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function errCode(reply: Buffer): number | null {
  // header (4) + 0xff + code LE16
  return reply.length >= 7 && reply[4] === 0xff ? reply.readUInt16LE(5) : null;
}

describe('front door under bad input', () => {
  it('answers an oversized handshake packet with error 1153 at once', async () => {
    const reply = await raw((s) => s.write(Buffer.from([0x00, 0x00, 0x10, 0x01])));
    expect(errCode(reply)).toBe(1153);
  });

  it('answers a truncated packet with error 1159 when the handshake timeout passes', async () => {
    const reply = await raw((s) => s.write(Buffer.concat([Buffer.from([100, 0, 0, 1]), Buffer.alloc(10, 7)])));
    expect(errCode(reply)).toBe(1159);
  });

  it('answers an unparseable HandshakeResponse with 1043 Bad handshake', async () => {
    const reply = await raw((s) => s.write(encodePacket(1, Buffer.from([1, 2, 3]))));
    expect(errCode(reply)).toBe(1043);
  });

  it('closes a session whose client sends SSLRequest and then no TLS, and one that sends garbage instead of a ClientHello', async () => {
    const ssl = encodeSslRequest({ capabilityFlags: (CLIENT_PROTOCOL_41 | CLIENT_SSL) >>> 0, maxPacketSize: 1 << 24, characterSet: 45 });
    const before = t.service.control.runtime.frontDoor('tough')!.counters.tlsHandshakeFailures;
    await raw((s) => s.write(encodePacket(1, ssl)));
    await raw((s) => s.write(Buffer.concat([encodePacket(1, ssl), Buffer.from('this is not a TLS record at all\r\n')])));
    expect(t.service.control.runtime.frontDoor('tough')!.counters.tlsHandshakeFailures).toBe(before + 2);
  });

  it('ends a login that stalls after the engine asked for an auth switch, so it cannot hold an engine connection', async () => {
    const door = t.service.control.runtime.frontDoor('tough')!;
    const sessionsBefore = door.sessions.size;
    // A plaintext HandshakeResponse for 'admin' claiming a plugin the account does not use: MariaDB
    // answers with an AuthSwitchRequest (0xfe) on the byte pipe, and this client never replies.
    const response = encodeHandshakeResponse({
      capabilityFlags: (CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH) >>> 0,
      maxPacketSize: 1 << 24,
      characterSet: 45,
      usernameBytes: Buffer.from('admin'),
      authResponse: Buffer.alloc(0),
      databaseBytes: null,
      authPluginName: 'dialog',
    });
    const started = performance.now();
    const reply = await raw((s) => s.write(encodePacket(1, response)));
    const elapsed = performance.now() - started;
    expect(reply[4]).toBe(0xfe); // the engine's AuthSwitchRequest reached the client
    expect(elapsed).toBeGreaterThanOrEqual(500); // closed by the login timer (700 ms from accept), not at once
    expect(door.sessions.size).toBe(sessionsBefore);
  });

  it('fails the TLS handshake for a client that only accepts TLS 1.0, without affecting the listener', async () => {
    const ssl = encodeSslRequest({ capabilityFlags: (CLIENT_PROTOCOL_41 | CLIENT_SSL) >>> 0, maxPacketSize: 1 << 24, characterSet: 45 });
    const err = await new Promise<Error>((resolve) => {
      const s = net.connect({ host: '127.0.0.1', port: db.port });
      s.once('data', () => {
        s.write(encodePacket(1, ssl));
        const tlsSock = tls.connect({ socket: s, servername: db.host, ca: readFileSync(t.bundlePath), minVersion: 'TLSv1', maxVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' });
        tlsSock.once('error', resolve);
        tlsSock.once('secureConnect', () => resolve(new Error('unexpectedly connected')));
      });
    });
    expect(err.message).toMatch(/protocol version|unsupported protocol|alert/i);
  });

  it('counts a client that resets mid TLS handshake as an abort, logged at debug only, not as a refusal or an error', async () => {
    const door = t.service.control.runtime.frontDoor('tough')!;
    // Sessions of earlier tests end (and count) first: only the survivor's is left.
    for (const deadline = Date.now() + 5000; door.sessions.size > 1 && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
    expect(door.sessions.size).toBe(1);
    const before = { aborts: door.counters.tlsHandshakeAborts, failures: door.counters.tlsHandshakeFailures, policy: door.stats.refusals.get('tls_policy') };
    const from = t.logs.length;
    const ssl = encodeSslRequest({ capabilityFlags: (CLIENT_PROTOCOL_41 | CLIENT_SSL) >>> 0, maxPacketSize: 1 << 24, characterSet: 45 });
    const resetAfterClientHello = () =>
      new Promise<void>((resolve) => {
        const s = net.connect({ host: '127.0.0.1', port: db.port, localAddress: '127.0.0.5' });
        s.on('error', () => {});
        s.once('data', () => {
          s.write(encodePacket(1, ssl));
          // A real ClientHello goes out; the server's answer is never given to the TLS client, so the
          // server is left mid-handshake (waiting for the client's Finished) when the reset comes.
          const toServer = new Duplex({ read() {}, write: (chunk: Buffer, _enc, cb) => void s.write(chunk, cb) });
          const c = tls.connect({ socket: toServer, servername: db.host, ca: readFileSync(t.bundlePath) });
          c.on('error', () => {});
          s.once('data', () => {
            s.resetAndDestroy();
            c.destroy();
            resolve();
          });
        });
      });
    for (let i = 0; i < 3; i++) await resetAfterClientHello();
    const deadline = Date.now() + 5000;
    while (door.counters.tlsHandshakeAborts < before.aborts + 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(door.counters.tlsHandshakeAborts).toBe(before.aborts + 3);
    expect(door.counters.tlsHandshakeFailures).toBe(before.failures);
    expect(door.stats.refusals.get('tls_policy')).toBe(before.policy);
    const lines = t.logs.slice(from).map((l) => JSON.parse(l) as { level: string; msg: string; client?: string });
    // One line for the three (the refusal log's interval), at debug.
    expect(lines.filter((l) => l.client === '127.0.0.5' && l.msg !== 'session closed')).toEqual([expect.objectContaining({ level: 'debug', msg: 'client left during the TLS handshake', reason: 'ECONNRESET' })]);
    expect(lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    const m = await (await fetch(`${t.service.apiUrl}/metrics`)).text();
    expect(m).toContain(`tlsql_tls_handshake_aborts_total{instance="tough"} ${before.aborts + 3}`);
  });

  it('logs a burst of refusals from one address once, and counts the rest for a summary line', async () => {
    const door = t.service.control.runtime.frontDoor('tough')!;
    const from = t.logs.length;
    const suppressed = door.refusalLog.suppressedTotal;
    const replies = await Promise.all(Array.from({ length: 20 }, () => raw((s) => s.write(encodePacket(1, Buffer.from([9, 9, 9]))))));
    expect(replies.map(errCode)).toEqual(Array(20).fill(1043));
    const refusedLines = t.logs.slice(from).filter((l) => l.includes('"msg":"connection refused"') && l.includes('malformed packet'));
    // One line at most: an earlier test of this file may have logged the first of this interval.
    expect(refusedLines.length).toBeLessThanOrEqual(1);
    expect(door.refusalLog.suppressedTotal - suppressed).toBeGreaterThanOrEqual(19);
    door.refusalLog.flush();
    expect(t.logs.slice(from).some((l) => l.includes('"msg":"connection refused (repeated)"') && l.includes('"client":"127.0.0.1"'))).toBe(true);
  });

  it('refuses client-initiated renegotiation before login (openssl s_client -starttls mysql -tls1_2, then R), and keeps serving', async () => {
    const r = await sClientRenegotiate(db.host, db.port, t.bundlePath);
    expect(r.stderr).toContain('RENEGOTIATING'); // the first handshake verified, and R was sent
    const afterFirst = r.stdout.slice(r.stdout.indexOf('Verify return code: 0 (ok)'));
    // The server answers the new ClientHello with the no_renegotiation alert: no second handshake.
    expect(afterFirst).toContain('ClientHello');
    expect(afterFirst).toMatch(/<<< TLS 1\.2, Alert \[length 0002\], warning no_renegotiation/);
    expect(afterFirst).not.toContain('ServerHello');
    expect(r.stderr).toMatch(/no renegotiation/);
    expect(r.code).not.toBe(0);
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    await c.end();
  });

  it('refuses client-initiated renegotiation after login, over TLS 1.2 from mysql2, and keeps serving', async () => {
    const c = await mysql2Tls({ ...db, ca: t.bundlePath, tls: { maxVersion: 'TLSv1.2' } });
    const stream = (c as unknown as { connection: { stream: tls.TLSSocket } }).connection.stream;
    expect(stream.getProtocol()).toBe('TLSv1.2');
    const err = await new Promise<Error | null>((resolve) => {
      stream.once('error', resolve);
      const started = stream.renegotiate({ rejectUnauthorized: true }, (e) => resolve(e ?? null));
      if (!started) resolve(new Error('renegotiate() did not start'));
    });
    expect(err?.message).toMatch(/no renegotiation/i);
    c.destroy();
    const [rows] = await survivor.query<mysql.RowDataPacket[]>('SELECT 1 AS ok');
    expect(rows[0]!.ok).toBe(1);
  });

  it('keeps the established session and new sessions working after all of that, and never logs the password', async () => {
    const [rows] = await survivor.query<mysql.RowDataPacket[]>('SELECT 1 AS ok');
    expect(rows[0]!.ok).toBe(1);
    const c = await mysql2Tls({ ...db, ca: t.bundlePath });
    await c.end();
    const logs = t.logs.join('\n');
    expect(logs).not.toContain(db.password);
    expect(logs).toMatch(/oversized packet during handshake/);
    expect(logs).toMatch(/handshake not finished within 700 ms/);
  });
});
