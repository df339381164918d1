/**
 * Registry of the RDS Query API actions tlsql serves, keyed by awsQuery `Action` name.
 * Adding an action: one file exporting `defineAction(...)`, then one line here.
 */
import type { Action } from './action.js';
import { createDbInstanceAction } from './create-db-instance.js';
import { createDbParameterGroupAction } from './create-db-parameter-group.js';
import { deleteDbInstanceAction } from './delete-db-instance.js';
import { deleteDbParameterGroupAction } from './delete-db-parameter-group.js';
import { describeCertificatesAction } from './describe-certificates.js';
import { describeDbEngineVersionsAction } from './describe-db-engine-versions.js';
import { describeDbInstancesAction } from './describe-db-instances.js';
import { describeDbParameterGroupsAction } from './describe-db-parameter-groups.js';
import { describeDbParametersAction } from './describe-db-parameters.js';
import { describeEventsAction } from './describe-events.js';
import { modifyCertificatesAction } from './modify-certificates.js';
import { modifyDbInstanceAction } from './modify-db-instance.js';
import { modifyDbParameterGroupAction } from './modify-db-parameter-group.js';
import { rebootDbInstanceAction } from './reboot-db-instance.js';
import { resetDbParameterGroupAction } from './reset-db-parameter-group.js';
import { startDbInstanceAction } from './start-db-instance.js';
import { stopDbInstanceAction } from './stop-db-instance.js';

export type { Action, ActionContext, ResultWriter } from './action.js';

const all: readonly Action[] = [
  createDbInstanceAction,
  describeDbInstancesAction,
  modifyDbInstanceAction,
  deleteDbInstanceAction,
  rebootDbInstanceAction,
  stopDbInstanceAction,
  startDbInstanceAction,
  describeCertificatesAction,
  modifyCertificatesAction,
  describeDbEngineVersionsAction,
  createDbParameterGroupAction,
  describeDbParameterGroupsAction,
  deleteDbParameterGroupAction,
  modifyDbParameterGroupAction,
  resetDbParameterGroupAction,
  describeDbParametersAction,
  describeEventsAction,
];

/** Action name -> implementation. Frozen; a Map so `Action=constructor` finds nothing. */
export const actions: ReadonlyMap<string, Action> = new Map(all.map((a) => [a.name, a]));
