import { describe, expect, it } from 'vitest';
import {
  classifyAuthReply,
  encodeAuthMoreData,
  encodeAuthSwitchRequest,
  isAuthMoreData,
  isAuthSwitch,
  isErrPacket,
  parseAuthMoreData,
  parseAuthSwitchRequest,
} from '../../../src/protocol/auth-switch.js';
import { encodeErrPacket, parseErrPacket } from '../../../src/protocol/err-packet.js';
import { encodeOkPacket, isOkPacket, parseOkPacket } from '../../../src/protocol/ok-packet.js';
import { PacketError } from '../../../src/protocol/wire.js';
import { payloadOf } from '../../fixtures/protocol/captured.js';
import {
  AUTH_SWITCH_ED25519,
  ERR_ACCESS_DENIED,
  GREETING_MARIADB_CLI,
  OK_AFTER_AUTH_MINIMAL,
  OK_AFTER_AUTH_WITH_DB,
  OK_AFTER_ED25519,
  OK_SET_NAMES_SESSION_TRACK,
} from '../../fixtures/protocol/server-packets.js';
import { expectEveryPrefixRejectedOrExact } from './prefixes.js';

describe('ERR packet', () => {
  it('decodes the real access-denied error', () => {
    expect(parseErrPacket(payloadOf(ERR_ACCESS_DENIED))).toEqual({
      kind: 'err',
      code: 1045,
      sqlState: '28000',
      message: "Access denied for user 'app'@'localhost' (using password: YES)",
    });
  });

  it('encodes the same bytes the server sent', () => {
    const wire = encodeErrPacket({
      code: 1045,
      sqlState: '28000',
      message: "Access denied for user 'app'@'localhost' (using password: YES)",
    });
    expect(wire.toString('hex')).toBe(ERR_ACCESS_DENIED.hex);
  });

  it('round-trips the pre-4.1 form without SQLSTATE (sent before the greeting) and UTF-8 messages', () => {
    const early = encodeErrPacket({ code: 1040, sqlState: null, message: 'Too many connections' });
    expect(early.toString('hex')).toBe('ff1004' + Buffer.from('Too many connections').toString('hex'));
    expect(parseErrPacket(early)).toEqual({ kind: 'err', code: 1040, sqlState: null, message: 'Too many connections' });
    const utf8 = { code: 1105, sqlState: 'HY000', message: 'instance « db-1 » unavailable' };
    expect(parseErrPacket(encodeErrPacket(utf8))).toEqual({ kind: 'err', ...utf8 });
  });

  it('refuses bad SQLSTATEs and codes', () => {
    expect(() => encodeErrPacket({ code: 1045, sqlState: '2800', message: '' })).toThrow(PacketError);
    expect(() => encodeErrPacket({ code: 70_000, sqlState: 'HY000', message: '' })).toThrow(PacketError);
  });

  it('rejects every truncation that cuts the code or the SQLSTATE', () => {
    const payload = payloadOf(ERR_ACCESS_DENIED);
    const parsedAt = expectEveryPrefixRejectedOrExact(payload, parseErrPacket, (e) => encodeErrPacket(e));
    // After the code, a cut is a (shorter) message: 3 = no SQLSTATE, 9.. = shorter message.
    expect(parsedAt[0]).toBe(3);
    expect(parsedAt.slice(1)).toEqual(Array.from({ length: payload.length - 9 }, (_, i) => 9 + i));
    expect(() => parseErrPacket(payloadOf(OK_AFTER_AUTH_MINIMAL))).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });
});

describe('OK packet', () => {
  it('decodes the real post-auth OKs, keeping session-state data raw', () => {
    expect(parseOkPacket(payloadOf(OK_AFTER_AUTH_MINIMAL))).toEqual({
      kind: 'ok',
      header: 0,
      affectedRows: 0,
      lastInsertId: 0,
      statusFlags: 0x0002,
      warnings: 0,
      info: Buffer.alloc(0),
    });
    const withDb = parseOkPacket(payloadOf(OK_AFTER_AUTH_WITH_DB));
    expect(withDb.statusFlags).toBe(0x4002); // SERVER_SESSION_STATE_CHANGED | AUTOCOMMIT
    // An empty info string, then 8 bytes of session state: SESSION_TRACK_SCHEMA (1), 'appdb'.
    expect(withDb.info.toString('latin1')).toBe('\x00\x08\x01\x06\x05appdb');
  });

  it.each([OK_AFTER_AUTH_MINIMAL, OK_AFTER_AUTH_WITH_DB, OK_AFTER_ED25519, OK_SET_NAMES_SESSION_TRACK])(
    're-encodes a captured OK byte for byte (%#)',
    (fixture) => {
      const payload = payloadOf(fixture);
      expect(encodeOkPacket(parseOkPacket(payload)).equals(payload)).toBe(true);
    },
  );

  it('recognises OK by header and length, and the 0xfe form only under DEPRECATE_EOF', () => {
    expect(isOkPacket(payloadOf(OK_AFTER_AUTH_MINIMAL))).toBe(true);
    expect(isOkPacket(Buffer.from('000000020000', 'hex'))).toBe(false); // 6 bytes
    const eofStyle = Buffer.from('fe000002000000', 'hex');
    expect(isOkPacket(eofStyle)).toBe(false);
    expect(isOkPacket(eofStyle, { deprecateEof: true })).toBe(true);
    expect(isOkPacket(Buffer.from('fe00000200', 'hex'), { deprecateEof: true })).toBe(false); // classic EOF
    expect(isOkPacket(Buffer.alloc(9, 0xfe), { deprecateEof: true })).toBe(false); // a row
    expect(parseOkPacket(eofStyle).header).toBe(0xfe);
  });

  it('encodes large counters in their length-encoded forms', () => {
    const wire = encodeOkPacket({ affectedRows: 70_000, lastInsertId: 300, statusFlags: 2, warnings: 1 });
    expect(wire.toString('hex')).toBe('00fd701101fc2c0102000100');
    expect(parseOkPacket(wire)).toMatchObject({ affectedRows: 70_000, lastInsertId: 300, warnings: 1 });
  });

  it('rejects every truncation before the warnings count', () => {
    const payload = payloadOf(OK_AFTER_AUTH_WITH_DB);
    const parsedAt = expectEveryPrefixRejectedOrExact(payload, parseOkPacket, encodeOkPacket);
    expect(parsedAt[0]).toBe(7);
  });
});

describe('auth exchange packets', () => {
  it('decodes the real switch to client_ed25519 with its 32-byte nonce and re-encodes it', () => {
    const payload = payloadOf(AUTH_SWITCH_ED25519);
    const s = parseAuthSwitchRequest(payload);
    expect(s.kind).toBe('auth-switch');
    expect(s.pluginName).toBe('client_ed25519');
    expect(s.pluginData.length).toBe(32);
    expect(encodeAuthSwitchRequest(s).equals(payload)).toBe(true);
  });

  it('round-trips a mysql_native_password switch whose scramble ends in a NUL', () => {
    const scramble = Buffer.concat([Buffer.from('abcdefghijklmnopqrst'), Buffer.from([0])]);
    const wire = encodeAuthSwitchRequest({ pluginName: 'mysql_native_password', pluginData: scramble });
    expect(parseAuthSwitchRequest(wire)).toEqual({ kind: 'auth-switch', pluginName: 'mysql_native_password', pluginData: scramble });
  });

  it('round-trips the lone-0xfe old-password switch as pluginName null', () => {
    expect(parseAuthSwitchRequest(Buffer.from([0xfe]))).toEqual({ kind: 'auth-switch', pluginName: null, pluginData: Buffer.alloc(0) });
    expect(encodeAuthSwitchRequest({ pluginName: null, pluginData: Buffer.alloc(0) }).toString('hex')).toBe('fe');
    expect(() => encodeAuthSwitchRequest({ pluginName: null, pluginData: Buffer.from([1]) })).toThrow(PacketError);
  });

  it('rejects a plugin name without its NUL as truncated', () => {
    const payload = payloadOf(AUTH_SWITCH_ED25519);
    const parsedAt = expectEveryPrefixRejectedOrExact(payload, parseAuthSwitchRequest, encodeAuthSwitchRequest);
    // Lone 0xfe, then every cut after the name's NUL (shorter plugin data).
    const nameEnd = 1 + 'client_ed25519'.length + 1;
    expect(parsedAt).toEqual([1, ...Array.from({ length: payload.length - nameEnd }, (_, i) => nameEnd + i)]);
  });

  it('round-trips AuthMoreData', () => {
    const wire = encodeAuthMoreData({ data: Buffer.from('0304', 'hex') });
    expect(wire.toString('hex')).toBe('010304');
    expect(parseAuthMoreData(wire)).toEqual({ kind: 'auth-more-data', data: Buffer.from('0304', 'hex') });
    expect(() => parseAuthMoreData(Buffer.alloc(0))).toThrow(expect.objectContaining({ reason: 'truncated' }));
    expect(() => parseAuthMoreData(Buffer.from([2]))).toThrow(expect.objectContaining({ reason: 'malformed' }));
  });

  it('classifies each real server reply of the auth exchange by its first byte', () => {
    expect(classifyAuthReply(payloadOf(OK_AFTER_AUTH_MINIMAL))).toBe('ok');
    expect(classifyAuthReply(payloadOf(ERR_ACCESS_DENIED))).toBe('err');
    expect(classifyAuthReply(payloadOf(AUTH_SWITCH_ED25519))).toBe('auth-switch');
    expect(classifyAuthReply(Buffer.from('01ab', 'hex'))).toBe('auth-more-data');
    expect(classifyAuthReply(Buffer.from('02', 'hex'))).toBe('unknown');
    expect(classifyAuthReply(Buffer.alloc(0))).toBe('unknown');
    expect(classifyAuthReply(payloadOf(GREETING_MARIADB_CLI))).toBe('unknown');
    expect([isErrPacket, isAuthSwitch, isAuthMoreData].map((f) => f(Buffer.alloc(0)))).toEqual([false, false, false]);
  });
});
