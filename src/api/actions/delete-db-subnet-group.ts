import { defineAction } from './action.js';

/** DeleteDBSubnetGroup: DBSubnetGroupName. No output shape, as RDS. */
export const deleteDbSubnetGroupAction = defineAction('DeleteDBSubnetGroup', async ({ control, params }) => {
  await control.infrastructure.deleteDbSubnetGroup({ name: params.requiredString('DBSubnetGroupName') });
  return null;
});
