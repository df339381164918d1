import { describe, expect, it } from 'vitest';
import { CLIENT_SSL, withoutCap } from '../../../src/protocol/capabilities.js';
import { encodeSslRequest, isSslRequest, parseSslRequest } from '../../../src/protocol/ssl-request.js';
import { PacketError } from '../../../src/protocol/wire.js';
import { payloadOf } from '../../fixtures/protocol/captured.js';
import {
  RESPONSE_MARIADB_CLI,
  RESPONSE_MYSQL2,
  RESPONSE_PYMYSQL_LIKE_MINIMAL,
  SSL_REQUEST_MARIADB_CLI,
  SSL_REQUEST_MYSQL2,
} from '../../fixtures/protocol/client-packets.js';
import { expectEveryPrefixRejectedOrExact } from './prefixes.js';

describe('SSLRequest', () => {
  it('decodes the `mariadb` CLI SSLRequest, including MariaDB extended capabilities', () => {
    expect(parseSslRequest(payloadOf(SSL_REQUEST_MARIADB_CLI))).toMatchObject({
      kind: 'ssl-request',
      capabilityFlags: 0x00bf_aa8c,
      maxPacketSize: 1024 * 1024,
      characterSet: 33,
      mariadbExtendedCapabilities: 0x1d,
    });
  });

  it('decodes the mysql2 SSLRequest (max packet 0, collation 224)', () => {
    expect(parseSslRequest(payloadOf(SSL_REQUEST_MYSQL2))).toMatchObject({
      capabilityFlags: 0x08ba_fbce,
      maxPacketSize: 0,
      characterSet: 224,
      mariadbExtendedCapabilities: 0x08,
    });
  });

  it.each([SSL_REQUEST_MARIADB_CLI, SSL_REQUEST_MYSQL2])('re-encodes a captured SSLRequest byte for byte (%#)', (fixture) => {
    const payload = payloadOf(fixture);
    expect(encodeSslRequest(parseSslRequest(payload)).equals(payload)).toBe(true);
  });

  it('builds one from scratch with a zero filler', () => {
    const wire = encodeSslRequest({ capabilityFlags: 0x0000_8a00, maxPacketSize: 16 * 1024 * 1024, characterSet: 45 });
    expect(wire.toString('hex')).toBe('008a000000000001' + '2d' + '00'.repeat(23));
  });

  it('is told apart from a HandshakeResponse41 by length and CLIENT_SSL', () => {
    expect(isSslRequest(payloadOf(SSL_REQUEST_MARIADB_CLI))).toBe(true);
    expect(isSslRequest(payloadOf(SSL_REQUEST_MYSQL2))).toBe(true);
    for (const r of [RESPONSE_MARIADB_CLI, RESPONSE_MYSQL2, RESPONSE_PYMYSQL_LIKE_MINIMAL]) {
      expect(isSslRequest(payloadOf(r))).toBe(false);
    }
    const noSsl = payloadOf(SSL_REQUEST_MARIADB_CLI);
    noSsl.writeUInt32LE(withoutCap(noSsl.readUInt32LE(0), CLIENT_SSL), 0);
    expect(isSslRequest(noSsl)).toBe(false);
    expect(() => parseSslRequest(noSsl)).toThrow(expect.objectContaining({ reason: 'malformed' }));
    expect(isSslRequest(Buffer.alloc(0))).toBe(false);
  });

  it('rejects every truncation and any extra byte with PacketError', () => {
    const payload = payloadOf(SSL_REQUEST_MARIADB_CLI);
    expect(expectEveryPrefixRejectedOrExact(payload, parseSslRequest)).toEqual([]);
    expect(() => parseSslRequest(Buffer.concat([payload, Buffer.from([0])]))).toThrow(PacketError);
  });
});
