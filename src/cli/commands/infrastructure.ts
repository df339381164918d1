/**
 * What infrastructure-as-code tools read around a DB instance, as `aws rds` names it (RDS API,
 * through the SDK; docs/iac.md): orderable instance options, DB subnet groups, option groups,
 * account quotas, snapshots and automated backups.
 */

import {
  CreateDBSubnetGroupCommand,
  DeleteDBSubnetGroupCommand,
  DescribeAccountAttributesCommand,
  DescribeDBInstanceAutomatedBackupsCommand,
  DescribeDBSnapshotsCommand,
  DescribeDBSubnetGroupsCommand,
  DescribeOptionGroupsCommand,
  DescribeOrderableDBInstanceOptionsCommand,
  ModifyDBSubnetGroupCommand,
} from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption, tagsOption } from './common-options.js';

const subnetGroupHelp = 'The DB subnet group name: up to 255 letters, digits, periods, underscores, spaces or hyphens (stored lower-case).';

export const describeOrderableDbInstanceOptions = rdsCommand({
  name: 'describe-orderable-db-instance-options',
  operation: 'DescribeOrderableDBInstanceOptions',
  command: DescribeOrderableDBInstanceOptionsCommand,
  resultKey: 'OrderableDBInstanceOptions',
  summary: 'Lists the instance classes and storage types tlsql accepts for an engine (mariadb).',
  options: [
    { name: 'engine', type: 'string', member: 'Engine', required: true, help: 'Database engine: mariadb (other engines have no options).' },
    { name: 'engine-version', type: 'string', member: 'EngineVersion', help: 'Only this engine version.' },
    { name: 'db-instance-class', type: 'string', member: 'DBInstanceClass', help: 'Only this instance class, e.g. db.t3.micro.' },
    { name: 'license-model', type: 'string', member: 'LicenseModel', help: 'Only this license model (general-public-license).' },
    { name: 'vpc', type: 'boolean', member: 'Vpc', help: 'Only VPC (or with --no-vpc, non-VPC) offerings.' },
  ],
});

export const createDbSubnetGroup = rdsCommand({
  name: 'create-db-subnet-group',
  operation: 'CreateDBSubnetGroup',
  command: CreateDBSubnetGroupCommand,
  summary: 'Creates a DB subnet group (stored and shown as RDS does; tlsql has no VPC, so its subnets are not acted on).',
  options: [
    { name: 'db-subnet-group-name', type: 'string', member: 'DBSubnetGroupName', required: true, help: subnetGroupHelp },
    { name: 'db-subnet-group-description', type: 'string', member: 'DBSubnetGroupDescription', required: true, help: 'Free-form description.' },
    { name: 'subnet-ids', type: 'string-list', member: 'SubnetIds', required: true, help: 'Subnet ids, e.g. `--subnet-ids subnet-0123abcd subnet-4567ef01` (at most 20).' },
    tagsOption,
  ],
});

export const describeDbSubnetGroups = rdsCommand({
  name: 'describe-db-subnet-groups',
  operation: 'DescribeDBSubnetGroups',
  command: DescribeDBSubnetGroupsCommand,
  resultKey: 'DBSubnetGroups',
  summary: 'Lists DB subnet groups (`default` included).',
  options: [{ name: 'db-subnet-group-name', type: 'string', member: 'DBSubnetGroupName', help: 'Describe only this group.' }],
});

export const deleteDbSubnetGroup = rdsCommand({
  name: 'delete-db-subnet-group',
  operation: 'DeleteDBSubnetGroup',
  command: DeleteDBSubnetGroupCommand,
  summary: 'Deletes a DB subnet group that no DB instance uses (`default` cannot be deleted).',
  options: [{ name: 'db-subnet-group-name', type: 'string', member: 'DBSubnetGroupName', required: true, help: subnetGroupHelp }],
});

export const modifyDbSubnetGroup = rdsCommand({
  name: 'modify-db-subnet-group',
  operation: 'ModifyDBSubnetGroup',
  command: ModifyDBSubnetGroupCommand,
  summary: 'Replaces the subnets (and description) of a DB subnet group; instances using it show the change.',
  options: [
    { name: 'db-subnet-group-name', type: 'string', member: 'DBSubnetGroupName', required: true, help: subnetGroupHelp },
    { name: 'db-subnet-group-description', type: 'string', member: 'DBSubnetGroupDescription', help: 'New description.' },
    { name: 'subnet-ids', type: 'string-list', member: 'SubnetIds', required: true, help: 'The new subnet ids (at most 20).' },
  ],
});

export const describeOptionGroups = rdsCommand({
  name: 'describe-option-groups',
  operation: 'DescribeOptionGroups',
  command: DescribeOptionGroupsCommand,
  resultKey: 'OptionGroupsList',
  summary: 'Lists option groups (tlsql has the engine’s default option group, with no options).',
  options: [
    { name: 'option-group-name', type: 'string', member: 'OptionGroupName', help: 'Describe only this option group.' },
    { name: 'engine-name', type: 'string', member: 'EngineName', help: 'Only option groups of this engine.' },
    { name: 'major-engine-version', type: 'string', member: 'MajorEngineVersion', help: 'Only option groups of this major version, e.g. 10.11 (needs --engine-name).' },
  ],
});

export const describeAccountAttributes = rdsCommand({
  name: 'describe-account-attributes',
  operation: 'DescribeAccountAttributes',
  command: DescribeAccountAttributesCommand,
  summary: 'Shows the quotas tlsql has, used and maximum (DB instances: the endpoint port range).',
  options: [],
});

export const describeDbSnapshots = rdsCommand({
  name: 'describe-db-snapshots',
  operation: 'DescribeDBSnapshots',
  command: DescribeDBSnapshotsCommand,
  resultKey: 'DBSnapshots',
  summary: 'Lists DB snapshots: always empty, tlsql takes no snapshots.',
  options: [
    { name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', help: 'Only snapshots of this instance.' },
    { name: 'db-snapshot-identifier', type: 'string', member: 'DBSnapshotIdentifier', help: 'Only this snapshot.' },
    filtersOption,
  ],
});

export const describeDbInstanceAutomatedBackups = rdsCommand({
  name: 'describe-db-instance-automated-backups',
  operation: 'DescribeDBInstanceAutomatedBackups',
  command: DescribeDBInstanceAutomatedBackupsCommand,
  resultKey: 'DBInstanceAutomatedBackups',
  summary: 'Lists automated backups: always empty, tlsql takes no automated backups.',
  options: [{ name: 'db-instance-identifier', type: 'string', member: 'DBInstanceIdentifier', help: 'Only backups of this instance.' }, filtersOption],
});

export const infrastructureCommands: readonly CommandDef[] = [
  describeOrderableDbInstanceOptions,
  createDbSubnetGroup,
  describeDbSubnetGroups,
  deleteDbSubnetGroup,
  modifyDbSubnetGroup,
  describeOptionGroups,
  describeAccountAttributes,
  describeDbSnapshots,
  describeDbInstanceAutomatedBackups,
];
