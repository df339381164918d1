import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FrontDoor } from '../../../src/dataplane/front-door.js';
import { NativeDataplane } from '../../../src/dataplane/native/native-dataplane.js';
import { renderMetrics } from '../../../src/dataplane/metrics.js';
import { runSession } from '../../../src/dataplane/session.js';
import { tlsPolicyFor } from '../../../src/dataplane/tls-policy.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { parseErrPacket } from '../../../src/protocol/err-packet.js';
import { PACKET_HEADER_BYTES } from '../../../src/protocol/framing.js';
import { createTestPki } from '../../helpers/engine-tls.js';

// A front door whose engine socket does not exist, with sessions accepted by a plain listener
// (runSession is what FrontDoor.accept runs for every connection it lets in).
const dir = mkdtempSync(join(tmpdir(), 'tlsql-front-door-'));
const pki = createTestPki('db1.test.internal');
const dataplane = new NativeDataplane({ loops: 1 });
const door = new FrontDoor({
  instanceId: 'db1',
  addresses: [],
  port: 3306,
  engineSocketPath: join(dir, 'missing.sock'),
  certificateChainPem: pki.certPem,
  privateKeyPem: pki.keyPem,
  policy: tlsPolicyFor('10.11.19'),
  link: { caPem: pki.caPem, servername: 'db1.engine.test.internal', keyType: 'ecdsa' },
  requireSecureTransport: () => false,
  handshakeTimeoutMs: 5000,
  engineConnectTimeoutMs: 5000,
  dataplane,
  maxHandshakePacketBytes: 1 << 20,
  logger: silentLogger,
});
let listener: net.Server;
let port = 0;

beforeAll(async () => {
  listener = net.createServer({ pauseOnConnect: true }, (s) => void runSession(door, s, randomUUID()));
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  port = (listener.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await door.close();
  listener.close();
  dataplane.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** Connects and returns the first packet's payload the front door sends. */
function firstPacket(): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let buf = Buffer.alloc(0);
    s.on('error', reject);
    s.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < PACKET_HEADER_BYTES || buf.length < PACKET_HEADER_BYTES + buf.readUIntLE(0, 3)) return;
      s.destroy();
      resolve(buf.subarray(PACKET_HEADER_BYTES, PACKET_HEADER_BYTES + buf.readUIntLE(0, 3)));
    });
  });
}

const refusals = (reason: string) => Number(new RegExp(`tlsql_connection_refusals_total\\{instance="db1",reason="${reason}"\\} (\\d+)`).exec(renderMetrics(new Map([['db1', door]])))?.[1]);

describe('front door refusals', () => {
  it('answers a client with an error when the engine is unreachable, and counts it as an engine_unavailable refusal', async () => {
    expect(refusals('engine_unavailable')).toBe(0);
    const err = parseErrPacket(await firstPacket());
    expect(err.code).toBe(1105);
    expect(err.message).toContain('DB instance db1 is not available right now');
    expect(refusals('engine_unavailable')).toBe(1);
    expect(refusals('auth')).toBe(0);
  });
});
