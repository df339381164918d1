/**
 * Tag commands (RDS API, through the SDK), as `aws rds` has them: tags by ARN on DB instances
 * (DBInstanceArn), DB parameter groups (DBParameterGroupArn) and DB security groups
 * (DBSecurityGroupArn). Infrastructure-as-code tools read tags after every create and before
 * every update.
 */

import { AddTagsToResourceCommand, ListTagsForResourceCommand, RemoveTagsFromResourceCommand } from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption, tagsOption } from './common-options.js';

const resourceHelp = 'The ARN of a DB instance, DB parameter group or DB security group, e.g. arn:aws:rds:us-east-1:123456789012:db:mydb (DBInstanceArn in describe-db-instances).';

export const addTagsToResource = rdsCommand({
  name: 'add-tags-to-resource',
  operation: 'AddTagsToResource',
  command: AddTagsToResourceCommand,
  summary: 'Adds tags to a resource, or changes the value of tags it has (at most 50 per resource; keys beginning with aws: are reserved).',
  options: [{ name: 'resource-name', type: 'string', member: 'ResourceName', required: true, help: resourceHelp }, { ...tagsOption, required: true }],
});

export const listTagsForResource = rdsCommand({
  name: 'list-tags-for-resource',
  operation: 'ListTagsForResource',
  command: ListTagsForResourceCommand,
  summary: 'Lists the tags of a resource.',
  options: [{ name: 'resource-name', type: 'string', member: 'ResourceName', required: true, help: resourceHelp }, filtersOption],
});

export const removeTagsFromResource = rdsCommand({
  name: 'remove-tags-from-resource',
  operation: 'RemoveTagsFromResource',
  command: RemoveTagsFromResourceCommand,
  summary: 'Removes tags from a resource by key (keys it does not have are ignored).',
  options: [
    { name: 'resource-name', type: 'string', member: 'ResourceName', required: true, help: resourceHelp },
    { name: 'tag-keys', type: 'string-list', member: 'TagKeys', required: true, help: 'The keys of the tags to remove, e.g. `--tag-keys team env`.' },
  ],
});

export const tagCommands: readonly CommandDef[] = [addTagsToResource, listTagsForResource, removeTagsFromResource];
