import type { ResourcePendingMaintenanceActions } from '../../model/pending-maintenance.js';
import { paginate, readPageRequest } from '../paging.js';
import type { XmlWriter } from '../xml.js';
import { defineAction, readFilters } from './action.js';

/** The members of a `ResourcePendingMaintenanceActions` structure. */
export function writeResourcePendingMaintenanceActionsMembers(w: XmlWriter, r: ResourcePendingMaintenanceActions): void {
  w.leaf('ResourceIdentifier', r.resourceIdentifier).list('PendingMaintenanceActionDetails', 'PendingMaintenanceAction', r.actions, (a, action) =>
    a
      .leaf('Action', action.action)
      .leaf('AutoAppliedAfterDate', action.autoAppliedAfterDate)
      .leaf('ForcedApplyDate', action.forcedApplyDate)
      .leaf('OptInStatus', action.optInStatus)
      .leaf('CurrentApplyDate', action.currentApplyDate)
      .leaf('Description', action.description),
  );
}

/**
 * DescribePendingMaintenanceActions: ResourceIdentifier (instance ARN), Filters (db-instance-id,
 * db-cluster-id), MaxRecords (20..100), Marker. Lists instances with a pending action only.
 */
export const describePendingMaintenanceActionsAction = defineAction('DescribePendingMaintenanceActions', async ({ control, params }) => {
  const page = readPageRequest(params);
  const resources = await control.describePendingMaintenanceActions({
    resourceIdentifier: params.string('ResourceIdentifier'),
    filters: readFilters(params),
  });
  const { items, marker } = paginate(resources, (r) => r.resourceIdentifier, page);
  return (w) => {
    w.list('PendingMaintenanceActions', 'ResourcePendingMaintenanceActions', items, writeResourcePendingMaintenanceActionsMembers);
    w.leaf('Marker', marker);
  };
});
