import { writeDbInstance } from '../shapes.js';
import { defineAction } from './action.js';

/** RebootDBInstance: DBInstanceIdentifier, ForceFailover. */
export const rebootDbInstanceAction = defineAction('RebootDBInstance', async ({ control, params }) => {
  const db = await control.rebootDbInstance({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    forceFailover: params.boolean('ForceFailover'),
  });
  return (w) => writeDbInstance(w, db);
});
