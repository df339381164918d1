/**
 * IAM policy documents, the subset tlsql evaluates: `Effect` Allow/Deny, `Action` and `Resource`
 * (strings or arrays, with `*` and `?` wildcards). `NotAction`, `NotResource`, `Principal` and
 * `Condition` are refused when the policy is stored, never silently ignored: a condition that is
 * not evaluated would allow more than its author meant.
 */
import { AppError } from '../errors/app-error.js';

/** The one action tlsql authorises with policies. */
export const RDS_DB_CONNECT = 'rds-db:connect';

/** Largest inline user policy, in characters (IAM's limit for user policies). */
export const MAX_POLICY_DOCUMENT_CHARS = 2048;

interface Statement {
  effect: 'Allow' | 'Deny';
  actions: RegExp[];
  resources: RegExp[];
}

/** A validated policy, ready to evaluate. */
export interface ParsedPolicy {
  statements: Statement[];
}

const KNOWN_KEYS = new Set(['Sid', 'Effect', 'Action', 'Resource']);

function malformed(message: string): AppError {
  return new AppError('MalformedPolicyDocument', message);
}

/**
 * The envelope every IAM policy shares (permission and trust policies alike): size, JSON, the
 * `Version`/`Id`/`Statement` elements. Returns the statements, not yet checked; throws AppError
 * MalformedPolicyDocument naming the problem.
 */
export function policyStatements(text: string, label: string, maxChars: number): unknown[] {
  if (text.length > maxChars) throw malformed(`${label} is ${text.length} characters; the limit is ${maxChars}.`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw malformed('Syntax errors in policy: the document is not valid JSON.');
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw malformed('The policy must be a JSON object.');
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== 'Version' && k !== 'Id' && k !== 'Statement') throw malformed(`Unsupported policy element ${k}.`);
  if (d.Version !== '2012-10-17' && d.Version !== '2008-10-17') throw malformed('The policy must have "Version": "2012-10-17".');
  const raw = Array.isArray(d.Statement) ? (d.Statement as unknown[]) : d.Statement === undefined ? [] : [d.Statement];
  if (raw.length === 0) throw malformed('The policy has no Statement.');
  return raw;
}

/**
 * Parses and validates a policy document (JSON text). Throws AppError MalformedPolicyDocument
 * naming the problem.
 */
export function parsePolicyDocument(text: string): ParsedPolicy {
  const raw = policyStatements(text, 'Policy document', MAX_POLICY_DOCUMENT_CHARS);
  const statements = raw.map((s, i) => {
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw malformed(`Statement ${i + 1} must be an object.`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (!KNOWN_KEYS.has(k)) throw malformed(`Statement ${i + 1}: ${k} is not supported by tlsql (supported: Sid, Effect, Action, Resource).`);
    }
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformed(`Statement ${i + 1}: Effect must be Allow or Deny.`);
    const actions = stringList(st.Action, `Statement ${i + 1}: Action`);
    for (const a of actions) if (a !== '*' && !/^[A-Za-z0-9-]+:[A-Za-z0-9*?]+$/.test(a)) throw malformed(`Statement ${i + 1}: Action ${a} is not service:action.`);
    const resources = stringList(st.Resource, `Statement ${i + 1}: Resource`);
    return {
      effect: st.Effect,
      actions: actions.map((a) => wildcard(a, true)),
      resources: resources.map((r) => wildcard(r, false)),
    } satisfies Statement;
  });
  return { statements };
}

function stringList(v: unknown, what: string): string[] {
  const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
  if (!list || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) throw malformed(`${what} must be a non-empty string or array of strings.`);
  return list as string[];
}

/** IAM wildcards: `*` any run of characters, `?` one character. Actions match case-insensitively. */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

/** The verdict of a set of policies: an explicit Deny wins, then any Allow, else the implicit deny. */
export type PolicyDecision = 'allow' | 'explicit_deny' | 'implicit_deny';

/** Evaluates `action` on `resource` against every policy, as IAM does for identity policies. */
export function evaluatePolicies(policies: readonly ParsedPolicy[], action: string, resource: string): PolicyDecision {
  let allowed = false;
  for (const p of policies) {
    for (const s of p.statements) {
      if (!s.actions.some((a) => a.test(action)) || !s.resources.some((r) => r.test(resource))) continue;
      if (s.effect === 'Deny') return 'explicit_deny';
      allowed = true;
    }
  }
  return allowed ? 'allow' : 'implicit_deny';
}

/** `arn:aws:rds-db:<region>:<account>:dbuser:<DbiResourceId>/<db user>`, the resource of rds-db:connect. */
export function dbUserArn(region: string, accountId: string, resourceId: string, dbUser: string): string {
  return `arn:aws:rds-db:${region}:${accountId}:dbuser:${resourceId}/${dbUser}`;
}

/** A policy allowing rds-db:connect on the given resource ARNs (what `tlsql iam allow-db-connect` writes). */
export function connectPolicyDocument(resourceArns: readonly string[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: [RDS_DB_CONNECT], Resource: [...resourceArns] }] });
}
