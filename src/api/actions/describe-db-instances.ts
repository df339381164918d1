import { paginate, readPageRequest } from '../paging.js';
import { writeDbInstanceMembers } from '../shapes.js';
import { defineAction, readFilters } from './action.js';

/** DescribeDBInstances: DBInstanceIdentifier, Filters, MaxRecords (20..100), Marker. Sorted by identifier. */
export const describeDbInstancesAction = defineAction('DescribeDBInstances', async ({ control, params }) => {
  const page = readPageRequest(params);
  const instances = await control.describeDbInstances({
    dbInstanceIdentifier: params.string('DBInstanceIdentifier'),
    filters: readFilters(params),
  });
  const { items, marker } = paginate(instances, (db) => db.id, page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('DBInstances', 'DBInstance', items, writeDbInstanceMembers);
  };
});
