import type { ParameterSource } from '../../model/parameter.js';
import { paginate, readPageRequest } from '../paging.js';
import { writeParameterMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

const sources: readonly ParameterSource[] = ['user', 'system', 'engine-default'];

/** DescribeDBParameters: DBParameterGroupName (required), Source, MaxRecords (20..100), Marker. */
export const describeDbParametersAction = defineAction('DescribeDBParameters', async ({ control, params }) => {
  refuseFilters(params, 'DescribeDBParameters');
  const page = readPageRequest(params);
  const parameters = await control.describeDbParameters({
    name: params.requiredString('DBParameterGroupName'),
    source: params.oneOf('Source', sources),
  });
  const { items, marker } = paginate(parameters, (p) => p.name, page);
  return (w) => {
    w.list('Parameters', 'Parameter', items, writeParameterMembers);
    w.leaf('Marker', marker);
  };
});
