import net from 'node:net';
import { AppError } from '../errors/app-error.js';

/**
 * Network allow-lists: the CIDR rules of an instance's DB security groups, checked when a TCP
 * connection is accepted, before the engine is contacted or a byte is sent.
 */

/** A parsed CIDR rule. */
export interface Cidr {
  family: 'ipv4' | 'ipv6';
  /** The network address with host bits cleared, in canonical text form. */
  network: string;
  prefix: number;
}

/**
 * Parses `10.0.0.0/8`, `192.0.2.7/32`, `2001:db8::/32`, `::1/128`. Host bits are cleared
 * (`10.1.2.3/8` -> `10.0.0.0/8`) and IPv6 is written in RFC 5952 form. An address without a
 * prefix is refused (RDS requires one). Throws InvalidParameterValue.
 */
export function parseCidr(text: string): Cidr {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(text.trim());
  const family = m ? net.isIPv4(m[1]!) ? 'ipv4' : net.isIPv6(m[1]!) ? 'ipv6' : null : null;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || !family || prefix > (family === 'ipv4' ? 32 : 128)) {
    throw new AppError('InvalidParameterValue', `Invalid CIDRIP ${JSON.stringify(text)}: use an IPv4 or IPv6 network with a prefix length, e.g. 203.0.113.0/24, 127.0.0.1/32 or 2001:db8::/32`);
  }
  const bytes = family === 'ipv4' ? ipv4Bytes(m[1]!) : ipv6Bytes(m[1]!);
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { family, network: family === 'ipv4' ? bytes.join('.') : formatIpv6(bytes), prefix };
}

/** `a.b.c.d/n` or `x::/n`. */
export function formatCidr(c: Cidr): string {
  return `${c.network}/${c.prefix}`;
}

/** The set of client addresses allowed to connect to one instance. */
export class AllowList {
  private readonly list = new net.BlockList();

  constructor(readonly rules: readonly Cidr[]) {
    for (const r of rules) this.list.addSubnet(r.network, r.prefix, r.family);
  }

  /**
   * True when `address` (as `socket.remoteAddress`, `::ffff:`-mapped IPv4 included) is inside a rule.
   * An empty list allows nothing, like a security group without inbound rules.
   */
  allows(address: string): boolean {
    const mapped = address.startsWith('::ffff:') && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
    const family = net.isIPv4(mapped) ? 'ipv4' : net.isIPv6(mapped) ? 'ipv6' : null;
    return family !== null && this.list.check(mapped, family);
  }
}

function ipv4Bytes(a: string): number[] {
  return a.split('.').map(Number);
}

function ipv6Bytes(a: string): number[] {
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups first.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  let text = a;
  if (v4) {
    const b = ipv4Bytes(v4[1]!);
    text = a.slice(0, v4.index) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/** RFC 5952 text form (what the URL parser produces for a bracketed host). */
function formatIpv6(bytes: number[]): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}
