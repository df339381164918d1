/**
 * Pending maintenance actions (`DescribePendingMaintenanceActions`, `ApplyPendingMaintenanceAction`).
 * tlsql has one: `ca-certificate-rotation`, pending when a CA change was requested without
 * ApplyImmediately. It is applied in the instance's maintenance window (opt-in `next-maintenance`,
 * the default), right away (`immediate`), or not until opted in again (`undo-opt-in`).
 */
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { DbInstance } from '../model/db-instance.js';
import type { Filter } from '../model/filter.js';
import type { OptInType, PendingMaintenanceAction, ResourcePendingMaintenanceActions } from '../model/pending-maintenance.js';
import { isCaFamilyId } from '../pki/families.js';
import { CA_ROTATION_ACTION, type CertificateLifecycle } from './certificate-lifecycle.js';
import type { EventRecorder } from './events.js';
import { currentOrNextWindowStart } from './maintenance-window.js';

/** ApplyPendingMaintenanceAction's valid OptInType values. */
export const OPT_IN_TYPES: readonly OptInType[] = ['immediate', 'next-maintenance', 'undo-opt-in'];

export interface MaintenanceDeps {
  lifecycle: CertificateLifecycle;
  events: EventRecorder;
  clock: Clock;
}

/** The pending maintenance actions of DB instances: listed, applied, scheduled and withdrawn. */
export class MaintenanceActions {
  constructor(private readonly d: MaintenanceDeps) {}

  /** The pending actions of one instance (empty when none). */
  actionsOf(inst: DbInstance): PendingMaintenanceAction[] {
    const target = inst.pendingModifiedValues.caCertificateIdentifier;
    if (target === undefined) return [];
    const optIn = this.d.lifecycle.optIn(inst);
    const current = inst.certificate?.caIdentifier ?? inst.caCertificateIdentifier;
    return [
      {
        action: CA_ROTATION_ACTION,
        optInStatus: optIn,
        ...(optIn === 'next-maintenance' ? { currentApplyDate: currentOrNextWindowStart(this.d.clock.now(), inst.preferredMaintenanceWindow) } : {}),
        description:
          `Rotate the server certificate from CA ${current} to ${target} without a restart` +
          (optIn === 'next-maintenance' ? ` in the maintenance window ${inst.preferredMaintenanceWindow}` : '; not scheduled (undo-opt-in): apply with immediate or next-maintenance'),
      },
    ];
  }

  /** DescribePendingMaintenanceActions: instances with pending actions, filtered. */
  describe(instances: DbInstance[], q: { resourceIdentifier?: string; filters?: Filter[] }): ResourcePendingMaintenanceActions[] {
    let list = instances;
    const ref = q.resourceIdentifier;
    if (ref !== undefined) list = list.filter((i) => i.arn === ref || i.id === ref.toLowerCase());
    for (const f of q.filters ?? []) {
      if (f.name === 'db-instance-id') {
        list = list.filter((i) => f.values.includes(i.id) || f.values.includes(i.arn));
      } else if (f.name === 'db-cluster-id') {
        list = []; // tlsql has no clusters
      } else {
        throw new AppError('InvalidParameterValue', `Unrecognized filter name: ${f.name}. Supported: db-instance-id, db-cluster-id.`);
      }
    }
    return list.map((i) => ({ resourceIdentifier: i.arn, actions: this.actionsOf(i) })).filter((r) => r.actions.length > 0);
  }

  /**
   * ApplyPendingMaintenanceAction on `inst` (caller holds its lock and validated the parameters).
   * Returns the resource's pending actions afterwards.
   */
  async apply(inst: DbInstance, applyAction: string, optInType: OptInType): Promise<ResourcePendingMaintenanceActions> {
    const target = inst.pendingModifiedValues.caCertificateIdentifier;
    if (applyAction !== CA_ROTATION_ACTION || target === undefined) {
      throw new AppError('InvalidParameterValue', `DB instance ${inst.id} has no pending maintenance action ${applyAction}.`);
    }
    if (!isCaFamilyId(target)) throw new AppError('CertificateNotFound', `Certificate ${target} not found.`);
    const now = this.d.clock.now();
    switch (optInType) {
      case 'immediate':
        if (inst.status !== 'available') {
          throw new AppError('InvalidDBInstanceState', `Cannot apply ${applyAction} to DB instance ${inst.id}: its status is ${inst.status} (must be available).`);
        }
        await this.d.lifecycle.rotateCa(inst, target, 'ApplyPendingMaintenanceAction immediate');
        break;
      case 'next-maintenance':
        this.d.lifecycle.setOptIn(inst, 'next-maintenance');
        this.event(inst, `CA certificate rotation to ${target} will be applied in the maintenance window ${inst.preferredMaintenanceWindow} (from ${currentOrNextWindowStart(now, inst.preferredMaintenanceWindow).toISOString()})`);
        break;
      case 'undo-opt-in':
        this.d.lifecycle.setOptIn(inst, 'undo-opt-in');
        this.event(inst, `CA certificate rotation to ${target} will not be applied in the maintenance window until opted in again`);
        break;
    }
    return { resourceIdentifier: inst.arn, actions: this.actionsOf(inst) };
  }

  /** ModifyDBInstance without ApplyImmediately recorded a CA change: schedule it for the window. */
  scheduled(inst: DbInstance, target: string): void {
    const now = this.d.clock.now();
    this.d.lifecycle.setOptIn(inst, 'next-maintenance');
    this.event(inst, `CA certificate rotation to ${target} is pending: it will be applied in the maintenance window ${inst.preferredMaintenanceWindow} (from ${currentOrNextWindowStart(now, inst.preferredMaintenanceWindow).toISOString()})`);
  }

  /** A pending CA change was withdrawn (ModifyDBInstance back to the CA in use). */
  cancelled(inst: DbInstance, target: string): void {
    this.d.lifecycle.setOptIn(inst, null);
    this.event(inst, `Pending CA certificate rotation to ${target} cancelled; the instance keeps ${inst.caCertificateIdentifier}`);
  }

  private event(inst: DbInstance, message: string): void {
    this.d.events.instance(inst, message, ['maintenance', 'notification']);
  }
}

/** Validates ApplyPendingMaintenanceAction's OptInType. */
export function parseOptInType(v: string | undefined): OptInType {
  if (v === undefined || v === '') throw new AppError('MissingParameter', 'The request must contain the parameter OptInType');
  if (!(OPT_IN_TYPES as readonly string[]).includes(v)) {
    throw new AppError('InvalidParameterValue', `Invalid value ${v} for OptInType. Valid values: ${OPT_IN_TYPES.join(', ')}.`);
  }
  return v as OptInType;
}
