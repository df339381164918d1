import { writeDbSecurityGroup } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/** CreateDBSecurityGroup: DBSecurityGroupName, DBSecurityGroupDescription (Tags accepted, ignored). A new group has no rules. */
export const createDbSecurityGroupAction = defineAction('CreateDBSecurityGroup', async ({ control, params }) => {
  const g = await control.connectionSecurity.createDbSecurityGroup({
    name: params.requiredString('DBSecurityGroupName'),
    description: params.requiredString('DBSecurityGroupDescription'),
  });
  return (w) => writeDbSecurityGroup(w, g);
});
