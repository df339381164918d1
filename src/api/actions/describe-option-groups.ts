import { paginate, readPageRequest } from '../paging.js';
import { writeOptionGroupMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/** DescribeOptionGroups: OptionGroupName, EngineName, MajorEngineVersion, MaxRecords, Marker. The default option group only. */
export const describeOptionGroupsAction = defineAction('DescribeOptionGroups', async ({ control, params }) => {
  refuseFilters(params, 'DescribeOptionGroups');
  const page = readPageRequest(params);
  const groups = await control.infrastructure.describeOptionGroups({
    optionGroupName: params.string('OptionGroupName'),
    engineName: params.string('EngineName'),
    majorEngineVersion: params.string('MajorEngineVersion'),
  });
  const { items, marker } = paginate(groups, (g) => g.name, page);
  return (w) => {
    w.list('OptionGroupsList', 'OptionGroup', items, writeOptionGroupMembers);
    w.leaf('Marker', marker);
  };
});
