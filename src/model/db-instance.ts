/**
 * The DB instance record: the desired state of one instance, as stored (one JSON document per
 * instance, store/store.ts) and as every service sees it. camelCase here; api/ maps it to RDS's
 * `DBInstance` shape.
 */
import type { DbSubnetGroup, StorageType } from './infrastructure.js';
import type { Tag } from './tag.js';

/** RDS `DBInstanceStatus` values tlsql uses. */
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
  | 'incompatible-network'
  | 'incompatible-parameters';

/** Where clients connect. */
export interface Endpoint {
  /** DNS name clients connect to; the server certificate's CN and SAN. */
  address: string;
  port: number;
  /** Fixed pseudo hosted zone id so SDK shapes are complete. */
  hostedZoneId: string;
}

/** Changes requested but not applied yet (RDS `PendingModifiedValues`). */
export interface PendingModifiedValues {
  caCertificateIdentifier?: string;
  masterUserPassword?: boolean;
  dbParameterGroupName?: string;
  /** A Multi-AZ change asked for without ApplyImmediately, applied in the maintenance window (or at a reboot before it). */
  multiAZ?: boolean;
}

/**
 * Settings infrastructure-as-code tools send on CreateDBInstance/ModifyDBInstance. tlsql enforces
 * `deletionProtection` and checks the subnet and option group names; the others it stores and
 * returns without acting on them (docs/iac.md). Absent in documents written before they existed:
 * api/shapes.ts writes RDS's defaults then.
 */
export interface InstanceSettings {
  storageType?: StorageType;
  /** Storage autoscaling ceiling in GiB; absent when autoscaling is off. */
  maxAllocatedStorageGiB?: number;
  deletionProtection?: boolean;
  autoMinorVersionUpgrade?: boolean;
  copyTagsToSnapshot?: boolean;
  publiclyAccessible?: boolean;
  storageEncrypted?: boolean;
  /**
   * The DB subnet group as it was when attached (groups cannot change in tlsql, and cannot be
   * deleted while attached); the `default` group when absent.
   */
  dbSubnetGroup?: DbSubnetGroup;
  /** Option group name; the engine's default option group when absent. */
  optionGroupName?: string;
}

/** One DB instance. */
export interface DbInstance extends InstanceSettings {
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
  /** Set on a read replica: the identifier of the instance it replicates from. */
  readReplicaSourceId?: string;
  /**
   * The DbiResourceId whose IAM secret the instance's IAM accounts were made with, when not its own:
   * a read replica's accounts are copies of its source's (iam/engine-accounts.ts instanceIamSecret).
   */
  iamSecretOf?: string;
  /** Set on a read replica once its channel is set up (control/replication.ts). */
  replication?: ReplicationChannelRecord;
  /** Set on a Multi-AZ instance: its standby and the standby's channel (control/multi-az.ts). */
  multiAz?: MultiAzState;
  /** The engine slot that serves the endpoint; absent means `a`. Changed by a Multi-AZ failover. */
  primarySlot?: EngineSlot;
  /**
   * Derived when the instance is described, never stored: its read replicas and the health of its
   * replication (control/replication.ts).
   */
  live?: LiveInstanceState;
}

/** Who a read replica is on its source: the account its engine logs in as, and its client certificate. */
export interface ReplicationChannelRecord {
  /** The replication account on the source, `tlsql_repl_<resource id>`; it REQUIREs `subject`. */
  account: string;
  /** Subject of the replica's client certificate, OpenSSL one-line form (`/CN=...`). */
  subject: string;
  certificateSerial: string;
  certificateNotAfter: Date;
}

/** A Multi-AZ instance's two engines: slot `a` is engine `<id>`, slot `b` is engine `<id>_b`. */
export type EngineSlot = 'a' | 'b';

/** The slot that is not `slot`. */
export function otherSlot(slot: EngineSlot): EngineSlot {
  return slot === 'a' ? 'b' : 'a';
}

/** tlsql's name for the "availability zone" of an engine slot: `<region>a` or `<region>b` (docs/replication.md). */
export function zoneOf(region: string, slot: EngineSlot): string {
  return `${region}${slot}`;
}

export interface MultiAzState {
  /**
   * The other slot's engine: `creating` while it is copied and catches up, `in-sync` once it
   * acknowledges every commit (semi-synchronous), `none` between a failover and its rebuild.
   */
  standby: 'creating' | 'in-sync' | 'none';
  /** The standby's replication channel (account and certificate on the primary), once set up. */
  channel?: ReplicationChannelRecord;
}

/** One `StatusInfos` entry, e.g. RDS's `read replication` health of a replica. */
export interface InstanceStatusInfo {
  statusType: string;
  normal: boolean;
  status: string;
  message?: string;
}

export interface LiveInstanceState {
  readReplicaIds: string[];
  statusInfos: InstanceStatusInfo[];
}
