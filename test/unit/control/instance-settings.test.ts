import { describe, expect, it } from 'vitest';
import { settingsForCreate, settingsForModify, windowsOverlap, type SettingsChecks } from '../../../src/control/instance-settings.js';
import { AppError } from '../../../src/errors/app-error.js';
import type { DbInstance } from '../../../src/model/db-instance.js';

const checks: SettingsChecks = {
  subnetGroup: (name) => {
    if (name !== 'default' && name !== 'apps') throw new AppError('DBSubnetGroupNotFoundFault', `DBSubnetGroup '${name}' not found.`);
    return { name, description: name, arn: `arn:aws:rds:us-east-1:123456789012:subgrp:${name}`, subnetIds: [] };
  },
  defaultOptionGroup: () => 'default:mariadb-10-11',
};

const code = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    return (e as AppError).code;
  }
  return 'none';
};

describe('backup and maintenance windows', () => {
  it('finds overlaps on the maintenance day, across midnight and across the week’s end', () => {
    expect(windowsOverlap('05:10-05:40', 'sun:05:00-sun:05:30')).toBe(true);
    expect(windowsOverlap('03:00-03:30', 'sun:05:00-sun:05:30')).toBe(false);
    expect(windowsOverlap('23:45-00:15', 'mon:00:00-mon:00:30')).toBe(true);
    expect(windowsOverlap('23:00-23:30', 'sun:23:45-mon:00:15')).toBe(false);
    expect(windowsOverlap('00:00-00:30', 'sun:23:45-mon:00:15')).toBe(true);
    expect(windowsOverlap('05:30-06:00', 'sun:05:00-sun:05:30')).toBe(false);
  });
});

describe('CreateDBInstance settings', () => {
  const create = (settings: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    settingsForCreate({ dbInstanceIdentifier: 'x', engine: 'mariadb', settings, ...extra }, '10.11.9', 'sun:05:00-sun:05:30', checks);

  it('takes RDS’s defaults and keeps what is sent', () => {
    expect(create({})).toEqual({ instanceClass: 'db.t3.micro', allocatedStorageGiB: 20, backupRetentionPeriod: 1, preferredBackupWindow: '03:00-03:30' });
    expect(create({ maxAllocatedStorage: 100, storageType: 'gp3', deletionProtection: true, dbSubnetGroupName: 'APPS', optionGroupName: 'default:mariadb-10-11', iops: 0 })).toMatchObject({
      maxAllocatedStorageGiB: 100,
      storageType: 'gp3',
      deletionProtection: true,
      dbSubnetGroup: { name: 'apps' },
      optionGroupName: 'default:mariadb-10-11',
    });
    // Without a backup window, one that does not meet the maintenance window, as RDS picks it.
    expect(settingsForCreate({ dbInstanceIdentifier: 'x', engine: 'mariadb' }, '10.11.9', 'mon:02:45-mon:03:45', checks).preferredBackupWindow).toBe('04:00-04:30');
        // Equal to AllocatedStorage: autoscaling off, nothing stored.
    expect(create({ maxAllocatedStorage: 20 }).maxAllocatedStorageGiB).toBeUndefined();
  });

  it('refuses what RDS refuses, with its codes', () => {
    // MultiAZ is not a setting: it is accepted here and builds a standby (multi-az.ts).
    expect(create({ multiAZ: true })).not.toHaveProperty('multiAZ');
    expect(code(() => create({ backupRetentionPeriod: 36 }))).toBe('InvalidParameterValue');
    expect(code(() => create({ preferredBackupWindow: '05:00-05:30' }))).toBe('InvalidParameterCombination');
    expect(code(() => create({ storageType: 'standard' }))).toBe('InvalidParameterValue');
    expect(code(() => create({ maxAllocatedStorage: 30 }, { allocatedStorage: 40 }))).toBe('InvalidParameterCombination');
    expect(code(() => create({}, { dbInstanceClass: 'db.z1.mega' }))).toBe('InvalidParameterCombination');
    expect(code(() => create({ dbSubnetGroupName: 'other' }))).toBe('DBSubnetGroupNotFoundFault');
    expect(code(() => create({ optionGroupName: 'mine' }))).toBe('OptionGroupNotFoundFault');
  });
});

describe('ModifyDBInstance settings', () => {
  const inst = { engineVersion: '10.11.9', allocatedStorageGiB: 100, maxAllocatedStorageGiB: 200, preferredBackupWindow: '03:00-03:30', preferredMaintenanceWindow: 'sun:05:00-sun:05:30' } as DbInstance;

  it('checks storage growth against the instance and names what changed', () => {
    expect(settingsForModify(inst, { dbInstanceIdentifier: 'x', allocatedStorage: 110, settings: { deletionProtection: true } }, undefined, checks)).toEqual({
      patch: { allocatedStorageGiB: 110, deletionProtection: true },
      changed: ['AllocatedStorage', 'DeletionProtection'],
    });
    expect(code(() => settingsForModify(inst, { dbInstanceIdentifier: 'x', allocatedStorage: 109 }, undefined, checks))).toBe('InvalidParameterValue');
    expect(code(() => settingsForModify(inst, { dbInstanceIdentifier: 'x', allocatedStorage: 90 }, undefined, checks))).toBe('InvalidParameterValue');
    expect(code(() => settingsForModify(inst, { dbInstanceIdentifier: 'x', allocatedStorage: 250 }, undefined, checks))).toBe('InvalidParameterCombination');
    // A backup window sent is checked against the maintenance window (the new one when sent too).
    expect(code(() => settingsForModify(inst, { dbInstanceIdentifier: 'x', settings: { preferredBackupWindow: '05:15-05:45' } }, undefined, checks))).toBe('InvalidParameterCombination');
    expect(code(() => settingsForModify(inst, { dbInstanceIdentifier: 'x', settings: { preferredBackupWindow: '05:15-05:45' } }, 'wed:03:15-wed:03:45', checks))).toBe('none');
    // A maintenance window alone is not checked against a stored (possibly default) backup window.
    expect(code(() => settingsForModify(inst, { dbInstanceIdentifier: 'x' }, 'wed:03:15-wed:03:45', checks))).toBe('none');
  });
});
