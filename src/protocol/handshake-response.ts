import {
  CLIENT_CONNECT_ATTRS,
  CLIENT_CONNECT_WITH_DB,
  CLIENT_PLUGIN_AUTH,
  CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA,
  CLIENT_PROTOCOL_41,
  CLIENT_SECURE_CONNECTION,
  hasCap,
} from './capabilities.js';
import {
  CLIENT_HEADER_BYTES,
  checkClientHeader,
  emptyClientFiller,
  readClientHeader,
  writeClientHeader,
  type ClientHeader,
} from './client-header.js';
import { isSslRequest } from './ssl-request.js';
import {
  BufferReader,
  BufferWriter,
  PacketError,
  checkNoNul,
  encodeLenencInt,
  encodeLenencString,
  lenencIntLength,
} from './wire.js';

/**
 * Protocol::HandshakeResponse41, the client's answer to the greeting.
 *
 * Layout: the 32-byte client header (see `ClientHeader`), string<NUL> username, the auth
 * response (length-encoded if CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA, else 1-byte length if
 * CLIENT_SECURE_CONNECTION, else NUL-terminated), then string<NUL> database if
 * CLIENT_CONNECT_WITH_DB, string<NUL> authPluginName if CLIENT_PLUGIN_AUTH, and a
 * length-prefixed attribute block if CLIENT_CONNECT_ATTRS; MySQL 8 clients may add more (a zstd
 * level byte), kept in `trailing`.
 *
 * Like the server, the parser treats a flagged optional field as absent (null) when the payload
 * ends before it: some clients set CLIENT_CONNECT_WITH_DB or CLIENT_CONNECT_ATTRS and stop early.
 * Every parsed value re-encodes to the same bytes, so the front door can change a flag (clear
 * CLIENT_SSL) or the auth response and forward the rest untouched.
 *
 * Text fields come in two forms: `…Bytes` is what was sent and what `encodeHandshakeResponse`
 * writes; the string beside it is a UTF-8 decoding for policy checks and logs. Buffer fields of a
 * parsed response are views of the payload, not copies.
 */
export interface HandshakeResponse extends ClientHeader {
  kind: 'handshake-response';
  /** Username bytes as sent (no NUL). Authoritative when encoding. */
  usernameBytes: Buffer;
  /** `usernameBytes` decoded as UTF-8. */
  username: string;
  /** Auth plugin data the client computed (scramble response, token, cleartext password, …). */
  authResponse: Buffer;
  /**
   * Bytes the auth response's length prefix took on the wire: 1 for the 1-byte form, 1, 3, 4 or 9
   * for the length-encoded form, 0 for the NUL-terminated form. Encoding never uses a shorter
   * length-encoded prefix than this, so clients that write non-minimal prefixes round-trip exactly.
   */
  authResponseLengthWidth: number;
  /** Database bytes (no NUL), or null if CLIENT_CONNECT_WITH_DB is clear or the packet ended first. Authoritative when encoding. */
  databaseBytes: Buffer | null;
  /** `databaseBytes` decoded as UTF-8, or null. */
  database: string | null;
  /** Auth plugin the client used for `authResponse`, Latin-1 decoded; null if CLIENT_PLUGIN_AUTH is clear or the packet ended first. */
  authPluginName: string | null;
  /**
   * The connection-attributes block exactly as sent, including its length prefix (decode it with
   * `decodeConnectAttributes`); null if CLIENT_CONNECT_ATTRS is clear or the packet ended first.
   */
  connectAttributes: Buffer | null;
  /** Bytes after the last known field (e.g. MySQL 8's zstd level), kept for a byte-exact re-encode. */
  trailing: Buffer;
}

/** What `encodeHandshakeResponse` needs; omitted fields mean "absent" or "zero". */
export type HandshakeResponseInit = Pick<HandshakeResponse, 'capabilityFlags' | 'usernameBytes' | 'authResponse'> &
  Partial<Omit<HandshakeResponse, 'kind' | 'capabilityFlags' | 'usernameBytes' | 'authResponse' | 'username' | 'database'>>;

/**
 * Parses a HandshakeResponse41. Throws `PacketError`: `truncated` when a required field (username,
 * auth response) or a field that has started (an unterminated database name, a short attribute
 * block) runs past the end, `unsupported` for pre-4.1 clients, `malformed` for an SSLRequest.
 */
export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const r = new BufferReader(payload, 'HandshakeResponse41');
  if (isSslRequest(payload)) {
    throw new PacketError('malformed', 'HandshakeResponse41: payload is an SSLRequest');
  }
  const header = readClientHeader(r);
  const flags = header.capabilityFlags;
  if (!hasCap(flags, CLIENT_PROTOCOL_41)) {
    throw new PacketError('unsupported', 'HandshakeResponse41: pre-4.1 clients (HandshakeResponse320) are not supported');
  }
  const usernameBytes = r.nulBytes('username');

  let authResponse: Buffer;
  let authResponseLengthWidth: number;
  if (hasCap(flags, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)) {
    const { value, width } = r.lenencIntWithWidth('authResponse length');
    authResponse = r.bytes(value, 'authResponse');
    authResponseLengthWidth = width;
  } else if (hasCap(flags, CLIENT_SECURE_CONNECTION)) {
    authResponse = r.bytes(r.u8('authResponse length'), 'authResponse');
    authResponseLengthWidth = 1;
  } else {
    authResponse = r.nulBytes('authResponse');
    authResponseLengthWidth = 0;
  }

  let databaseBytes: Buffer | null = null;
  if (hasCap(flags, CLIENT_CONNECT_WITH_DB) && !r.atEnd) databaseBytes = r.nulBytes('database');

  let authPluginName: string | null = null;
  if (hasCap(flags, CLIENT_PLUGIN_AUTH) && !r.atEnd) authPluginName = r.nulBytes('authPluginName').toString('latin1');

  let connectAttributes: Buffer | null = null;
  if (hasCap(flags, CLIENT_CONNECT_ATTRS) && !r.atEnd) {
    const start = r.offset;
    r.bytes(r.lenencInt('connectAttributes length'), 'connectAttributes');
    connectAttributes = payload.subarray(start, r.offset);
  }

  return {
    kind: 'handshake-response',
    ...header,
    usernameBytes,
    username: usernameBytes.toString('utf8'),
    authResponse,
    authResponseLengthWidth,
    databaseBytes,
    database: databaseBytes === null ? null : databaseBytes.toString('utf8'),
    authPluginName,
    connectAttributes,
    trailing: r.rest(),
  };
}

/**
 * Encodes a HandshakeResponse41 payload; `encodeHandshakeResponse(parseHandshakeResponse(x))`
 * equals `x`. Optional fields are written when their flag is set and they are non-null; a null
 * field is still written (empty) when a later field is present, so positions stay right. Throws
 * `PacketError('invalid-value')` for a field whose flag is clear, an auth response too long for
 * the 1-byte form, or a NUL inside a NUL-terminated field.
 */
export function encodeHandshakeResponse(value: HandshakeResponseInit): Buffer {
  const flags = value.capabilityFlags;
  const header: ClientHeader = {
    capabilityFlags: flags,
    maxPacketSize: value.maxPacketSize ?? 0,
    characterSet: value.characterSet ?? 0,
    filler: value.filler ?? emptyClientFiller(),
    mariadbExtendedCapabilities: value.mariadbExtendedCapabilities ?? 0,
  };
  checkClientHeader(header);
  if (!hasCap(flags, CLIENT_PROTOCOL_41)) {
    throw new PacketError('invalid-value', 'HandshakeResponse41: CLIENT_PROTOCOL_41 must be set');
  }
  checkNoNul(value.usernameBytes, 'username');

  const auth = value.authResponse;
  const lenenc = hasCap(flags, CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA);
  const secure = hasCap(flags, CLIENT_SECURE_CONNECTION);
  const width = value.authResponseLengthWidth ?? 1;
  let authSize: number;
  if (lenenc) {
    authSize = lenencIntLength(auth.length, Math.max(width, 1)) + auth.length;
  } else if (secure) {
    if (auth.length > 0xff) {
      throw new PacketError('invalid-value', `HandshakeResponse41: ${auth.length}-byte auth response needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA`);
    }
    authSize = 1 + auth.length;
  } else {
    checkNoNul(auth, 'authResponse (NUL-terminated form)');
    authSize = auth.length + 1;
  }

  const database = optionalField(value.databaseBytes, flags, CLIENT_CONNECT_WITH_DB, 'databaseBytes');
  const pluginName = value.authPluginName == null ? null : Buffer.from(value.authPluginName, 'latin1');
  const plugin = optionalField(pluginName, flags, CLIENT_PLUGIN_AUTH, 'authPluginName');
  const attrs = optionalField(value.connectAttributes, flags, CLIENT_CONNECT_ATTRS, 'connectAttributes');
  if (attrs !== null) checkAttributeBlock(attrs);
  if (database !== null) checkNoNul(database, 'database');
  if (plugin !== null) checkNoNul(plugin, 'authPluginName');
  const trailing = value.trailing ?? Buffer.alloc(0);

  // Fill gaps: a null field in front of a present one is written empty.
  const writeAttrs = attrs !== null || (hasCap(flags, CLIENT_CONNECT_ATTRS) && trailing.length > 0);
  const writePlugin = plugin !== null || (hasCap(flags, CLIENT_PLUGIN_AUTH) && (writeAttrs || trailing.length > 0));
  const writeDb =
    database !== null || (hasCap(flags, CLIENT_CONNECT_WITH_DB) && (writePlugin || writeAttrs || trailing.length > 0));
  const empty = Buffer.alloc(0);
  const attrBlock = attrs ?? Buffer.from([0]);

  const size =
    CLIENT_HEADER_BYTES +
    value.usernameBytes.length + 1 +
    authSize +
    (writeDb ? (database ?? empty).length + 1 : 0) +
    (writePlugin ? (plugin ?? empty).length + 1 : 0) +
    (writeAttrs ? attrBlock.length : 0) +
    trailing.length;
  const w = new BufferWriter(size);
  writeClientHeader(w, header);
  w.nulBytes(value.usernameBytes);
  if (lenenc) w.lenencInt(auth.length, Math.max(width, 1)).bytes(auth);
  else if (secure) w.u8(auth.length).bytes(auth);
  else w.nulBytes(auth);
  if (writeDb) w.nulBytes(database ?? empty);
  if (writePlugin) w.nulBytes(plugin ?? empty);
  if (writeAttrs) w.bytes(attrBlock);
  w.bytes(trailing);
  return w.finish();
}

function optionalField(v: Buffer | null | undefined, flags: number, cap: number, field: string): Buffer | null {
  if (v == null) return null;
  if (!hasCap(flags, cap)) {
    throw new PacketError('invalid-value', `HandshakeResponse41: ${field} is set but its capability flag is clear`);
  }
  return v;
}

/** Throws unless `block` is exactly one length prefix plus that many bytes. */
function checkAttributeBlock(block: Buffer): void {
  const r = new BufferReader(block, 'connectAttributes');
  r.bytes(r.lenencInt('length'), 'attributes');
  if (!r.atEnd) {
    throw new PacketError('invalid-value', 'connectAttributes: block is longer than its length prefix says');
  }
}

/**
 * Decodes a connection-attributes block (length prefix included, as in
 * `HandshakeResponse.connectAttributes`) into name → value, both UTF-8. A repeated name keeps its
 * last value. Throws `PacketError` when a pair runs past the block.
 */
export function decodeConnectAttributes(block: Buffer): Map<string, string> {
  const outer = new BufferReader(block, 'connectAttributes');
  const body = outer.bytes(outer.lenencInt('length'), 'attributes');
  const r = new BufferReader(body, 'connectAttributes');
  const attrs = new Map<string, string>();
  while (!r.atEnd) {
    const key = r.lenencBytes('attribute name').toString('utf8');
    const val = r.lenencBytes('attribute value').toString('utf8');
    attrs.set(key, val);
  }
  return attrs;
}

/** Encodes name → value pairs (UTF-8) as a connection-attributes block with a minimal length prefix. */
export function encodeConnectAttributes(attrs: ReadonlyMap<string, string> | Readonly<Record<string, string>>): Buffer {
  const entries = attrs instanceof Map ? [...attrs.entries()] : Object.entries(attrs);
  const parts: Buffer[] = [];
  for (const [k, v] of entries) parts.push(encodeLenencString(k), encodeLenencString(v));
  const body = Buffer.concat(parts);
  return Buffer.concat([encodeLenencInt(body.length), body]);
}
