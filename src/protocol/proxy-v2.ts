import { isIPv4, isIPv6 } from 'node:net';
import { BufferReader, PacketError, checkUint } from './wire.js';

/**
 * PROXY protocol version 2 header (haproxy's proxy-protocol.txt, section 2.2), which the front
 * door writes to the backend before any MySQL byte so MariaDB (`proxy_protocol_networks`) sees the
 * real client address. Only the TCP forms are produced: 12-byte signature, 0x21 (version 2,
 * PROXY), 0x11 (TCP over IPv4) or 0x21 (TCP over IPv6), big-endian address-block length, source
 * address, destination address, source port, destination port.
 */

/** The 12-byte signature every v2 header starts with: `\r\n\r\n\0\r\nQUIT\n`. */
export const PROXY_V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
const VERSION_2 = 0x20;
const COMMAND_LOCAL = 0x00;
const COMMAND_PROXY = 0x01;
const FAMILY_UNSPEC = 0x00;
const FAMILY_TCP4 = 0x11;
const FAMILY_TCP6 = 0x21;
const FIXED_BYTES = 16;
const TCP4_ADDRESS_BYTES = 12;
const TCP6_ADDRESS_BYTES = 36;

/** The connection a header describes. Addresses are textual, as Node reports them on sockets. */
export interface ProxyV2Addresses {
  /** Client address: IPv4, IPv6, or IPv4-mapped IPv6 (`::ffff:127.0.0.1`). */
  sourceAddress: string;
  sourcePort: number;
  /** Address the client connected to (the front door's listening address). */
  destAddress: string;
  destPort: number;
}

/** A decoded header. */
export interface ProxyV2Header {
  kind: 'proxy-v2';
  /** `proxy`: addresses are the real client's. `local`: a health check from the proxy itself. */
  command: 'proxy' | 'local';
  /** Address family of the address block; `unspec` carries no addresses. */
  family: 'tcp4' | 'tcp6' | 'unspec';
  /** Null for `local` and `unspec`. IPv6 addresses are in RFC 5952 form. */
  addresses: ProxyV2Addresses | null;
  /** Type-length-value extensions after the addresses, raw. */
  tlvs: Buffer;
  /** Total header length in bytes; the proxied stream starts right after. */
  headerBytes: number;
}

/**
 * Encodes a PROXY v2 header for a TCP connection. Both addresses are written as IPv4 (family 0x11)
 * when both are IPv4 or IPv4-mapped IPv6; otherwise both as IPv6 (0x21), an IPv4 one mapped to
 * `::ffff:a.b.c.d`. Throws `PacketError('invalid-value')` for an unparseable address or port.
 */
export function encodeProxyV2(value: ProxyV2Addresses): Buffer {
  checkUint(value.sourcePort, 0xffff, 'sourcePort');
  checkUint(value.destPort, 0xffff, 'destPort');
  const src = addressBytes(value.sourceAddress, 'sourceAddress');
  const dst = addressBytes(value.destAddress, 'destAddress');
  const v4 = src.length === 4 && dst.length === 4;
  const addrLength = v4 ? TCP4_ADDRESS_BYTES : TCP6_ADDRESS_BYTES;
  const out = Buffer.alloc(FIXED_BYTES + addrLength);
  PROXY_V2_SIGNATURE.copy(out, 0);
  out[12] = VERSION_2 | COMMAND_PROXY;
  out[13] = v4 ? FAMILY_TCP4 : FAMILY_TCP6;
  out.writeUInt16BE(addrLength, 14);
  let at = FIXED_BYTES;
  at += (v4 ? src : toV6(src)).copy(out, at);
  at += (v4 ? dst : toV6(dst)).copy(out, at);
  at = out.writeUInt16BE(value.sourcePort, at);
  out.writeUInt16BE(value.destPort, at);
  return out;
}

/**
 * Decodes a PROXY v2 header at the start of `buf` (bytes after it are ignored; see
 * `headerBytes`). Throws `PacketError`: `malformed` for a bad signature or version, `truncated`
 * when the header is incomplete, `unsupported` for UDP and UNIX-socket families.
 */
export function parseProxyV2(buf: Buffer): ProxyV2Header {
  const r = new BufferReader(buf, 'PROXY v2');
  const sig = r.bytes(PROXY_V2_SIGNATURE.length, 'signature');
  if (!sig.equals(PROXY_V2_SIGNATURE)) throw new PacketError('malformed', 'PROXY v2: bad signature');
  const verCmd = r.u8('version/command');
  if ((verCmd & 0xf0) !== VERSION_2) throw new PacketError('malformed', `PROXY v2: version ${verCmd >> 4} is not 2`);
  const cmd = verCmd & 0x0f;
  if (cmd !== COMMAND_LOCAL && cmd !== COMMAND_PROXY) throw new PacketError('malformed', `PROXY v2: unknown command ${cmd}`);
  const fam = r.u8('family');
  const len = r.bytes(2, 'length').readUInt16BE(0);
  const block = new BufferReader(r.bytes(len, 'address block'), 'PROXY v2 address block');
  const headerBytes = FIXED_BYTES + len;
  const command = cmd === COMMAND_PROXY ? 'proxy' : 'local';

  if (fam === FAMILY_UNSPEC) return { kind: 'proxy-v2', command, family: 'unspec', addresses: null, tlvs: block.rest(), headerBytes };
  if (fam !== FAMILY_TCP4 && fam !== FAMILY_TCP6) {
    throw new PacketError('unsupported', `PROXY v2: address family 0x${fam.toString(16)} is not TCP`);
  }
  const v4 = fam === FAMILY_TCP4;
  const size = v4 ? 4 : 16;
  const src = block.bytes(size, 'source address');
  const dst = block.bytes(size, 'destination address');
  const sourcePort = block.bytes(2, 'source port').readUInt16BE(0);
  const destPort = block.bytes(2, 'destination port').readUInt16BE(0);
  const text = v4 ? formatIPv4 : formatIPv6;
  return {
    kind: 'proxy-v2',
    command,
    family: v4 ? 'tcp4' : 'tcp6',
    addresses: command === 'local' ? null : { sourceAddress: text(src), sourcePort, destAddress: text(dst), destPort },
    tlvs: block.rest(),
    headerBytes,
  };
}

/**
 * Parsed addresses, by text: a front door sees the same few client and listening addresses over
 * and over, and parsing was 1% of its CPU per connection. Bounded; the values are only read.
 */
const parsedAddresses = new Map<string, Buffer>();
const PARSED_ADDRESSES_MAX = 1024;

/** 4 bytes for IPv4 and IPv4-mapped IPv6, else 16. The result must not be modified. */
function addressBytes(addr: string, field: string): Buffer {
  let b = parsedAddresses.get(addr);
  if (!b) {
    b = parseAddress(addr, field);
    if (parsedAddresses.size >= PARSED_ADDRESSES_MAX) parsedAddresses.clear();
    parsedAddresses.set(addr, b);
  }
  return b;
}

function parseAddress(addr: string, field: string): Buffer {
  if (isIPv4(addr)) return ipv4Bytes(addr);
  if (isIPv6(addr)) {
    const b = ipv6Bytes(addr);
    const mapped = b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
    return mapped ? b.subarray(12) : b;
  }
  throw new PacketError('invalid-value', `PROXY v2: ${field} ${JSON.stringify(addr)} is not an IP address`);
}

function ipv4Bytes(addr: string): Buffer {
  return Buffer.from(addr.split('.').map(Number));
}

/** Parses a textual IPv6 address (already validated by `isIPv6`) into 16 bytes; a zone id is dropped. */
function ipv6Bytes(input: string): Buffer {
  let addr = input;
  const zone = addr.indexOf('%');
  if (zone >= 0) addr = addr.slice(0, zone);
  const out = Buffer.alloc(16);
  // A dotted-quad tail fills the last 4 bytes; stand two zero groups in for it while parsing.
  const lastColon = addr.lastIndexOf(':');
  const dottedTail = addr.indexOf('.', lastColon) >= 0;
  if (dottedTail) {
    ipv4Bytes(addr.slice(lastColon + 1)).copy(out, 12);
    addr = `${addr.slice(0, lastColon + 1)}0:0`;
  }
  const [headText = '', tailText] = addr.split('::');
  const groupsOf = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const head = groupsOf(headText);
  const tail = tailText === undefined ? [] : groupsOf(tailText);
  const groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const written = dottedTail ? 6 : 8;
  for (let i = 0; i < written; i++) out.writeUInt16BE(groups[i] ?? 0, i * 2);
  return out;
}

function toV6(b: Buffer): Buffer {
  if (b.length === 16) return b;
  const out = Buffer.alloc(16);
  out[10] = 0xff;
  out[11] = 0xff;
  b.copy(out, 12);
  return out;
}

function formatIPv4(b: Buffer): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run of 2+ zero groups as `::`, IPv4-mapped as `::ffff:a.b.c.d`. */
function formatIPv6(b: Buffer): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) {
    return `::ffff:${formatIPv4(b.subarray(12))}`;
  }
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}
