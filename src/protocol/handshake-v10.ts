import {
  CLIENT_PLUGIN_AUTH,
  CLIENT_SECURE_CONNECTION,
  carriesMariadbExtendedCapabilities,
  hasCap,
} from './capabilities.js';
import { BufferReader, BufferWriter, PacketError, checkNoNul, checkUint } from './wire.js';

/**
 * Protocol::HandshakeV10, the server greeting. The front door relays the backend's greeting to
 * the client (so the scramble the client signs is the backend's) after setting CLIENT_SSL, hence
 * the emphasis on a byte-exact re-encode: `encodeHandshakeV10(parseHandshakeV10(x))` equals `x`
 * for every greeting MariaDB and MySQL send.
 *
 * Layout: int<1> protocolVersion, string<NUL> serverVersion, int<4> connectionId,
 * string<8> authPluginData part 1, int<1> 0x00, int<2> capabilities (low), int<1> characterSet,
 * int<2> statusFlags, int<2> capabilities (high), int<1> authPluginDataLength, string<10> filler
 * (MariaDB: 6 zero bytes + int<4> extended capabilities), then if CLIENT_SECURE_CONNECTION
 * part 2 of max(13, authPluginDataLength - 8) bytes (the scramble's tail and a NUL), then if
 * CLIENT_PLUGIN_AUTH string<NUL> authPluginName. Buffer fields of a parsed greeting are views of
 * the payload, except `authPluginData`, which joins the two scramble parts.
 */
export interface HandshakeV10 {
  kind: 'handshake-v10';
  /** Always 10. */
  protocolVersion: number;
  /** As sent, e.g. `5.5.5-10.11.19-MariaDB-0+deb12u1` (MariaDB 10.x prefixes `5.5.5-`). Latin-1 decoded, so every byte survives a round trip. */
  serverVersion: string;
  /** Server thread id of this connection. */
  connectionId: number;
  /**
   * The whole scramble: part 1 (8 bytes) followed by part 2 without its terminating NUL; 20 bytes
   * for MariaDB's mysql_native_password greeting. Part 2 is padded back to its wire length with
   * NULs when encoding.
   */
  authPluginData: Buffer;
  /** CLIENT_* flags, both halves combined (unsigned 32-bit). */
  capabilityFlags: number;
  /** Server default collation id. */
  characterSet: number;
  /** SERVER_STATUS_* flags. */
  statusFlags: number;
  /**
   * The raw "auth plugin data length" byte (21 for MariaDB: 20-byte scramble + NUL; 0 when the
   * server lacks CLIENT_PLUGIN_AUTH). Decides part 2's wire length, so it is kept as sent.
   */
  authPluginDataLength: number;
  /**
   * The 10 reserved bytes, raw. When `capabilityFlags` has CLIENT_MYSQL clear the last 4 are
   * `mariadbExtendedCapabilities` and encoding writes that field over them.
   */
  filler: Buffer;
  /** MARIADB_CLIENT_* flags the server offers (0 for MySQL servers). Authoritative when encoding, with CLIENT_MYSQL clear. */
  mariadbExtendedCapabilities: number;
  /**
   * Default auth plugin (`mysql_native_password` for MariaDB 10.11), Latin-1 decoded; null when
   * CLIENT_PLUGIN_AUTH is clear or the packet ends before it. Its NUL is required: MySQL
   * 5.5.7-5.5.9 omitted it, but the backend is always MariaDB.
   */
  authPluginName: string | null;
  /** Bytes after the last known field (none from current servers), kept for a byte-exact re-encode. */
  trailing: Buffer;
}

/** The only protocol version the codecs handle. */
export const PROTOCOL_VERSION_10 = 10;
const SCRAMBLE_PART1_BYTES = 8;
const GREETING_FILLER_BYTES = 10;
const EXT_CAPS_OFFSET_IN_FILLER = 6;

/** Wire length of scramble part 2 (including its NUL) for a given "auth plugin data length" byte. */
function part2WireLength(authPluginDataLength: number): number {
  return Math.max(13, authPluginDataLength - SCRAMBLE_PART1_BYTES);
}

/**
 * Parses a server greeting. Throws `PacketError` on truncation and `unsupported` for protocol
 * versions other than 10 (check `isErrPacket` first: a server that refuses a connection before
 * the greeting sends an ERR packet instead).
 */
export function parseHandshakeV10(payload: Buffer): HandshakeV10 {
  const r = new BufferReader(payload, 'HandshakeV10');
  const protocolVersion = r.u8('protocolVersion');
  if (protocolVersion !== PROTOCOL_VERSION_10) {
    throw new PacketError('unsupported', `HandshakeV10: protocol version ${protocolVersion} is not supported`);
  }
  const serverVersion = r.nulBytes('serverVersion').toString('latin1');
  const connectionId = r.u32('connectionId');
  const part1 = r.bytes(SCRAMBLE_PART1_BYTES, 'authPluginData part 1');
  r.u8('reserved');
  const capsLow = r.u16('capabilityFlags low');
  const characterSet = r.u8('characterSet');
  const statusFlags = r.u16('statusFlags');
  const capsHigh = r.u16('capabilityFlags high');
  const capabilityFlags = (capsLow | (capsHigh << 16)) >>> 0;
  const authPluginDataLength = r.u8('authPluginDataLength');
  const filler = r.bytes(GREETING_FILLER_BYTES, 'filler');
  const mariadbExtendedCapabilities = carriesMariadbExtendedCapabilities(capabilityFlags)
    ? filler.readUInt32LE(EXT_CAPS_OFFSET_IN_FILLER)
    : 0;

  let authPluginData: Buffer = part1;
  if (hasCap(capabilityFlags, CLIENT_SECURE_CONNECTION)) {
    const part2 = r.bytes(part2WireLength(authPluginDataLength), 'authPluginData part 2');
    const data = part2[part2.length - 1] === 0 ? part2.subarray(0, part2.length - 1) : part2;
    authPluginData = Buffer.concat([part1, data]);
  }

  let authPluginName: string | null = null;
  if (hasCap(capabilityFlags, CLIENT_PLUGIN_AUTH) && !r.atEnd) {
    authPluginName = r.nulBytes('authPluginName').toString('latin1');
  }
  return {
    kind: 'handshake-v10',
    protocolVersion,
    serverVersion,
    connectionId,
    authPluginData,
    capabilityFlags,
    characterSet,
    statusFlags,
    authPluginDataLength,
    filler,
    mariadbExtendedCapabilities,
    authPluginName,
    trailing: r.rest(),
  };
}

/**
 * Encodes a greeting. Fields are written as given (see `HandshakeV10`); throws
 * `PacketError('invalid-value')` when they cannot be, e.g. a scramble longer than
 * `authPluginDataLength` allows.
 */
export function encodeHandshakeV10(g: HandshakeV10): Buffer {
  checkUint(g.protocolVersion, 0xff, 'protocolVersion');
  checkUint(g.connectionId, 0xffff_ffff, 'connectionId');
  checkUint(g.capabilityFlags, 0xffff_ffff, 'capabilityFlags');
  checkUint(g.characterSet, 0xff, 'characterSet');
  checkUint(g.statusFlags, 0xffff, 'statusFlags');
  checkUint(g.authPluginDataLength, 0xff, 'authPluginDataLength');
  checkUint(g.mariadbExtendedCapabilities, 0xffff_ffff, 'mariadbExtendedCapabilities');
  if (g.filler.length !== GREETING_FILLER_BYTES) {
    throw new PacketError('invalid-value', `HandshakeV10: filler must be ${GREETING_FILLER_BYTES} bytes, got ${g.filler.length}`);
  }
  const version = Buffer.from(g.serverVersion, 'latin1');
  checkNoNul(version, 'serverVersion');
  if (g.authPluginData.length < SCRAMBLE_PART1_BYTES) {
    throw new PacketError('invalid-value', `HandshakeV10: authPluginData must be at least ${SCRAMBLE_PART1_BYTES} bytes`);
  }
  const secure = hasCap(g.capabilityFlags, CLIENT_SECURE_CONNECTION);
  const part2 = g.authPluginData.subarray(SCRAMBLE_PART1_BYTES);
  const part2Length = secure ? part2WireLength(g.authPluginDataLength) : 0;
  if (part2.length > part2Length) {
    throw new PacketError(
      'invalid-value',
      `HandshakeV10: ${g.authPluginData.length}-byte authPluginData does not fit authPluginDataLength ${g.authPluginDataLength}` +
        (secure ? '' : ' without CLIENT_SECURE_CONNECTION'),
    );
  }
  let plugin: Buffer | null = null;
  if (hasCap(g.capabilityFlags, CLIENT_PLUGIN_AUTH) && g.authPluginName !== null) {
    plugin = Buffer.from(g.authPluginName, 'latin1');
    checkNoNul(plugin, 'authPluginName');
  }

  const size =
    1 + version.length + 1 + 4 + SCRAMBLE_PART1_BYTES + 1 + 2 + 1 + 2 + 2 + 1 + GREETING_FILLER_BYTES +
    part2Length + (plugin === null ? 0 : plugin.length + 1) + g.trailing.length;
  const w = new BufferWriter(size);
  w.u8(g.protocolVersion).nulBytes(version).u32(g.connectionId);
  w.bytes(g.authPluginData.subarray(0, SCRAMBLE_PART1_BYTES)).u8(0);
  w.u16(g.capabilityFlags & 0xffff).u8(g.characterSet).u16(g.statusFlags).u16(g.capabilityFlags >>> 16);
  w.u8(g.authPluginDataLength);
  if (carriesMariadbExtendedCapabilities(g.capabilityFlags)) {
    w.bytes(g.filler.subarray(0, EXT_CAPS_OFFSET_IN_FILLER)).u32(g.mariadbExtendedCapabilities);
  } else {
    w.bytes(g.filler);
  }
  if (secure) {
    // Buffer.alloc zero-filled the packet, so skipping past the data leaves the NUL padding.
    w.bytes(part2);
    w.offset += part2Length - part2.length;
  }
  if (plugin !== null) w.nulBytes(plugin);
  w.bytes(g.trailing);
  return w.finish();
}

/**
 * A copy of `greeting` advertising `capabilityFlags` instead (as unsigned 32-bit); e.g. the front
 * door adds CLIENT_SSL to a backend greeting. The scramble and every other field are unchanged.
 */
export function withCapabilities(greeting: HandshakeV10, capabilityFlags: number): HandshakeV10 {
  return { ...greeting, capabilityFlags: capabilityFlags >>> 0 };
}
