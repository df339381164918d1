import { defineAction } from './action.js';
import { writeResourcePendingMaintenanceActionsMembers } from './describe-pending-maintenance-actions.js';

/**
 * ApplyPendingMaintenanceAction: ResourceIdentifier (instance ARN), ApplyAction
 * (`ca-certificate-rotation`), OptInType (`immediate` | `next-maintenance` | `undo-opt-in`).
 * Returns the resource's pending actions after the change.
 */
export const applyPendingMaintenanceActionAction = defineAction('ApplyPendingMaintenanceAction', async ({ control, params }) => {
  const r = await control.applyPendingMaintenanceAction({
    resourceIdentifier: params.string('ResourceIdentifier'),
    applyAction: params.string('ApplyAction'),
    optInType: params.string('OptInType'),
  });
  return (w) => {
    w.element('ResourcePendingMaintenanceActions', (x) => writeResourcePendingMaintenanceActionsMembers(x, r));
  };
});
