/**
 * The DB instance classes and storage types tlsql accepts, served by
 * DescribeOrderableDBInstanceOptions and checked on CreateDBInstance/ModifyDBInstance. A class is
 * informational in tlsql (every engine runs with the resources of this machine); the list is the
 * RDS for MariaDB classes a team is likely to name in its infrastructure code, so that code runs
 * unchanged. Storage limits are RDS's for gp2/gp3 (20-65536 GiB).
 */
import type { StorageType } from '../model/infrastructure.js';

/** Instance classes, with RDS's vCPU count and memory (GiB) for each. */
export const INSTANCE_CLASSES: readonly { name: string; vcpus: number; memoryGiB: number }[] = [
  { name: 'db.t3.micro', vcpus: 2, memoryGiB: 1 },
  { name: 'db.t3.small', vcpus: 2, memoryGiB: 2 },
  { name: 'db.t3.medium', vcpus: 2, memoryGiB: 4 },
  { name: 'db.t3.large', vcpus: 2, memoryGiB: 8 },
  { name: 'db.t3.xlarge', vcpus: 4, memoryGiB: 16 },
  { name: 'db.t3.2xlarge', vcpus: 8, memoryGiB: 32 },
  { name: 'db.t4g.micro', vcpus: 2, memoryGiB: 1 },
  { name: 'db.t4g.small', vcpus: 2, memoryGiB: 2 },
  { name: 'db.t4g.medium', vcpus: 2, memoryGiB: 4 },
  { name: 'db.t4g.large', vcpus: 2, memoryGiB: 8 },
  { name: 'db.t4g.xlarge', vcpus: 4, memoryGiB: 16 },
  { name: 'db.t4g.2xlarge', vcpus: 8, memoryGiB: 32 },
  { name: 'db.m5.large', vcpus: 2, memoryGiB: 8 },
  { name: 'db.m5.xlarge', vcpus: 4, memoryGiB: 16 },
  { name: 'db.m5.2xlarge', vcpus: 8, memoryGiB: 32 },
  { name: 'db.m5.4xlarge', vcpus: 16, memoryGiB: 64 },
  { name: 'db.m6g.large', vcpus: 2, memoryGiB: 8 },
  { name: 'db.m6g.xlarge', vcpus: 4, memoryGiB: 16 },
  { name: 'db.m6g.2xlarge', vcpus: 8, memoryGiB: 32 },
  { name: 'db.m6g.4xlarge', vcpus: 16, memoryGiB: 64 },
  { name: 'db.r5.large', vcpus: 2, memoryGiB: 16 },
  { name: 'db.r5.xlarge', vcpus: 4, memoryGiB: 32 },
  { name: 'db.r5.2xlarge', vcpus: 8, memoryGiB: 64 },
  { name: 'db.r6g.large', vcpus: 2, memoryGiB: 16 },
  { name: 'db.r6g.xlarge', vcpus: 4, memoryGiB: 32 },
  { name: 'db.r6g.2xlarge', vcpus: 8, memoryGiB: 64 },
];

/** Storage types tlsql accepts; io1/io2 (provisioned IOPS) and magnetic are not offered. */
export const STORAGE_TYPES: readonly StorageType[] = ['gp2', 'gp3'];

/** RDS's gp2/gp3 limits for MariaDB, in GiB. */
export const MIN_STORAGE_GIB = 20;
export const MAX_STORAGE_GIB = 65536;

export const LICENSE_MODEL = 'general-public-license';

export function isInstanceClass(name: string): boolean {
  return INSTANCE_CLASSES.some((c) => c.name === name);
}

export function isStorageType(name: string): name is StorageType {
  return (STORAGE_TYPES as readonly string[]).includes(name);
}
