import { writeDbSubnetGroupMembers } from '../shapes.js';
import { defineAction, readTags } from './action.js';

/** CreateDBSubnetGroup: DBSubnetGroupName, DBSubnetGroupDescription, SubnetIds, Tags. Stored as sent (tlsql has no VPC). */
export const createDbSubnetGroupAction = defineAction('CreateDBSubnetGroup', async ({ control, params }) => {
  const g = await control.infrastructure.createDbSubnetGroup({
    name: params.requiredString('DBSubnetGroupName'),
    description: params.requiredString('DBSubnetGroupDescription'),
    subnetIds: params.stringList('SubnetIds', 'SubnetIdentifier') ?? [],
    tags: readTags(params),
  });
  return (w) => w.element('DBSubnetGroup', (x) => writeDbSubnetGroupMembers(x, g));
});
