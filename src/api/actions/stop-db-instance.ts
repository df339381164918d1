import { writeDbInstance } from '../shapes.js';
import { defineAction } from './action.js';

/** StopDBInstance: DBInstanceIdentifier (DBSnapshotIdentifier is ignored: tlsql has no snapshots). */
export const stopDbInstanceAction = defineAction('StopDBInstance', async ({ control, params }) => {
  const db = await control.stopDbInstance({ dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier') });
  return (w) => writeDbInstance(w, db);
});
