import { isErrPacket } from './err-packet.js';
import { isOkPacket } from './ok-packet.js';
import { BufferReader, BufferWriter, PacketError, checkNoNul } from './wire.js';

// The ERR classifier lives with the ERR codec; re-exported so auth code imports one module.
export { ERR_HEADER, isErrPacket } from './err-packet.js';

/**
 * Server packets of the authentication exchange, after the client's HandshakeResponse41:
 * OK (0x00, done), ERR (0xff, refused), AuthSwitchRequest (0xfe, "restart with this plugin and
 * this scramble") or AuthMoreData (0x01, plugin-specific continuation). Client replies in between
 * are raw plugin data with no header byte, so they need no codec.
 */

/** First byte of an AuthSwitchRequest. */
export const AUTH_SWITCH_HEADER = 0xfe;
/** First byte of an AuthMoreData packet. */
export const AUTH_MORE_DATA_HEADER = 0x01;

/**
 * AuthSwitchRequest: int<1> 0xfe, string<NUL> plugin name, string<EOF> plugin data. MariaDB
 * sends the 20-byte scramble plus a NUL for mysql_native_password and a 32-byte nonce without
 * one for client_ed25519; `pluginData` keeps whatever was sent.
 */
export interface AuthSwitchRequest {
  kind: 'auth-switch';
  /**
   * Plugin to switch to, Latin-1 decoded. Null for the pre-plugin form, a lone 0xfe byte, which
   * asks the client to resend its password with the old (pre-4.1) hash.
   */
  pluginName: string | null;
  /** Plugin data to the end of the packet (for MariaDB, the new scramble). */
  pluginData: Buffer;
}

/** AuthMoreData: int<1> 0x01, then plugin-specific data to the end of the packet. */
export interface AuthMoreData {
  kind: 'auth-more-data';
  data: Buffer;
}

/** True when a server payload in the auth exchange is an AuthSwitchRequest (first byte 0xfe). */
export function isAuthSwitch(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === AUTH_SWITCH_HEADER;
}

/** True when a server payload in the auth exchange is AuthMoreData (first byte 0x01). */
export function isAuthMoreData(payload: Buffer): boolean {
  return payload.length > 0 && payload[0] === AUTH_MORE_DATA_HEADER;
}

/** What a server packet is during authentication. */
export type AuthReplyKind = 'ok' | 'err' | 'auth-switch' | 'auth-more-data' | 'unknown';

/**
 * Classifies a server payload received during authentication by its first byte (and, for OK,
 * its minimum length). `unknown` covers everything else, e.g. MySQL 8's AuthNextFactor (0x02).
 */
export function classifyAuthReply(payload: Buffer): AuthReplyKind {
  if (isOkPacket(payload)) return 'ok';
  if (isErrPacket(payload)) return 'err';
  if (isAuthSwitch(payload)) return 'auth-switch';
  if (isAuthMoreData(payload)) return 'auth-more-data';
  return 'unknown';
}

/** Parses an AuthSwitchRequest. Throws `PacketError` when it is not one or the plugin name is unterminated. */
export function parseAuthSwitchRequest(payload: Buffer): AuthSwitchRequest {
  const r = new BufferReader(payload, 'AuthSwitchRequest');
  const header = r.u8('header');
  if (header !== AUTH_SWITCH_HEADER) {
    throw new PacketError('malformed', `AuthSwitchRequest: header is 0x${header.toString(16)}, expected 0xfe`);
  }
  if (r.atEnd) return { kind: 'auth-switch', pluginName: null, pluginData: Buffer.alloc(0) };
  const pluginName = r.nulBytes('plugin name').toString('latin1');
  return { kind: 'auth-switch', pluginName, pluginData: r.rest() };
}

/** Encodes an AuthSwitchRequest payload (`pluginName: null` gives the lone-0xfe form and requires empty data). */
export function encodeAuthSwitchRequest(value: Omit<AuthSwitchRequest, 'kind'>): Buffer {
  if (value.pluginName === null) {
    if (value.pluginData.length > 0) {
      throw new PacketError('invalid-value', 'AuthSwitchRequest: the old-password form carries no plugin data');
    }
    return Buffer.from([AUTH_SWITCH_HEADER]);
  }
  const name = Buffer.from(value.pluginName, 'latin1');
  checkNoNul(name, 'plugin name');
  const w = new BufferWriter(1 + name.length + 1 + value.pluginData.length);
  w.u8(AUTH_SWITCH_HEADER).nulBytes(name).bytes(value.pluginData);
  return w.finish();
}

/** Parses AuthMoreData. Throws `PacketError` when the payload is empty or has another header. */
export function parseAuthMoreData(payload: Buffer): AuthMoreData {
  const r = new BufferReader(payload, 'AuthMoreData');
  const header = r.u8('header');
  if (header !== AUTH_MORE_DATA_HEADER) {
    throw new PacketError('malformed', `AuthMoreData: header is 0x${header.toString(16)}, expected 0x01`);
  }
  return { kind: 'auth-more-data', data: r.rest() };
}

/** Encodes an AuthMoreData payload. */
export function encodeAuthMoreData(value: Omit<AuthMoreData, 'kind'>): Buffer {
  const out = Buffer.allocUnsafe(1 + value.data.length);
  out[0] = AUTH_MORE_DATA_HEADER;
  value.data.copy(out, 1);
  return out;
}
