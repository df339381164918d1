import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * mysql2's own packet classes, as an independent second implementation to cross-check the codecs.
 * Its package exports hide lib/, so they are loaded by file path.
 */
const require = createRequire(import.meta.url);
const lib = path.join(path.dirname(require.resolve('mysql2')), 'lib');

interface Mysql2Packet {
  readonly sequenceId: number;
}
type PacketCtor = new (id: number, buffer: Buffer, start: number, end: number) => Mysql2Packet;

const Packet = require(path.join(lib, 'packets/packet.js')) as PacketCtor;
const Handshake = require(path.join(lib, 'packets/handshake.js')) as {
  fromPacket(p: Mysql2Packet): {
    protocolVersion: number;
    serverVersion: string;
    connectionId: number;
    capabilityFlags: number;
    authPluginData1: Buffer;
    authPluginData2: Buffer;
    authPluginName: string;
    mariadbExtendedCapabilityFlags: number;
  };
};
const HandshakeResponse = require(path.join(lib, 'packets/handshake_response.js')) as {
  fromPacket(p: Mysql2Packet): {
    clientFlags: number;
    user: string;
    authToken: Buffer;
    database?: string;
    authPluginName?: string;
    connectAttributes?: Record<string, string>;
  };
};

/** Wraps a payload the way mysql2 expects: a buffer holding the 4-byte header and the payload. */
function mysql2Packet(payload: Buffer): Mysql2Packet {
  const framed = Buffer.concat([Buffer.alloc(4), payload]);
  return new Packet(0, framed, 0, framed.length);
}

export function mysql2ParseGreeting(payload: Buffer) {
  return Handshake.fromPacket(mysql2Packet(payload));
}

export function mysql2ParseHandshakeResponse(payload: Buffer) {
  return HandshakeResponse.fromPacket(mysql2Packet(payload));
}
