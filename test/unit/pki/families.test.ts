import { describe, expect, it } from 'vitest';
import { CA_FAMILIES, DEFAULT_CA_FAMILY, getCaFamily, isCaFamilyId } from '../../../src/pki/families.js';

describe('CA families', () => {
  it('lists the three families with the RDS key types, hashes and root lifetimes', () => {
    expect(CA_FAMILIES.map((f) => [f.id, f.keyType, f.hash, f.rootValidityYears, f.label])).toEqual([
      ['tlsql-ca-rsa2048-g1', 'rsa2048', 'SHA-256', 40, 'RSA2048 G1'],
      ['tlsql-ca-rsa4096-g1', 'rsa4096', 'SHA-384', 100, 'RSA4096 G1'],
      ['tlsql-ca-ecc384-g1', 'ecdsa-p384', 'SHA-384', 100, 'ECC384 G1'],
    ]);
  });

  it('defaults new instances to the RSA-2048 family', () => {
    expect(DEFAULT_CA_FAMILY).toBe('tlsql-ca-rsa2048-g1');
    expect(getCaFamily(DEFAULT_CA_FAMILY)?.keyType).toBe('rsa2048');
  });

  it('recognises family identifiers exactly, case-sensitively', () => {
    expect(isCaFamilyId('tlsql-ca-ecc384-g1')).toBe(true);
    expect(isCaFamilyId('TLSQL-CA-ECC384-G1')).toBe(false);
    expect(isCaFamilyId('rds-ca-rsa2048-g1')).toBe(false);
    expect(getCaFamily('nope')).toBeUndefined();
  });

  it('cannot be modified at run time', () => {
    expect(Object.isFrozen(CA_FAMILIES)).toBe(true);
    expect(CA_FAMILIES.every((f) => Object.isFrozen(f))).toBe(true);
  });
});
