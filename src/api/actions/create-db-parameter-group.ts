import { writeDbParameterGroupMembers } from '../shapes.js';
import { defineAction, readTags } from './action.js';

/** CreateDBParameterGroup: DBParameterGroupName, DBParameterGroupFamily, Description (all required), Tags. */
export const createDbParameterGroupAction = defineAction('CreateDBParameterGroup', async ({ control, params }) => {
  const group = await control.createDbParameterGroup({
    name: params.requiredString('DBParameterGroupName'),
    family: params.requiredString('DBParameterGroupFamily'),
    description: params.requiredString('Description'),
    tags: readTags(params),
  });
  return (w) => w.element('DBParameterGroup', (g) => writeDbParameterGroupMembers(g, group));
});
