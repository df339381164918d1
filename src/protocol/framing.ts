import { PacketError, checkUint } from './wire.js';

/** Bytes of a packet header: 3-byte little-endian payload length + 1-byte sequence id. */
export const PACKET_HEADER_BYTES = 4;

/**
 * Largest payload a single packet can carry. A payload of exactly 0xffffff bytes means "continued
 * in the next packet"; the connection phase never needs that, so the front door does not
 * reassemble multi-packet payloads.
 */
export const MAX_SINGLE_PACKET_PAYLOAD = 0xff_fffe;

/** Frames `payload` as one packet with sequence id `seq` (0–255). */
export function encodePacket(seq: number, payload: Buffer): Buffer {
  checkUint(seq, 0xff, 'sequence id');
  if (payload.length > MAX_SINGLE_PACKET_PAYLOAD) {
    throw new PacketError('oversized', `payload of ${payload.length} bytes needs multi-packet framing, which is not supported`);
  }
  const out = Buffer.allocUnsafe(PACKET_HEADER_BYTES + payload.length);
  out.writeUIntLE(payload.length, 0, 3);
  out[3] = seq;
  payload.copy(out, PACKET_HEADER_BYTES);
  return out;
}

/** One framed packet taken from a `PacketReader`. */
export interface FramedPacket {
  seq: number;
  /** The payload, without the header. May be a view of a buffer given to `push`: do not mutate it. */
  payload: Buffer;
}

/** Options of `PacketReader`. */
export interface PacketReaderOptions {
  /**
   * Largest payload accepted, in bytes. A header announcing more is rejected as soon as the header
   * is seen, before any of the body is waited for. 0xffffff (a multi-packet payload) is always
   * rejected. No default: the front door derives it from its own limits.
   */
  maxPayloadBytes: number;
}

/**
 * Splits a byte stream into packets. Chunks are kept as given and joined only when a packet
 * straddles them, so a packet that arrives in one chunk is returned without a copy.
 *
 * Only the packet `next` is about to return is checked against `maxPayloadBytes`: bytes after it
 * may already belong to the byte pipe (pipelining clients send queries before the auth OK), and
 * `takeRemainder` hands them over untouched.
 */
export class PacketReader {
  private readonly maxPayloadBytes: number;
  private chunks: Buffer[] = [];
  /** Offset into chunks[0] of the first unread byte. */
  private head = 0;
  private buffered = 0;

  constructor(opts: PacketReaderOptions) {
    checkUint(opts.maxPayloadBytes, MAX_SINGLE_PACKET_PAYLOAD, 'maxPayloadBytes');
    this.maxPayloadBytes = opts.maxPayloadBytes;
  }

  /** Bytes received and not yet returned by `next` (so callers can cap what they hold). */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /**
   * Sequence id of the packet whose header is next in the buffer (taken or not: e.g. one `next`
   * refused as oversized, or one whose body has not all arrived); null with no whole header.
   */
  get pendingSeq(): number | null {
    return this.buffered >= PACKET_HEADER_BYTES ? this.byteAt(3) : null;
  }

  /** Appends received bytes. The chunk is retained, not copied: do not reuse it. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /**
   * The next complete packet, or null if more bytes are needed. Throws `PacketError('oversized')`
   * when the next header announces more than `maxPayloadBytes`, even if its body has not arrived.
   */
  next(): FramedPacket | null {
    if (this.buffered < PACKET_HEADER_BYTES) return null;
    const len = this.byteAt(0) | (this.byteAt(1) << 8) | (this.byteAt(2) << 16);
    if (len > this.maxPayloadBytes || len === 0xff_ffff) {
      throw new PacketError('oversized', `packet header announces ${len} bytes, limit is ${this.maxPayloadBytes}`);
    }
    if (this.buffered < PACKET_HEADER_BYTES + len) return null;
    const seq = this.byteAt(3);
    this.consume(PACKET_HEADER_BYTES);
    const payload = this.consume(len);
    return { seq, payload };
  }

  /**
   * Everything received beyond the packets taken so far (possibly empty), for the code that takes
   * over the socket: the TLS layer after an SSLRequest, or the byte pipe after authentication.
   * The reader is empty afterwards.
   */
  takeRemainder(): Buffer {
    const first = this.chunks[0];
    let out: Buffer;
    if (first === undefined) {
      out = Buffer.alloc(0);
    } else if (this.chunks.length === 1) {
      out = first.subarray(this.head);
    } else {
      out = Buffer.concat([first.subarray(this.head), ...this.chunks.slice(1)], this.buffered);
    }
    this.chunks = [];
    this.head = 0;
    this.buffered = 0;
    return out;
  }

  /** Byte `i` of the unread data; the caller has checked `i < buffered`. */
  private byteAt(i: number): number {
    let idx = this.head + i;
    for (const c of this.chunks) {
      if (idx < c.length) return c[idx] as number;
      idx -= c.length;
    }
    throw new Error('PacketReader: byteAt past buffered data');
  }

  /** Removes and returns the first `n` unread bytes; the caller has checked `n <= buffered`. */
  private consume(n: number): Buffer {
    this.buffered -= n;
    const first = this.chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    // Common case: the bytes are inside the first chunk, so return a view.
    if (first.length - this.head >= n) {
      const v = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return v;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.chunks[0] as Buffer;
      const take = Math.min(c.length - this.head, n - filled);
      c.copy(out, filled, this.head, this.head + take);
      filled += take;
      this.head += take;
      if (this.head === c.length) {
        this.chunks.shift();
        this.head = 0;
      }
    }
    return out;
  }
}
