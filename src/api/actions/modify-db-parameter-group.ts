import { missingParameter } from '../query.js';
import { defineAction } from './action.js';
import { readParameterChanges } from './parameter-changes.js';

/** ModifyDBParameterGroup: DBParameterGroupName and Parameters (both required). */
export const modifyDbParameterGroupAction = defineAction('ModifyDBParameterGroup', async ({ control, params }) => {
  const name = params.requiredString('DBParameterGroupName');
  const parameters = readParameterChanges(params);
  if (parameters === undefined) throw missingParameter('Parameters');
  const groupName = await control.modifyDbParameterGroup({ name, parameters });
  return (w) => w.leaf('DBParameterGroupName', groupName);
});
