import { carriesMariadbExtendedCapabilities } from './capabilities.js';
import { BufferReader, BufferWriter, PacketError, checkUint } from './wire.js';

/**
 * The 32 bytes that start both the SSLRequest and the HandshakeResponse41:
 * int<4> capabilityFlags, int<4> maxPacketSize, int<1> characterSet, string<23> filler.
 * Shared here so both packets read and write it identically.
 */
export interface ClientHeader {
  /** CLIENT_* flags (unsigned 32-bit). */
  capabilityFlags: number;
  /** Largest packet the client will send, in bytes (clients send 0, 16 MiB, 1 GiB, …). */
  maxPacketSize: number;
  /** Collation id of the connection (45 utf8mb4_general_ci, 224 utf8mb4_unicode_ci, …). */
  characterSet: number;
  /**
   * The 23 reserved bytes, kept raw so unknown content survives a re-encode. When
   * `capabilityFlags` has CLIENT_MYSQL clear, the last 4 are `mariadbExtendedCapabilities` and
   * encoding writes that field over them; otherwise they are written as they are.
   */
  filler: Buffer;
  /**
   * MARIADB_CLIENT_* flags from the last 4 filler bytes when CLIENT_MYSQL is clear, else 0.
   * Authoritative when encoding (with CLIENT_MYSQL clear).
   */
  mariadbExtendedCapabilities: number;
}

/** Size of the client header in bytes; also the whole SSLRequest payload. */
export const CLIENT_HEADER_BYTES = 32;
/** Size of the reserved area inside the client header. */
export const CLIENT_FILLER_BYTES = 23;
const EXT_CAPS_OFFSET_IN_FILLER = 19;

/** Reads the 32-byte client header. */
export function readClientHeader(r: BufferReader): ClientHeader {
  const capabilityFlags = r.u32('capabilityFlags');
  const maxPacketSize = r.u32('maxPacketSize');
  const characterSet = r.u8('characterSet');
  const filler = r.bytes(CLIENT_FILLER_BYTES, 'filler');
  const mariadbExtendedCapabilities = carriesMariadbExtendedCapabilities(capabilityFlags)
    ? filler.readUInt32LE(EXT_CAPS_OFFSET_IN_FILLER)
    : 0;
  return { capabilityFlags, maxPacketSize, characterSet, filler, mariadbExtendedCapabilities };
}

/** Checks a client header before writing it. */
export function checkClientHeader(h: ClientHeader): void {
  checkUint(h.capabilityFlags, 0xffff_ffff, 'capabilityFlags');
  checkUint(h.maxPacketSize, 0xffff_ffff, 'maxPacketSize');
  checkUint(h.characterSet, 0xff, 'characterSet');
  checkUint(h.mariadbExtendedCapabilities, 0xffff_ffff, 'mariadbExtendedCapabilities');
  if (h.filler.length !== CLIENT_FILLER_BYTES) {
    throw new PacketError('invalid-value', `filler must be ${CLIENT_FILLER_BYTES} bytes, got ${h.filler.length}`);
  }
}

/** Writes the 32-byte client header; the caller has run `checkClientHeader`. */
export function writeClientHeader(w: BufferWriter, h: ClientHeader): void {
  w.u32(h.capabilityFlags).u32(h.maxPacketSize).u8(h.characterSet);
  if (carriesMariadbExtendedCapabilities(h.capabilityFlags)) {
    w.bytes(h.filler.subarray(0, EXT_CAPS_OFFSET_IN_FILLER)).u32(h.mariadbExtendedCapabilities);
  } else {
    w.bytes(h.filler);
  }
}

/** A zeroed 23-byte filler, for packets built from scratch. */
export function emptyClientFiller(): Buffer {
  return Buffer.alloc(CLIENT_FILLER_BYTES);
}
