/**
 * Domain types and the service contract of connection security (docs/connection-security.md):
 * network allow-lists as RDS DB security groups, the connection list, client certificates and
 * trusted client CAs. camelCase here; the API maps them to RDS / tlsql wire names.
 */
import type { IssuedClientCertificate } from '../pki/client-ca.js';

export type { IssuedClientCertificate };

/** A DB security group (RDS's EC2-Classic-era allow-list, reused as tlsql's network allow-list). */
export interface DbSecurityGroup {
  name: string;
  description: string;
  ownerId: string;
  arn: string;
  /** Inbound CIDR rules; always `authorized` (effective at once for new connections). */
  ipRanges: { cidrIp: string; status: 'authorized' }[];
}

/** One live session through an instance endpoint. */
export interface DbConnection {
  connectionId: string;
  dbInstanceIdentifier: string;
  /** The login name sent by the client; null before its HandshakeResponse. */
  user: string | null;
  clientAddress: string;
  clientPort: number;
  transport: 'tls' | 'plaintext' | 'handshake';
  tlsVersion: string | null;
  cipher: string | null;
  /** OpenSSL one-line subject of the client certificate, if one was presented. */
  clientCertificateSubject: string | null;
  clientCertificateIssuer: string | null;
  phase: 'handshake' | 'authenticated' | 'closed';
  engineThreadId: number | null;
  startTime: Date;
  durationSeconds: number;
  /** Bytes received from the client (TLS records included). */
  bytesIn: number;
  /** Bytes sent to the client. */
  bytesOut: number;
}

/** A CA an instance trusts for client certificates. */
export interface ClientCertificateAuthorityInfo {
  dbInstanceIdentifier: string;
  /** Lower-case hex SHA-256 of the CA certificate. */
  thumbprint: string;
  /** OpenSSL one-line subject: what `REQUIRE ISSUER` names for certificates it issues. */
  subject: string;
  /** `tlsql`: the region's own client CA (always trusted); `operator`: imported. */
  source: 'tlsql' | 'operator';
  validTill: Date;
  certificatePem: string;
}

export interface ConnectionSecurityControl {
  createDbSecurityGroup(q: { name: string; description: string }): Promise<DbSecurityGroup>;
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
}
