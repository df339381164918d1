/** DB parameter group commands. */

import {
  CopyDBParameterGroupCommand,
  CreateDBParameterGroupCommand,
  DeleteDBParameterGroupCommand,
  DescribeDBParameterGroupsCommand,
  DescribeDBParametersCommand,
  DescribeEngineDefaultParametersCommand,
  ModifyDBParameterGroupCommand,
  ResetDBParameterGroupCommand,
} from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption, parametersOption, tagsOption } from './common-options.js';

const nameHelp = 'The DB parameter group name.';

export const createDbParameterGroup = rdsCommand({
  name: 'create-db-parameter-group',
  operation: 'CreateDBParameterGroup',
  command: CreateDBParameterGroupCommand,
  summary: 'Creates a DB parameter group (starting from the family defaults).',
  options: [
    { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', required: true, help: nameHelp },
    { name: 'db-parameter-group-family', type: 'string', member: 'DBParameterGroupFamily', required: true, help: 'Family, e.g. mariadb10.11 (see describe-db-engine-versions).' },
    { name: 'description', type: 'string', member: 'Description', required: true, help: 'Free-form description.' },
    tagsOption,
  ],
});

export const describeDbParameterGroups = rdsCommand({
  name: 'describe-db-parameter-groups',
  operation: 'DescribeDBParameterGroups',
  command: DescribeDBParameterGroupsCommand,
  resultKey: 'DBParameterGroups',
  summary: 'Lists DB parameter groups.',
  options: [{ name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', help: 'Describe only this group.' }, filtersOption],
});

export const deleteDbParameterGroup = rdsCommand({
  name: 'delete-db-parameter-group',
  operation: 'DeleteDBParameterGroup',
  command: DeleteDBParameterGroupCommand,
  summary: 'Deletes a DB parameter group that no instance uses.',
  options: [{ name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', required: true, help: nameHelp }],
});

export const modifyDbParameterGroup = rdsCommand({
  name: 'modify-db-parameter-group',
  operation: 'ModifyDBParameterGroup',
  command: ModifyDBParameterGroupCommand,
  summary: 'Changes parameters of a DB parameter group (any modifiable engine variable, e.g. sql_mode, and require_secure_transport, tls_version).',
  options: [
    { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', required: true, help: nameHelp },
    { ...parametersOption, required: true },
  ],
});

export const resetDbParameterGroup = rdsCommand({
  name: 'reset-db-parameter-group',
  operation: 'ResetDBParameterGroup',
  command: ResetDBParameterGroupCommand,
  summary: 'Resets some or all parameters of a DB parameter group to the family defaults.',
  options: [
    { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', required: true, help: nameHelp },
    { name: 'reset-all-parameters', type: 'boolean', member: 'ResetAllParameters', help: 'Reset every parameter (otherwise name them with --parameters).' },
    { ...parametersOption, help: 'Parameters to reset, e.g. `ParameterName=tls_version,ApplyMethod=pending-reboot`.' },
  ],
});

export const describeDbParameters = rdsCommand({
  name: 'describe-db-parameters',
  operation: 'DescribeDBParameters',
  command: DescribeDBParametersCommand,
  resultKey: 'Parameters',
  summary: 'Lists the parameters of a DB parameter group.',
  options: [
    { name: 'db-parameter-group-name', type: 'string', member: 'DBParameterGroupName', required: true, help: nameHelp },
    { name: 'source', type: 'string', member: 'Source', choices: ['user', 'system', 'engine-default'], help: 'Only parameters from this source.' },
    filtersOption,
  ],
});

export const copyDbParameterGroup = rdsCommand({
  name: 'copy-db-parameter-group',
  operation: 'CopyDBParameterGroup',
  command: CopyDBParameterGroupCommand,
  summary: 'Copies a DB parameter group: its family, parameter values and tags.',
  options: [
    { name: 'source-db-parameter-group-identifier', type: 'string', member: 'SourceDBParameterGroupIdentifier', required: true, help: 'The group to copy: its name or ARN.' },
    { name: 'target-db-parameter-group-identifier', type: 'string', member: 'TargetDBParameterGroupIdentifier', required: true, help: 'Name of the new group.' },
    { name: 'target-db-parameter-group-description', type: 'string', member: 'TargetDBParameterGroupDescription', required: true, help: 'Description of the new group.' },
    { ...tagsOption, help: 'Tags added to those copied (same key: this value).' },
  ],
});

export const describeEngineDefaultParameters = rdsCommand({
  name: 'describe-engine-default-parameters',
  operation: 'DescribeEngineDefaultParameters',
  command: DescribeEngineDefaultParametersCommand,
  resultKey: 'Parameters',
  resultWrapper: 'EngineDefaults',
  summary: 'Lists every parameter of a family as a new group has it (the installed engine\'s variables).',
  options: [{ name: 'db-parameter-group-family', type: 'string', member: 'DBParameterGroupFamily', required: true, help: 'Family, e.g. mariadb10.11.' }, filtersOption],
});

export const parameterGroupCommands: readonly CommandDef[] = [
  createDbParameterGroup,
  describeDbParameterGroups,
  deleteDbParameterGroup,
  modifyDbParameterGroup,
  resetDbParameterGroup,
  describeDbParameters,
  copyDbParameterGroup,
  describeEngineDefaultParameters,
];
