import { paginate, readPageRequest } from '../paging.js';
import { writeOrderableOptionMembers } from '../shapes.js';
import { defineAction, refuseFilters } from './action.js';

/**
 * DescribeOrderableDBInstanceOptions: Engine (required), EngineVersion, DBInstanceClass,
 * LicenseModel, Vpc, MaxRecords (20..100), Marker. The classes and storage types tlsql accepts
 * (control/instance-classes.ts), in that order.
 */
export const describeOrderableDbInstanceOptionsAction = defineAction('DescribeOrderableDBInstanceOptions', async ({ control, params }) => {
  refuseFilters(params, 'DescribeOrderableDBInstanceOptions');
  const page = readPageRequest(params);
  const options = await control.infrastructure.describeOrderableDbInstanceOptions({
    engine: params.requiredString('Engine'),
    engineVersion: params.string('EngineVersion'),
    dbInstanceClass: params.string('DBInstanceClass'),
    licenseModel: params.string('LicenseModel'),
    vpc: params.boolean('Vpc'),
  });
  // Keyed by position: the catalogue's order (smallest classes first) is kept across pages.
  const keyed = options.map((o, i) => ({ o, key: String(i).padStart(6, '0') }));
  const { items, marker } = paginate(keyed, (x) => x.key, page);
  return (w) => {
    w.list('OrderableDBInstanceOptions', 'OrderableDBInstanceOption', items, (x, item) => writeOrderableOptionMembers(x, item.o));
    w.leaf('Marker', marker);
  };
});
