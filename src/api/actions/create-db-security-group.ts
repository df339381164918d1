import { writeDbSecurityGroup } from '../connection-security-shapes.js';
import { defineAction, readTags } from './action.js';

/** CreateDBSecurityGroup: DBSecurityGroupName, DBSecurityGroupDescription Tags. A new group has no rules. */
export const createDbSecurityGroupAction = defineAction('CreateDBSecurityGroup', async ({ control, params }) => {
  const g = await control.connectionSecurity.createDbSecurityGroup({
    name: params.requiredString('DBSecurityGroupName'),
    description: params.requiredString('DBSecurityGroupDescription'),
    tags: readTags(params),
  });
  return (w) => writeDbSecurityGroup(w, g);
});
