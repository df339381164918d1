import { describe, expect, it } from 'vitest';
import { getCaFamily } from '../../../src/pki/families.js';
import {
  BACKDATE_MS,
  backdatedNotBefore,
  isValidDnsName,
  randomSerialHex,
  rootCommonName,
  rootProfile,
  serverProfile,
  subordinateCommonName,
  subordinateProfile,
} from '../../../src/pki/profiles.js';
import { KeyUsageFlags } from '../../../src/pki/x509.js';

const rsa2048 = getCaFamily('tlsql-ca-rsa2048-g1')!;
const now = new Date('2026-03-01T12:00:00.750Z');

describe('certificate profiles', () => {
  it('makes 128-bit positive serials that do not repeat', () => {
    const serials = Array.from({ length: 1000 }, () => randomSerialHex());
    for (const s of serials) {
      expect(s).toMatch(/^[0-9a-f]{32}$/);
      // Top bit set: exactly 128 significant bits; DER adds a 0x00 sign byte, so the INTEGER is positive.
      expect(BigInt('0x' + s) >> 127n).toBe(1n);
    }
    expect(new Set(serials).size).toBe(serials.length);
  });

  it('backdates notBefore by five minutes to whole seconds', () => {
    expect(BACKDATE_MS).toBe(300_000);
    expect(backdatedNotBefore(now).toISOString()).toBe('2026-03-01T11:55:00.000Z');
  });

  it('names roots and subordinates like RDS does', () => {
    expect(rootCommonName('us-east-1', rsa2048)).toBe('tlsql us-east-1 Root CA RSA2048 G1');
    expect(subordinateCommonName('us-east-1', rsa2048)).toBe('tlsql us-east-1 Subordinate CA RSA2048 G1.A.1');
  });

  it('gives roots the family lifetime and subordinates ten years with pathLen 0', () => {
    const root = rootProfile({ region: 'eu-west-1', family: rsa2048, now });
    expect(root.notAfter.toISOString()).toBe('2066-03-01T11:55:00.000Z');
    expect(root.ca).toEqual({});
    expect(root.subject).toEqual([{ C: ['US'] }, { O: ['tlsql'] }, { CN: ['tlsql eu-west-1 Root CA RSA2048 G1'] }]);
    const sub = subordinateProfile({ region: 'eu-west-1', family: rsa2048, now });
    expect(sub.notAfter.toISOString()).toBe('2036-03-01T11:55:00.000Z');
    expect(sub.ca).toEqual({ pathLength: 0 });
    expect(sub.keyUsage).toBe(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature);
  });

  it('allows key encipherment only for RSA server keys', () => {
    const rsa = serverProfile({ hostname: 'db.example', keyType: 'rsa2048', now });
    const ec = serverProfile({ hostname: 'db.example', keyType: 'ecdsa-p384', now });
    expect(rsa.keyUsage).toBe(KeyUsageFlags.digitalSignature | KeyUsageFlags.keyEncipherment);
    expect(ec.keyUsage).toBe(KeyUsageFlags.digitalSignature);
    expect(rsa.ca).toBe(false);
    expect(rsa.extendedKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
  });

  it('puts the hostname in the SAN as a DNS name, or as an IP address for IP literals', () => {
    expect(serverProfile({ hostname: 'db.example', keyType: 'rsa2048', now }).subjectAltNames).toEqual([{ type: 'dns', value: 'db.example' }]);
    expect(serverProfile({ hostname: '127.0.0.1', keyType: 'rsa2048', now }).subjectAltNames).toEqual([{ type: 'ip', value: '127.0.0.1' }]);
  });

  it('defaults server validity to 365 days from the backdated notBefore', () => {
    const p = serverProfile({ hostname: 'db.example', keyType: 'rsa2048', now });
    expect(p.notAfter.getTime() - p.notBefore.getTime()).toBe(365 * 86_400_000);
    const q = serverProfile({ hostname: 'db.example', keyType: 'rsa2048', now, validityDays: 3 });
    expect(q.notAfter.getTime() - q.notBefore.getTime()).toBe(3 * 86_400_000);
  });

  it('accepts host names and rejects trailing dots, wildcards and bad labels', () => {
    expect(isValidDnsName('db1.abcdefghijkl.us-east-1.rds.amazonaws.com')).toBe(true);
    expect(isValidDnsName('localhost')).toBe(true);
    for (const bad of ['', 'db.example.', '*.example', '-db.example', 'db-.example', 'db..example', 'db_1.example', 'a'.repeat(64) + '.x']) {
      expect(isValidDnsName(bad), bad).toBe(false);
    }
  });
});
