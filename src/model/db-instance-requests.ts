/**
 * What callers may ask of DB instances (CreateDBInstance, ModifyDBInstance, DeleteDBInstance),
 * decoded from the wire by api/ and the CLI and validated by the control plane.
 */
import type { Tag } from './tag.js';

/** CreateDBInstance. Absent members take the control plane's defaults. */
export interface CreateDbInstanceInput {
  dbInstanceIdentifier: string;
  engine: string;
  engineVersion?: string;
  dbInstanceClass?: string;
  masterUsername?: string;
  masterUserPassword?: string;
  caCertificateIdentifier?: string;
  port?: number;
  dbName?: string;
  dbParameterGroupName?: string;
  allocatedStorage?: number;
  enableIAMDatabaseAuthentication?: boolean;
  preferredMaintenanceWindow?: string;
  tags?: Tag[];
  /** DB security group names (network allow-list). */
  dbSecurityGroups?: string[];
  /** What infrastructure-as-code tools send besides (docs/iac.md). */
  settings?: InstanceSettingsInput;
}

/**
 * CreateDBInstance/ModifyDBInstance members that infrastructure-as-code tools send, as decoded
 * from the wire; checked by control/instance-settings.ts.
 */
export interface InstanceSettingsInput {
  maxAllocatedStorage?: number;
  storageType?: string;
  iops?: number;
  backupRetentionPeriod?: number;
  preferredBackupWindow?: string;
  deletionProtection?: boolean;
  autoMinorVersionUpgrade?: boolean;
  copyTagsToSnapshot?: boolean;
  publiclyAccessible?: boolean;
  multiAZ?: boolean;
  storageEncrypted?: boolean;
  dbSubnetGroupName?: string;
  optionGroupName?: string;
  licenseModel?: string;
}

/** CreateDBInstanceReadReplica. What is absent comes from RDS's defaults, the engine and master user from the source. */
export interface CreateDbInstanceReadReplicaInput {
  dbInstanceIdentifier: string;
  /** The source's identifier or ARN. */
  sourceDbInstanceIdentifier: string;
  dbInstanceClass?: string;
  caCertificateIdentifier?: string;
  port?: number;
  dbParameterGroupName?: string;
  enableIAMDatabaseAuthentication?: boolean;
  tags?: Tag[];
  dbSecurityGroups?: string[];
  settings?: InstanceSettingsInput;
}

/** ModifyDBInstance. Absent members are left as they are. */
export interface ModifyDbInstanceInput {
  dbInstanceIdentifier: string;
  masterUserPassword?: string;
  caCertificateIdentifier?: string;
  applyImmediately?: boolean;
  dbParameterGroupName?: string;
  enableIAMDatabaseAuthentication?: boolean;
  preferredMaintenanceWindow?: string;
  certificateRotationRestart?: boolean;
  /** Replaces the instance's DB security groups; applies at once, whatever ApplyImmediately says. */
  dbSecurityGroups?: string[];
  dbInstanceClass?: string;
  allocatedStorage?: number;
  /** What infrastructure-as-code tools send besides (docs/iac.md); applied at once. */
  settings?: InstanceSettingsInput;
}

/** DeleteDBInstance. */
export interface DeleteDbInstanceInput {
  dbInstanceIdentifier: string;
  skipFinalSnapshot?: boolean;
  finalDBSnapshotIdentifier?: string;
  deleteAutomatedBackups?: boolean;
}
