import { writeDbInstance } from '../shapes.js';
import { defineAction } from './action.js';

/** PromoteReadReplica: DBInstanceIdentifier, BackupRetentionPeriod (PreferredBackupWindow accepted). */
export const promoteReadReplicaAction = defineAction('PromoteReadReplica', async ({ control, params }) => {
  const db = await control.promoteReadReplica({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    backupRetentionPeriod: params.integer('BackupRetentionPeriod'),
  });
  return (w) => writeDbInstance(w, db);
});
