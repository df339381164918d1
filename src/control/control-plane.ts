/**
 * The control-plane contract: everything the RDS API (api/) and the CLI may ask of the control
 * plane. camelCase here; RDS PascalCase names exist only in api/, where these are mapped to the
 * wire. The records are in model/; tlsql-control-plane.ts implements this for real engines,
 * test/helpers/fake-control-plane.ts in memory.
 */
import type { IamControl } from '../iam/iam-control.js';
import type { CaCertificate } from '../model/ca-certificate.js';
import type { DbEvent } from '../model/db-event.js';
import type { CreateDbInstanceInput, CreateDbInstanceReadReplicaInput, DeleteDbInstanceInput, ModifyDbInstanceInput } from '../model/db-instance-requests.js';
import type { DbInstance } from '../model/db-instance.js';
import type { DbParameterGroup } from '../model/db-parameter-group.js';
import type { EngineVersion } from '../model/engine-version.js';
import type { Filter } from '../model/filter.js';
import type { Parameter, ParameterChange, ParameterSource } from '../model/parameter.js';
import type { ResourcePendingMaintenanceActions } from '../model/pending-maintenance.js';
import type { Tag } from '../model/tag.js';
import type { ConnectionSecurityControl } from './connection-security-control.js';
import type { InfrastructureControl } from './infrastructure-control.js';

/**
 * Implementations validate their input and throw AppError with RDS wire codes; callers never
 * validate twice. Every member is required: a deployment without a service answers its actions
 * with an AppError of its own choosing (InvalidAction in the test fake).
 */
export interface ControlPlane {
  readonly region: string;
  readonly accountId: string;
  /** Allow-lists, connections, client certificates (tlsql's own actions and DB security groups). */
  readonly connectionSecurity: ConnectionSecurityControl;
  /** IAM users, access keys and policies for IAM database authentication (tlsql's own actions). */
  readonly iam: IamControl;
  /** Orderable options, DB subnet groups, option groups, quotas, snapshots: what IaC tools read (docs/iac.md). */
  readonly infrastructure: InfrastructureControl;

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
  /** A read replica of a running source, replicating over verified TLS (docs/replication.md). */
  createDbInstanceReadReplica(input: CreateDbInstanceReadReplicaInput): Promise<DbInstance>;
  /** Ends a replica's replication: it becomes a standalone, writable instance with the same endpoint. */
  promoteReadReplica(q: { dbInstanceIdentifier: string; backupRetentionPeriod?: number }): Promise<DbInstance>;

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
  /** CopyDBParameterGroup: values and tags of `source` (name or ARN) in a new group `target`. */
  copyDbParameterGroup(q: { source: string; target: string; description: string; tags?: Tag[] }): Promise<DbParameterGroup>;
  /** DescribeEngineDefaultParameters of a family, in name order. */
  describeEngineDefaultParameters(q: { family: string }): Promise<Parameter[]>;

  /** Tags of a DB instance, parameter group or DB security group, by its ARN (AddTagsToResource and the two below). */
  listTagsForResource(q: { resourceName: string }): Promise<Tag[]>;
  /** Adds or overwrites tags; at most 50 per resource (InvalidParameterValue past that). */
  addTagsToResource(q: { resourceName: string; tags: Tag[] }): Promise<void>;
  /** Removes tags by key; keys the resource does not have are ignored. */
  removeTagsFromResource(q: { resourceName: string; tagKeys: string[] }): Promise<void>;

  describeEvents(q: { sourceIdentifier?: string; sourceType?: string; startTime?: Date; endTime?: Date; durationMinutes?: number; eventCategories?: string[] }): Promise<DbEvent[]>;

  /** Instances with pending maintenance (tlsql: `ca-certificate-rotation`), by ARN; filters db-instance-id, db-cluster-id. */
  describePendingMaintenanceActions(q: { resourceIdentifier?: string; filters?: Filter[] }): Promise<ResourcePendingMaintenanceActions[]>;
  /** Applies (`immediate`), schedules (`next-maintenance`) or unschedules (`undo-opt-in`) a pending action. */
  applyPendingMaintenanceAction(q: { resourceIdentifier?: string; applyAction?: string; optInType?: string }): Promise<ResourcePendingMaintenanceActions>;
}
