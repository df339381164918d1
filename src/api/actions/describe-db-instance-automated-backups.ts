import { readPageRequest } from '../paging.js';
import { defineAction } from './action.js';

/**
 * DescribeDBInstanceAutomatedBackups: DbiResourceId, DBInstanceIdentifier, Filters, MaxRecords,
 * Marker. tlsql takes no automated backups, so the list is empty (a filter narrows nothing).
 */
export const describeDbInstanceAutomatedBackupsAction = defineAction('DescribeDBInstanceAutomatedBackups', async ({ control, params }) => {
  readPageRequest(params);
  const rows = await control.infrastructure.describeDbInstanceAutomatedBackups({ dbInstanceIdentifier: params.string('DBInstanceIdentifier'), dbiResourceId: params.string('DbiResourceId') });
  return (w) => w.list('DBInstanceAutomatedBackups', 'DBInstanceAutomatedBackup', rows, () => {});
});
