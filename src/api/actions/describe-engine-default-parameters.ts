import { paginate, readPageRequest } from '../paging.js';
import { writeParameterMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/** DescribeEngineDefaultParameters: DBParameterGroupFamily (required), MaxRecords (20..100), Marker. */
export const describeEngineDefaultParametersAction = defineAction('DescribeEngineDefaultParameters', async ({ control, params }) => {
  refuseFilters(params, 'DescribeEngineDefaultParameters');
  const page = readPageRequest(params);
  const family = params.requiredString('DBParameterGroupFamily');
  const parameters = await control.describeEngineDefaultParameters({ family });
  const { items, marker } = paginate(parameters, (p) => p.name, page);
  return (w) =>
    w.element('EngineDefaults', (e) => {
      e.leaf('DBParameterGroupFamily', family);
      e.leaf('Marker', marker);
      e.list('Parameters', 'Parameter', items, writeParameterMembers);
    });
});
