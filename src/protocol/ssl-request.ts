import { CLIENT_PROTOCOL_41, CLIENT_SSL, hasCap } from './capabilities.js';
import {
  CLIENT_HEADER_BYTES,
  checkClientHeader,
  emptyClientFiller,
  readClientHeader,
  writeClientHeader,
  type ClientHeader,
} from './client-header.js';
import { BufferReader, BufferWriter, PacketError } from './wire.js';

/**
 * SSLRequest: the client's first packet when it wants TLS (sequence id 1). It is exactly the first
 * 32 bytes a HandshakeResponse41 would have, with CLIENT_SSL set; after it both sides run the TLS
 * handshake and the client sends its full HandshakeResponse41 inside TLS (sequence id 2).
 */
export interface SslRequest extends ClientHeader {
  kind: 'ssl-request';
}

/** SSLRequest payload length in bytes. */
export const SSL_REQUEST_BYTES = CLIENT_HEADER_BYTES;

/**
 * True when a client's first payload is an SSLRequest rather than a HandshakeResponse41: exactly
 * 32 bytes with CLIENT_SSL set. A HandshakeResponse41 is always longer (it has at least a username
 * terminator after the 32-byte header).
 */
export function isSslRequest(payload: Buffer): boolean {
  return payload.length === SSL_REQUEST_BYTES && hasCap(payload.readUInt32LE(0), CLIENT_SSL);
}

/** Parses an SSLRequest. Throws `PacketError` unless the payload is 32 bytes with CLIENT_SSL set. */
export function parseSslRequest(payload: Buffer): SslRequest {
  const r = new BufferReader(payload, 'SSLRequest');
  const header = readClientHeader(r);
  if (!r.atEnd) {
    throw new PacketError('malformed', `SSLRequest: expected ${SSL_REQUEST_BYTES} bytes, got ${payload.length}`);
  }
  if (!hasCap(header.capabilityFlags, CLIENT_SSL)) {
    throw new PacketError('malformed', 'SSLRequest: CLIENT_SSL is not set');
  }
  if (!hasCap(header.capabilityFlags, CLIENT_PROTOCOL_41)) {
    throw new PacketError('unsupported', 'SSLRequest: pre-4.1 clients are not supported');
  }
  return { kind: 'ssl-request', ...header };
}

/**
 * Encodes an SSLRequest payload. `filler` defaults to zeros and `mariadbExtendedCapabilities` to
 * 0. CLIENT_SSL is written as given: set it.
 */
export function encodeSslRequest(
  value: Omit<SslRequest, 'kind' | 'filler' | 'mariadbExtendedCapabilities'> &
    Partial<Pick<SslRequest, 'filler' | 'mariadbExtendedCapabilities'>>,
): Buffer {
  const header: ClientHeader = {
    capabilityFlags: value.capabilityFlags,
    maxPacketSize: value.maxPacketSize,
    characterSet: value.characterSet,
    filler: value.filler ?? emptyClientFiller(),
    mariadbExtendedCapabilities: value.mariadbExtendedCapabilities ?? 0,
  };
  checkClientHeader(header);
  const w = new BufferWriter(SSL_REQUEST_BYTES);
  writeClientHeader(w, header);
  return w.finish();
}
