import { describe, expect, it } from 'vitest';
import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_MYSQL,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  CLIENT_SSL,
  hasCap,
  withoutCap,
} from '../../../src/protocol/capabilities.js';
import {
  decodeConnectAttributes,
  encodeConnectAttributes,
  encodeHandshakeResponse,
  parseHandshakeResponse,
} from '../../../src/protocol/handshake-response.js';
import { parseSslRequest } from '../../../src/protocol/ssl-request.js';
import { PacketError } from '../../../src/protocol/wire.js';
import { payloadOf, type CapturedPacket } from '../../fixtures/protocol/captured.js';
import {
  RESPONSE_MARIADB_CLI,
  RESPONSE_MARIADB_NPM,
  RESPONSE_MARIADB_NPM_ED25519,
  RESPONSE_MYSQL2,
  RESPONSE_MYSQL2_NO_DB,
  RESPONSE_PYMYSQL_LIKE,
  RESPONSE_PYMYSQL_LIKE_MINIMAL,
  SSL_REQUEST_MARIADB_CLI,
} from '../../fixtures/protocol/client-packets.js';
import { mysql2ParseHandshakeResponse } from './mysql2-reference.js';
import { expectEveryPrefixRejectedOrExact } from './prefixes.js';

const all: Record<string, CapturedPacket> = {
  RESPONSE_MARIADB_CLI,
  RESPONSE_MARIADB_NPM,
  RESPONSE_MARIADB_NPM_ED25519,
  RESPONSE_MYSQL2,
  RESPONSE_MYSQL2_NO_DB,
  RESPONSE_PYMYSQL_LIKE,
  RESPONSE_PYMYSQL_LIKE_MINIMAL,
};
const parse = (f: CapturedPacket) => parseHandshakeResponse(payloadOf(f));

describe('HandshakeResponse41: real clients', () => {
  it.each(Object.entries(all))('re-encodes %s byte for byte', (_name, fixture) => {
    const payload = payloadOf(fixture);
    expect(encodeHandshakeResponse(parseHandshakeResponse(payload)).toString('hex')).toBe(payload.toString('hex'));
  });

  it('decodes the `mariadb` CLI: extended capabilities, lenenc auth data, database, attributes', () => {
    const r = parse(RESPONSE_MARIADB_CLI);
    expect(r).toMatchObject({
      kind: 'handshake-response',
      capabilityFlags: 0x00bf_a28c,
      maxPacketSize: 1024 * 1024,
      characterSet: 33,
      mariadbExtendedCapabilities: 0x1d,
      username: 'app',
      authResponseLengthWidth: 1,
      database: 'appdb',
      authPluginName: 'mysql_native_password',
    });
    expect(hasCap(r.capabilityFlags, CLIENT_MYSQL)).toBe(false);
    expect(r.usernameBytes.toString('hex')).toBe('617070');
    expect(r.authResponse.length).toBe(20);
    expect(r.databaseBytes?.toString()).toBe('appdb');
    expect(Object.fromEntries(decodeConnectAttributes(r.connectAttributes!))).toEqual({
      _os: 'Linux',
      _client_name: 'libmariadb',
      _pid: '5513',
      _client_version: '3.3.20',
      _platform: 'x86_64',
      program_name: 'mysql',
      _server_host: '127.0.0.1',
    });
    expect(r.trailing.length).toBe(0);
  });

  it('decodes mysql2: lenenc auth data, database, two attributes', () => {
    const r = parse(RESPONSE_MYSQL2);
    expect(r).toMatchObject({ capabilityFlags: 0x08ba_f3ce, maxPacketSize: 0, characterSet: 224, mariadbExtendedCapabilities: 0x08 });
    expect([r.username, r.database, r.authPluginName]).toEqual(['app', 'appdb', 'mysql_native_password']);
    expect(Object.fromEntries(decodeConnectAttributes(r.connectAttributes!))).toEqual({
      _client_name: 'Node-MySQL-2',
      _client_version: '3.24.6',
    });
  });

  it('decodes mysql2 without a database as an empty name, since it still sets CLIENT_CONNECT_WITH_DB', () => {
    const r = parse(RESPONSE_MYSQL2_NO_DB);
    expect(hasCap(r.capabilityFlags, CLIENT_CONNECT_WITH_DB)).toBe(true);
    expect(r.database).toBe('');
  });

  it('keeps the npm connector’s non-minimal 0xfc attribute-length prefix', () => {
    const r = parse(RESPONSE_MARIADB_NPM);
    expect(r).toMatchObject({ maxPacketSize: 1024 ** 3, characterSet: 224, mariadbExtendedCapabilities: 0x1c, database: 'appdb' });
    expect(r.connectAttributes!.subarray(0, 3).toString('hex')).toBe('fc6a00');
    const attrs = decodeConnectAttributes(r.connectAttributes!);
    expect(attrs.get('_client_name')).toBe('MariaDB connector/Node');
    expect(attrs.get('_client_version')).toBe('3.5.4');
    // Re-encoding the map gives the minimal form: why the raw block is what gets forwarded.
    expect(encodeConnectAttributes(attrs).subarray(0, 1).toString('hex')).toBe('6a');
    expect(encodeConnectAttributes(attrs).subarray(1).equals(r.connectAttributes!.subarray(3))).toBe(true);
  });

  it('decodes a PyMySQL-style response: 1-byte auth length, no attributes, CLIENT_MYSQL set', () => {
    const r = parse(RESPONSE_PYMYSQL_LIKE);
    expect(r).toMatchObject({
      capabilityFlags: 0x000a_a20d,
      maxPacketSize: 16 * 1024 * 1024,
      characterSet: 45,
      mariadbExtendedCapabilities: 0,
      database: 'appdb',
      authPluginName: 'mysql_native_password',
      connectAttributes: null,
      authResponseLengthWidth: 1,
    });
    expect(hasCap(r.capabilityFlags, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)).toBe(false);
    expect(r.authResponse.length).toBe(20);
  });

  it('decodes the minimal PyMySQL-style response with every optional field absent', () => {
    const r = parse(RESPONSE_PYMYSQL_LIKE_MINIMAL);
    expect(r).toMatchObject({ username: 'app', database: null, databaseBytes: null, authPluginName: null, connectAttributes: null });
    expect(r.authResponse.length).toBe(20);
  });

  it('agrees with mysql2’s own HandshakeResponse parser on every capture', () => {
    for (const [name, fixture] of Object.entries(all)) {
      const ours = parse(fixture);
      const theirs = mysql2ParseHandshakeResponse(payloadOf(fixture));
      expect(theirs.clientFlags >>> 0, name).toBe(ours.capabilityFlags);
      expect(theirs.user, name).toBe(ours.username);
      expect(Buffer.from(theirs.authToken).equals(ours.authResponse), name).toBe(true);
      expect(theirs.database ?? null, name).toBe(ours.database);
      expect(theirs.authPluginName ?? null, name).toBe(ours.authPluginName);
      const attrs = ours.connectAttributes === null ? undefined : Object.fromEntries(decodeConnectAttributes(ours.connectAttributes));
      expect(theirs.connectAttributes, name).toEqual(attrs);
    }
  });
});

describe('HandshakeResponse41: what the front door changes', () => {
  it('clears CLIENT_SSL from a response sent inside TLS, giving exactly what the client would send in plaintext', () => {
    // The `mariadb` CLI's SSLRequest differs from its plaintext response's flags only in CLIENT_SSL,
    // so the response it sends inside TLS is the plaintext capture with the SSLRequest's flags.
    const plain = payloadOf(RESPONSE_MARIADB_CLI);
    const sslFlags = parseSslRequest(payloadOf(SSL_REQUEST_MARIADB_CLI)).capabilityFlags;
    const insideTls = encodeHandshakeResponse({ ...parseHandshakeResponse(plain), capabilityFlags: sslFlags });
    expect(insideTls.length).toBe(plain.length);

    const received = parseHandshakeResponse(insideTls);
    expect(hasCap(received.capabilityFlags, CLIENT_SSL)).toBe(true);
    const forwarded = encodeHandshakeResponse({ ...received, capabilityFlags: withoutCap(received.capabilityFlags, CLIENT_SSL) });
    expect(forwarded.toString('hex')).toBe(plain.toString('hex'));
  });

  it('writes a replacement auth response with the length form the flags call for', () => {
    const r = parse(RESPONSE_MYSQL2);
    const token = Buffer.alloc(300, 0x61); // e.g. an IAM token in place of a scramble
    const wire = encodeHandshakeResponse({ ...r, authResponse: token, authPluginName: 'mysql_clear_password' });
    const back = parseHandshakeResponse(wire);
    expect(back.authResponse.equals(token)).toBe(true);
    expect(back.authResponseLengthWidth).toBe(3);
    expect(back.authPluginName).toBe('mysql_clear_password');
    expect(back.connectAttributes!.equals(r.connectAttributes!)).toBe(true);

    const oneByte = parse(RESPONSE_PYMYSQL_LIKE);
    expect(() => encodeHandshakeResponse({ ...oneByte, authResponse: token })).toThrow(
      expect.objectContaining({ reason: 'invalid-value' }),
    );
  });

  it('builds a response from scratch with defaults for everything optional', () => {
    const wire = encodeHandshakeResponse({
      capabilityFlags: CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_MYSQL,
      usernameBytes: Buffer.from('bob'),
      authResponse: Buffer.alloc(0),
    });
    expect(wire.toString('hex')).toBe('01820000' + '00000000' + '00' + '00'.repeat(23) + '626f6200' + '00');
  });

  it('writes an empty field for a null one that precedes a present one, so positions stay right', () => {
    const r = parse(RESPONSE_MYSQL2);
    const wire = encodeHandshakeResponse({ ...r, databaseBytes: null });
    const back = parseHandshakeResponse(wire);
    expect(back.database).toBe('');
    expect(back.authPluginName).toBe('mysql_native_password');
    expect(back.connectAttributes!.equals(r.connectAttributes!)).toBe(true);
  });

  it('refuses a field whose capability flag is clear, and NULs inside NUL-terminated fields', () => {
    const r = parse(RESPONSE_PYMYSQL_LIKE_MINIMAL);
    expect(() => encodeHandshakeResponse({ ...r, databaseBytes: Buffer.from('db') })).toThrow(/CLIENT|flag/);
    expect(() => encodeHandshakeResponse({ ...r, connectAttributes: encodeConnectAttributes({ a: 'b' }) })).toThrow(PacketError);
    expect(() => encodeHandshakeResponse({ ...r, usernameBytes: Buffer.from('a\0b') })).toThrow(PacketError);
    const withAttrs = parse(RESPONSE_MYSQL2);
    expect(() => encodeHandshakeResponse({ ...withAttrs, connectAttributes: Buffer.from('0501', 'hex') })).toThrow(PacketError);
  });
});

describe('HandshakeResponse41: tolerance and truncation', () => {
  it('parses flagged fields as absent when the client ended the packet before them', () => {
    const full = payloadOf(RESPONSE_MYSQL2);
    const afterAuth = 32 + 'app\0'.length + 1 + 20;
    const r = parseHandshakeResponse(full.subarray(0, afterAuth));
    expect(hasCap(r.capabilityFlags, CLIENT_CONNECT_WITH_DB | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS)).toBe(true);
    expect([r.databaseBytes, r.authPluginName, r.connectAttributes]).toEqual([null, null, null]);
    expect(encodeHandshakeResponse(r).equals(full.subarray(0, afterAuth))).toBe(true);
  });

  it.each(Object.entries(all))('%s: every truncation throws PacketError or is a shorter valid response', (_name, fixture) => {
    const payload = payloadOf(fixture);
    const r = parseHandshakeResponse(payload);
    const parsedAt = expectEveryPrefixRejectedOrExact(payload, parseHandshakeResponse, encodeHandshakeResponse);
    // The valid cuts are exactly the field boundaries after the auth response.
    const authEnd = 32 + r.usernameBytes.length + 1 + r.authResponseLengthWidth + r.authResponse.length;
    const boundaries = [authEnd];
    let at = authEnd;
    if (r.databaseBytes) boundaries.push((at += r.databaseBytes.length + 1));
    if (r.authPluginName !== null) boundaries.push((at += r.authPluginName.length + 1));
    expect(parsedAt).toEqual(boundaries.filter((n) => n < payload.length));
  });

  it('keeps bytes after the attributes as raw trailing bytes (MySQL 8 zstd level)', () => {
    const wire = Buffer.concat([payloadOf(RESPONSE_MYSQL2), Buffer.from([3])]);
    const r = parseHandshakeResponse(wire);
    expect(r.trailing.toString('hex')).toBe('03');
    expect(encodeHandshakeResponse(r).equals(wire)).toBe(true);
  });

  it('rejects pre-4.1 clients as unsupported and an SSLRequest as malformed', () => {
    const old = payloadOf(RESPONSE_PYMYSQL_LIKE_MINIMAL);
    old.writeUInt32LE(withoutCap(old.readUInt32LE(0), CLIENT_PROTOCOL_41), 0);
    expect(() => parseHandshakeResponse(old)).toThrow(expect.objectContaining({ reason: 'unsupported' }));
    expect(() => parseHandshakeResponse(payloadOf(SSL_REQUEST_MARIADB_CLI))).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  it('rejects an auth response whose length runs past the end as truncated', () => {
    const p = payloadOf(RESPONSE_PYMYSQL_LIKE_MINIMAL);
    p[36] = 0xff; // 1-byte auth length after 'app\0'
    expect(() => parseHandshakeResponse(p)).toThrow(expect.objectContaining({ reason: 'truncated' }));
  });
});

describe('connection attributes', () => {
  it('round-trips names and values, UTF-8 included', () => {
    const block = encodeConnectAttributes(new Map([['_client_name', 'tlsql'], ['note', 'héllo']]));
    expect(Object.fromEntries(decodeConnectAttributes(block))).toEqual({ _client_name: 'tlsql', note: 'héllo' });
    expect(decodeConnectAttributes(encodeConnectAttributes({})).size).toBe(0);
  });

  it('rejects a pair running past the block', () => {
    expect(() => decodeConnectAttributes(Buffer.from('03016105', 'hex'))).toThrow(PacketError);
    expect(() => decodeConnectAttributes(Buffer.from('0501', 'hex'))).toThrow(PacketError);
  });
});
