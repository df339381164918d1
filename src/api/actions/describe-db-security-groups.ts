import { writeDbSecurityGroupMembers } from '../connection-security-shapes.js';
import { paginate, readPageRequest } from '../paging.js';
import { defineAction, refuseFilters } from './action.js';

/** DescribeDBSecurityGroups: DBSecurityGroupName, MaxRecords (20..100), Marker. Sorted by name. */
export const describeDbSecurityGroupsAction = defineAction('DescribeDBSecurityGroups', async ({ control, params }) => {
  refuseFilters(params, 'DescribeDBSecurityGroups');
  const page = readPageRequest(params);
  const groups = await control.connectionSecurity.describeDbSecurityGroups({ name: params.string('DBSecurityGroupName') });
  const { items, marker } = paginate(groups, (g) => g.name, page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('DBSecurityGroups', 'DBSecurityGroup', items, writeDbSecurityGroupMembers);
  };
});
