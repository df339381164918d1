/** DB instance commands: create, describe, modify, delete, reboot, stop, start, and `wait`. */

import {
  CreateDBInstanceCommand,
  CreateDBInstanceReadReplicaCommand,
  PromoteReadReplicaCommand,
  DeleteDBInstanceCommand,
  DescribeDBInstancesCommand,
  ModifyDBInstanceCommand,
  RebootDBInstanceCommand,
  StartDBInstanceCommand,
  StopDBInstanceCommand,
  type DBInstance,
} from '@aws-sdk/client-rds';
import { UsageError } from '../errors.js';
import type { OptionSpec } from '../options.js';
import { buildInput, callRds, printRds, rdsCommand, type RdsCommandSpec } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { waitForDbInstances, waiters, type WaiterSpec } from '../waiter.js';
import { filtersOption, tagsOption, waitOption } from './common-options.js';

const idHelp = 'The DB instance identifier: 1-63 letters, digits or hyphens, starting with a letter (stored lower-case).';

type SdkCommandClass = abstract new (...args: never[]) => unknown;

/**
 * An instance action with `--wait`: after the call, poll until `waiter` is satisfied. With
 * `waitOnTTY`, waiting is the default when stdout is a terminal (`--no-wait` turns it off).
 * With `printFinal`, the instance as it is after the wait is printed instead of the action's
 * immediate response.
 */
function instanceCommand<C extends SdkCommandClass>(
  spec: RdsCommandSpec<C>,
  wait: { waiter: WaiterSpec; waitOnTTY: boolean; printFinal: boolean },
): CommandDef {
  const options: readonly OptionSpec[] = [...spec.options, waitOption];
  return {
    name: spec.name,
    summary: spec.summary,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    options,
    async run(ctx, args) {
      const a = args as Record<string, unknown>;
      const out = await callRds(ctx, spec, buildInput(spec.options, a), a);
      const shouldWait = a.wait === true || (a.wait === undefined && wait.waitOnTTY && ctx.io.isTTY);
      if (!shouldWait) {
        printRds(ctx, spec.operation, out);
        return;
      }
      const id = (out.DBInstance as DBInstance | undefined)?.DBInstanceIdentifier ?? (a.dbInstanceIdentifier as string);
      const instances = await waitForDbInstances(ctx, wait.waiter, { DBInstanceIdentifier: id });
      const final = instances[0];
      if (wait.printFinal && final !== undefined) printRds(ctx, spec.operation, { DBInstance: final });
      else printRds(ctx, spec.operation, out);
    },
  };
}

/** Settings infrastructure-as-code tools send on create, modify and (but backups) create-db-instance-read-replica, with the same meaning on each (docs/iac.md). */
const sharedSettingsOptions = [
  { name: 'max-allocated-storage', type: 'integer', member: 'MaxAllocatedStorage', help: 'Storage autoscaling ceiling in GiB (stored; informational in tlsql).' },
  { name: 'storage-type', type: 'string', member: 'StorageType', help: 'gp2 or gp3 (stored; informational in tlsql).' },
  { name: 'deletion-protection', type: 'boolean', member: 'DeletionProtection', help: 'Refuse delete-db-instance until turned off (--no-... to turn off).' },
  { name: 'auto-minor-version-upgrade', type: 'boolean', member: 'AutoMinorVersionUpgrade', help: 'Stored and returned; tlsql runs the installed engine version.' },
  { name: 'copy-tags-to-snapshot', type: 'boolean', member: 'CopyTagsToSnapshot', help: 'Stored and returned; tlsql takes no snapshots.' },
  { name: 'publicly-accessible', type: 'boolean', member: 'PubliclyAccessible', help: 'Stored and returned; where endpoints listen is listenAddresses in the configuration.' },
  { name: 'db-subnet-group-name', type: 'string', member: 'DBSubnetGroupName', help: 'DB subnet group (create-db-subnet-group); default: default.' },
  { name: 'option-group-name', type: 'string', member: 'OptionGroupName', help: 'Option group: the default one only (describe-option-groups).' },
  { name: 'multi-az', type: 'boolean', member: 'MultiAZ', help: 'Keep a standby in sync (semi-synchronous replication over verified TLS) and fail over to it, keeping endpoint and certificate (docs/replication.md); --no-multi-az removes it.' },
] as const;

const backupOptions = [
  { name: 'backup-retention-period', type: 'integer', member: 'BackupRetentionPeriod', help: 'Days of automated backups, 0-35 (stored; tlsql takes no backups).' },
  { name: 'preferred-backup-window', type: 'string', member: 'PreferredBackupWindow', help: 'Daily window in UTC, hh24:mi-hh24:mi, at least 30 minutes, not overlapping the maintenance window (stored).' },
] as const;

const settingsOptions = [...sharedSettingsOptions.slice(0, 2), ...backupOptions, ...sharedSettingsOptions.slice(2)] as const;

export const createDbInstance = instanceCommand(
  {
    name: 'create-db-instance',
    operation: 'CreateDBInstance',
    command: CreateDBInstanceCommand,
    summary: 'Creates a DB instance (a local MariaDB server behind a TLS endpoint).',
    description:
      'Creates a DB instance. On a terminal the command waits until the instance is available and ' +
      'prints it then (with its endpoint); otherwise it returns at once with status "creating", like ' +
      '`aws rds create-db-instance`. --wait / --no-wait choose explicitly.',
    options: [
      { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp },
      { name: 'engine', type: 'string', member: 'Engine', required: true, help: 'Database engine: mariadb.' },
      { name: 'engine-version', type: 'string', member: 'EngineVersion', help: 'Engine version; default: the default version (see describe-db-engine-versions).' },
      { name: 'db-instance-class', type: 'string', member: 'DBInstanceClass', help: 'Instance class, e.g. db.t3.micro (informational in tlsql).' },
      { name: 'master-username', type: 'string', member: 'MasterUsername', help: 'Name of the administrative account.' },
      { name: 'master-user-password', type: 'string', member: 'MasterUserPassword', help: 'Password of the administrative account.' },
      { name: 'db-name', type: 'string', member: 'DBName', help: 'Database to create in the instance.' },
      { name: 'port', type: 'integer', member: 'Port', help: 'Endpoint port; default: the first free port from 3306.' },
      { name: 'allocated-storage', type: 'integer', member: 'AllocatedStorage', help: 'Storage in GiB (informational in tlsql).' },
      { name: 'ca-certificate-identifier', type: 'string', member: 'CACertificateIdentifier', help: 'CA that signs the server certificate, e.g. tlsql-ca-rsa2048-g1; default: the default for new launches (describe-certificates).' },
      { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', help: 'Parameter group; default: the engine family default.' },
      { name: 'db-security-groups', type: 'string-list', member: 'DBSecurityGroups', help: 'DB security groups whose CIDR rules are the network allow-list; default: none (every address reaching the loopback listeners).' },
      { name: 'enable-iam-database-authentication', type: 'boolean', member: 'EnableIAMDatabaseAuthentication', help: 'Allow IAM database authentication tokens (--no-... to disable).' },
      { name: 'preferred-maintenance-window', type: 'string', member: 'PreferredMaintenanceWindow', help: 'Weekly window in UTC, ddd:hh24:mi-ddd:hh24:mi, e.g. sun:05:00-sun:06:00.' },
      ...settingsOptions,
      { name: 'storage-encrypted', type: 'boolean', member: 'StorageEncrypted', help: 'Stored and returned; tlsql does not encrypt the engine’s data files.' },
      tagsOption,
    ],
  },
  { waiter: waiters.available, waitOnTTY: true, printFinal: true },
);

export const createDbInstanceReadReplica = instanceCommand(
  {
    name: 'create-db-instance-read-replica',
    operation: 'CreateDBInstanceReadReplica',
    command: CreateDBInstanceReadReplicaCommand,
    summary: 'Creates a read replica of a running DB instance, replicating over verified TLS.',
    description:
      'Creates a read replica: a new DB instance copied from the source while the source keeps serving, ' +
      'then replicating from the source endpoint over TLS with the CA bundle, a host name check and a client ' +
      'certificate (docs/replication.md). It has its own endpoint and certificate, and is read-only. On a ' +
      'terminal the command waits until it is available; --wait / --no-wait choose explicitly.',
    options: [
      { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: `The replica's identifier. ${idHelp}` },
      { name: 'source-db-instance-identifier', type: 'string', member: 'SourceDBInstanceIdentifier', required: true, help: 'The source DB instance: identifier or ARN.' },
      { name: 'db-instance-class', type: 'string', member: 'DBInstanceClass', help: "Instance class; default: the source's (informational in tlsql)." },
      { name: 'port', type: 'integer', member: 'Port', help: 'Endpoint port; default: the first free port.' },
      { name: 'ca-certificate-identifier', type: 'string', member: 'CACertificateIdentifier', help: 'CA that signs the replica\'s server certificate; default: the default for new launches.' },
      { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', help: 'Parameter group; default: the engine family default (read_only is on for replicas unless the group sets it).' },
      { name: 'enable-iam-database-authentication', type: 'boolean', member: 'EnableIAMDatabaseAuthentication', help: 'Allow IAM database authentication tokens on the replica.' },
      ...sharedSettingsOptions,
      tagsOption,
    ],
  },
  { waiter: waiters.available, waitOnTTY: true, printFinal: true },
);

export const promoteReadReplica = instanceCommand(
  {
    name: 'promote-read-replica',
    operation: 'PromoteReadReplica',
    command: PromoteReadReplicaCommand,
    summary: 'Promotes a read replica to a standalone, writable DB instance (same endpoint and certificate).',
    options: [
      { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp },
      { name: 'backup-retention-period', type: 'integer', member: 'BackupRetentionPeriod', help: 'Days of automated backups after promotion, 0-35; default 1 (stored).' },
    ],
  },
  { waiter: waiters.available, waitOnTTY: false, printFinal: true },
);

export const describeDbInstances = rdsCommand({
  name: 'describe-db-instances',
  operation: 'DescribeDBInstances',
  command: DescribeDBInstancesCommand,
  resultKey: 'DBInstances',
  summary: 'Describes DB instances (all, one, or those matching filters).',
  options: [
    { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', help: 'Describe only this instance.' },
    filtersOption,
  ],
});

export const modifyDbInstance = instanceCommand(
  {
    name: 'modify-db-instance',
    operation: 'ModifyDBInstance',
    command: ModifyDBInstanceCommand,
    summary: 'Modifies a DB instance: password, CA, parameter group, IAM authentication, maintenance window, deletion protection, stored settings.',
    description:
      'Modifies a DB instance. Without --apply-immediately, changes such as a new CA wait for the ' +
      'maintenance window and show under PendingModifiedValues. tlsql rotates certificates without a restart.',
    options: [
      { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp },
      { name: 'master-user-password', type: 'string', member: 'MasterUserPassword', help: 'New password of the administrative account.' },
      { name: 'ca-certificate-identifier', type: 'string', member: 'CACertificateIdentifier', help: 'CA for the server certificate, e.g. tlsql-ca-ecc384-g1.' },
      { name: 'apply-immediately', type: 'boolean', member: 'ApplyImmediately', help: 'Apply now instead of in the next maintenance window (--no-apply-immediately: the window).' },
      { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', help: 'Parameter group to associate.' },
      { name: 'db-security-groups', type: 'string-list', member: 'DBSecurityGroups', help: 'Replace the DB security groups (network allow-list); applies at once. An empty JSON list [] removes them all.' },
      { name: 'enable-iam-database-authentication', type: 'boolean', member: 'EnableIAMDatabaseAuthentication', help: 'Enable (or with --no-..., disable) IAM database authentication.' },
      { name: 'preferred-maintenance-window', type: 'string', member: 'PreferredMaintenanceWindow', help: 'Weekly window in UTC, ddd:hh24:mi-ddd:hh24:mi.' },
      { name: 'certificate-rotation-restart', type: 'boolean', member: 'CertificateRotationRestart', help: 'Accepted for compatibility; tlsql never restarts to rotate a certificate.' },
      { name: 'db-instance-class', type: 'string', member: 'DBInstanceClass', help: 'New instance class (stored at once; informational in tlsql).' },
      { name: 'allocated-storage', type: 'integer', member: 'AllocatedStorage', help: 'New storage in GiB: at least 10% more, never less (stored at once; informational in tlsql).' },
      ...settingsOptions,
    ],
  },
  { waiter: waiters.available, waitOnTTY: false, printFinal: true },
);

export const deleteDbInstance = instanceCommand(
  {
    name: 'delete-db-instance',
    operation: 'DeleteDBInstance',
    command: DeleteDBInstanceCommand,
    summary: 'Deletes a DB instance and its data.',
    options: [
      { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp },
      { name: 'skip-final-snapshot', type: 'boolean', member: 'SkipFinalSnapshot', help: 'Do not take a final snapshot (--no-skip-final-snapshot requires --final-db-snapshot-identifier).' },
      { name: 'final-db-snapshot-identifier', type: 'string', member: 'FinalDBSnapshotIdentifier', help: 'Name of the final snapshot.' },
      { name: 'delete-automated-backups', type: 'boolean', member: 'DeleteAutomatedBackups', help: 'Also delete automated backups (--no-... keeps them).' },
    ],
  },
  { waiter: waiters.deleted, waitOnTTY: false, printFinal: false },
);

export const rebootDbInstance = instanceCommand(
  {
    name: 'reboot-db-instance',
    operation: 'RebootDBInstance',
    command: RebootDBInstanceCommand,
    summary: 'Restarts the database engine of a DB instance.',
    options: [
      { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp },
      { name: 'force-failover', type: 'boolean', member: 'ForceFailover', help: 'Multi-AZ: fail over to the standby instead of restarting the engine (same endpoint and certificate).' },
    ],
  },
  { waiter: waiters.available, waitOnTTY: false, printFinal: true },
);

export const stopDbInstance = instanceCommand(
  {
    name: 'stop-db-instance',
    operation: 'StopDBInstance',
    command: StopDBInstanceCommand,
    summary: 'Stops a DB instance (its endpoint refuses connections until started).',
    options: [{ name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp }],
  },
  { waiter: waiters.stopped, waitOnTTY: false, printFinal: true },
);

export const startDbInstance = instanceCommand(
  {
    name: 'start-db-instance',
    operation: 'StartDBInstance',
    command: StartDBInstanceCommand,
    summary: 'Starts a stopped DB instance.',
    options: [{ name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', required: true, help: idHelp }],
  },
  { waiter: waiters.available, waitOnTTY: false, printFinal: true },
);

const waitOptions = [
  { name: 'db-instance-identifier', type: 'string', help: 'The instance to wait for; default: every instance (matching --filters).' },
  filtersOption,
  { name: 'timeout', type: 'integer', metavar: '<seconds>', help: 'Give up after this many seconds (exit 255). Default 1800.' },
  { name: 'delay', type: 'integer', metavar: '<seconds>', help: 'Longest pause between polls, in seconds. Default 2.' },
] as const satisfies readonly OptionSpec[];

function waitCommand(name: string, waiter: WaiterSpec, summary: string): CommandDef {
  return {
    name: `wait ${name}`,
    summary,
    description:
      `${summary} Polls describe-db-instances (first after 250 ms, then at doubling intervals up to --delay). ` +
      'Prints nothing on success; exits 255 when a failure state is reached or on timeout, like `aws rds wait`.',
    options: waitOptions,
    async run(ctx, args) {
      const a = args as Record<string, unknown>;
      const timeout = a.timeout as number | undefined;
      const delay = a.delay as number | undefined;
      if (timeout !== undefined && timeout <= 0) throw new UsageError('argument --timeout: must be a positive number of seconds', ctx.command);
      if (delay !== undefined && delay <= 0) throw new UsageError('argument --delay: must be a positive number of seconds', ctx.command);
      const query: Record<string, unknown> = {};
      if (a.dbInstanceIdentifier !== undefined) query.DBInstanceIdentifier = a.dbInstanceIdentifier;
      if (a.filters !== undefined) query.Filters = a.filters;
      await waitForDbInstances(ctx, waiter, query, {
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        ...(delay !== undefined ? { maxDelayMs: delay * 1000 } : {}),
      });
    },
  };
}

export const waitDbInstanceAvailable = waitCommand('db-instance-available', waiters.available, 'Waits until DB instances are available.');
export const waitDbInstanceDeleted = waitCommand('db-instance-deleted', waiters.deleted, 'Waits until DB instances are deleted.');
export const waitDbInstanceStopped = waitCommand('db-instance-stopped', waiters.stopped, 'Waits until DB instances are stopped.');

export const dbInstanceCommands: readonly CommandDef[] = [
  createDbInstance,
  createDbInstanceReadReplica,
  promoteReadReplica,
  describeDbInstances,
  modifyDbInstance,
  deleteDbInstance,
  rebootDbInstance,
  stopDbInstance,
  startDbInstance,
  waitDbInstanceAvailable,
  waitDbInstanceDeleted,
  waitDbInstanceStopped,
];
