import { defineAction } from './action.js';

/** DeleteDBSecurityGroup: DBSecurityGroupName. Refused while a DB instance uses it. No output shape. */
export const deleteDbSecurityGroupAction = defineAction('DeleteDBSecurityGroup', async ({ control, params }) => {
  await control.connectionSecurity.deleteDbSecurityGroup({ name: params.requiredString('DBSecurityGroupName') });
  return null;
});
