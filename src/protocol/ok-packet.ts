import { BufferReader, BufferWriter, PacketError, checkUint, lenencIntLength } from './wire.js';

/**
 * OK_Packet (4.1 protocol): int<1> header (0x00, or 0xfe when it ends a result set under
 * CLIENT_DEPRECATE_EOF), int<lenenc> affected rows, int<lenenc> last insert id, int<2> status
 * flags, int<2> warnings, then info / session-state data, kept raw. The front door only needs to
 * recognise the OK that ends authentication, so this stays minimal.
 */
export interface OkPacket {
  kind: 'ok';
  /** 0x00 or 0xfe. */
  header: number;
  affectedRows: number;
  lastInsertId: number;
  /** SERVER_STATUS_* flags. */
  statusFlags: number;
  warnings: number;
  /** Everything after the warnings count (info string, session-state changes), raw. */
  info: Buffer;
}

/** Header byte of an OK packet. */
export const OK_HEADER = 0x00;
/** Header byte of an EOF packet, and of an OK packet ending a result set under CLIENT_DEPRECATE_EOF. */
export const EOF_HEADER = 0xfe;
/** Smallest OK payload: header, two 1-byte lenenc integers, status, warnings. */
const MIN_OK_BYTES = 7;

/** Options of `isOkPacket`. */
export interface IsOkPacketOptions {
  /**
   * CLIENT_DEPRECATE_EOF was negotiated and the packet comes where a result set could end, so a
   * short 0xfe packet is an OK. Default false: in the connection phase 0xfe is an AuthSwitchRequest.
   */
  deprecateEof?: boolean;
}

/**
 * True for an OK packet: header 0x00 and at least 7 bytes, or (with `deprecateEof`) header 0xfe
 * and 7–8 bytes; a 0xfe payload of 9+ bytes is a row whose first column has an 8-byte length.
 */
export function isOkPacket(payload: Buffer, opts: IsOkPacketOptions = {}): boolean {
  if (payload.length < MIN_OK_BYTES) return false;
  if (payload[0] === OK_HEADER) return true;
  return opts.deprecateEof === true && payload[0] === EOF_HEADER && payload.length < 9;
}

/** Parses an OK packet (header 0x00 or 0xfe). Throws `PacketError` when it is not one or is cut short. */
export function parseOkPacket(payload: Buffer): OkPacket {
  const r = new BufferReader(payload, 'OK_Packet');
  const header = r.u8('header');
  if (header !== OK_HEADER && header !== EOF_HEADER) {
    throw new PacketError('malformed', `OK_Packet: header is 0x${header.toString(16)}, expected 0x00 or 0xfe`);
  }
  const affectedRows = r.lenencInt('affected rows');
  const lastInsertId = r.lenencInt('last insert id');
  const statusFlags = r.u16('status flags');
  const warnings = r.u16('warnings');
  return { kind: 'ok', header, affectedRows, lastInsertId, statusFlags, warnings, info: r.rest() };
}

/** Encodes an OK packet payload; integers use their shortest length encoding. */
export function encodeOkPacket(value: Omit<OkPacket, 'kind' | 'header' | 'info'> & Partial<Pick<OkPacket, 'header' | 'info'>>): Buffer {
  const header = value.header ?? OK_HEADER;
  if (header !== OK_HEADER && header !== EOF_HEADER) {
    throw new PacketError('invalid-value', `OK_Packet: header must be 0x00 or 0xfe, got ${header}`);
  }
  checkUint(value.statusFlags, 0xffff, 'statusFlags');
  checkUint(value.warnings, 0xffff, 'warnings');
  const info = value.info ?? Buffer.alloc(0);
  const w = new BufferWriter(
    1 + lenencIntLength(value.affectedRows) + lenencIntLength(value.lastInsertId) + 4 + info.length,
  );
  w.u8(header).lenencInt(value.affectedRows).lenencInt(value.lastInsertId).u16(value.statusFlags).u16(value.warnings);
  w.bytes(info);
  return w.finish();
}
