/**
 * The console's only way to the server: the same awsQuery actions the CLI and the SDKs send,
 * POSTed to /console/api with the session cookie and the CSRF token. Results are the API's XML,
 * turned into plain objects here (as the CLI's tlsql-api.ts does).
 */

export interface SessionInfo {
  principal: string;
  csrfToken: string;
  region: string;
}

let csrfToken = '';

/** Thrown for an API fault: its code, message and HTTP status. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

/** Called when the session is gone (expired, logged out elsewhere): the app shows the login page. */
let onLoggedOut: () => void = () => location.assign('/console/');
export function setLoggedOutHandler(f: () => void): void {
  onLoggedOut = f;
}

/** Reads the session (principal, CSRF token). */
export async function loadSession(): Promise<SessionInfo> {
  const r = await fetch('/console/session', { credentials: 'same-origin' });
  if (r.status === 401) {
    onLoggedOut();
    throw new ApiError('NotLoggedIn', 'Not logged in', 401);
  }
  const s = (await r.json()) as SessionInfo;
  csrfToken = s.csrfToken;
  return s;
}

export async function logout(): Promise<void> {
  await fetch('/console/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': csrfToken } });
  location.assign('/console/');
}

/** Elements that are lists in the API's results (their children are the members). */
const LISTS = new Set([
  'DBInstances', 'Connections', 'Certificates', 'Events', 'EventCategories', 'PendingMaintenanceActions',
  'PendingMaintenanceActionDetails', 'DBParameterGroups', 'Parameters', 'SubjectAlternativeNames', 'Users', 'Roles',
  'PolicyNames', 'AccessKeyMetadata', 'TagList', 'DBSecurityGroups', 'VpcSecurityGroups', 'OptionGroupMemberships',
  'ReadReplicaDBInstanceIdentifiers', 'StatusInfos', 'EnabledCloudwatchLogsExports', 'OpenIDConnectProviderList', 'ClientIDList',
]);

export type Params = Record<string, string | number | boolean | undefined>;

/** Runs `action` and returns the members of its `<{action}Result>`. Throws ApiError on a fault. */
export async function call<T = Record<string, unknown>>(action: string, params: Params = {}): Promise<T> {
  const body = new URLSearchParams({ Action: action, Version: '2014-10-31' });
  for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, String(v));
  const r = await fetch('/console/api', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', 'X-CSRF-Token': csrfToken },
    body,
  });
  const text = await r.text();
  const doc = new DOMParser().parseFromString(text, 'application/xml');
  if (!r.ok) {
    const code = doc.querySelector('Error > Code')?.textContent ?? String(r.status);
    const message = doc.querySelector('Error > Message')?.textContent ?? `HTTP ${r.status}`;
    // The session ended (idle timeout, logout in another tab, server restart): back to the login page.
    if (code === 'MissingAuthenticationToken') onLoggedOut();
    throw new ApiError(code, message, r.status);
  }
  const result = doc.documentElement.getElementsByTagName(`${action}Result`)[0];
  return (result ? toObject(result) : {}) as T;
}

function toObject(el: Element): unknown {
  const children = [...el.children];
  if (LISTS.has(el.localName)) return children.map((c) => toObject(c));
  if (children.length === 0) return el.textContent ?? '';
  const out: Record<string, unknown> = {};
  for (const c of children) out[c.localName] = toObject(c);
  return out;
}

/** Every page of a paged action (Marker), concatenated under `listName`. */
export async function callAll<T>(action: string, listName: string, params: Params = {}): Promise<T[]> {
  const all: T[] = [];
  let marker: string | undefined;
  do {
    const r = await call<Record<string, unknown>>(action, { ...params, MaxRecords: 100, Marker: marker });
    all.push(...((r[listName] as T[] | undefined) ?? []));
    marker = typeof r.Marker === 'string' && r.Marker !== '' ? r.Marker : undefined;
  } while (marker);
  return all;
}
