/** A server certificate of an instance endpoint as stored; the private key stays sealed under the master key. */
export interface ServerCertificateRecord {
  serial: string;
  instanceId: string;
  /** The CA family that issued it, e.g. `tlsql-ca-rsa2048-g1`. */
  familyId: string;
  /** Leaf + issuing subordinate, PEM: what the endpoint serves. */
  chainPem: string;
  keySealed: Buffer;
  notBefore: Date;
  notAfter: Date;
  /** One `active` certificate per instance; replaced ones are `retired`. */
  state: 'active' | 'retired';
  createdAt: Date;
}
