import { defineAction } from './action.js';

/** DeleteDBParameterGroup: DBParameterGroupName. No output shape: the response has only ResponseMetadata. */
export const deleteDbParameterGroupAction = defineAction('DeleteDBParameterGroup', async ({ control, params }) => {
  await control.deleteDbParameterGroup({ name: params.requiredString('DBParameterGroupName') });
  return null;
});
