/**
 * Domain types and the control-plane service contract shared by the API (api/) and the CLI.
 * camelCase here; RDS PascalCase names exist only in api/ where these are mapped to the wire.
 */
import type { IamDirectory } from '../iam/iam-directory.js';
import type { ConnectionSecurityControl } from './connection-security-types.js';
import type { ResourcePendingMaintenanceActions } from './maintenance.js';

export type InstanceStatus =
  | 'creating'
  | 'available'
  | 'modifying'
  | 'rebooting'
  | 'stopping'
  | 'stopped'
  | 'starting'
  | 'deleting'
  | 'failed'
  | 'incompatible-parameters';

export interface Tag {
  key: string;
  value: string;
}

export interface Endpoint {
  /** DNS name clients connect to; the server certificate's CN and SAN. */
  address: string;
  port: number;
  /** Fixed pseudo hosted zone id so SDK shapes are complete. */
  hostedZoneId: string;
}

export interface PendingModifiedValues {
  caCertificateIdentifier?: string;
  masterUserPassword?: boolean;
  dbParameterGroupName?: string;
}

export interface DbInstance {
  /** Lower-case DBInstanceIdentifier. */
  id: string;
  /** `db-` + 26 upper-case base32 characters; stable for the instance's life. */
  resourceId: string;
  arn: string;
  region: string;
  engine: 'mariadb';
  engineVersion: string;
  instanceClass: string;
  status: InstanceStatus;
  masterUsername: string;
  dbName: string | null;
  /** Absent while the endpoint is not yet allocated (never after `creating` begins). */
  endpoint: Endpoint;
  allocatedStorageGiB: number;
  createdAt: Date;
  /** CA family identifier, e.g. `tlsql-ca-rsa2048-g1`. */
  caCertificateIdentifier: string;
  /** The live server certificate: its CA and real notAfter. Null until first issued. */
  certificate: { caIdentifier: string; validTill: Date } | null;
  parameterGroup: { name: string; applyStatus: 'in-sync' | 'pending-reboot' | 'applying' };
  pendingModifiedValues: PendingModifiedValues;
  iamDatabaseAuthenticationEnabled: boolean;
  /** `ddd:hh24:mi-ddd:hh24:mi` UTC, as RDS. */
  preferredMaintenanceWindow: string;
  preferredBackupWindow: string;
  backupRetentionPeriod: number;
  tags: Tag[];
  /** Insecure legacy TLS (1.0/1.1) allowed by the parameter group; surfaced to operators. */
  insecureTlsAllowed: boolean;
  /**
   * DB security groups whose CIDR rules form the network allow-list. Absent or empty: every
   * address that reaches the listener may connect (listeners are loopback-only by default).
   */
  dbSecurityGroups?: string[];
}

export interface Filter {
  name: string;
  values: string[];
}

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
}

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
}

export interface DeleteDbInstanceInput {
  dbInstanceIdentifier: string;
  skipFinalSnapshot?: boolean;
  finalDBSnapshotIdentifier?: string;
  deleteAutomatedBackups?: boolean;
}

export interface CaCertificate {
  /** e.g. `tlsql-ca-rsa2048-g1`. */
  certificateIdentifier: string;
  certificateType: 'CA';
  /** Lower-case hex SHA-1 of the (region's) root certificate DER. */
  thumbprint: string;
  validFrom: Date;
  validTill: Date;
  certificateArn: string;
  customerOverride: boolean;
  customerOverrideValidTill: Date | null;
}

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

export interface DbParameterGroup {
  name: string;
  family: string;
  description: string;
  arn: string;
}

export type ParameterSource = 'engine-default' | 'user' | 'system';

export interface Parameter {
  name: string;
  value: string | null;
  description: string;
  source: ParameterSource;
  applyType: 'static' | 'dynamic';
  dataType: 'boolean' | 'string' | 'integer';
  allowedValues: string;
  isModifiable: boolean;
  minimumEngineVersion: string;
  /** Only for modifications in a request: how to apply. */
  applyMethod?: 'immediate' | 'pending-reboot';
}

export interface ParameterChange {
  name: string;
  value: string | null;
  applyMethod: 'immediate' | 'pending-reboot';
}

export interface DbEvent {
  sourceIdentifier: string;
  sourceType: 'db-instance' | 'db-parameter-group' | 'db-security-group' | 'db-snapshot' | 'db-cluster';
  message: string;
  eventCategories: string[];
  date: Date;
  sourceArn: string;
}

/**
 * Everything the RDS API and the CLI may ask of the control plane. Implementations validate
 * their input and throw AppError with RDS wire codes; callers never validate twice.
 */
export interface ControlPlane {
  readonly region: string;
  readonly accountId: string;
  /** Allow-lists, connections, client certificates (tlsql's own actions and DB security groups). */
  readonly connectionSecurity?: ConnectionSecurityControl;
  /** IAM users, access keys and policies for IAM database authentication (tlsql's own actions). */
  readonly iam?: IamDirectory;

  createDbInstance(input: CreateDbInstanceInput): Promise<DbInstance>;
  /**
   * Instances in identifier order: one by identifier (or ARN), or those matching every filter;
   * with `afterId` only identifiers after it, and at most `limit` of them (paging; without a
   * filter a page is read from the store by key).
   */
  describeDbInstances(q: { dbInstanceIdentifier?: string; filters?: Filter[]; afterId?: string; limit?: number }): Promise<DbInstance[]>;
  modifyDbInstance(input: ModifyDbInstanceInput): Promise<DbInstance>;
  deleteDbInstance(input: DeleteDbInstanceInput): Promise<DbInstance>;
  rebootDbInstance(q: { dbInstanceIdentifier: string; forceFailover?: boolean }): Promise<DbInstance>;
  stopDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance>;
  startDbInstance(q: { dbInstanceIdentifier: string }): Promise<DbInstance>;

  describeCertificates(q: { certificateIdentifier?: string; filters?: Filter[] }): Promise<{
    certificates: CaCertificate[];
    defaultCertificateForNewLaunches: string;
  }>;
  /** Sets (certificateIdentifier) or clears (removeCustomerOverride) the default CA for new instances. */
  modifyCertificates(q: { certificateIdentifier?: string; removeCustomerOverride?: boolean }): Promise<CaCertificate | null>;

  describeDbEngineVersions(q: { engine?: string; engineVersion?: string; dbParameterGroupFamily?: string; defaultOnly?: boolean }): Promise<EngineVersion[]>;

  createDbParameterGroup(q: { name: string; family: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup>;
  describeDbParameterGroups(q: { name?: string }): Promise<DbParameterGroup[]>;
  deleteDbParameterGroup(q: { name: string }): Promise<void>;
  modifyDbParameterGroup(q: { name: string; parameters: ParameterChange[] }): Promise<string>;
  resetDbParameterGroup(q: { name: string; resetAll?: boolean; parameters?: ParameterChange[] }): Promise<string>;
  describeDbParameters(q: { name: string; source?: ParameterSource }): Promise<Parameter[]>;

  describeEvents(q: { sourceIdentifier?: string; sourceType?: string; startTime?: Date; endTime?: Date; durationMinutes?: number; eventCategories?: string[] }): Promise<DbEvent[]>;

  /** Instances with pending maintenance (tlsql: `ca-certificate-rotation`), by ARN; filters db-instance-id, db-cluster-id. */
  describePendingMaintenanceActions(q: { resourceIdentifier?: string; filters?: Filter[] }): Promise<ResourcePendingMaintenanceActions[]>;
  /** Applies (`immediate`), schedules (`next-maintenance`) or unschedules (`undo-opt-in`) a pending action. */
  applyPendingMaintenanceAction(q: { resourceIdentifier?: string; applyAction?: string; optInType?: string }): Promise<ResourcePendingMaintenanceActions>;
}
