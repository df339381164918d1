/**
 * IAM database authentication tokens (docs/reference.md §4): a SigV4 presigned `GET /?Action=connect`
 * URL without its scheme, as `@aws-sdk/rds-signer`, `aws rds generate-db-auth-token` and the other
 * SDKs produce. Verification canonicalises the query (SDKs order parameters differently), never
 * compares strings, and reports the precise reason for a refusal, for the log and the metrics;
 * the client only ever learns "access denied".
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { ParsedPolicy } from './policy.js';

/** Why a token was refused. Stable identifiers: they are metric labels and log fields. */
export type TokenRefusal =
  /** Not `<host>:<port>/?<query>`, a bad percent-escape, a missing or repeated parameter. */
  | 'malformed'
  /** Action is not `connect`, or the algorithm is not AWS4-HMAC-SHA256, or headers other than host are signed. */
  | 'bad_action'
  /** The credential scope names another service than `rds-db`, or a bad terminator/date. */
  | 'bad_scope'
  | 'wrong_region'
  | 'wrong_user'
  | 'wrong_host'
  | 'wrong_port'
  /** X-Amz-Expires missing, not a number, or above 900 seconds. */
  | 'bad_expires'
  | 'expired'
  /** X-Amz-Date is later than now plus the allowed clock skew. */
  | 'not_yet_valid'
  /** X-Amz-Security-Token was not issued by this tlsql (another installation, altered, another key's). */
  | 'unknown_session'
  /** The temporary credentials' session has ended. */
  | 'session_expired'
  /** The role of the session was deleted (or deleted and re-created). */
  | 'role_deleted'
  /** A temporary access key (ASIA...) without its X-Amz-Security-Token. */
  | 'missing_session_token'
  | 'unknown_key'
  | 'inactive_key'
  | 'bad_signature';

/** The longest lifetime a token may claim, as RDS. */
export const MAX_TOKEN_EXPIRES_SECONDS = 900;
/** Default tolerance for a client clock ahead of ours. */
export const DEFAULT_TOKEN_CLOCK_SKEW_MS = 60_000;

const ALGORITHM = 'AWS4-HMAC-SHA256';
const SERVICE = 'rds-db';
const TERMINATOR = 'aws4_request';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
const REQUIRED = ['Action', 'DBUser', 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature'] as const;

/** A token split into its parts; nothing here is verified yet. */
export interface ParsedDbAuthToken {
  /** `host:port` exactly as signed (the canonical `host` header). */
  hostPort: string;
  host: string;
  port: number;
  /** Decoded query parameters. */
  params: Map<string, string>;
  accessKeyId: string;
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
}

/** A refusal with its reason and a detail for the log (never the signature or a secret). */
export class TokenRefusedError extends Error {
  constructor(
    readonly reason: TokenRefusal,
    readonly detail: string,
    /** The access key the token claims, when it got that far (not secret; for the log). */
    readonly accessKeyId: string | null = null,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'TokenRefusedError';
  }
}

/** Splits a token; throws TokenRefusedError('malformed') when it is not a presigned connect URL. */
export function parseDbAuthToken(token: string): ParsedDbAuthToken {
  const m = /^([^/?#\s]+)\/\?([^#\s]+)$/.exec(token);
  if (!m) throw new TokenRefusedError('malformed', 'not <host>:<port>/?<query>');
  const hostPort = m[1]!;
  const hp = /^(.+):(\d{1,5})$/.exec(hostPort);
  if (!hp) throw new TokenRefusedError('malformed', 'host part has no port');
  const params = new Map<string, string>();
  for (const pair of m[2]!.split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TokenRefusedError('malformed', 'query parameter without name=value');
    let name: string;
    let value: string;
    try {
      name = decodeURIComponent(pair.slice(0, eq));
      value = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      throw new TokenRefusedError('malformed', 'bad percent-escape in the query');
    }
    if (params.has(name)) throw new TokenRefusedError('malformed', `parameter ${name.slice(0, 40)} repeated`);
    params.set(name, value);
  }
  for (const r of REQUIRED) if (!params.has(r)) throw new TokenRefusedError('malformed', `missing ${r}`);
  const scope = params.get('X-Amz-Credential')!.split('/');
  if (scope.length !== 5 || scope.some((s) => s === '')) throw new TokenRefusedError('malformed', 'X-Amz-Credential is not <key>/<date>/<region>/<service>/aws4_request');
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = scope as [string, string, string, string, string];
  return { hostPort, host: hp[1]!, port: Number(hp[2]), params, accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator };
}

/** What a key lookup returns: the secret to recompute the signature, and who owns the key. */
export interface TokenSigningKey {
  secretAccessKey: string;
  active: boolean;
  principal: string;
}

/** What a token must say to log in to one account on one endpoint. */
export interface TokenExpectations {
  /** The login user name, compared byte for byte (case-sensitive) with DBUser. */
  user: string;
  /** The endpoint host name (compared case-insensitively, as DNS) and port. */
  host: string;
  port: number;
  region: string;
  now: Date;
  /** Tolerance for a token dated in the future. Default DEFAULT_TOKEN_CLOCK_SKEW_MS. */
  clockSkewMs?: number;
  /** The key's record, or null when there is no such key. */
  lookupKey(accessKeyId: string): TokenSigningKey | null | Promise<TokenSigningKey | null>;
  /**
   * A temporary key's record from its session token, for tokens with X-Amz-Security-Token. Throws
   * TokenRefusedError with the reason (unknown_session, session_expired, role_deleted).
   */
  lookupSession(accessKeyId: string, sessionToken: string): SessionSigningKey;
}

/** A temporary key: the session's end, and the session policy that narrows its permissions. */
export interface SessionSigningKey extends TokenSigningKey {
  expiresAt: Date;
  /** The session policy that narrows the role (evaluated by the caller), or null. */
  sessionPolicy: ParsedPolicy | null;
}

/** A token that passed every check of docs/reference.md §4 except the policy, which needs the caller's view. */
export interface VerifiedDbAuthToken {
  accessKeyId: string;
  principal: string;
  /** When the token stops being accepted: 15 minutes at most, never after its session ends. */
  expiresAt: Date;
  /** For temporary credentials: the session policy (as lookupSession returned it), else null. */
  sessionPolicy: ParsedPolicy | null;
}

/**
 * Verifies a token for one login. Checks, in order: shape, action/algorithm/signed headers, scope
 * (service, terminator, date, region), DBUser, host, port, expiry, session (for temporary keys), key, signature.
 * Throws TokenRefusedError with the first failing reason.
 */
export async function verifyDbAuthToken(token: string, expect: TokenExpectations): Promise<VerifiedDbAuthToken> {
  const t = parseDbAuthToken(token);
  const p = t.params;
  const keyId = t.accessKeyId.slice(0, 128);
  const refuse = (reason: TokenRefusal, detail: string) => new TokenRefusedError(reason, detail, keyId);
  if (p.get('Action') !== 'connect') throw refuse('bad_action', `Action is ${JSON.stringify(p.get('Action')!.slice(0, 40))}, not connect`);
  if (p.get('X-Amz-Algorithm') !== ALGORITHM) throw refuse('bad_action', `algorithm ${p.get('X-Amz-Algorithm')!.slice(0, 40)} is not ${ALGORITHM}`);
  if (p.get('X-Amz-SignedHeaders') !== 'host') throw refuse('bad_action', 'signed headers must be exactly "host"');
  if (t.scopeService !== SERVICE) throw refuse('bad_scope', `credential scope service is ${t.scopeService.slice(0, 40)}, not ${SERVICE}`);
  if (t.scopeTerminator !== TERMINATOR) throw refuse('bad_scope', 'credential scope does not end in aws4_request');
  const amzDate = p.get('X-Amz-Date')!;
  const signedAt = parseAmzDate(amzDate);
  if (!signedAt) throw refuse('malformed', 'X-Amz-Date is not yyyymmddThhmmssZ');
  if (t.scopeDate !== amzDate.slice(0, 8)) throw refuse('bad_scope', `credential scope date ${t.scopeDate.slice(0, 20)} differs from X-Amz-Date`);
  if (t.scopeRegion !== expect.region) throw refuse('wrong_region', `signed for region ${t.scopeRegion.slice(0, 40)}, this endpoint is in ${expect.region}`);
  if (p.get('DBUser') !== expect.user) throw refuse('wrong_user', `token is for DB user ${JSON.stringify(p.get('DBUser')!.slice(0, 80))}, login is ${JSON.stringify(expect.user.slice(0, 80))}`);
  if (t.host.toLowerCase() !== expect.host.toLowerCase()) throw refuse('wrong_host', `token is for host ${t.host.slice(0, 255)}, this endpoint is ${expect.host}`);
  if (t.port !== expect.port) throw refuse('wrong_port', `token is for port ${t.port}, this endpoint listens on ${expect.port}`);
  const expiresRaw = p.get('X-Amz-Expires')!;
  const expiresSeconds = /^\d{1,6}$/.test(expiresRaw) ? Number(expiresRaw) : NaN;
  if (!Number.isInteger(expiresSeconds) || expiresSeconds < 1 || expiresSeconds > MAX_TOKEN_EXPIRES_SECONDS) {
    throw refuse('bad_expires', `X-Amz-Expires must be 1..${MAX_TOKEN_EXPIRES_SECONDS} seconds, got ${expiresRaw.slice(0, 20)}`);
  }
  const now = expect.now.getTime();
  const expiresAt = new Date(signedAt.getTime() + expiresSeconds * 1000);
  if (now > expiresAt.getTime()) throw refuse('expired', `expired at ${expiresAt.toISOString()} (signed ${signedAt.toISOString()}, now ${expect.now.toISOString()})`);
  const skew = expect.clockSkewMs ?? DEFAULT_TOKEN_CLOCK_SKEW_MS;
  if (signedAt.getTime() > now + skew) throw refuse('not_yet_valid', `signed at ${signedAt.toISOString()}, more than ${skew} ms after now ${expect.now.toISOString()}`);
  const sessionToken = p.get('X-Amz-Security-Token');
  let key: TokenSigningKey | null;
  let sessionEnds: Date | null = null;
  let sessionPolicy: ParsedPolicy | null = null;
  if (sessionToken !== undefined) {
    const s = expect.lookupSession(t.accessKeyId, sessionToken);
    key = s;
    sessionEnds = s.expiresAt;
    sessionPolicy = s.sessionPolicy;
  } else {
    if (t.accessKeyId.startsWith('ASIA')) throw refuse('missing_session_token', `temporary access key ${keyId} without X-Amz-Security-Token`);
    key = await expect.lookupKey(t.accessKeyId);
  }
  if (!key) throw refuse('unknown_key', `no access key ${keyId}`);
  if (!key.active) throw refuse('inactive_key', `access key ${keyId} is inactive`);
  // botocore (aws rds generate-db-auth-token, boto3) writes the host as typed but signs it
  // lower-cased; @aws-sdk/rds-signer signs it as typed. Accept either, nothing else.
  const given = Buffer.from(p.get('X-Amz-Signature')!, 'utf8');
  const matches = (hostPort: string) => {
    const want = Buffer.from(signDbAuthTokenQuery({ ...t, hostPort }, key.secretAccessKey), 'utf8');
    return given.length === want.length && timingSafeEqual(given, want);
  };
  const lower = t.hostPort.toLowerCase();
  if (!matches(t.hostPort) && (lower === t.hostPort || !matches(lower))) throw refuse('bad_signature', 'signature does not match');
  return { accessKeyId: t.accessKeyId, principal: key.principal, expiresAt: sessionEnds && sessionEnds < expiresAt ? sessionEnds : expiresAt, sessionPolicy };
}

/** The hex signature a token's query should carry under `secretAccessKey` (SigV4, presigned GET /). */
export function signDbAuthTokenQuery(t: ParsedDbAuthToken, secretAccessKey: string): string {
  const query = [...t.params.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonicalRequest = `GET\n/\n${query}\nhost:${t.hostPort}\n\nhost\n${EMPTY_SHA256}`;
  const amzDate = t.params.get('X-Amz-Date')!;
  const scope = `${t.scopeDate}/${t.scopeRegion}/${t.scopeService}/${t.scopeTerminator}`;
  const stringToSign = `${ALGORITHM}\n${amzDate}\n${scope}\n${createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')}`;
  let k: Buffer = hmac(`AWS4${secretAccessKey}`, t.scopeDate);
  k = hmac(k, t.scopeRegion);
  k = hmac(k, t.scopeService);
  k = hmac(k, t.scopeTerminator);
  return createHmac('sha256', k).update(stringToSign, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** RFC 3986 percent-encoding as SigV4 requires (unreserved characters kept, everything else %XX). */
function rfc3986(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** `yyyymmddThhmmssZ` -> Date, or null (including impossible dates such as month 13). */
function parseAmzDate(v: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(v);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || date.getUTCHours() !== h || date.getUTCMinutes() !== mi || date.getUTCSeconds() !== s) return null;
  return date;
}
