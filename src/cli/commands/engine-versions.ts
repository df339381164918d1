/** describe-db-engine-versions. */

import { DescribeDBEngineVersionsCommand } from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption } from './common-options.js';

export const describeDbEngineVersions = rdsCommand({
  name: 'describe-db-engine-versions',
  operation: 'DescribeDBEngineVersions',
  command: DescribeDBEngineVersionsCommand,
  resultKey: 'DBEngineVersions',
  summary: 'Lists the engine versions, with their parameter group family and supported CAs.',
  options: [
    { name: 'engine', type: 'string', member: 'Engine', help: 'Only this engine (mariadb).' },
    { name: 'engine-version', type: 'string', member: 'EngineVersion', help: 'Only this version.' },
    { name: 'db-parameter-group-family', type: 'string', member: 'DBParameterGroupFamily', help: 'Only versions of this family, e.g. mariadb10.11.' },
    { name: 'default-only', type: 'boolean', member: 'DefaultOnly', help: 'Only the default version of each engine.' },
    filtersOption,
  ],
});

export const engineVersionCommands: readonly CommandDef[] = [describeDbEngineVersions];
