import { readPageRequest } from '../paging.js';
import { defineAction } from './action.js';

/**
 * DescribeDBSnapshots: DBInstanceIdentifier, DBSnapshotIdentifier, SnapshotType, Filters,
 * MaxRecords, Marker. tlsql takes no snapshots: the list is empty, a named snapshot is
 * DBSnapshotNotFound.
 */
export const describeDbSnapshotsAction = defineAction('DescribeDBSnapshots', async ({ control, params }) => {
  readPageRequest(params);
  const rows = await control.infrastructure.describeDbSnapshots({
    dbInstanceIdentifier: params.string('DBInstanceIdentifier'),
    dbSnapshotIdentifier: params.string('DBSnapshotIdentifier'),
    dbiResourceId: params.string('DbiResourceId'),
  });
  return (w) => w.list('DBSnapshots', 'DBSnapshot', rows, () => {});
});
