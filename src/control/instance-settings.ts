/**
 * Checks and applies the CreateDBInstance/ModifyDBInstance members infrastructure-as-code tools
 * send (instance class, storage, backups, deletion protection, subnet and option groups, ...), with
 * RDS's limits and error codes. Everything is checked before anything changes. Of these, tlsql acts
 * on `DeletionProtection` (DeleteDBInstance is refused) and on the group names (they must exist);
 * the rest is stored and returned as sent (docs/iac.md says so for each).
 */
import { AppError } from '../errors/app-error.js';
import type { CreateDbInstanceInput, InstanceSettingsInput, ModifyDbInstanceInput } from '../model/db-instance-requests.js';
import type { DbInstance, InstanceSettings } from '../model/db-instance.js';
import type { DbSubnetGroup } from '../model/infrastructure.js';
import { INSTANCE_CLASSES, isInstanceClass, isStorageType, LICENSE_MODEL, MAX_STORAGE_GIB, MIN_STORAGE_GIB, STORAGE_TYPES } from './instance-classes.js';

/** What the checks need to know of the other resources. */
export interface SettingsChecks {
  /** The (lower-case) group, or DBSubnetGroupNotFoundFault. */
  subnetGroup(name: string): DbSubnetGroup;
  /** The default option group's name for an engine version, e.g. `default:mariadb-10-11`. */
  defaultOptionGroup(engineVersion: string): string;
}

/** The default backup window when none is given (UTC; outside the default maintenance window). */
export const DEFAULT_BACKUP_WINDOW = '03:00-03:30';

/**
 * A backup window when none is given: the default, or, as RDS picks one that never meets the
 * maintenance window, the next half hour that does not.
 */
export function defaultBackupWindow(maintenance: string): string {
  const hhmm = (m: number) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  for (let i = 0; i < 48; i++) {
    const start = (180 + i * 30) % 1440;
    const candidate = `${hhmm(start)}-${hhmm(start + 30)}`;
    if (!windowsOverlap(candidate, maintenance)) return candidate;
  }
  return DEFAULT_BACKUP_WINDOW;
}

/** The instance fields these members set. */
export type ResolvedSettings = InstanceSettings & Partial<Pick<DbInstance, 'instanceClass' | 'allocatedStorageGiB' | 'backupRetentionPeriod' | 'preferredBackupWindow'>>;

function checkInstanceClass(name: string, engineVersion: string): string {
  if (!isInstanceClass(name)) {
    throw new AppError(
      'InvalidParameterCombination',
      `tlsql does not offer a DB instance with the following combination: DBInstanceClass=${name}, Engine=mariadb, EngineVersion=${engineVersion}, LicenseModel=${LICENSE_MODEL}. Classes offered: ${INSTANCE_CLASSES.map((c) => c.name).join(', ')} (describe-orderable-db-instance-options --engine mariadb).`,
    );
  }
  return name;
}

function checkStorage(gib: number, param: string): number {
  if (!Number.isInteger(gib) || gib < MIN_STORAGE_GIB || gib > MAX_STORAGE_GIB) {
    throw new AppError('InvalidParameterValue', `Invalid storage size: ${param} must be an integer from ${MIN_STORAGE_GIB} to ${MAX_STORAGE_GIB} (GiB).`);
  }
  return gib;
}

/** `hh24:mi-hh24:mi` (UTC), at least 30 minutes, as RDS. Returns [start, end) minutes of the day. */
function parseBackupWindow(raw: string): [number, number] {
  const m = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/.exec(raw);
  if (!m) throw new AppError('InvalidParameterValue', `Invalid PreferredBackupWindow ${raw}: use the format hh24:mi-hh24:mi (UTC), e.g. 03:00-03:30.`);
  const start = Number(m[1]) * 60 + Number(m[2]);
  let end = Number(m[3]) * 60 + Number(m[4]);
  if (end <= start) end += 1440;
  if (end - start < 30) throw new AppError('InvalidParameterValue', `Invalid PreferredBackupWindow ${raw}: the backup window must be at least 30 minutes.`);
  return [start, end];
}

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** Whether a daily backup window meets a weekly maintenance window (`ddd:hh24:mi-ddd:hh24:mi`, validated already). */
export function windowsOverlap(backup: string, maintenance: string): boolean {
  const [bs, be] = parseBackupWindow(backup);
  const m = /^(\w{3}):(\d\d):(\d\d)-(\w{3}):(\d\d):(\d\d)$/.exec(maintenance.toLowerCase());
  if (!m) return false;
  const week = 7 * 1440;
  const ms = DAYS.indexOf(m[1]!) * 1440 + Number(m[2]) * 60 + Number(m[3]);
  let me = DAYS.indexOf(m[4]!) * 1440 + Number(m[5]) * 60 + Number(m[6]);
  if (me <= ms) me += week;
  for (let day = -1; day <= 7; day++) {
    for (const shift of [-week, 0, week]) {
      if (day * 1440 + bs < me + shift && ms + shift < day * 1440 + be) return true;
    }
  }
  return false;
}

function checkWindows(backup: string, maintenance: string): void {
  if (windowsOverlap(backup, maintenance)) {
    throw new AppError('InvalidParameterCombination', `The backup window and maintenance window must not overlap (PreferredBackupWindow ${backup}, PreferredMaintenanceWindow ${maintenance}).`);
  }
}

/** The members that need no instance to check. */
function checkCommon(s: InstanceSettingsInput, checks: SettingsChecks, engineVersion: string): ResolvedSettings {
  const out: ResolvedSettings = {};
  // MultiAZ is not a stored setting: it builds or removes a standby (db-instances.ts, multi-az.ts).
  if (s.licenseModel !== undefined && s.licenseModel !== LICENSE_MODEL) {
    throw new AppError('InvalidParameterValue', `Invalid LicenseModel ${s.licenseModel}: MariaDB's license model is ${LICENSE_MODEL}.`);
  }
  if (s.storageType !== undefined) {
    if (!isStorageType(s.storageType)) throw new AppError('InvalidParameterValue', `Invalid storage type: ${s.storageType}. tlsql offers ${STORAGE_TYPES.join(' and ')}.`);
    out.storageType = s.storageType;
  }
  if (s.iops !== undefined && s.iops !== 0) {
    throw new AppError('InvalidParameterCombination', `Iops=${s.iops}: tlsql does not provision IOPS (storage types ${STORAGE_TYPES.join(', ')} take no Iops).`);
  }
  if (s.backupRetentionPeriod !== undefined) {
    if (!Number.isInteger(s.backupRetentionPeriod) || s.backupRetentionPeriod < 0 || s.backupRetentionPeriod > 35) {
      throw new AppError('InvalidParameterValue', `Invalid BackupRetentionPeriod ${s.backupRetentionPeriod}: it must be from 0 to 35 (days).`);
    }
    out.backupRetentionPeriod = s.backupRetentionPeriod;
  }
  if (s.preferredBackupWindow !== undefined) {
    parseBackupWindow(s.preferredBackupWindow);
    out.preferredBackupWindow = s.preferredBackupWindow;
  }
  if (s.maxAllocatedStorage !== undefined) checkStorage(s.maxAllocatedStorage, 'MaxAllocatedStorage');
  if (s.dbSubnetGroupName !== undefined) {
    out.dbSubnetGroup = checks.subnetGroup(s.dbSubnetGroupName.toLowerCase());
  }
  if (s.optionGroupName !== undefined) {
    const def = checks.defaultOptionGroup(engineVersion);
    if (s.optionGroupName !== def) throw new AppError('OptionGroupNotFoundFault', `Specified OptionGroupName: ${s.optionGroupName} not found. tlsql has the default option group ${def} only.`);
    out.optionGroupName = def;
  }
  for (const k of ['deletionProtection', 'autoMinorVersionUpgrade', 'copyTagsToSnapshot', 'publiclyAccessible', 'storageEncrypted'] as const) {
    if (s[k] !== undefined) out[k] = s[k];
  }
  return out;
}

/** MaxAllocatedStorage against AllocatedStorage: above it turns autoscaling on; equal (RDS's way to turn it off) or absent, off. */
function maxStorage(max: number | undefined, allocated: number): number | undefined {
  if (max === undefined || max === allocated) return undefined;
  if (max < allocated) {
    throw new AppError('InvalidParameterCombination', `MaxAllocatedStorage (${max} GiB) must be greater than AllocatedStorage (${allocated} GiB); send it equal to AllocatedStorage to turn storage autoscaling off.`);
  }
  return max;
}

/** CreateDBInstance: the settings with RDS's defaults for what is not sent. */
export function settingsForCreate(input: CreateDbInstanceInput, engineVersion: string, maintenanceWindow: string, checks: SettingsChecks): Required<Pick<ResolvedSettings, 'instanceClass' | 'allocatedStorageGiB' | 'backupRetentionPeriod' | 'preferredBackupWindow'>> & InstanceSettings {
  const s = input.settings ?? {};
  const common = checkCommon(s, checks, engineVersion);
  const allocated = checkStorage(input.allocatedStorage ?? MIN_STORAGE_GIB, 'AllocatedStorage');
  const backupWindow = common.preferredBackupWindow ?? defaultBackupWindow(maintenanceWindow);
  checkWindows(backupWindow, maintenanceWindow);
  const max = maxStorage(s.maxAllocatedStorage, allocated);
  return {
    ...common,
    instanceClass: checkInstanceClass(input.dbInstanceClass ?? 'db.t3.micro', engineVersion),
    allocatedStorageGiB: allocated,
    backupRetentionPeriod: common.backupRetentionPeriod ?? 1,
    preferredBackupWindow: backupWindow,
    ...(max !== undefined ? { maxAllocatedStorageGiB: max } : {}),
  };
}

/**
 * ModifyDBInstance: the fields to change on `inst` and the RDS names of the members sent. Throws
 * (changing nothing) when a value is out of range or conflicts with the instance as it is.
 */
export function settingsForModify(inst: DbInstance, input: ModifyDbInstanceInput, maintenanceWindow: string | undefined, checks: SettingsChecks): { patch: ResolvedSettings; changed: string[] } {
  const s = input.settings ?? {};
  const patch = checkCommon(s, checks, inst.engineVersion);
  if (input.dbInstanceClass !== undefined) patch.instanceClass = checkInstanceClass(input.dbInstanceClass, inst.engineVersion);
  if (input.allocatedStorage !== undefined) {
    const gib = checkStorage(input.allocatedStorage, 'AllocatedStorage');
    if (gib < inst.allocatedStorageGiB) throw new AppError('InvalidParameterValue', `Invalid storage size: AllocatedStorage cannot be decreased (from ${inst.allocatedStorageGiB} to ${gib} GiB).`);
    // Integer arithmetic: 100 * 1.1 is 110.00000000000001 in floating point.
    if (gib > inst.allocatedStorageGiB && gib * 10 < inst.allocatedStorageGiB * 11) {
      throw new AppError('InvalidParameterValue', `Invalid storage size: AllocatedStorage must grow by at least 10% (from ${inst.allocatedStorageGiB} to at least ${Math.ceil((inst.allocatedStorageGiB * 11) / 10)} GiB).`);
    }
    patch.allocatedStorageGiB = gib;
  }
  const allocated = patch.allocatedStorageGiB ?? inst.allocatedStorageGiB;
  if (s.maxAllocatedStorage !== undefined) {
    patch.maxAllocatedStorageGiB = maxStorage(s.maxAllocatedStorage, allocated);
  } else if (inst.maxAllocatedStorageGiB !== undefined && inst.maxAllocatedStorageGiB < allocated) {
    throw new AppError('InvalidParameterCombination', `AllocatedStorage (${allocated} GiB) would exceed MaxAllocatedStorage (${inst.maxAllocatedStorageGiB} GiB): raise MaxAllocatedStorage too.`);
  }
  // Checked when the request sets the backup window. A new maintenance window alone is not checked
  // against the stored backup window: that one may be a default the caller never chose.
  if (patch.preferredBackupWindow !== undefined) checkWindows(patch.preferredBackupWindow, maintenanceWindow ?? inst.preferredMaintenanceWindow);
  const names: Record<string, unknown> = {
    DBInstanceClass: input.dbInstanceClass,
    AllocatedStorage: input.allocatedStorage,
    MaxAllocatedStorage: s.maxAllocatedStorage,
    StorageType: s.storageType,
    BackupRetentionPeriod: s.backupRetentionPeriod,
    PreferredBackupWindow: s.preferredBackupWindow,
    DeletionProtection: s.deletionProtection,
    AutoMinorVersionUpgrade: s.autoMinorVersionUpgrade,
    CopyTagsToSnapshot: s.copyTagsToSnapshot,
    PubliclyAccessible: s.publiclyAccessible,
    StorageEncrypted: s.storageEncrypted,
    DBSubnetGroupName: s.dbSubnetGroupName,
    OptionGroupName: s.optionGroupName,
  };
  return { patch, changed: Object.entries(names).filter(([, v]) => v !== undefined).map(([k]) => k) };
}

/** Applies a checked patch; `maxAllocatedStorageGiB: undefined` turns autoscaling off. */
export function applySettings(inst: DbInstance, patch: ResolvedSettings): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) delete (inst as unknown as Record<string, unknown>)[k];
    else (inst as unknown as Record<string, unknown>)[k] = v;
  }
}
