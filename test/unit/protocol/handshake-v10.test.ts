import { describe, expect, it } from 'vitest';
import {
  CLIENT_MYSQL,
  CLIENT_PLUGIN_AUTH,
  CLIENT_SSL,
  hasCap,
  withCap,
  withoutCap,
} from '../../../src/protocol/capabilities.js';
import {
  encodeHandshakeV10,
  parseHandshakeV10,
  withCapabilities,
  type HandshakeV10,
} from '../../../src/protocol/handshake-v10.js';
import { PacketError } from '../../../src/protocol/wire.js';
import { payloadOf } from '../../fixtures/protocol/captured.js';
import {
  ERR_ACCESS_DENIED,
  GREETING_MARIADB_CLI,
  GREETING_MARIADB_NPM,
  GREETING_MYSQL2,
} from '../../fixtures/protocol/server-packets.js';
import { mysql2ParseGreeting } from './mysql2-reference.js';
import { expectEveryPrefixRejectedOrExact } from './prefixes.js';

const greetings = { GREETING_MARIADB_CLI, GREETING_MYSQL2, GREETING_MARIADB_NPM };
/** Offset of the low capability bytes in a greeting whose server version is `v`. */
const capsOffset = (v: string) => 1 + v.length + 1 + 4 + 8 + 1;

describe('HandshakeV10 (server greeting)', () => {
  it('decodes every field of a real MariaDB 10.11 greeting', () => {
    const g = parseHandshakeV10(payloadOf(GREETING_MARIADB_CLI));
    expect(g).toMatchObject({
      kind: 'handshake-v10',
      protocolVersion: 10,
      serverVersion: '5.5.5-10.11.19-MariaDB-0+deb12u1',
      connectionId: 7,
      capabilityFlags: 0x81ff_fffe,
      characterSet: 8,
      statusFlags: 2,
      authPluginDataLength: 21,
      mariadbExtendedCapabilities: 0x1d,
      authPluginName: 'mysql_native_password',
    });
    expect(g.authPluginData.toString('latin1')).toBe("BNB=LDSS'fM/B=MJiSD<");
    expect(g.filler.toString('hex')).toBe('0000000000001d000000');
    expect(g.trailing.length).toBe(0);
    expect(hasCap(g.capabilityFlags, CLIENT_MYSQL)).toBe(false);
  });

  it.each(Object.entries(greetings))('re-encodes %s byte for byte', (_name, fixture) => {
    const payload = payloadOf(fixture);
    expect(encodeHandshakeV10(parseHandshakeV10(payload)).toString('hex')).toBe(payload.toString('hex'));
  });

  it('agrees with mysql2’s own greeting parser', () => {
    const payload = payloadOf(GREETING_MYSQL2);
    const ours = parseHandshakeV10(payload);
    const theirs = mysql2ParseGreeting(payload);
    expect(theirs.connectionId).toBe(ours.connectionId);
    expect(theirs.capabilityFlags >>> 0).toBe(ours.capabilityFlags);
    expect(theirs.mariadbExtendedCapabilityFlags).toBe(ours.mariadbExtendedCapabilities);
    expect(theirs.authPluginName).toBe(ours.authPluginName);
    // mysql2 keeps part 2's trailing NUL; the scramble itself is 20 bytes.
    const theirScramble = Buffer.concat([theirs.authPluginData1, theirs.authPluginData2]).subarray(0, 20);
    expect(theirScramble.equals(ours.authPluginData)).toBe(true);
  });

  it('toggles only the CLIENT_SSL bit on the wire, keeping the scramble and connection id', () => {
    const payload = payloadOf(GREETING_MARIADB_CLI);
    const g = parseHandshakeV10(payload);
    const noTls = encodeHandshakeV10(withCapabilities(g, withoutCap(g.capabilityFlags, CLIENT_SSL)));
    const at = capsOffset(g.serverVersion);
    const diff = [...payload.keys()].filter((i) => payload[i] !== noTls[i]);
    expect(diff).toEqual([at + 1]);
    expect(noTls[at + 1]).toBe(payload[at + 1]! & ~0x08);

    // The front door's job: a backend greeting without TLS, re-advertised with CLIENT_SSL.
    const relayed = parseHandshakeV10(noTls);
    expect(hasCap(relayed.capabilityFlags, CLIENT_SSL)).toBe(false);
    const withTls = withCapabilities(relayed, withCap(relayed.capabilityFlags, CLIENT_SSL));
    expect(relayed.capabilityFlags).toBe(withoutCap(g.capabilityFlags, CLIENT_SSL)); // the input is not mutated
    expect(encodeHandshakeV10(withTls).toString('hex')).toBe(payload.toString('hex'));
  });

  it('keeps a MySQL greeting’s filler raw and reports no extended capabilities (CLIENT_MYSQL set)', () => {
    const mysql8 = greeting({
      serverVersion: '8.0.36',
      capabilityFlags: 0xdfff_ffff,
      authPluginName: 'caching_sha2_password',
      filler: Buffer.from('00000000000001020304', 'hex'),
    });
    const wire = encodeHandshakeV10(mysql8);
    const back = parseHandshakeV10(wire);
    expect(back.mariadbExtendedCapabilities).toBe(0);
    expect(back.filler.toString('hex')).toBe('00000000000001020304');
    expect(encodeHandshakeV10(back).equals(wire)).toBe(true);
  });

  it('writes mariadbExtendedCapabilities into the filler when CLIENT_MYSQL is clear', () => {
    const g = parseHandshakeV10(payloadOf(GREETING_MARIADB_CLI));
    const fewer = parseHandshakeV10(encodeHandshakeV10({ ...g, mariadbExtendedCapabilities: 0x04 }));
    expect(fewer.mariadbExtendedCapabilities).toBe(0x04);
    expect(fewer.filler.toString('hex')).toBe('00000000000004000000');
  });

  it('reads part 2 of the scramble with the length the auth-plugin-data byte gives', () => {
    // 25 → part 2 is 17 bytes: 16 of scramble and a NUL.
    const long = greeting({ authPluginData: Buffer.from('abcdefgh0123456789ABCDEF'), authPluginDataLength: 25 });
    const wire = encodeHandshakeV10(long);
    const back = parseHandshakeV10(wire);
    expect(back.authPluginData.toString()).toBe('abcdefgh0123456789ABCDEF');
    expect(encodeHandshakeV10(back).equals(wire)).toBe(true);

    // No CLIENT_PLUGIN_AUTH and a 0 length byte (MySQL 5.0 style): part 2 is 12 bytes and a NUL.
    const old = greeting({ capabilityFlags: withoutCap(0x81ff_fffe, CLIENT_PLUGIN_AUTH), authPluginDataLength: 0, authPluginName: null });
    const oldWire = encodeHandshakeV10(old);
    expect(oldWire.subarray(-13).toString('latin1')).toBe('ijklmnopqrst\0');
    expect(parseHandshakeV10(oldWire).authPluginData.toString()).toBe('abcdefghijklmnopqrst');
  });

  it('keeps a part 2 that fills its whole length without a NUL, byte for byte', () => {
    const g = greeting({ authPluginData: Buffer.from('abcdefghijklmnopqrstu') }); // 8 + 13
    const wire = encodeHandshakeV10(g);
    expect(parseHandshakeV10(wire).authPluginData.toString()).toBe('abcdefghijklmnopqrstu');
  });

  it('keeps bytes after the plugin name as trailing', () => {
    const wire = Buffer.concat([payloadOf(GREETING_MARIADB_CLI), Buffer.from('extra')]);
    const g = parseHandshakeV10(wire);
    expect(g.trailing.toString()).toBe('extra');
    expect(encodeHandshakeV10(g).equals(wire)).toBe(true);
  });

  it('refuses scrambles that do not fit and values out of range', () => {
    const g = parseHandshakeV10(payloadOf(GREETING_MARIADB_CLI));
    const tooLong = { ...g, authPluginData: Buffer.alloc(30, 0x41) };
    expect(() => encodeHandshakeV10(tooLong)).toThrow(expect.objectContaining({ reason: 'invalid-value' }));
    expect(() => encodeHandshakeV10({ ...g, authPluginData: Buffer.alloc(7) })).toThrow(PacketError);
    expect(() => encodeHandshakeV10({ ...g, statusFlags: 0x1_0000 })).toThrow(PacketError);
    expect(() => encodeHandshakeV10({ ...g, serverVersion: 'a\0b' })).toThrow(PacketError);
  });

  it('rejects an ERR packet or another protocol version as unsupported', () => {
    expect(() => parseHandshakeV10(payloadOf(ERR_ACCESS_DENIED))).toThrow(expect.objectContaining({ reason: 'unsupported' }));
    expect(() => parseHandshakeV10(Buffer.from([9, 0x41, 0]))).toThrow(expect.objectContaining({ reason: 'unsupported' }));
  });

  it.each(Object.entries(greetings))('%s: every truncation throws PacketError or is a shorter valid greeting', (_n, fixture) => {
    const payload = payloadOf(fixture);
    const parsedAt = expectEveryPrefixRejectedOrExact(payload, parseHandshakeV10, encodeHandshakeV10);
    // Only the cut right before the plugin name is a valid greeting (plugin name absent).
    expect(parsedAt).toEqual([payload.length - 'mysql_native_password\0'.length]);
  });
});

function greeting(over: Partial<HandshakeV10>): HandshakeV10 {
  return {
    kind: 'handshake-v10',
    protocolVersion: 10,
    serverVersion: '5.5.5-10.11.19-MariaDB',
    connectionId: 42,
    authPluginData: Buffer.from('abcdefghijklmnopqrst'),
    capabilityFlags: 0x81ff_fffe,
    characterSet: 45,
    statusFlags: 2,
    authPluginDataLength: 21,
    filler: Buffer.alloc(10),
    mariadbExtendedCapabilities: 0,
    authPluginName: 'mysql_native_password',
    trailing: Buffer.alloc(0),
    ...over,
  };
}
