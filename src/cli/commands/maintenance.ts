/** Pending maintenance: describe-pending-maintenance-actions, apply-pending-maintenance-action (CA rotation). */

import { ApplyPendingMaintenanceActionCommand, DescribePendingMaintenanceActionsCommand } from '@aws-sdk/client-rds';
import { rdsCommand } from '../rds-command.js';
import type { CommandDef } from '../registry.js';
import { filtersOption } from './common-options.js';

export const describePendingMaintenanceActions = rdsCommand({
  name: 'describe-pending-maintenance-actions',
  operation: 'DescribePendingMaintenanceActions',
  command: DescribePendingMaintenanceActionsCommand,
  resultKey: 'PendingMaintenanceActions',
  summary: 'Lists pending maintenance (ca-certificate-rotation) and when it will be applied.',
  description:
    'Lists DB instances with a pending maintenance action. In tlsql that is ca-certificate-rotation, pending after ' +
    'modify-db-instance --ca-certificate-identifier without --apply-immediately; CurrentApplyDate is the start of ' +
    'the maintenance window it will be applied in (absent after --opt-in-type undo-opt-in).',
  options: [
    { name: 'resource-identifier', type: 'string', member: 'ResourceIdentifier', help: 'Only this DB instance (its ARN).' },
    filtersOption,
  ],
});

export const applyPendingMaintenanceAction = rdsCommand({
  name: 'apply-pending-maintenance-action',
  operation: 'ApplyPendingMaintenanceAction',
  command: ApplyPendingMaintenanceActionCommand,
  summary: 'Applies a pending CA rotation now, in the next maintenance window, or not until opted in again.',
  description:
    'immediate: rotates now (no restart; existing connections continue). next-maintenance: applies it in the ' +
    'instance\'s PreferredMaintenanceWindow. undo-opt-in: keeps it pending without applying it in the window.',
  options: [
    { name: 'resource-identifier', type: 'string', member: 'ResourceIdentifier', required: true, help: 'The DB instance ARN (DBInstanceArn).' },
    { name: 'apply-action', type: 'string', member: 'ApplyAction', required: true, help: 'The pending action: ca-certificate-rotation.' },
    { name: 'opt-in-type', type: 'string', member: 'OptInType', required: true, choices: ['immediate', 'next-maintenance', 'undo-opt-in'], help: 'When to apply it.' },
  ],
});

export const maintenanceCommands: readonly CommandDef[] = [describePendingMaintenanceActions, applyPendingMaintenanceAction];
