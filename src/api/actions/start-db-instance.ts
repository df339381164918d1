import { writeDbInstance } from '../shapes.js';
import { defineAction } from './action.js';

/** StartDBInstance: DBInstanceIdentifier. */
export const startDbInstanceAction = defineAction('StartDBInstance', async ({ control, params }) => {
  const db = await control.startDbInstance({ dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier') });
  return (w) => writeDbInstance(w, db);
});
