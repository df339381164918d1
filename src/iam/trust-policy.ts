/**
 * Role trust policies (AssumeRolePolicyDocument): who may assume a role. The subset tlsql
 * evaluates: `Effect`, `Principal` (`AWS`: an account id, `arn:aws:iam::<account>:root`, a user or
 * role ARN, or `*`; `Federated`: an OpenID Connect provider ARN), `Action` (`sts:*` actions) and
 * `Condition` with `StringEquals` / `StringLike` (the operators CI trust policies use on
 * `<issuer>:sub` and `<issuer>:aud`). Anything else is refused when the policy is stored
 * (MalformedPolicyDocument), never ignored: an unevaluated condition would let in more than its
 * author meant.
 */
import { AppError } from '../errors/app-error.js';
import { policyStatements, type PolicyDecision } from './policy.js';

/** IAM's default limit for a trust policy. */
export const MAX_TRUST_POLICY_CHARS = 2048;

type Operator = 'StringEquals' | 'StringLike';
const OPERATORS = new Set<string>(['StringEquals', 'StringLike']);

interface Condition {
  operator: Operator;
  /** Lower-cased: condition keys are case-insensitive. */
  key: string;
  values: string[];
}

interface TrustStatement {
  effect: 'Allow' | 'Deny';
  aws: string[];
  federated: string[];
  actions: RegExp[];
  conditions: Condition[];
}

export interface ParsedTrustPolicy {
  statements: TrustStatement[];
}

/** Who asks to assume the role, and the request's condition context. */
export interface TrustRequest {
  /** `sts:AssumeRole` or `sts:AssumeRoleWithWebIdentity`. */
  action: string;
  accountId: string;
  /** The caller's ARNs, most specific first (a user's ARN; an assumed-role session's ARN and its role's ARN). Empty for web identities. */
  awsPrincipals: string[];
  /** The OIDC provider ARN, for web identities. */
  federated?: string;
  /** Condition keys (lower-cased) and their values. */
  context: ReadonlyMap<string, string[]>;
}

/** The verdict, and whether an Allow matched only by naming the whole account (then IAM also needs the caller's own policy to allow it). */
export interface TrustDecision {
  decision: PolicyDecision;
  viaAccount: boolean;
}

function malformed(message: string): AppError {
  return new AppError('MalformedPolicyDocument', message);
}

function stringList(v: unknown, what: string): string[] {
  const list = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
  if (!list || list.length === 0 || list.some((x) => typeof x !== 'string' || x === '')) throw malformed(`${what} must be a non-empty string or array of strings.`);
  return list as string[];
}

/** Parses and validates a trust policy; throws AppError MalformedPolicyDocument naming the problem. */
export function parseTrustPolicy(text: string): ParsedTrustPolicy {
  const raw = policyStatements(text, 'Trust policy', MAX_TRUST_POLICY_CHARS);
  const statements = raw.map((s, i): TrustStatement => {
    const where = `Statement ${i + 1}`;
    if (!s || typeof s !== 'object' || Array.isArray(s)) throw malformed(`${where} must be an object.`);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) {
      if (!['Sid', 'Effect', 'Principal', 'Action', 'Condition'].includes(k)) throw malformed(`${where}: ${k} is not supported by tlsql in a trust policy (supported: Sid, Effect, Principal, Action, Condition).`);
    }
    if (st.Effect !== 'Allow' && st.Effect !== 'Deny') throw malformed(`${where}: Effect must be Allow or Deny.`);
    let aws: string[] = [];
    let federated: string[] = [];
    if (st.Principal === '*') aws = ['*'];
    else if (st.Principal && typeof st.Principal === 'object' && !Array.isArray(st.Principal)) {
      for (const [k, v] of Object.entries(st.Principal as Record<string, unknown>)) {
        if (k === 'AWS') aws = stringList(v, `${where}: Principal.AWS`);
        else if (k === 'Federated') federated = stringList(v, `${where}: Principal.Federated`);
        else throw malformed(`${where}: Principal ${k} is not supported by tlsql (supported: AWS, Federated).`);
      }
    } else throw malformed(`${where}: a trust policy statement needs a Principal.`);
    for (const p of aws) {
      if (p !== '*' && !/^\d{12}$/.test(p) && !/^arn:aws:(iam|sts)::\d{12}:(root|user\/[\w+=,.@/-]+|role\/[\w+=,.@/-]+|assumed-role\/[\w+=,.@/-]+)$/.test(p)) {
        throw malformed(`${where}: Invalid principal in policy: "AWS":"${p.slice(0, 200)}".`);
      }
    }
    for (const p of federated) {
      if (!/^arn:aws:iam::\d{12}:oidc-provider\/\S+$/.test(p)) throw malformed(`${where}: Invalid principal in policy: "Federated":"${p.slice(0, 200)}" (tlsql supports OpenID Connect provider ARNs).`);
    }
    const actions = stringList(st.Action, `${where}: Action`);
    for (const a of actions) if (!/^sts:[A-Za-z*?]+$/.test(a) && a !== '*') throw malformed(`${where}: Action ${a.slice(0, 100)} is not an sts: action.`);
    const conditions: Condition[] = [];
    if (st.Condition !== undefined) {
      if (!st.Condition || typeof st.Condition !== 'object' || Array.isArray(st.Condition)) throw malformed(`${where}: Condition must be an object.`);
      for (const [op, block] of Object.entries(st.Condition as Record<string, unknown>)) {
        if (!OPERATORS.has(op)) throw malformed(`${where}: condition operator ${op.slice(0, 60)} is not supported by tlsql (supported: StringEquals, StringLike).`);
        if (!block || typeof block !== 'object' || Array.isArray(block)) throw malformed(`${where}: Condition.${op} must be an object of key: value(s).`);
        for (const [key, v] of Object.entries(block as Record<string, unknown>)) {
          conditions.push({ operator: op as Operator, key: key.toLowerCase(), values: stringList(v, `${where}: Condition.${op}.${key}`) });
        }
      }
    }
    return { effect: st.Effect, aws, federated, actions: actions.map((a) => wildcard(a, true)), conditions };
  });
  return { statements };
}

/** IAM wildcards: `*` any run of characters, `?` one character. */
function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, ignoreCase ? 'is' : 's');
}

function conditionHolds(c: Condition, context: ReadonlyMap<string, string[]>): boolean {
  const actual = context.get(c.key);
  if (!actual || actual.length === 0) return false;
  // Several values in the policy: any may match; several in the request (aud): any may match.
  return actual.some((a) => c.values.some((v) => (c.operator === 'StringEquals' ? a === v : wildcard(v, false).test(a))));
}

/** Evaluates a trust policy for one request: an explicit Deny wins, then an Allow, else the implicit deny. */
export function evaluateTrust(p: ParsedTrustPolicy, r: TrustRequest): TrustDecision {
  let allowed = false;
  let allowedExactly = false;
  for (const s of p.statements) {
    if (!s.actions.some((a) => a.test(r.action))) continue;
    let exact = false;
    let principal = false;
    if (r.federated !== undefined) principal = s.federated.includes(r.federated);
    else {
      for (const a of s.aws) {
        if (r.awsPrincipals.includes(a)) {
          principal = exact = true;
        } else if (a === '*' || a === r.accountId || a === `arn:aws:iam::${r.accountId}:root`) {
          principal = true;
        }
      }
    }
    if (!principal) continue;
    if (!s.conditions.every((c) => conditionHolds(c, r.context))) continue;
    if (s.effect === 'Deny') return { decision: 'explicit_deny', viaAccount: false };
    allowed = true;
    if (exact || r.federated !== undefined) allowedExactly = true;
  }
  if (!allowed) return { decision: 'implicit_deny', viaAccount: false };
  return { decision: 'allow', viaAccount: !allowedExactly };
}
