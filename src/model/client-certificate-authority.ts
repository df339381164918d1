/** A CA an instance trusts for client certificates, as described to callers. */
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
  /** Where tlsql publishes the CRL of its own client CA; null for an operator CA (or before the API listens). */
  crlUrl: string | null;
  /** thisUpdate / nextUpdate of the imported CRL of an operator CA; null without one. */
  crlThisUpdate: Date | null;
  crlNextUpdate: Date | null;
}

/** An operator's client CA trusted by one instance, as stored, with the shadow CA the engine trusts in its place. */
export interface ClientCaRecord {
  /** The instance's DbiResourceId: a new instance with the same identifier starts with an empty list. */
  resourceId: string;
  /** Lower-case hex SHA-256 of the CA certificate's DER. */
  thumbprint: string;
  /** OpenSSL one-line subject. */
  subject: string;
  certPem: string;
  notAfter: Date;
  shadowCertPem: string;
  /** The shadow CA's PKCS#8 key, sealed under the master key. */
  shadowKeySealed: Buffer;
  createdAt: Date;
}
