/**
 * Client certificates tlsql issued, and their revocation (docs/revocation.md). RFC 5280 §5.3.1
 * names the reasons; tlsql accepts those that make sense for a final revocation of an end-entity
 * certificate (see `REVOCATION_REASONS`).
 */

/**
 * Reasons `RevokeClientCertificate` accepts, RFC 5280 CRLReason names. Left out on purpose:
 * `certificateHold` (a hold is undone later; tlsql revocations are final), `removeFromCRL` (delta
 * CRLs only), `cACompromise` and `aACompromise` (about a CA or attribute authority, not a client
 * certificate; revoke the CA's trust instead).
 */
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'] as const;

/** An RFC 5280 CRLReason name as tlsql records it; imported CRLs may carry any of RFC 5280's. */
export type RevocationReason =
  | (typeof REVOCATION_REASONS)[number]
  | 'cACompromise'
  | 'certificateHold'
  | 'removeFromCRL'
  | 'aACompromise';

/** A revocation: when and why. */
export interface Revocation {
  revokedAt: Date;
  reason: RevocationReason;
}

/** A client certificate tlsql issued, as stored (never with its key: tlsql never keeps it). */
export interface ClientCertificateRecord {
  region: string;
  /** Lower-case hex without leading zeros (`normaliseSerialHex`). */
  serialHex: string;
  /** OpenSSL one-line form, e.g. `/C=US/O=acme/CN=app`. */
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** `rsa2048`, `ecdsa-p256`, or null for a certificate recorded from a file when it was revoked. */
  keyType: string | null;
  /** When tlsql recorded it: issuance, or the revocation of a certificate issued before records were kept. */
  recordedAt: Date;
  revocation: Revocation | null;
}

/** A CRL imported for an operator's client CA on one instance. */
export interface ImportedCrlRecord {
  resourceId: string;
  /** Thumbprint of the operator CA (client_cas). */
  thumbprint: string;
  crlDer: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** CRL number (decimal) when the CRL has one. */
  crlNumber: string | null;
  importedAt: Date;
}

/**
 * A serial number as tlsql compares it: lower-case hex, no separators, no leading zeros (Node
 * prints DER's sign byte, @peculiar/x509 sometimes does not: both must meet).
 */
export function normaliseSerialHex(serial: string): string {
  const hex = serial.replace(/[:\s]/g, '').toLowerCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}
