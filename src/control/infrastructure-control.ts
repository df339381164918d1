/**
 * The reads (and the few writes) infrastructure-as-code tools make around a DB instance besides
 * the instance actions themselves (docs/iac.md): orderable instance options, DB subnet groups,
 * option groups, account quotas, snapshots and automated backups. Implemented by
 * infrastructure.ts; the records are in model/. Inputs are validated by the implementation
 * (AppError with RDS codes).
 */
import type { AccountQuota, DbSubnetGroup, OptionGroup, OrderableDbInstanceOption } from '../model/infrastructure.js';
import type { Tag } from '../model/tag.js';

export interface InfrastructureControl {
  /** Engine `mariadb`: every class × storage type tlsql accepts (narrowed by the other members); another engine: none. */
  describeOrderableDbInstanceOptions(q: { engine: string; engineVersion?: string; dbInstanceClass?: string; licenseModel?: string; vpc?: boolean }): Promise<OrderableDbInstanceOption[]>;

  /** Stored as sent (tlsql has no VPC: subnet ids are checked for form only); `default` is reserved. */
  createDbSubnetGroup(q: { name: string; description: string; subnetIds: string[]; tags?: Tag[] }): Promise<DbSubnetGroup>;
  /** Replaces the subnets (and the description, when given); instances using the group show the change. */
  modifyDbSubnetGroup(q: { name: string; description?: string; subnetIds: string[] }): Promise<DbSubnetGroup>;
  /** Every group, `default` first, or one by name (DBSubnetGroupNotFoundFault). */
  describeDbSubnetGroups(q: { name?: string }): Promise<DbSubnetGroup[]>;
  /** Refused for `default` and while a DB instance uses the group (InvalidDBSubnetGroupStateFault). */
  deleteDbSubnetGroup(q: { name: string }): Promise<void>;

  /** The engine's default option group (no options), or OptionGroupNotFoundFault. */
  describeOptionGroups(q: { optionGroupName?: string; engineName?: string; majorEngineVersion?: string }): Promise<OptionGroup[]>;

  /** Quotas tlsql really has: DB instances (its port range), subnet groups, snapshots (none), ... */
  describeAccountAttributes(): Promise<AccountQuota[]>;

  /** tlsql takes no automated backups: always empty (DBInstanceNotFound for an unknown instance). */
  describeDbInstanceAutomatedBackups(q: { dbInstanceIdentifier?: string; dbiResourceId?: string }): Promise<never[]>;
  /** tlsql takes no snapshots: empty, or DBSnapshotNotFound for a named one. */
  describeDbSnapshots(q: { dbInstanceIdentifier?: string; dbSnapshotIdentifier?: string; dbiResourceId?: string }): Promise<never[]>;
}
