/**
 * The connection-security contract: network allow-lists as RDS DB security groups, the
 * connection list, client certificates and trusted client CAs. Implemented by
 * connection-security.ts; the records are in model/.
 */
import type { Tag } from '../model/tag.js';
import type { ClientCertificateAuthorityInfo } from '../model/client-certificate-authority.js';
import type { DbConnection } from '../model/db-connection.js';
import type { DbSecurityGroup } from '../model/db-security-group.js';
import type { ClientCertificateRecord } from '../model/client-certificate.js';
import type { IssuedClientCertificate } from '../pki/client-ca.js';
import type { ImportedCrlInfo } from './client-revocation.js';

/** What the API and the CLI may ask of connection security. Inputs are validated by the implementation (AppError with RDS codes). */
export interface ConnectionSecurityControl {
  /** With `tags` (checked as RDS does: at most 50, `aws:` reserved), readable with ListTagsForResource. */
  createDbSecurityGroup(q: { name: string; description: string; tags?: Tag[] }): Promise<DbSecurityGroup>;
  describeDbSecurityGroups(q: { name?: string }): Promise<DbSecurityGroup[]>;
  /** Refused while an instance uses the group (InvalidDBSecurityGroupState), as RDS. */
  deleteDbSecurityGroup(q: { name: string }): Promise<void>;
  /** Adds a CIDR rule; applies to new connections of every member instance at once. */
  authorizeDbSecurityGroupIngress(q: { name: string; cidrIp?: string; ec2SecurityGroupName?: string; ec2SecurityGroupId?: string; ec2SecurityGroupOwnerId?: string }): Promise<DbSecurityGroup>;
  revokeDbSecurityGroupIngress(q: { name: string; cidrIp?: string; ec2SecurityGroupName?: string; ec2SecurityGroupId?: string; ec2SecurityGroupOwnerId?: string }): Promise<DbSecurityGroup>;

  /** Live sessions of one instance (or every running instance), oldest first. */
  describeDbConnections(q: { dbInstanceIdentifier?: string }): Promise<DbConnection[]>;
  /**
   * Ends sessions of an instance: those with `transport` (`plaintext` after turning
   * require_secure_transport ON; `tls`; `all`) and/or the listed ids. Returns what was closed.
   */
  closeDbConnections(q: { dbInstanceIdentifier: string; transport?: 'plaintext' | 'tls' | 'all'; connectionIds?: string[] }): Promise<DbConnection[]>;

  /** Issues a client certificate from the region's client CA; the private key is returned once, never stored. */
  issueClientCertificate(q: { subject: string; validityHours?: number; keyType?: 'rsa2048' | 'ecdsa-p256' }): Promise<IssuedClientCertificate>;
  importClientCertificateAuthority(q: { dbInstanceIdentifier: string; certificatePem: string }): Promise<ClientCertificateAuthorityInfo>;
  removeClientCertificateAuthority(q: { dbInstanceIdentifier: string; thumbprint: string }): Promise<ClientCertificateAuthorityInfo>;
  describeClientCertificateAuthorities(q: { dbInstanceIdentifier: string }): Promise<ClientCertificateAuthorityInfo[]>;

  /**
   * Revokes a client certificate of the region's client CA (by serial, or given as PEM; `reason` an
   * RFC 5280 name, default unspecified). From then on every endpoint refuses it with 1045 saying
   * it is revoked, its live sessions are closed (returned), and the CA's CRL lists it.
   */
  revokeClientCertificate(q: { serialNumber?: string; certificatePem?: string; reason?: string }): Promise<{ certificate: ClientCertificateRecord; closed: DbConnection[] }>;
  /** Client certificates tlsql issued in the region (never keys), by serial; one with `serialNumber`. */
  describeClientCertificates(q: { serialNumber?: string }): Promise<ClientCertificateRecord[]>;
  /** Imports (replaces) the CRL of an imported client CA of the instance; enforced at once, its live sessions closed. */
  importClientCrl(q: { dbInstanceIdentifier: string; crl: Buffer }): Promise<ImportedCrlInfo & { closed: DbConnection[] }>;
}
