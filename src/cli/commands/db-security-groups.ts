/**
 * DB security group commands (RDS API, through the SDK): tlsql's network allow-lists. Attach groups
 * with `create-db-instance` / `modify-db-instance --db-security-groups`; an instance without groups
 * accepts every address that reaches its listeners (loopback only by default).
 */

import {
  AuthorizeDBSecurityGroupIngressCommand,
  CreateDBSecurityGroupCommand,
  DeleteDBSecurityGroupCommand,
  DescribeDBSecurityGroupsCommand,
  RevokeDBSecurityGroupIngressCommand,
} from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption, tagsOption } from './common-options.js';

const nameHelp = 'The DB security group name: letters, digits and hyphens, starting with a letter (stored lower-case).';
const cidrHelp = 'An IPv4 or IPv6 network with its prefix length, e.g. 203.0.113.0/24, 127.0.0.1/32, ::1/128.';

export const createDbSecurityGroup = rdsCommand({
  name: 'create-db-security-group',
  operation: 'CreateDBSecurityGroup',
  command: CreateDBSecurityGroupCommand,
  summary: 'Creates a DB security group (a network allow-list, initially allowing nothing).',
  options: [
    { name: 'db-security-group-name', type: 'string', member: 'DBSecurityGroupName', required: true, help: nameHelp },
    { name: 'db-security-group-description', type: 'string', member: 'DBSecurityGroupDescription', required: true, help: 'Free-form description.' },
    tagsOption,
  ],
});

export const describeDbSecurityGroups = rdsCommand({
  name: 'describe-db-security-groups',
  operation: 'DescribeDBSecurityGroups',
  command: DescribeDBSecurityGroupsCommand,
  resultKey: 'DBSecurityGroups',
  summary: 'Lists DB security groups and their CIDR rules.',
  options: [{ name: 'db-security-group-name', type: 'string', member: 'DBSecurityGroupName', help: 'Describe only this group.' }, filtersOption],
});

export const deleteDbSecurityGroup = rdsCommand({
  name: 'delete-db-security-group',
  operation: 'DeleteDBSecurityGroup',
  command: DeleteDBSecurityGroupCommand,
  summary: 'Deletes a DB security group that no DB instance uses.',
  options: [{ name: 'db-security-group-name', type: 'string', member: 'DBSecurityGroupName', required: true, help: nameHelp }],
});

export const authorizeDbSecurityGroupIngress = rdsCommand({
  name: 'authorize-db-security-group-ingress',
  operation: 'AuthorizeDBSecurityGroupIngress',
  command: AuthorizeDBSecurityGroupIngressCommand,
  summary: 'Allows a CIDR range to connect to the DB instances using the group (effective at once).',
  options: [
    { name: 'db-security-group-name', type: 'string', member: 'DBSecurityGroupName', required: true, help: nameHelp },
    { name: 'cidrip', type: 'string', member: 'CIDRIP', required: true, help: cidrHelp },
  ],
});

export const revokeDbSecurityGroupIngress = rdsCommand({
  name: 'revoke-db-security-group-ingress',
  operation: 'RevokeDBSecurityGroupIngress',
  command: RevokeDBSecurityGroupIngressCommand,
  summary: 'Removes a CIDR range from the group: new connections from it are refused (existing sessions continue).',
  options: [
    { name: 'db-security-group-name', type: 'string', member: 'DBSecurityGroupName', required: true, help: nameHelp },
    { name: 'cidrip', type: 'string', member: 'CIDRIP', required: true, help: cidrHelp },
  ],
});

export const dbSecurityGroupCommands: readonly CommandDef[] = [
  createDbSecurityGroup,
  describeDbSecurityGroups,
  deleteDbSecurityGroup,
  authorizeDbSecurityGroupIngress,
  revokeDbSecurityGroupIngress,
];
