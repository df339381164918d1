/** A CA clients may trust, as DescribeCertificates reports it (RDS `Certificate`). */
export interface CaCertificate {
  /** e.g. `tlsql-ca-rsa2048-g1`. */
  certificateIdentifier: string;
  certificateType: 'CA';
  /** Lower-case hex SHA-1 of the (region's) root certificate DER. */
  thumbprint: string;
  validFrom: Date;
  validTill: Date;
  certificateArn: string;
  /** True for the CA the operator chose for new instances (ModifyCertificates). */
  customerOverride: boolean;
  customerOverrideValidTill: Date | null;
}
