/**
 * Pending maintenance records (DescribePendingMaintenanceActions, ApplyPendingMaintenanceAction).
 * tlsql has one action, `ca-certificate-rotation` (control/maintenance.ts).
 */

/** One pending action on a resource (RDS `PendingMaintenanceAction`). */
export interface PendingMaintenanceAction {
  action: string;
  /** Never set by tlsql: nothing is forced on a date. */
  autoAppliedAfterDate?: Date;
  forcedApplyDate?: Date;
  /** `next-maintenance` (applied in the window) or `undo-opt-in` (waits for an opt-in). */
  optInStatus?: string;
  /** When it will be applied: the start of the current or next maintenance window; absent after undo-opt-in. */
  currentApplyDate?: Date;
  description: string;
}

/** RDS `ResourcePendingMaintenanceActions`. */
export interface ResourcePendingMaintenanceActions {
  /** The DB instance ARN. */
  resourceIdentifier: string;
  actions: PendingMaintenanceAction[];
}

/** ApplyPendingMaintenanceAction's `OptInType`. */
export type OptInType = 'immediate' | 'next-maintenance' | 'undo-opt-in';

/** Opt-in of a pending maintenance action as stored: scheduled for the next window, or explicitly not. */
export type MaintenanceOptIn = 'next-maintenance' | 'undo-opt-in';
