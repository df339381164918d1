/**
 * What infrastructure-as-code tools read around a DB instance (InfrastructureControl): orderable
 * options from the classes tlsql accepts (instance-classes.ts), DB subnet groups (stored; tlsql has
 * no VPC, so subnets are recorded, not acted on), the engine's default option group, the account
 * quotas tlsql really has, and empty snapshot and automated-backup lists (tlsql takes neither).
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { AccountQuota, DbSubnetGroup, OptionGroup, OrderableDbInstanceOption } from '../model/infrastructure.js';
import type { Tag } from '../model/tag.js';
import type { Store } from '../store/store.js';
import type { SubnetGroupRecord, SubnetGroupStore } from '../store/subnet-group-store.js';
import type { TagStore } from '../store/tag-store.js';
import type { EngineVersions } from './engine-versions.js';
import type { InfrastructureControl } from './infrastructure-control.js';
import { INSTANCE_CLASSES, LICENSE_MODEL, MAX_STORAGE_GIB, MIN_STORAGE_GIB, STORAGE_TYPES } from './instance-classes.js';
import type { SettingsChecks } from './instance-settings.js';
import { tagsForNewResource } from './resource-tags.js';

/** RDS's default quotas for DB subnet groups, enforced as RDS does. */
export const MAX_SUBNET_GROUPS = 50;
export const MAX_SUBNETS_PER_GROUP = 20;

export const DEFAULT_SUBNET_GROUP = 'default';

export interface InfrastructureDeps {
  store: Store;
  subnetGroups: SubnetGroupStore;
  tags: TagStore;
  clock: Clock;
  region: string;
  accountId: string;
  engineVersions: EngineVersions;
  /** The port range instances get their endpoints from: the real limit on DB instances. */
  firstPort: number;
  lastPort: number;
  /** Updates the copy of a changed group in the instances that use it (under their locks). */
  subnetGroupChanged: (group: DbSubnetGroup) => Promise<void>;
}

/** `10.11.9` -> `10.11`. */
function major(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/** See the file comment. */
export class Infrastructure implements InfrastructureControl, SettingsChecks {
  constructor(private readonly d: InfrastructureDeps) {}

  // --- orderable options -----------------------------------------------------------------

  async describeOrderableDbInstanceOptions(q: { engine: string; engineVersion?: string; dbInstanceClass?: string; licenseModel?: string; vpc?: boolean }): Promise<OrderableDbInstanceOption[]> {
    if (!q.engine) throw new AppError('MissingParameter', 'The request must contain the parameter Engine');
    if (q.engine !== 'mariadb') return [];
    const [version] = (await this.d.engineVersions.describe({ engine: 'mariadb', ...(q.engineVersion !== undefined ? { engineVersion: q.engineVersion } : {}) })).map((v) => v.engineVersion);
    if (version === undefined) return [];
    if (q.licenseModel !== undefined && q.licenseModel !== LICENSE_MODEL) return [];
    // Every tlsql instance is reachable the way a VPC instance is; there is no EC2-Classic.
    if (q.vpc === false) return [];
    return INSTANCE_CLASSES.filter((c) => q.dbInstanceClass === undefined || c.name === q.dbInstanceClass).flatMap((c) =>
      STORAGE_TYPES.map((storageType) => ({
        engine: 'mariadb',
        engineVersion: version,
        dbInstanceClass: c.name,
        licenseModel: LICENSE_MODEL,
        storageType,
        minStorageSize: MIN_STORAGE_GIB,
        maxStorageSize: MAX_STORAGE_GIB,
      })),
    );
  }

  // --- DB subnet groups ------------------------------------------------------------------

  async createDbSubnetGroup(q: { name: string; description: string; subnetIds: string[]; tags?: Tag[] }): Promise<DbSubnetGroup> {
    const name = this.validateName(q.name);
    if (name === DEFAULT_SUBNET_GROUP) throw new AppError('InvalidParameterValue', 'The parameter DBSubnetGroupName cannot be "default": that name is reserved for the default DB subnet group.');
    if (!q.description) throw new AppError('MissingParameter', 'The request must contain the parameter DBSubnetGroupDescription');
    const subnetIds = this.validateSubnets(q.subnetIds);
    const tags = tagsForNewResource(q.tags);
    const record: SubnetGroupRecord = { name, description: q.description, subnetIds, createdAt: this.d.clock.now() };
    this.d.store.tx(() => {
      if (this.d.subnetGroups.get(name)) throw new AppError('DBSubnetGroupAlreadyExists', `The DB subnet group '${name}' already exists.`);
      if (this.d.subnetGroups.count() >= MAX_SUBNET_GROUPS) throw new AppError('DBSubnetGroupQuotaExceeded', `The quota of ${MAX_SUBNET_GROUPS} DB subnet groups is reached: delete one first.`);
      this.d.subnetGroups.insert(record);
      // A group of the same name deleted earlier left no tags behind (deleteDbSubnetGroup).
      if (tags.length) this.d.tags.put(this.arn(name), tags);
    });
    return this.toGroup(record);
  }

  async modifyDbSubnetGroup(q: { name: string; description?: string; subnetIds: string[] }): Promise<DbSubnetGroup> {
    const name = this.validateName(q.name);
    if (name === DEFAULT_SUBNET_GROUP) throw new AppError('InvalidParameterValue', 'The default DB subnet group cannot be modified.');
    const subnetIds = this.validateSubnets(q.subnetIds);
    const record = this.d.store.tx(() => {
      const r = this.d.subnetGroups.get(name);
      if (!r) throw notFound(q.name);
      const next = { ...r, description: q.description || r.description, subnetIds };
      this.d.subnetGroups.update(next);
      return next;
    });
    const group = this.toGroup(record);
    await this.d.subnetGroupChanged(group);
    return group;
  }

  async describeDbSubnetGroups(q: { name?: string }): Promise<DbSubnetGroup[]> {
    const all = [this.defaultGroup(), ...this.d.subnetGroups.list().map((r) => this.toGroup(r))];
    if (q.name === undefined) return all;
    const g = all.find((x) => x.name === q.name!.toLowerCase());
    if (!g) throw notFound(q.name);
    return [g];
  }

  async deleteDbSubnetGroup(q: { name: string }): Promise<void> {
    if (!q.name) throw new AppError('MissingParameter', 'The request must contain the parameter DBSubnetGroupName');
    const name = q.name.toLowerCase();
    if (name === DEFAULT_SUBNET_GROUP) throw new AppError('InvalidDBSubnetGroupStateFault', 'The default DB subnet group cannot be deleted.');
    this.d.store.tx(() => {
      if (!this.d.subnetGroups.get(name)) throw notFound(q.name);
      const users = this.d.store.listInstances().filter((i) => i.dbSubnetGroup?.name === name);
      if (users.length) throw new AppError('InvalidDBSubnetGroupStateFault', `Cannot delete the subnet group '${name}' because at least one database instance: ${users.map((i) => i.id).join(', ')} is still using it.`);
      this.d.subnetGroups.delete(name);
      this.d.tags.deleteAll(this.arn(name));
    });
  }

  /** SettingsChecks: CreateDBInstance/ModifyDBInstance name an existing group. */
  subnetGroup(name: string): DbSubnetGroup {
    if (name === DEFAULT_SUBNET_GROUP) return this.defaultGroup();
    const r = this.d.subnetGroups.get(name);
    if (!r) throw notFound(name);
    return this.toGroup(r);
  }

  /** For tags by ARN (resource-tags.ts). */
  hasSubnetGroup(name: string): boolean {
    return name === DEFAULT_SUBNET_GROUP || this.d.subnetGroups.get(name) !== null;
  }

  // --- option groups ---------------------------------------------------------------------

  /** SettingsChecks: `default:mariadb-10-11` for 10.11.x. */
  defaultOptionGroup(engineVersion: string): string {
    return `default:mariadb-${major(engineVersion).replace('.', '-')}`;
  }

  async describeOptionGroups(q: { optionGroupName?: string; engineName?: string; majorEngineVersion?: string }): Promise<OptionGroup[]> {
    const version = this.d.engineVersions.resolve(undefined);
    const g: OptionGroup = {
      name: this.defaultOptionGroup(version),
      description: `Default option group for mariadb ${major(version)}`,
      engineName: 'mariadb',
      majorEngineVersion: major(version),
      arn: `arn:aws:rds:${this.d.region}:${this.d.accountId}:og:${this.defaultOptionGroup(version)}`,
    };
    if (q.optionGroupName !== undefined && q.optionGroupName !== g.name) throw new AppError('OptionGroupNotFoundFault', `Specified OptionGroupName: ${q.optionGroupName} not found.`);
    if (q.majorEngineVersion !== undefined && q.engineName === undefined) {
      throw new AppError('InvalidParameterCombination', 'If MajorEngineVersion is supplied, EngineName must also be supplied.');
    }
    if (q.engineName !== undefined && q.engineName !== g.engineName) return [];
    if (q.majorEngineVersion !== undefined && q.majorEngineVersion !== g.majorEngineVersion) return [];
    return [g];
  }

  // --- account quotas --------------------------------------------------------------------

  async describeAccountAttributes(): Promise<AccountQuota[]> {
    const instances = this.d.store.listInstances();
    return [
      // Every instance needs a port of the configured range (firstPort..lastPort).
      { name: 'DBInstances', used: instances.length, max: this.d.lastPort - this.d.firstPort + 1 },
      { name: 'DBSubnetGroups', used: this.d.subnetGroups.count(), max: MAX_SUBNET_GROUPS },
      { name: 'SubnetsPerDBSubnetGroup', used: Math.max(0, ...this.d.subnetGroups.list().map((g) => g.subnetIds.length)), max: MAX_SUBNETS_PER_GROUP },
      { name: 'OptionGroups', used: 1, max: 1 },
      // tlsql takes no snapshots and runs no replicas.
      { name: 'ManualSnapshots', used: 0, max: 0 },
      { name: 'ReadReplicasPerMaster', used: 0, max: 0 },
    ];
  }

  // --- snapshots and automated backups ----------------------------------------------------

  async describeDbInstanceAutomatedBackups(q: { dbInstanceIdentifier?: string; dbiResourceId?: string }): Promise<never[]> {
    this.assertInstance(q.dbInstanceIdentifier);
    return [];
  }

  async describeDbSnapshots(q: { dbInstanceIdentifier?: string; dbSnapshotIdentifier?: string; dbiResourceId?: string }): Promise<never[]> {
    if (q.dbSnapshotIdentifier !== undefined) throw new AppError('DBSnapshotNotFound', `DBSnapshot not found: ${q.dbSnapshotIdentifier} (tlsql takes no snapshots).`);
    return [];
  }

  // --- helpers ---------------------------------------------------------------------------

  private assertInstance(id: string | undefined): void {
    if (id !== undefined && !this.d.store.getInstance(id.toLowerCase())) throw new AppError('DBInstanceNotFound', `DBInstance ${id} not found.`);
  }

  /** At least one, each `subnet-` and 8 or 17 hex digits (InvalidSubnet), at most 20 distinct (DBSubnetQuotaExceededFault). */
  private validateSubnets(ids: string[]): string[] {
    if (ids.length === 0) throw new AppError('MissingParameter', 'The request must contain the parameter SubnetIds');
    const bad = ids.filter((s) => !/^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/.test(s));
    if (bad.length) throw new AppError('InvalidSubnet', `Some input subnets in :[${bad.join(', ')}] are invalid: a subnet id is subnet- and 8 or 17 hexadecimal digits.`);
    const unique = [...new Set(ids)];
    if (unique.length > MAX_SUBNETS_PER_GROUP) throw new AppError('DBSubnetQuotaExceededFault', `A DB subnet group has at most ${MAX_SUBNETS_PER_GROUP} subnets; the request has ${unique.length}.`);
    return unique;
  }

  /** RDS: up to 255 letters, digits, periods, underscores, spaces or hyphens; stored lower-case. */
  private validateName(raw: string): string {
    if (!raw) throw new AppError('MissingParameter', 'The request must contain the parameter DBSubnetGroupName');
    if (raw.length > 255 || !/^[A-Za-z0-9._ -]+$/.test(raw)) {
      throw new AppError('InvalidParameterValue', 'The parameter DBSubnetGroupName is not valid: up to 255 letters, digits, periods, underscores, spaces or hyphens.');
    }
    return raw.toLowerCase();
  }

  private arn(name: string): string {
    return `arn:aws:rds:${this.d.region}:${this.d.accountId}:subgrp:${name}`;
  }

  /** The `default` group (not stored; RDS's default VPC group, here with no subnets). */
  defaultGroup(): DbSubnetGroup {
    return { name: DEFAULT_SUBNET_GROUP, description: 'default', arn: this.arn(DEFAULT_SUBNET_GROUP), subnetIds: [] };
  }

  private toGroup(r: SubnetGroupRecord): DbSubnetGroup {
    return { name: r.name, description: r.description, arn: this.arn(r.name), subnetIds: r.subnetIds };
  }
}

function notFound(name: string): AppError {
  return new AppError('DBSubnetGroupNotFoundFault', `DBSubnetGroup '${name}' not found.`);
}
