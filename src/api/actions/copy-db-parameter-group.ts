import { writeDbParameterGroupMembers } from '../shapes.js';
import { defineAction, readTags } from './action.js';

/** CopyDBParameterGroup: SourceDBParameterGroupIdentifier (name or ARN), TargetDBParameterGroupIdentifier, TargetDBParameterGroupDescription (all required), Tags. */
export const copyDbParameterGroupAction = defineAction('CopyDBParameterGroup', async ({ control, params }) => {
  const group = await control.copyDbParameterGroup({
    source: params.requiredString('SourceDBParameterGroupIdentifier'),
    target: params.requiredString('TargetDBParameterGroupIdentifier'),
    description: params.requiredString('TargetDBParameterGroupDescription'),
    tags: readTags(params),
  });
  return (w) => w.element('DBParameterGroup', (g) => writeDbParameterGroupMembers(g, group));
});
