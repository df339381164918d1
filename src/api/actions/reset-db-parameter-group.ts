import { defineAction } from './action.js';
import { readParameterChanges } from './parameter-changes.js';

/** ResetDBParameterGroup: DBParameterGroupName (required), ResetAllParameters, Parameters. */
export const resetDbParameterGroupAction = defineAction('ResetDBParameterGroup', async ({ control, params }) => {
  const groupName = await control.resetDbParameterGroup({
    name: params.requiredString('DBParameterGroupName'),
    resetAll: params.boolean('ResetAllParameters'),
    parameters: readParameterChanges(params),
  });
  return (w) => w.leaf('DBParameterGroupName', groupName);
});
