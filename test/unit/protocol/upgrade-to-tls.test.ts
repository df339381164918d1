import net from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_SSL } from '../../../src/protocol/capabilities.js';
import { ClientError } from '../../../src/protocol/client-error.js';
import { PACKET_HEADER_BYTES, encodePacket } from '../../../src/protocol/framing.js';
import { encodeHandshakeV10, parseHandshakeV10, withCapabilities } from '../../../src/protocol/handshake-v10.js';
import { errPacketFor } from '../../../src/protocol/mysql-errors.js';
import { SSL_REQUEST_BYTES, isSslRequest } from '../../../src/protocol/ssl-request.js';
import { upgradeToTls } from '../../../src/protocol/upgrade-to-tls.js';
import { payloadOf } from '../../fixtures/protocol/captured.js';
import { GREETING_MARIADB_CLI } from '../../fixtures/protocol/server-packets.js';
import { createTestPki } from '../../helpers/engine-tls.js';

// A stand-in MySQL server: sends the greeting chosen by the test, and on a well-formed SSLRequest
// (packet 1) starts TLS with a certificate for NAME issued by the test CA.
const NAME = 'db-upgrade.test.internal';
const pki = createTestPki(NAME);
const greetingWithTls = payloadOf(GREETING_MARIADB_CLI);
const greetingWithoutTls = encodeHandshakeV10(withCapabilities(parseHandshakeV10(greetingWithTls), parseHandshakeV10(greetingWithTls).capabilityFlags & ~CLIENT_SSL));
let firstPacket = encodePacket(0, greetingWithTls);
let server: net.Server;
let port = 0;

beforeAll(async () => {
  server = net.createServer((s) => {
    s.on('error', () => {});
    s.write(firstPacket);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < PACKET_HEADER_BYTES + SSL_REQUEST_BYTES) return;
      s.off('data', onData);
      s.pause();
      const packet = buf.subarray(0, PACKET_HEADER_BYTES + SSL_REQUEST_BYTES);
      if (packet[3] !== 1 || !isSslRequest(packet.subarray(PACKET_HEADER_BYTES))) return s.destroy();
      // The ClientHello may have come in the same read; TLSSocket takes over what is buffered.
      s.unshift(buf.subarray(packet.length));
      const secure = new tls.TLSSocket(s, { isServer: true, cert: pki.certPem, key: pki.keyPem });
      secure.on('error', () => {});
    };
    s.on('data', onData);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(() => {
  server.close();
});

async function connected(): Promise<net.Socket> {
  const s = net.connect({ host: '127.0.0.1', port });
  await new Promise((r) => s.once('connect', r));
  return s;
}

const verifying = (servername: string) => ({
  servername,
  ca: pki.caPem,
  rejectUnauthorized: true,
  checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(servername, cert),
});

describe('upgradeToTls', () => {
  it('reads the greeting, sends the SSLRequest and completes a handshake that verifies chain and host name', async () => {
    firstPacket = encodePacket(0, greetingWithTls);
    const up = await upgradeToTls(await connected(), { tls: verifying(NAME), timeoutMs: 5000, where: 'test' });
    try {
      expect(up.greeting.info).toMatchObject({ serverVersion: '10.11.19-MariaDB-0+deb12u1', offersTls: true });
      expect(up.tls.error).toBeUndefined();
      expect(up.tls.socket?.authorized).toBe(true);
      expect(up.tls.socket?.getPeerCertificate().subject.CN).toBe(NAME);
    } finally {
      up.tls.socket?.destroy();
    }
  });

  it('records a certificate that does not name the host as a TLS failure after a good greeting', async () => {
    firstPacket = encodePacket(0, greetingWithTls);
    const up = await upgradeToTls(await connected(), { tls: verifying('other.test.internal'), timeoutMs: 5000, where: 'test' });
    expect(up.greeting.info?.offersTls).toBe(true);
    expect(up.tls).toMatchObject({ socket: undefined, skipped: false });
    expect(up.tls.error?.message).toMatch(/altnames/);
  });

  it('reports a server that refuses the connection with its own MySQL error and skips TLS', async () => {
    firstPacket = encodePacket(0, errPacketFor('ER_CON_COUNT_ERROR'));
    const sock = await connected();
    const up = await upgradeToTls(sock, { tls: verifying(NAME), timeoutMs: 5000, where: 'test' });
    expect(up.greeting.error).toBeInstanceOf(ClientError);
    expect((up.greeting.error as ClientError).format()).toBe('ERROR 1040 (08004): Too many connections');
    expect(up.tls).toEqual({ socket: undefined, error: undefined, skipped: true });
    expect(sock.destroyed).toBe(true);
  });

  it('sends nothing to a server that does not offer TLS and closes the socket', async () => {
    firstPacket = encodePacket(0, greetingWithoutTls);
    const sock = await connected();
    const up = await upgradeToTls(sock, { tls: verifying(NAME), timeoutMs: 5000, where: 'test' });
    expect(up.greeting.info?.offersTls).toBe(false);
    expect(up.tls).toEqual({ socket: undefined, error: undefined, skipped: true });
    expect(sock.destroyed).toBe(true);
  });
});
