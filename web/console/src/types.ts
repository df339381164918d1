/** The API's result members the console reads (values as the XML carries them: text). */
export interface DbInstance {
  DBInstanceIdentifier: string;
  DBInstanceStatus: string;
  DBInstanceArn?: string;
  Engine?: string;
  EngineVersion?: string;
  Endpoint?: { Address?: string; Port?: string };
  CACertificateIdentifier?: string;
  CertificateDetails?: { CAIdentifier?: string; ValidTill?: string };
  IAMDatabaseAuthenticationEnabled?: string;
  DBParameterGroups?: { DBParameterGroupName: string; ParameterApplyStatus?: string }[];
  MasterUsername?: string;
  PreferredMaintenanceWindow?: string;
  PendingModifiedValues?: { CACertificateIdentifier?: string; MultiAZ?: string };
  DbiResourceId?: string;
  MultiAZ?: string;
  AvailabilityZone?: string;
  SecondaryAvailabilityZone?: string;
  ReadReplicaSourceDBInstanceIdentifier?: string;
  ReadReplicaDBInstanceIdentifiers?: string[];
  StatusInfos?: { StatusType?: string; Normal?: string; Status?: string; Message?: string }[];
}

export interface Connection {
  ConnectionId: string;
  DBInstanceIdentifier: string;
  User?: string;
  ClientAddress?: string;
  ClientPort?: string;
  Transport: string;
  TlsVersion?: string;
  Cipher?: string;
  ClientCertificateSubject?: string;
  Phase?: string;
  StartTime?: string;
  DurationSeconds?: string;
  BytesIn?: string;
  BytesOut?: string;
}

export interface ServedCertificate {
  Subject: string;
  Issuer: string;
  SubjectAlternativeNames?: string[];
  ValidFrom: string;
  ValidTill: string;
  KeyType: string;
  SerialNumber: string;
  Thumbprint: string;
  IsCA: string;
}

export interface CaCertificate {
  CertificateIdentifier: string;
  Thumbprint: string;
  ValidFrom: string;
  ValidTill: string;
  CustomerOverride?: string;
}
