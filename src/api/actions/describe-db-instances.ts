import { pageAfter, pageOf, readPageRequest } from '../paging.js';
import { writeDbInstanceMembers } from '../shapes.js';
import { defineAction, readFilters } from './action.js';

/** DescribeDBInstances: DBInstanceIdentifier, Filters, MaxRecords (20..100), Marker. Sorted by identifier. */
export const describeDbInstancesAction = defineAction('DescribeDBInstances', async ({ control, params }) => {
  const page = readPageRequest(params);
  const dbInstanceIdentifier = params.string('DBInstanceIdentifier');
  const filters = readFilters(params);
  const rows = await control.describeDbInstances({ dbInstanceIdentifier, filters, afterId: pageAfter(page), limit: page.maxRecords + 1 });
  const { items, marker } = pageOf(rows, (db) => db.id, page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('DBInstances', 'DBInstance', items, writeDbInstanceMembers);
  };
});
