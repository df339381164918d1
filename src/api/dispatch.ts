/**
 * Runs one RDS Query API action and renders its XML response: Action/Version checked, the
 * action's handler called, `<{Action}Response>` written. Shared by the SigV4 path of `server.ts`
 * and the web console's session path (src/console/), so a request does exactly the same thing
 * whichever way it was authenticated.
 */
import { AppError } from '../errors/app-error.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { Logger } from '../lib/logger.js';
import type { Action } from './actions/action.js';
import { actions } from './actions/index.js';
import { rdsXmlNamespace } from './fault.js';
import type { QueryReader } from './query.js';
import { XmlWriter } from './xml.js';

/** The only RDS API version there is (and the one every SDK sends). */
export const rdsApiVersion = '2014-10-31';

export interface DispatchContext {
  control: ControlPlane;
  params: QueryReader;
  requestId: string;
  /** The authenticated caller's principal. */
  principal: string;
  /** Logger for the request; the action's name is added. */
  logger: Logger;
  /**
   * Actions served beside the registry (e.g. the console's CreateConsoleLoginLink), looked up
   * after it. Default: none.
   */
  extraActions?: ReadonlyMap<string, Action>;
  /** Called with the action's name once it is known (for request logs), before it runs. */
  onAction?: (name: string) => void;
}

/**
 * Checks Action and Version, runs the action and returns its XML response document. Throws
 * AppError MissingAction / InvalidAction, or whatever the action throws (mapped to a fault by the caller).
 */
export async function dispatchAction(ctx: DispatchContext): Promise<string> {
  const actionName = ctx.params.string('Action');
  if (actionName === undefined || actionName === '') {
    throw new AppError('MissingAction', 'The request must contain the parameter Action');
  }
  ctx.onAction?.(actionName.slice(0, 100));
  const action = actions.get(actionName) ?? ctx.extraActions?.get(actionName);
  if (!action) {
    throw new AppError('InvalidAction', `The action ${actionName.slice(0, 100)} is not valid for this web service.`);
  }
  const version = ctx.params.string('Version');
  if (version !== rdsApiVersion) {
    // What AWS query services answer for a missing or unknown Version.
    throw new AppError('InvalidAction', `Could not find operation ${action.name} for version ${(version || 'NO_VERSION_SPECIFIED').slice(0, 40)}`);
  }

  const result = await action.run({
    control: ctx.control,
    params: ctx.params,
    requestId: ctx.requestId,
    principal: ctx.principal,
    logger: ctx.logger.child({ action: action.name }),
  });

  const w = new XmlWriter();
  w.open(`${action.name}Response`, { xmlns: rdsXmlNamespace });
  if (result) {
    w.open(`${action.name}Result`);
    result(w);
    w.close();
  }
  w.element('ResponseMetadata', (m) => m.leaf('RequestId', ctx.requestId));
  w.close();
  return w.toString();
}
