import { describe, expect, it } from 'vitest';
import { AllowList, formatCidr, parseCidr } from '../../../src/dataplane/allow-list.js';

describe('network allow-list', () => {
  it('canonicalises CIDRs: host bits cleared, IPv6 in RFC 5952 form', () => {
    expect(formatCidr(parseCidr('10.1.2.3/8'))).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('192.0.2.7/32'))).toBe('192.0.2.7/32');
    expect(formatCidr(parseCidr('0.0.0.0/0'))).toBe('0.0.0.0/0');
    expect(formatCidr(parseCidr('2001:0DB8:0:0:1::5/32'))).toBe('2001:db8::/32');
    expect(formatCidr(parseCidr('::1/128'))).toBe('::1/128');
    expect(formatCidr(parseCidr('::ffff:10.0.0.1/120'))).toBe('::ffff:a00:0/120');
  });

  it.each(['10.0.0.0', '10.0.0.0/33', '::/129', 'example.com/8', '10.0.0/8', '', '1.2.3.4/-1', '1.2.3.4/ 8'])('rejects %j with InvalidParameterValue', (bad) => {
    expect(() => parseCidr(bad)).toThrow(expect.objectContaining({ code: 'InvalidParameterValue' }));
  });

  it('matches IPv4, IPv4-mapped IPv6 and IPv6 client addresses against their own rules only', () => {
    const list = new AllowList([parseCidr('127.0.0.0/8'), parseCidr('2001:db8::/32')]);
    expect(list.allows('127.0.0.1')).toBe(true);
    expect(list.allows('::ffff:127.0.0.9')).toBe(true);
    expect(list.allows('128.0.0.1')).toBe(false);
    expect(list.allows('2001:db8::42')).toBe(true);
    expect(list.allows('::1')).toBe(false);
    expect(list.allows('')).toBe(false);
  });

  it('allows nothing with no rules, like a security group without inbound rules', () => {
    expect(new AllowList([]).allows('127.0.0.1')).toBe(false);
  });
});
