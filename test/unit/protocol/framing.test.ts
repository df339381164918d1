import { describe, expect, it } from 'vitest';
import { PacketReader, encodePacket } from '../../../src/protocol/framing.js';
import { PacketError } from '../../../src/protocol/wire.js';
import { GREETING_CHUNK_MARIADB_CLI_HEX, GREETING_MARIADB_CLI, RESULT_SET_CHUNK_SELECT_1_HEX } from '../../fixtures/protocol/server-packets.js';
import { SSL_REQUEST_MARIADB_CLI, TLS_CLIENT_HELLO_PREFIX_HEX } from '../../fixtures/protocol/client-packets.js';
import { hexBytes, payloadOf } from '../../fixtures/protocol/captured.js';

describe('encodePacket', () => {
  it('frames the captured greeting exactly as the server did', () => {
    expect(encodePacket(0, payloadOf(GREETING_MARIADB_CLI)).toString('hex')).toBe(GREETING_CHUNK_MARIADB_CLI_HEX);
  });

  it('writes a 3-byte little-endian length and the sequence id', () => {
    expect(encodePacket(255, Buffer.alloc(0x01_0203)).subarray(0, 4).toString('hex')).toBe('030201ff');
    expect(encodePacket(7, Buffer.alloc(0)).toString('hex')).toBe('00000007');
  });

  it('refuses sequence ids outside 0-255 and payloads that would need multi-packet framing', () => {
    expect(() => encodePacket(256, Buffer.alloc(1))).toThrow(PacketError);
    expect(() => encodePacket(-1, Buffer.alloc(1))).toThrow(PacketError);
    expect(() => encodePacket(0, Buffer.alloc(0xff_ffff))).toThrow(expect.objectContaining({ reason: 'oversized' }));
  });
});

describe('PacketReader', () => {
  const limit = { maxPayloadBytes: 64 * 1024 };

  it('returns nothing until a whole packet has arrived', () => {
    const r = new PacketReader(limit);
    expect(r.next()).toBeNull();
    r.push(hexBytes('0300'));
    expect(r.next()).toBeNull();
    r.push(hexBytes('00050102'));
    expect(r.next()).toBeNull();
    r.push(hexBytes('03'));
    expect(r.next()).toEqual({ seq: 5, payload: hexBytes('010203') });
    expect(r.next()).toBeNull();
    expect(r.bufferedBytes).toBe(0);
  });

  it('reassembles the real greeting delivered one byte at a time', () => {
    const stream = hexBytes(GREETING_CHUNK_MARIADB_CLI_HEX);
    const r = new PacketReader(limit);
    const got = [];
    for (const byte of stream) {
      r.push(Buffer.from([byte]));
      const p = r.next();
      if (p) got.push(p);
    }
    expect(got).toEqual([{ seq: 0, payload: payloadOf(GREETING_MARIADB_CLI) }]);
    expect(r.takeRemainder().length).toBe(0);
  });

  it('splits a real chunk holding five packets, returning views of the chunk without copying', () => {
    const chunk = hexBytes(RESULT_SET_CHUNK_SELECT_1_HEX);
    const r = new PacketReader(limit);
    r.push(chunk);
    const packets = [];
    for (let p = r.next(); p; p = r.next()) packets.push(p);
    expect(packets.map((p) => [p.seq, p.payload.toString('hex')])).toEqual([
      [1, '0101'],
      [2, '03646566000000013100000c3f0001000000038100000000'],
      [3, 'fe00000200'],
      [4, '0131'],
      [5, 'fe00000200'],
    ]);
    expect(packets[0]!.payload.buffer).toBe(chunk.buffer);
  });

  it('hands over the bytes after an SSLRequest (the TLS ClientHello) through takeRemainder', () => {
    const sslFrame = encodePacket(SSL_REQUEST_MARIADB_CLI.seq, payloadOf(SSL_REQUEST_MARIADB_CLI));
    const hello = hexBytes(TLS_CLIENT_HELLO_PREFIX_HEX);
    const r = new PacketReader(limit);
    r.push(Buffer.concat([sslFrame, hello.subarray(0, 5)]));
    r.push(hello.subarray(5));
    expect(r.next()).toEqual({ seq: 1, payload: payloadOf(SSL_REQUEST_MARIADB_CLI) });
    // 0x16 0x03: a TLS handshake record, which a MySQL header would read as a 786-kB packet.
    expect(r.bufferedBytes).toBe(hello.length);
    expect(r.takeRemainder().toString('hex')).toBe(TLS_CLIENT_HELLO_PREFIX_HEX);
    expect(r.bufferedBytes).toBe(0);
    expect(r.next()).toBeNull();
  });

  it('returns a partial next packet as remainder, and keeps working after takeRemainder', () => {
    const r = new PacketReader(limit);
    r.push(Buffer.concat([encodePacket(0, hexBytes('aa')), encodePacket(1, hexBytes('bbcc')).subarray(0, 5)]));
    expect(r.next()).toEqual({ seq: 0, payload: hexBytes('aa') });
    expect(r.next()).toBeNull();
    expect(r.takeRemainder().toString('hex')).toBe('02000001bb');
    r.push(encodePacket(9, hexBytes('dd')));
    expect(r.next()).toEqual({ seq: 9, payload: hexBytes('dd') });
  });

  it('joins a packet split across chunks into one buffer', () => {
    const r = new PacketReader(limit);
    const frame = encodePacket(3, Buffer.from('hello world'));
    r.push(frame.subarray(0, 6));
    r.push(frame.subarray(6, 9));
    r.push(frame.subarray(9));
    expect(r.next()).toEqual({ seq: 3, payload: Buffer.from('hello world') });
  });

  it('rejects an oversized header as soon as the header arrives, before any body', () => {
    const r = new PacketReader({ maxPayloadBytes: 100 });
    r.push(hexBytes('65000000')); // 101 bytes announced, none sent
    expect(() => r.next()).toThrow(expect.objectContaining({ name: 'PacketError', reason: 'oversized' }));
    const ok = new PacketReader({ maxPayloadBytes: 100 });
    ok.push(hexBytes('64000000'));
    expect(ok.next()).toBeNull();
  });

  it('treats a 0xffffff length (multi-packet payload) as oversized whatever the limit', () => {
    const r = new PacketReader({ maxPayloadBytes: 0xff_fffe });
    r.push(hexBytes('ffffff00'));
    expect(() => r.next()).toThrow(expect.objectContaining({ reason: 'oversized' }));
  });

  it('does not judge packets behind the current one, which may belong to the byte pipe', () => {
    const r = new PacketReader({ maxPayloadBytes: 16 });
    r.push(Buffer.concat([encodePacket(1, hexBytes('01')), hexBytes('ffff0000')]));
    expect(r.next()).toEqual({ seq: 1, payload: hexBytes('01') });
    expect(r.takeRemainder().toString('hex')).toBe('ffff0000');
  });

  it('ignores empty chunks', () => {
    const r = new PacketReader(limit);
    r.push(Buffer.alloc(0));
    expect(r.next()).toBeNull();
    expect(r.takeRemainder().length).toBe(0);
  });
});
