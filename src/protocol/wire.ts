/**
 * Primitive MySQL wire types: fixed little-endian integers, length-encoded integers and strings,
 * NUL-terminated strings. Readers never look past the end of their buffer: every shortfall is a
 * `PacketError` with reason `'truncated'`, never a `RangeError`, because the front door turns
 * codec failures into MySQL error packets and must be able to tell them from its own bugs.
 *
 * Byte slices returned by readers are views (`subarray`) of the input, not copies: the front door
 * parses a packet, decides, and forwards, so copying every field would be wasted work.
 */

/** Why a packet could not be decoded or encoded. */
export type PacketErrorReason =
  /** The payload ended before a required field. */
  | 'truncated'
  /** A header announced a payload larger than the configured maximum. */
  | 'oversized'
  /** The bytes are present but not a valid encoding (bad marker, bad signature, …). */
  | 'malformed'
  /** A valid encoding of something the codecs deliberately do not handle (pre-4.1 protocol, …). */
  | 'unsupported'
  /** An encoder was given a value that cannot be written (out of range, too long, …). */
  | 'invalid-value';

/** Failure to decode or encode a wire packet; `reason` is stable, `message` is for logs. */
export class PacketError extends Error {
  readonly reason: PacketErrorReason;

  constructor(reason: PacketErrorReason, message: string) {
    super(message);
    this.name = 'PacketError';
    this.reason = reason;
  }
}

/** True for any `PacketError`. */
export function isPacketError(e: unknown): e is PacketError {
  return e instanceof PacketError;
}

/** Length-encoded integer markers. 0xfb (NULL) and 0xff (ERR) are not integers. */
const LENENC_2 = 0xfc;
const LENENC_3 = 0xfd;
const LENENC_8 = 0xfe;

/**
 * Bounds-checked cursor over one packet payload. `context` names the packet in error messages
 * ("HandshakeResponse41: truncated at authResponse").
 */
export class BufferReader {
  readonly buf: Buffer;
  readonly context: string;
  offset: number;

  constructor(buf: Buffer, context = 'packet', offset = 0) {
    this.buf = buf;
    this.context = context;
    this.offset = offset;
  }

  /** Bytes left after `offset`. */
  get remaining(): number {
    return this.buf.length - this.offset;
  }

  /** True when every byte has been read. */
  get atEnd(): boolean {
    return this.offset >= this.buf.length;
  }

  private need(n: number, field: string): void {
    if (this.buf.length - this.offset < n) {
      throw new PacketError(
        'truncated',
        `${this.context}: truncated at ${field} (need ${n} byte(s) at offset ${this.offset}, payload is ${this.buf.length})`,
      );
    }
  }

  /** The next byte without consuming it. */
  peekU8(field = 'byte'): number {
    this.need(1, field);
    return this.buf[this.offset] as number;
  }

  u8(field = 'int<1>'): number {
    this.need(1, field);
    return this.buf[this.offset++] as number;
  }

  u16(field = 'int<2>'): number {
    this.need(2, field);
    const v = this.buf.readUInt16LE(this.offset);
    this.offset += 2;
    return v;
  }

  u24(field = 'int<3>'): number {
    this.need(3, field);
    const v = this.buf.readUIntLE(this.offset, 3);
    this.offset += 3;
    return v;
  }

  u32(field = 'int<4>'): number {
    this.need(4, field);
    const v = this.buf.readUInt32LE(this.offset);
    this.offset += 4;
    return v;
  }

  /** `n` bytes as a view of the payload. */
  bytes(n: number, field = 'string<fix>'): Buffer {
    this.need(n, field);
    const v = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return v;
  }

  /** Everything left (possibly empty), as a view. */
  rest(): Buffer {
    const v = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return v;
  }

  /** A NUL-terminated string's bytes (without the NUL); the NUL is consumed. Throws if there is none. */
  nulBytes(field = 'string<NUL>'): Buffer {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) {
      throw new PacketError('truncated', `${this.context}: truncated at ${field} (no NUL terminator after offset ${this.offset})`);
    }
    const v = this.buf.subarray(this.offset, end);
    this.offset = end + 1;
    return v;
  }

  /**
   * Like `nulBytes`, but a string that runs to the end of the payload without a NUL is accepted
   * (some servers and clients omit the last terminator). `terminated` says which case it was.
   */
  nulBytesOrRest(): { value: Buffer; terminated: boolean } {
    const end = this.buf.indexOf(0, this.offset);
    if (end < 0) return { value: this.rest(), terminated: false };
    const value = this.buf.subarray(this.offset, end);
    this.offset = end + 1;
    return { value, terminated: true };
  }

  /**
   * A length-encoded integer and how many bytes it took (1, 3, 4 or 9). Values above
   * `Number.MAX_SAFE_INTEGER` are rejected as malformed: nothing in the connection phase is that big.
   */
  lenencIntWithWidth(field = 'int<lenenc>'): { value: number; width: number } {
    const first = this.u8(field);
    if (first < 0xfb) return { value: first, width: 1 };
    switch (first) {
      case LENENC_2:
        return { value: this.u16(field), width: 3 };
      case LENENC_3:
        return { value: this.u24(field), width: 4 };
      case LENENC_8: {
        this.need(8, field);
        const v = this.buf.readBigUInt64LE(this.offset);
        if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new PacketError('malformed', `${this.context}: ${field} does not fit a safe integer (${v})`);
        }
        this.offset += 8;
        return { value: Number(v), width: 9 };
      }
      default:
        throw new PacketError(
          'malformed',
          `${this.context}: ${field} has invalid length-encoded integer marker 0x${first.toString(16)} at offset ${this.offset - 1}`,
        );
    }
  }

  /** A length-encoded integer (see `lenencIntWithWidth`). */
  lenencInt(field = 'int<lenenc>'): number {
    return this.lenencIntWithWidth(field).value;
  }

  /** A length-encoded string's bytes, as a view. */
  lenencBytes(field = 'string<lenenc>'): Buffer {
    const n = this.lenencInt(field);
    return this.bytes(n, field);
  }
}

/**
 * Bytes a length-encoded integer takes: 1 (< 0xfb), 3 (< 2^16), 4 (< 2^24) or 9.
 * `minWidth` (one of those widths) forces a longer form, so a non-minimal encoding seen on the wire
 * can be reproduced exactly; the MariaDB Node.js connector writes its attribute block length with
 * the 0xfc form even when it is below 251.
 */
export function lenencIntLength(value: number, minWidth = 1): number {
  checkLenencValue(value);
  const minimal = value < 0xfb ? 1 : value < 0x1_0000 ? 3 : value < 0x100_0000 ? 4 : 9;
  if (minWidth <= minimal) return minimal;
  if (minWidth !== 3 && minWidth !== 4 && minWidth !== 9) {
    throw new PacketError('invalid-value', `length-encoded integer width must be 1, 3, 4 or 9, got ${minWidth}`);
  }
  return minWidth;
}

function checkLenencValue(value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new PacketError('invalid-value', `length-encoded integer must be a non-negative safe integer, got ${value}`);
  }
}

/** Writes `value` as a length-encoded integer at `offset`; returns the offset after it. */
export function writeLenencInt(buf: Buffer, offset: number, value: number, minWidth = 1): number {
  const width = lenencIntLength(value, minWidth);
  switch (width) {
    case 1:
      buf[offset] = value;
      return offset + 1;
    case 3:
      buf[offset] = LENENC_2;
      buf.writeUInt16LE(value, offset + 1);
      return offset + 3;
    case 4:
      buf[offset] = LENENC_3;
      buf.writeUIntLE(value, offset + 1, 3);
      return offset + 4;
    default:
      buf[offset] = LENENC_8;
      buf.writeBigUInt64LE(BigInt(value), offset + 1);
      return offset + 9;
  }
}

/** A length-encoded integer as a new buffer. */
export function encodeLenencInt(value: number, minWidth = 1): Buffer {
  const out = Buffer.allocUnsafe(lenencIntLength(value, minWidth));
  writeLenencInt(out, 0, value, minWidth);
  return out;
}

/** A length-encoded string (strings are written as UTF-8). */
export function encodeLenencString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const out = Buffer.allocUnsafe(lenencIntLength(bytes.length) + bytes.length);
  const at = writeLenencInt(out, 0, bytes.length);
  bytes.copy(out, at);
  return out;
}

/** A NUL-terminated string (strings are written as UTF-8). Throws if the value contains a NUL. */
export function encodeNulString(value: Buffer | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  if (bytes.includes(0)) {
    throw new PacketError('invalid-value', 'a NUL-terminated string cannot contain a NUL byte');
  }
  const out = Buffer.allocUnsafe(bytes.length + 1);
  bytes.copy(out, 0);
  out[bytes.length] = 0;
  return out;
}

/**
 * Fixed-size output cursor. Encoders compute the exact size first and allocate once; `finish`
 * checks that the computed size and the bytes written agree, which catches size-formula bugs.
 */
export class BufferWriter {
  readonly buf: Buffer;
  offset = 0;

  constructor(size: number) {
    this.buf = Buffer.alloc(size);
  }

  u8(v: number): this {
    this.buf[this.offset++] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    this.offset = this.buf.writeUInt16LE(v & 0xffff, this.offset);
    return this;
  }

  u32(v: number): this {
    this.offset = this.buf.writeUInt32LE(v >>> 0, this.offset);
    return this;
  }

  bytes(b: Buffer): this {
    this.offset += b.copy(this.buf, this.offset);
    return this;
  }

  /** `b` followed by a NUL. The caller has checked `b` contains no NUL. */
  nulBytes(b: Buffer): this {
    this.bytes(b);
    return this.u8(0);
  }

  lenencInt(v: number, minWidth = 1): this {
    this.offset = writeLenencInt(this.buf, this.offset, v, minWidth);
    return this;
  }

  finish(): Buffer {
    if (this.offset !== this.buf.length) {
      throw new Error(`BufferWriter: wrote ${this.offset} byte(s) into a ${this.buf.length}-byte packet`);
    }
    return this.buf;
  }
}

/** Throws `invalid-value` unless `v` is an integer in [0, max]. */
export function checkUint(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new PacketError('invalid-value', `${field} must be an integer in [0, ${max}], got ${v}`);
  }
}

/** Throws `invalid-value` if `b` contains a NUL (it would end a NUL-terminated field early). */
export function checkNoNul(b: Buffer, field: string): void {
  if (b.includes(0)) {
    throw new PacketError('invalid-value', `${field} cannot contain a NUL byte`);
  }
}
