import { paginate, readPageRequest } from '../paging.js';
import { writeDbParameterGroupMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/** DescribeDBParameterGroups: DBParameterGroupName, MaxRecords (20..100), Marker. */
export const describeDbParameterGroupsAction = defineAction('DescribeDBParameterGroups', async ({ control, params }) => {
  refuseFilters(params, 'DescribeDBParameterGroups');
  const page = readPageRequest(params);
  const groups = await control.describeDbParameterGroups({ name: params.string('DBParameterGroupName') });
  const { items, marker } = paginate(groups, (g) => g.name, page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('DBParameterGroups', 'DBParameterGroup', items, writeDbParameterGroupMembers);
  };
});
