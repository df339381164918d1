/** describe-events. */

import { DescribeEventsCommand } from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption } from './common-options.js';

export const describeEvents = rdsCommand({
  name: 'describe-events',
  operation: 'DescribeEvents',
  command: DescribeEventsCommand,
  resultKey: 'Events',
  summary: 'Lists events (instance created, certificate rotated, ...) of the last hour by default.',
  options: [
    { name: 'source-identifier', type: 'string', member: 'SourceIdentifier', help: 'Only events of this source (requires --source-type).' },
    {
      name: 'source-type',
      type: 'string',
      member: 'SourceType',
      choices: ['db-instance', 'db-parameter-group', 'db-security-group', 'db-snapshot', 'db-cluster', 'db-cluster-snapshot', 'custom-engine-version', 'db-proxy', 'blue-green-deployment'],
      help: 'Only events of this kind of source.',
    },
    { name: 'start-time', type: 'timestamp', member: 'StartTime', help: 'Events from this time (ISO 8601, e.g. 2026-01-02T03:04:05Z).' },
    { name: 'end-time', type: 'timestamp', member: 'EndTime', help: 'Events up to this time (ISO 8601).' },
    { name: 'duration', type: 'integer', member: 'Duration', metavar: '<minutes>', help: 'Events of the last this many minutes. Default 60.' },
    { name: 'event-categories', type: 'string-list', member: 'EventCategories', metavar: '<category> ...', help: 'Only these categories, e.g. creation deletion security.' },
    filtersOption,
  ],
});

export const eventCommands: readonly CommandDef[] = [describeEvents];
