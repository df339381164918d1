/**
 * The one mapper from errors to RDS Query API faults. AppErrors that may be shown keep their code,
 * status and message; everything else becomes a generic 500 InternalFailure that names only the
 * request id, the detail going to the log.
 */
import { isAppError } from '../errors/app-error.js';
import { errorCodes } from '../errors/codes.js';
import { XmlWriter } from './xml.js';

/** RDS Query API XML namespace, used on every response. */
export const rdsXmlNamespace = 'http://rds.amazonaws.com/doc/2014-10-31/';

/** What the client is told about a failed request. */
export interface Fault {
  status: number;
  code: string;
  message: string;
  /** `Sender` for client faults (4xx), `Receiver` for server faults (5xx), as AWS. */
  type: 'Sender' | 'Receiver';
  /** True when the client sees a generic message; the caller must log the original error. */
  internal: boolean;
}

/** Maps any thrown value to the fault the client sees. */
export function toFault(e: unknown, requestId: string): Fault {
  if (isAppError(e) && e.expose) {
    const status = errorCodes[e.code].status;
    return { status, code: e.code, message: e.message, type: status >= 500 ? 'Receiver' : 'Sender', internal: false };
  }
  return {
    status: 500,
    code: 'InternalFailure',
    message: `An internal error has occurred. Request id ${requestId}.`,
    type: 'Receiver',
    internal: true,
  };
}

/** `<ErrorResponse>` body for a fault (in RDS's namespace unless given another, e.g. STS's). */
export function faultXml(f: Fault, requestId: string, namespace: string = rdsXmlNamespace): string {
  const w = new XmlWriter();
  w.open('ErrorResponse', { xmlns: namespace });
  w.element('Error', (e) => e.leaf('Type', f.type).leaf('Code', f.code).leaf('Message', f.message));
  w.leaf('RequestId', requestId);
  w.close();
  return w.toString();
}
