import { describe, expect, it } from 'vitest';
import { PROXY_V2_SIGNATURE, encodeProxyV2, parseProxyV2 } from '../../../src/protocol/proxy-v2.js';
import { PacketError } from '../../../src/protocol/wire.js';
import { expectEveryPrefixRejectedOrExact } from './prefixes.js';

const SIG = '0d0a0d0a000d0a515549540a';

describe('PROXY protocol v2', () => {
  it('starts with the fixed signature \\r\\n\\r\\n\\0\\r\\nQUIT\\n', () => {
    expect(PROXY_V2_SIGNATURE.toString('latin1')).toBe('\r\n\r\n\0\r\nQUIT\n');
  });

  it('encodes TCP over IPv4 with big-endian length and ports', () => {
    const wire = encodeProxyV2({ sourceAddress: '192.0.2.10', sourcePort: 51000, destAddress: '10.0.0.1', destPort: 3306 });
    expect(wire.toString('hex')).toBe(SIG + '21' + '11' + '000c' + 'c000020a' + '0a000001' + 'c738' + '0cea');
    expect(parseProxyV2(wire)).toEqual({
      kind: 'proxy-v2',
      command: 'proxy',
      family: 'tcp4',
      addresses: { sourceAddress: '192.0.2.10', sourcePort: 51000, destAddress: '10.0.0.1', destPort: 3306 },
      tlvs: Buffer.alloc(0),
      headerBytes: 28,
    });
  });

  it('encodes TCP over IPv6 with 16-byte addresses', () => {
    const wire = encodeProxyV2({ sourceAddress: '2001:db8::1', sourcePort: 40000, destAddress: '::1', destPort: 3306 });
    expect(wire.length).toBe(16 + 36);
    expect(wire.subarray(12, 16).toString('hex')).toBe('21210024');
    expect(wire.subarray(16, 32).toString('hex')).toBe('20010db8000000000000000000000001');
    expect(wire.subarray(32, 48).toString('hex')).toBe('00000000000000000000000000000001');
    expect(parseProxyV2(wire).addresses).toEqual({ sourceAddress: '2001:db8::1', sourcePort: 40000, destAddress: '::1', destPort: 3306 });
  });

  it('writes IPv4-mapped IPv6 addresses (as Node reports them on dual-stack sockets) as IPv4', () => {
    const wire = encodeProxyV2({ sourceAddress: '::ffff:127.0.0.1', sourcePort: 5000, destAddress: '::ffff:7f00:2', destPort: 3306 });
    expect(wire[13]).toBe(0x11);
    expect(parseProxyV2(wire).addresses).toEqual({ sourceAddress: '127.0.0.1', sourcePort: 5000, destAddress: '127.0.0.2', destPort: 3306 });
  });

  it('maps the IPv4 side to ::ffff:a.b.c.d when the other side is IPv6', () => {
    const wire = encodeProxyV2({ sourceAddress: '198.51.100.7', sourcePort: 1, destAddress: 'fe80::1%eth0', destPort: 2 });
    expect(wire[13]).toBe(0x21);
    expect(parseProxyV2(wire).addresses).toEqual({ sourceAddress: '::ffff:198.51.100.7', sourcePort: 1, destAddress: 'fe80::1', destPort: 2 });
  });

  it.each([
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'],
    ['::', '::'],
    ['1::', '1::'],
    ['::2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['64:ff9b::192.0.2.33', '64:ff9b::c000:221'],
  ])('round-trips IPv6 %s (read back as %s, RFC 5952)', (input, canonical) => {
    const wire = encodeProxyV2({ sourceAddress: input, sourcePort: 9, destAddress: '::1', destPort: 9 });
    expect(parseProxyV2(wire).addresses?.sourceAddress).toBe(canonical);
  });

  it('encodes a repeated address identically each time, and keeps refusing a bad one (parsed addresses are remembered)', () => {
    const v = { sourceAddress: '2001:db8::7', sourcePort: 40000, destAddress: '::1', destPort: 3306 };
    const first = encodeProxyV2(v);
    for (let i = 0; i < 3; i++) expect(encodeProxyV2(v).equals(first)).toBe(true);
    // The first header is not shared with later ones.
    first.fill(0);
    expect(parseProxyV2(encodeProxyV2(v)).addresses).toEqual(v);
    for (let i = 0; i < 2; i++) expect(() => encodeProxyV2({ ...v, sourceAddress: 'db.example' })).toThrow(PacketError);
  });

  it('refuses non-IP addresses and bad ports', () => {
    expect(() => encodeProxyV2({ sourceAddress: 'localhost', sourcePort: 1, destAddress: '::1', destPort: 1 })).toThrow(PacketError);
    expect(() => encodeProxyV2({ sourceAddress: '1.2.3.4', sourcePort: 70000, destAddress: '::1', destPort: 1 })).toThrow(PacketError);
  });

  it('parses LOCAL and UNSPEC headers without addresses, keeps TLVs, and reports where the stream starts', () => {
    const local = Buffer.from(SIG + '20' + '00' + '0003' + 'aabbcc' + 'dead', 'hex');
    expect(parseProxyV2(local)).toEqual({
      kind: 'proxy-v2',
      command: 'local',
      family: 'unspec',
      addresses: null,
      tlvs: Buffer.from('aabbcc', 'hex'),
      headerBytes: 19,
    });
    const withTlv = Buffer.concat([encodeProxyV2({ sourceAddress: '1.2.3.4', sourcePort: 1, destAddress: '5.6.7.8', destPort: 2 }), Buffer.from('01', 'hex')]);
    withTlv.writeUInt16BE(13, 14);
    expect(parseProxyV2(withTlv).tlvs.toString('hex')).toBe('01');
  });

  it('rejects bad signatures, versions and non-TCP families', () => {
    const good = encodeProxyV2({ sourceAddress: '1.2.3.4', sourcePort: 1, destAddress: '5.6.7.8', destPort: 2 });
    const badSig = Buffer.from(good);
    badSig[0] = 0;
    expect(() => parseProxyV2(badSig)).toThrow(expect.objectContaining({ reason: 'malformed' }));
    const v1 = Buffer.from(good);
    v1[12] = 0x11;
    expect(() => parseProxyV2(v1)).toThrow(expect.objectContaining({ reason: 'malformed' }));
    const udp = Buffer.from(good);
    udp[13] = 0x12;
    expect(() => parseProxyV2(udp)).toThrow(expect.objectContaining({ reason: 'unsupported' }));
  });

  it('rejects every truncation with PacketError', () => {
    for (const dest of ['5.6.7.8', '::1']) {
      const wire = encodeProxyV2({ sourceAddress: '1.2.3.4', sourcePort: 1, destAddress: dest, destPort: 2 });
      expect(expectEveryPrefixRejectedOrExact(wire, parseProxyV2)).toEqual([]);
    }
  });
});
