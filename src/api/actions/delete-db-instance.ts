import { writeDbInstance } from '../shapes.js';
import { defineAction } from './action.js';

/** DeleteDBInstance: SkipFinalSnapshot, FinalDBSnapshotIdentifier, DeleteAutomatedBackups. */
export const deleteDbInstanceAction = defineAction('DeleteDBInstance', async ({ control, params }) => {
  const db = await control.deleteDbInstance({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    skipFinalSnapshot: params.boolean('SkipFinalSnapshot'),
    finalDBSnapshotIdentifier: params.string('FinalDBSnapshotIdentifier'),
    deleteAutomatedBackups: params.boolean('DeleteAutomatedBackups'),
  });
  return (w) => writeDbInstance(w, db);
});
