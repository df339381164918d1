/** Key type of an engine link certificate: follows the instance's CA family (RSA families: rsa2048; ECC: ecdsa-p256). */
export type LinkKeyType = 'rsa2048' | 'ecdsa-p256';

/**
 * An engine link certificate as stored: the one record of what the engine serves to the front
 * door, its key type included. `keySealed` is null for one adopted from a running engine (issued
 * before tlsql recorded link certificates).
 */
export interface LinkCertificateRecord {
  serial: string;
  /** The instance's DbiResourceId (never reused, unlike identifiers). */
  resourceId: string;
  keyType: LinkKeyType;
  certPem: string;
  keySealed: Buffer | null;
  notBefore: Date;
  notAfter: Date;
  /** One `active` certificate per instance; replaced ones are `retired`. */
  state: 'active' | 'retired';
  createdAt: Date;
}
