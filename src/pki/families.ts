/**
 * CA families: tlsql's counterpart of the RDS CA identifiers (`rds-ca-rsa2048-g1`, ...).
 * Each family is one root per region plus one regional subordinate that signs server certificates;
 * the numbers follow docs/reference.md §1.
 */

/** Identifier of a CA family, as shown in `CACertificateIdentifier`. */
export type CaFamilyId = 'tlsql-ca-rsa2048-g1' | 'tlsql-ca-rsa4096-g1' | 'tlsql-ca-ecc384-g1';

/**
 * Key algorithm and size of a certificate's key. `ecdsa-p256` is used only by the internal link CA
 * and link certificates; the public families use the other three.
 */
export type KeyType = 'rsa2048' | 'rsa4096' | 'ecdsa-p384' | 'ecdsa-p256';

/** Hash used in the signatures a CA makes. */
export type SignatureHash = 'SHA-256' | 'SHA-384';

export interface CaFamily {
  id: CaFamilyId;
  /** Key type of the root, the subordinate and every server certificate of the family. */
  keyType: KeyType;
  /** Hash of every signature made by the family's root and subordinate. */
  hash: SignatureHash;
  /** Root validity in years, counted from the root's notBefore. */
  rootValidityYears: number;
  /** Suffix of the CA common names, e.g. `RSA2048 G1` in `tlsql us-east-1 Root CA RSA2048 G1`. */
  label: string;
}

/** Every family, in the order they are listed to clients (default first). Frozen. */
export const CA_FAMILIES: readonly CaFamily[] = Object.freeze(
  (
    [
      { id: 'tlsql-ca-rsa2048-g1', keyType: 'rsa2048', hash: 'SHA-256', rootValidityYears: 40, label: 'RSA2048 G1' },
      { id: 'tlsql-ca-rsa4096-g1', keyType: 'rsa4096', hash: 'SHA-384', rootValidityYears: 100, label: 'RSA4096 G1' },
      { id: 'tlsql-ca-ecc384-g1', keyType: 'ecdsa-p384', hash: 'SHA-384', rootValidityYears: 100, label: 'ECC384 G1' },
    ] satisfies CaFamily[]
  ).map((f) => Object.freeze(f)),
);

/** The family new DB instances get when none is asked for (RDS: `rds-ca-rsa2048-g1`). */
export const DEFAULT_CA_FAMILY: CaFamilyId = 'tlsql-ca-rsa2048-g1';

/** Validity of every regional subordinate CA, in years (never beyond its root). */
export const SUBORDINATE_VALIDITY_YEARS = 10;

/** The family with identifier `id`, or undefined. Case-sensitive, like RDS identifiers on the wire. */
export function getCaFamily(id: string): CaFamily | undefined {
  return CA_FAMILIES.find((f) => f.id === id);
}

export function isCaFamilyId(id: string): id is CaFamilyId {
  return getCaFamily(id) !== undefined;
}
