import { paginate, readPageRequest } from '../paging.js';
import { writeEngineVersionMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/** DescribeDBEngineVersions: Engine, EngineVersion, DBParameterGroupFamily, DefaultOnly, MaxRecords, Marker. */
export const describeDbEngineVersionsAction = defineAction('DescribeDBEngineVersions', async ({ control, params }) => {
  refuseFilters(params, 'DescribeDBEngineVersions');
  const page = readPageRequest(params);
  const versions = await control.describeDbEngineVersions({
    engine: params.string('Engine'),
    engineVersion: params.string('EngineVersion'),
    dbParameterGroupFamily: params.string('DBParameterGroupFamily'),
    defaultOnly: params.boolean('DefaultOnly'),
  });
  // Zero-padded numeric components so 10.11 sorts after 10.6.
  const sortKey = (v: { engine: string; engineVersion: string }) =>
    `${v.engine}\u0000${v.engineVersion.split('.').map((p) => p.padStart(8, '0')).join('.')}`;
  const { items, marker } = paginate(versions, sortKey, page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('DBEngineVersions', 'DBEngineVersion', items, writeEngineVersionMembers);
  };
});
