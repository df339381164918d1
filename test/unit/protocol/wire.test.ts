import { describe, expect, it } from 'vitest';
import {
  BufferReader,
  BufferWriter,
  PacketError,
  encodeLenencInt,
  encodeLenencString,
  encodeNulString,
  isPacketError,
  lenencIntLength,
} from '../../../src/protocol/wire.js';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('length-encoded integers', () => {
  const cases: Array<[number, string]> = [
    [0, '00'],
    [250, 'fa'],
    [251, 'fcfb00'],
    [0xffff, 'fcffff'],
    [0x1_0000, 'fd000001'],
    [0xff_ffff, 'fdffffff'],
    [0x100_0000, 'fe0000000100000000'],
    [Number.MAX_SAFE_INTEGER, 'feffffffffffff1f00'],
  ];

  it.each(cases)('writes %d in its shortest form and reads it back', (value, wire) => {
    expect(encodeLenencInt(value).toString('hex')).toBe(wire);
    expect(lenencIntLength(value)).toBe(wire.length / 2);
    const r = new BufferReader(hex(wire));
    expect(r.lenencIntWithWidth()).toEqual({ value, width: wire.length / 2 });
    expect(r.atEnd).toBe(true);
  });

  it('reproduces a non-minimal 0xfc form when asked for its width', () => {
    // The MariaDB Node.js connector writes 106 as fc 6a 00.
    expect(new BufferReader(hex('fc6a00')).lenencIntWithWidth()).toEqual({ value: 106, width: 3 });
    expect(encodeLenencInt(106, 3).toString('hex')).toBe('fc6a00');
    expect(encodeLenencInt(106, 4).toString('hex')).toBe('fd6a0000');
    expect(encodeLenencInt(106, 9).toString('hex')).toBe('fe6a00000000000000');
  });

  it('never writes a shorter form than the value needs, whatever width is asked for', () => {
    expect(encodeLenencInt(70_000, 3).toString('hex')).toBe('fd701101');
  });

  it('rejects the NULL (0xfb) and ERR (0xff) markers as malformed', () => {
    for (const marker of ['fb', 'ff']) {
      const err = catchErr(() => new BufferReader(hex(marker)).lenencInt());
      expect(err).toBeInstanceOf(PacketError);
      expect(err.reason).toBe('malformed');
    }
  });

  it('rejects an 8-byte value beyond Number.MAX_SAFE_INTEGER instead of losing precision', () => {
    expect(catchErr(() => new BufferReader(hex('fe0000000000002000')).lenencInt()).reason).toBe('malformed');
  });

  it('reports every truncated form as truncated', () => {
    for (const wire of ['', 'fc', 'fc01', 'fd', 'fd0102', 'fe', 'fe01020304050607']) {
      expect(catchErr(() => new BufferReader(hex(wire)).lenencInt()).reason, wire).toBe('truncated');
    }
  });

  it('refuses to encode negative, fractional or unsafe values and unknown widths', () => {
    for (const v of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1]) {
      expect(catchErr(() => encodeLenencInt(v)).reason).toBe('invalid-value');
    }
    expect(catchErr(() => encodeLenencInt(1, 2)).reason).toBe('invalid-value');
  });
});

describe('strings', () => {
  it('round-trips a length-encoded string, including one longer than 250 bytes', () => {
    const long = 'x'.repeat(300);
    const wire = encodeLenencString(long);
    expect(wire.subarray(0, 3).toString('hex')).toBe('fc2c01');
    const r = new BufferReader(wire);
    expect(r.lenencBytes().toString()).toBe(long);
    expect(r.atEnd).toBe(true);
  });

  it('round-trips a NUL-terminated UTF-8 string and refuses one containing a NUL', () => {
    const wire = encodeNulString('hé');
    expect(wire.toString('hex')).toBe('68c3a900');
    expect(new BufferReader(wire).nulBytes().toString('utf8')).toBe('hé');
    expect(catchErr(() => encodeNulString(Buffer.from([0x61, 0, 0x62]))).reason).toBe('invalid-value');
  });

  it('treats a missing NUL as truncation, or as end of string when the caller tolerates it', () => {
    expect(catchErr(() => new BufferReader(hex('6162')).nulBytes()).reason).toBe('truncated');
    const r = new BufferReader(hex('6162'));
    const { value, terminated } = r.nulBytesOrRest();
    expect([value.toString(), terminated, r.atEnd]).toEqual(['ab', false, true]);
  });
});

describe('BufferReader', () => {
  it('reads little-endian fixed integers and returns views, not copies', () => {
    const buf = hex('01' + '0201' + '030201' + '04030201' + '0a0b');
    const r = new BufferReader(buf);
    expect([r.u8(), r.u16(), r.u24(), r.u32()]).toEqual([0x01, 0x0102, 0x010203, 0x01020304]);
    const view = r.bytes(2);
    buf[10] = 0xee;
    expect(view[0]).toBe(0xee);
    expect(r.remaining).toBe(0);
  });

  it('throws PacketError("truncated") naming the packet and field, never RangeError', () => {
    const r = new BufferReader(hex('0102'), 'TestPacket');
    const err = catchErr(() => r.u32('capabilityFlags'));
    expect(isPacketError(err)).toBe(true);
    expect(err.reason).toBe('truncated');
    expect(err.message).toContain('TestPacket: truncated at capabilityFlags');
    expect(r.offset).toBe(0);
    for (const read of [() => r.bytes(3), () => r.u24(), () => r.peekU8() && r.u16() && r.u8()]) {
      expect(catchErr(read)).toBeInstanceOf(PacketError);
    }
  });
});

describe('BufferWriter', () => {
  it('fails loudly when the precomputed size and the bytes written disagree', () => {
    expect(() => new BufferWriter(2).u8(1).finish()).toThrow(/wrote 1 byte/);
  });
});

function catchErr(fn: () => unknown): PacketError {
  try {
    fn();
  } catch (e) {
    return e as PacketError;
  }
  throw new Error('expected a throw');
}
