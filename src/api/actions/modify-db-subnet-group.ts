import { writeDbSubnetGroupMembers } from '../shapes.js';
import { defineAction } from './action.js';

/** ModifyDBSubnetGroup: DBSubnetGroupName, DBSubnetGroupDescription, SubnetIds. Stored as sent (tlsql has no VPC). */
export const modifyDbSubnetGroupAction = defineAction('ModifyDBSubnetGroup', async ({ control, params }) => {
  const g = await control.infrastructure.modifyDbSubnetGroup({
    name: params.requiredString('DBSubnetGroupName'),
    description: params.string('DBSubnetGroupDescription'),
    subnetIds: params.stringList('SubnetIds', 'SubnetIdentifier') ?? [],
  });
  return (w) => w.element('DBSubnetGroup', (x) => writeDbSubnetGroupMembers(x, g));
});
