import { BufferReader, BufferWriter, PacketError, checkUint } from './wire.js';

/**
 * ERR_Packet: int<1> 0xff, int<2> error code, then (4.1 protocol) '#' and a 5-character
 * SQLSTATE, then the message to the end of the payload.
 *
 * The SQLSTATE part is optional on the wire: a server that refuses a connection before the client
 * has announced CLIENT_PROTOCOL_41 (too many connections, host not allowed) sends an ERR packet
 * without it. `sqlState: null` means that form.
 */
export interface ErrPacket {
  kind: 'err';
  /** MariaDB/MySQL error number, e.g. 1045. */
  code: number;
  /** Five-character SQLSTATE, e.g. `28000`, or null for the pre-4.1 form without one. */
  sqlState: string | null;
  /** Human-readable message (UTF-8). */
  message: string;
}

/** An error as the front door describes it before encoding. */
export interface ErrPacketInit {
  code: number;
  /** Five ASCII characters, or null to omit the '#' marker and SQLSTATE (pre-4.1 form). */
  sqlState: string | null;
  message: string;
}

/** First byte of every ERR packet. */
export const ERR_HEADER = 0xff;
const SQLSTATE_MARKER = 0x23; // '#'
const SQLSTATE_BYTES = 5;

/** True when a server payload is an ERR packet (first byte 0xff). */
export function isErrPacket(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === ERR_HEADER;
}

/** Parses an ERR packet. Throws `PacketError` when it is not one or is cut short. */
export function parseErrPacket(payload: Buffer): ErrPacket {
  const r = new BufferReader(payload, 'ERR_Packet');
  const header = r.u8('header');
  if (header !== ERR_HEADER) {
    throw new PacketError('malformed', `ERR_Packet: header is 0x${header.toString(16)}, expected 0xff`);
  }
  const code = r.u16('error code');
  let sqlState: string | null = null;
  if (!r.atEnd && r.peekU8() === SQLSTATE_MARKER) {
    r.u8('sqlstate marker');
    sqlState = r.bytes(SQLSTATE_BYTES, 'sqlstate').toString('latin1');
  }
  return { kind: 'err', code, sqlState, message: r.rest().toString('utf8') };
}

/** Encodes an ERR packet payload. Throws `PacketError('invalid-value')` for a bad code or SQLSTATE. */
export function encodeErrPacket(value: ErrPacketInit): Buffer {
  checkUint(value.code, 0xffff, 'error code');
  if (value.sqlState !== null && !/^[\x20-\x7e]{5}$/.test(value.sqlState)) {
    throw new PacketError('invalid-value', `SQLSTATE must be 5 printable ASCII characters, got ${JSON.stringify(value.sqlState)}`);
  }
  const message = Buffer.from(value.message, 'utf8');
  const w = new BufferWriter(3 + (value.sqlState === null ? 0 : 1 + SQLSTATE_BYTES) + message.length);
  w.u8(ERR_HEADER).u16(value.code);
  if (value.sqlState !== null) w.u8(SQLSTATE_MARKER).bytes(Buffer.from(value.sqlState, 'latin1'));
  w.bytes(message);
  return w.finish();
}
