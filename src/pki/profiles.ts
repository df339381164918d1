import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { KeyUsageFlags, type JsonName, type Name } from './x509.js';
import { SUBORDINATE_VALIDITY_YEARS, type CaFamily, type KeyType } from './families.js';
import { isRsaKeyType } from './keys.js';

/**
 * Certificate profiles: what each kind of certificate says (names, validity, constraints, usages),
 * as pure functions of their inputs and the current time. Signing is in `sign.ts`.
 */

/** Every certificate's notBefore is this far before "now", so a client whose clock is a little behind still accepts it. */
export const BACKDATE_MS = 5 * 60 * 1000;

/** Default validity of server and link certificates, in days (REFERENCE §1: 1 year when rotation needs no restart). */
export const DEFAULT_LEAF_VALIDITY_DAYS = 365;

/** Validity of the internal link CA, in years. */
export const LINK_CA_VALIDITY_YEARS = 10;

/** Common name of the internal (never published) CA that signs link certificates. */
export const LINK_CA_COMMON_NAME = 'tlsql internal link CA';

const ORGANIZATION = 'tlsql';
const COUNTRY = 'US';
const DAY_MS = 24 * 60 * 60 * 1000;

/** A subject alternative name: a DNS name or an IP address literal. */
export interface SubjectAltName {
  type: 'dns' | 'ip';
  value: string;
}

/** Everything a certificate says except its key, serial and issuer. */
export interface CertificateProfile {
  /** A Name (parsed DER) when the subject must be copied byte for byte from another certificate. */
  subject: JsonName | Name;
  notBefore: Date;
  notAfter: Date;
  /** `false` for an end-entity certificate; for a CA, its pathLen constraint (undefined = none). */
  ca: false | { pathLength?: number };
  /** Bit set of KeyUsageFlags; always marked critical. */
  keyUsage: number;
  /** EKU OIDs; omitted when empty. */
  extendedKeyUsage: string[];
  subjectAltNames: SubjectAltName[];
  /**
   * URLs of the issuer's CRL (cRLDistributionPoints, non-critical); omitted when absent or empty.
   * Only client certificates carry one: server certificates keep RDS's shape (docs/revocation.md).
   */
  crlDistributionPoints?: string[];
}

/** The CN of the root of `family` in `region`, e.g. `tlsql us-east-1 Root CA RSA2048 G1`. */
export function rootCommonName(region: string, family: CaFamily): string {
  return `tlsql ${region} Root CA ${family.label}`;
}

/** The CN of the regional subordinate of `family`, e.g. `tlsql us-east-1 Subordinate CA RSA2048 G1.A.1`. */
export function subordinateCommonName(region: string, family: CaFamily): string {
  return `tlsql ${region} Subordinate CA ${family.label}.A.1`;
}

/** `C=US, O=tlsql, CN=<commonName>` in DER order. */
export function distinguishedName(commonName: string): JsonName {
  return [{ C: [COUNTRY] }, { O: [ORGANIZATION] }, { CN: [commonName] }];
}

/**
 * A random 128-bit positive serial number as 32 lowercase hex digits. The top bit is always set so
 * every serial has exactly 128 bits (DER then adds one 0x00 byte to keep it positive: 17 bytes, under the 20-byte limit).
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) | 0x80;
  return bytes.toString('hex');
}

/** `date` plus `years` calendar years (UTC). */
export function addYears(date: Date, years: number): Date {
  const d = new Date(date.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
}

/** `date` plus `days` days of 24 hours. */
export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS);
}

/** `now` minus BACKDATE_MS, truncated to whole seconds (X.509 times have no fractions). */
export function backdatedNotBefore(now: Date): Date {
  const ms = now.getTime() - BACKDATE_MS;
  return new Date(ms - (((ms % 1000) + 1000) % 1000));
}

const CA_KEY_USAGE = KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign | KeyUsageFlags.digitalSignature;
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** Self-signed root of `family` in `region`: CA:TRUE without pathLen, valid `family.rootValidityYears` from now-5min. */
export function rootProfile(p: { region: string; family: CaFamily; now: Date }): CertificateProfile {
  const notBefore = backdatedNotBefore(p.now);
  return {
    subject: distinguishedName(rootCommonName(p.region, p.family)),
    notBefore,
    notAfter: addYears(notBefore, p.family.rootValidityYears),
    ca: {},
    keyUsage: CA_KEY_USAGE,
    extendedKeyUsage: [],
    subjectAltNames: [],
  };
}

/** Regional subordinate of `family`: CA:TRUE pathLen 0, valid SUBORDINATE_VALIDITY_YEARS from now-5min (clamped to the root at signing). */
export function subordinateProfile(p: { region: string; family: CaFamily; now: Date }): CertificateProfile {
  const notBefore = backdatedNotBefore(p.now);
  return {
    subject: distinguishedName(subordinateCommonName(p.region, p.family)),
    notBefore,
    notAfter: addYears(notBefore, SUBORDINATE_VALIDITY_YEARS),
    ca: { pathLength: 0 },
    keyUsage: CA_KEY_USAGE,
    extendedKeyUsage: [],
    subjectAltNames: [],
  };
}

/** The internal link CA: self-signed, CA:TRUE pathLen 0 (it signs only leaves), valid LINK_CA_VALIDITY_YEARS. */
export function linkCaProfile(p: { now: Date }): CertificateProfile {
  const notBefore = backdatedNotBefore(p.now);
  return {
    subject: distinguishedName(LINK_CA_COMMON_NAME),
    notBefore,
    notAfter: addYears(notBefore, LINK_CA_VALIDITY_YEARS),
    ca: { pathLength: 0 },
    keyUsage: CA_KEY_USAGE,
    extendedKeyUsage: [],
    subjectAltNames: [],
  };
}

/**
 * A TLS server certificate for `hostname`: CN and SAN both the name (SAN type IP for an IP literal),
 * EKU serverAuth, keyUsage digitalSignature (+ keyEncipherment for RSA keys), CA:FALSE,
 * valid `validityDays` (default DEFAULT_LEAF_VALIDITY_DAYS) from now-5min.
 */
export function serverProfile(p: { hostname: string; keyType: KeyType; now: Date; validityDays?: number }): CertificateProfile {
  const notBefore = backdatedNotBefore(p.now);
  return {
    subject: distinguishedName(p.hostname),
    notBefore,
    notAfter: addDays(notBefore, p.validityDays ?? DEFAULT_LEAF_VALIDITY_DAYS),
    ca: false,
    keyUsage: KeyUsageFlags.digitalSignature | (isRsaKeyType(p.keyType) ? KeyUsageFlags.keyEncipherment : 0),
    extendedKeyUsage: [SERVER_AUTH],
    subjectAltNames: [{ type: isIP(p.hostname) === 0 ? 'dns' : 'ip', value: p.hostname }],
  };
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * True when `name` is a DNS host name a certificate may carry: LDH labels of 1-63 characters,
 * at most 253 characters, no trailing dot, no wildcard.
 */
export function isValidDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.split('.').every((label) => LABEL.test(label));
}
