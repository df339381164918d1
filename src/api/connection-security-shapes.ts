/**
 * Wire shapes of connection security: RDS's `DBSecurityGroup` (as the Smithy model in
 * `@aws-sdk/client-rds` names its members) and tlsql's own `Connection`, `ClientCertificate` and
 * `ClientCertificateAuthority` structures (awsQuery XML like every other action).
 */
import type { ClientCertificateAuthorityInfo } from '../model/client-certificate-authority.js';
import type { DbConnection } from '../model/db-connection.js';
import type { DbSecurityGroup } from '../model/db-security-group.js';
import type { ImportedCrlInfo } from '../control/client-revocation.js';
import type { ClientCertificateRecord } from '../model/client-certificate.js';
import type { IssuedClientCertificate } from '../pki/client-ca.js';
import type { QueryReader } from './query.js';
import type { XmlWriter } from './xml.js';

/** The members of a `DBSecurityGroup` structure. */
export function writeDbSecurityGroupMembers(w: XmlWriter, g: DbSecurityGroup): void {
  w.leaf('OwnerId', g.ownerId)
    .leaf('DBSecurityGroupName', g.name)
    .leaf('DBSecurityGroupDescription', g.description)
    .list('EC2SecurityGroups', 'EC2SecurityGroup', [], () => {})
    .list('IPRanges', 'IPRange', g.ipRanges, (r, ip) => r.leaf('Status', ip.status).leaf('CIDRIP', ip.cidrIp))
    .leaf('DBSecurityGroupArn', g.arn);
}

/** `<DBSecurityGroup>...</DBSecurityGroup>` as a single result member. */
export function writeDbSecurityGroup(w: XmlWriter, g: DbSecurityGroup): void {
  w.element('DBSecurityGroup', (x) => writeDbSecurityGroupMembers(x, g));
}

/** The members of a tlsql `Connection` structure. */
export function writeConnectionMembers(w: XmlWriter, c: DbConnection): void {
  w.leaf('ConnectionId', c.connectionId)
    .leaf('DBInstanceIdentifier', c.dbInstanceIdentifier)
    .leaf('User', c.user)
    .leaf('ClientAddress', c.clientAddress)
    .leaf('ClientPort', c.clientPort)
    .leaf('Transport', c.transport)
    .leaf('TlsVersion', c.tlsVersion)
    .leaf('Cipher', c.cipher)
    .leaf('ClientCertificateSubject', c.clientCertificateSubject)
    .leaf('ClientCertificateIssuer', c.clientCertificateIssuer)
    .leaf('Phase', c.phase)
    .leaf('EngineThreadId', c.engineThreadId)
    .leaf('StartTime', c.startTime)
    .leaf('DurationSeconds', c.durationSeconds)
    .leaf('BytesIn', c.bytesIn)
    .leaf('BytesOut', c.bytesOut);
}

/** `<Connections><Connection>...</Connection>...</Connections>`. */
export function writeConnections(w: XmlWriter, list: readonly DbConnection[]): void {
  w.list('Connections', 'Connection', list, writeConnectionMembers);
}

/** `<ClientCertificate>`: the certificate, its CA and (this once) its private key. */
export function writeClientCertificate(w: XmlWriter, c: IssuedClientCertificate): void {
  w.element('ClientCertificate', (x) =>
    x
      .leaf('Subject', c.subject)
      .leaf('Issuer', c.issuer)
      .leaf('SerialNumber', c.serialHex)
      .leaf('ValidFrom', c.notBefore)
      .leaf('ValidTill', c.notAfter)
      .leaf('KeyType', c.keyType)
      .leaf('CertificatePem', c.certPem)
      .leaf('CaCertificatePem', c.caPem)
      .leaf('PrivateKeyPem', c.keyPem),
  );
}

/** The members of a tlsql `ClientCertificateAuthority` structure. */
export function writeClientCaMembers(w: XmlWriter, c: ClientCertificateAuthorityInfo): void {
  w.leaf('DBInstanceIdentifier', c.dbInstanceIdentifier)
    .leaf('Thumbprint', c.thumbprint)
    .leaf('Subject', c.subject)
    .leaf('Source', c.source)
    .leaf('ValidTill', c.validTill)
    .leaf('CrlUrl', c.crlUrl)
    .leaf('CrlThisUpdate', c.crlThisUpdate)
    .leaf('CrlNextUpdate', c.crlNextUpdate)
    .leaf('CertificatePem', c.certificatePem);
}

/** The members of a tlsql `IssuedClientCertificate` structure (no key: tlsql never keeps it). */
export function writeIssuedClientCertificateMembers(w: XmlWriter, c: ClientCertificateRecord): void {
  w.leaf('SerialNumber', c.serialHex)
    .leaf('Subject', c.subject)
    .leaf('Issuer', c.issuer)
    .leaf('ValidFrom', c.notBefore)
    .leaf('ValidTill', c.notAfter)
    .leaf('KeyType', c.keyType)
    .leaf('Revoked', c.revocation !== null)
    .leaf('RevocationDate', c.revocation?.revokedAt ?? null)
    .leaf('RevocationReason', c.revocation?.reason ?? null);
}

/** The members of a tlsql `ClientCrl` structure: an imported CRL. */
export function writeImportedCrlMembers(w: XmlWriter, c: ImportedCrlInfo): void {
  w.leaf('DBInstanceIdentifier', c.dbInstanceIdentifier)
    .leaf('Thumbprint', c.thumbprint)
    .leaf('Issuer', c.issuer)
    .leaf('ThisUpdate', c.thisUpdate)
    .leaf('NextUpdate', c.nextUpdate)
    .leaf('CrlNumber', c.crlNumber)
    .leaf('RevokedCount', c.revokedCount);
}

/** The parameters Authorize/RevokeDBSecurityGroupIngress share (the EC2 ones are passed on to be refused). */
export function readIngress(params: QueryReader) {
  return {
    name: params.requiredString('DBSecurityGroupName'),
    cidrIp: params.string('CIDRIP'),
    ec2SecurityGroupName: params.string('EC2SecurityGroupName'),
    ec2SecurityGroupId: params.string('EC2SecurityGroupId'),
    ec2SecurityGroupOwnerId: params.string('EC2SecurityGroupOwnerId'),
  };
}
