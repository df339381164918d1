/**
 * A minimal DER encoder for the few ASN.1 structures tlsql writes by hand (PKCS#7 certificate
 * bundles, PKCS#12 truststores). Every function returns the complete TLV as a Buffer, so structures
 * are built bottom-up: `seq(oid('1.2.3'), octets(body))`.
 */

/** Universal tags used below. */
const TAG = {
  integer: 0x02,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

function lengthBytes(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** A TLV with tag byte `tag` around `content`. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), lengthBytes(content.length), content]);
}

export function seq(...items: Buffer[]): Buffer {
  return tlv(TAG.sequence, Buffer.concat(items));
}

/** SET OF, with members sorted by their encodings as DER requires. */
export function setOf(...items: Buffer[]): Buffer {
  return tlv(TAG.set, Buffer.concat([...items].sort(Buffer.compare)));
}

/** Context-specific constructed tag `[n]` around already encoded content (EXPLICIT, or IMPLICIT of a constructed type). */
export function ctx(n: number, ...content: Buffer[]): Buffer {
  return tlv(0xa0 | n, Buffer.concat(content));
}

/** A non-negative INTEGER. */
export function int(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`DER INTEGER must be a non-negative safe integer, got ${n}`);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0 || (bytes[0]! & 0x80) !== 0) bytes.unshift(0);
  return tlv(TAG.integer, Buffer.from(bytes));
}

export function octets(b: Buffer): Buffer {
  return tlv(TAG.octetString, b);
}

export function nul(): Buffer {
  return Buffer.from([TAG.null, 0]);
}

/** OBJECT IDENTIFIER from dotted text, e.g. `1.2.840.113549.1.7.2`. */
export function oid(dotted: string): Buffer {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new RangeError(`bad OID arc in ${dotted}`);
    return Number(a);
  });
  if (arcs.length < 2) throw new RangeError(`OID needs at least two arcs: ${dotted}`);
  const out: number[] = [];
  const push = (v: number) => {
    const group: number[] = [v & 0x7f];
    for (let x = Math.floor(v / 128); x > 0; x = Math.floor(x / 128)) group.unshift((x & 0x7f) | 0x80);
    out.push(...group);
  };
  push(arcs[0]! * 40 + arcs[1]!);
  for (const a of arcs.slice(2)) push(a);
  return tlv(TAG.oid, Buffer.from(out));
}

/** BMPString (UTF-16BE), as PKCS#12 friendly names use. */
export function bmpString(s: string): Buffer {
  return tlv(TAG.bmpString, Buffer.from(s, 'utf16le').swap16());
}

/** PEM armour with 64-character lines, e.g. `pemEncode('PKCS7', der)`. */
export function pemEncode(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}-----END ${label}-----\n`;
}
