import { connectionSecurity } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/** DeleteDBSecurityGroup: DBSecurityGroupName. Refused while a DB instance uses it. No output shape. */
export const deleteDbSecurityGroupAction = defineAction('DeleteDBSecurityGroup', async ({ control, params }) => {
  await connectionSecurity(control, 'DeleteDBSecurityGroup').deleteDbSecurityGroup({ name: params.requiredString('DBSecurityGroupName') });
  return null;
});
