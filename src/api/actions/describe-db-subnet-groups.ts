import { paginate, readPageRequest } from '../paging.js';
import { writeDbSubnetGroupMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/** DescribeDBSubnetGroups: DBSubnetGroupName, MaxRecords (20..100), Marker. Sorted by name; `default` is always there. */
export const describeDbSubnetGroupsAction = defineAction('DescribeDBSubnetGroups', async ({ control, params }) => {
  refuseFilters(params, 'DescribeDBSubnetGroups');
  const page = readPageRequest(params);
  const groups = await control.infrastructure.describeDbSubnetGroups({ name: params.string('DBSubnetGroupName') });
  const { items, marker } = paginate(groups, (g) => g.name, page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('DBSubnetGroups', 'DBSubnetGroup', items, writeDbSubnetGroupMembers);
  };
});
