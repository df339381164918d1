/** An engine version instances can be created with (RDS `DBEngineVersion`). */
export interface EngineVersion {
  engine: 'mariadb';
  engineVersion: string;
  dbParameterGroupFamily: string;
  dbEngineDescription: string;
  dbEngineVersionDescription: string;
  supportedCACertificateIdentifiers: string[];
  supportsCertificateRotationWithoutRestart: boolean;
  defaultCertificateForNewLaunches: string;
}
