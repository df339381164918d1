/**
 * Records behind the reads infrastructure-as-code tools make around a DB instance (docs/iac.md):
 * DB subnet groups, option groups, orderable instance options and account quotas. camelCase here;
 * api/shapes.ts maps them to RDS's shapes.
 */

/** RDS storage types tlsql accepts (stored and returned; see docs/iac.md). */
export type StorageType = 'gp2' | 'gp3';

/** A DB subnet group: stored and returned; tlsql has no VPC, so its subnets are not acted on. */
export interface DbSubnetGroup {
  /** Lower-case, as RDS stores it. */
  name: string;
  description: string;
  arn: string;
  subnetIds: string[];
}

/** An option group (tlsql has only the engine's default one, with no options). */
export interface OptionGroup {
  name: string;
  description: string;
  engineName: string;
  majorEngineVersion: string;
  arn: string;
}

/** One orderable combination of engine version, instance class and storage type. */
export interface OrderableDbInstanceOption {
  engine: string;
  engineVersion: string;
  dbInstanceClass: string;
  licenseModel: string;
  storageType: StorageType;
  minStorageSize: number;
  maxStorageSize: number;
}

/** One account quota: what is used of it and its real maximum. */
export interface AccountQuota {
  name: string;
  used: number;
  max: number;
}
