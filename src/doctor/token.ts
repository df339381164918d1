/**
 * Decodes an IAM database authentication token (docs/reference.md §4: a SigV4 presigned URL without
 * scheme, `<host>:<port>/?Action=connect&DBUser=...&X-Amz-...`) and says which of the server's
 * checks would fail for a given endpoint, user and time. The signature cannot be checked without
 * the secret key, and is never printed; neither is the session token. The access key id is shown
 * masked.
 */

export interface DecodedToken {
  host: string;
  port: number | undefined;
  action: string | undefined;
  dbUser: string | undefined;
  algorithm: string | undefined;
  /** Masked, e.g. `AKIA…WXYZ`. */
  accessKeyId: string | undefined;
  scopeDate: string | undefined;
  region: string | undefined;
  service: string | undefined;
  /** X-Amz-Date as a Date. */
  signedAt: Date | undefined;
  expiresSec: number | undefined;
  signedHeaders: string | undefined;
  hasSignature: boolean;
  signatureWellFormed: boolean;
  hasSecurityToken: boolean;
}

export interface TokenCheck {
  /** Which check: action, user, host, port, region, expiry, ... */
  name: string;
  ok: boolean;
  detail: string;
}

export interface TokenReport {
  decoded: DecodedToken | undefined;
  /** Why the text is not a token at all. */
  error: string | undefined;
  checks: TokenCheck[];
}

/** `AKIAIOSFODNN7EXAMPLE` -> `AKIA…MPLE`. */
export function maskAccessKeyId(id: string): string {
  return id.length <= 8 ? '…' : `${id.slice(0, 4)}…${id.slice(-4)}`;
}

function parseAmzDate(s: string | undefined): Date | undefined {
  const m = s === undefined ? null : /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (m === null) return undefined;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Parses a token. Throws Error with a reason when it is not one. */
export function decodeToken(token: string): DecodedToken {
  const t = token.trim().replace(/^https?:\/\//i, '');
  const q = t.indexOf('?');
  if (q === -1) throw new Error('not an IAM token: no query string (expected <host>:<port>/?Action=connect&DBUser=...)');
  const authority = t.slice(0, q).replace(/\/$/, '');
  const params = new URLSearchParams(t.slice(q + 1));
  if (!params.has('X-Amz-Signature') && !params.has('X-Amz-Credential')) throw new Error('not an IAM token: no X-Amz-Credential or X-Amz-Signature');
  const colon = authority.lastIndexOf(':');
  const host = colon === -1 ? authority : authority.slice(0, colon);
  const portText = colon === -1 ? undefined : authority.slice(colon + 1);
  const cred = params.get('X-Amz-Credential')?.split('/') ?? [];
  const sig = params.get('X-Amz-Signature') ?? undefined;
  const expires = params.get('X-Amz-Expires');
  return {
    host,
    port: portText !== undefined && /^\d+$/.test(portText) ? Number(portText) : undefined,
    action: params.get('Action') ?? undefined,
    dbUser: params.get('DBUser') ?? undefined,
    algorithm: params.get('X-Amz-Algorithm') ?? undefined,
    accessKeyId: cred[0] !== undefined ? maskAccessKeyId(cred[0]) : undefined,
    scopeDate: cred[1],
    region: cred[2],
    service: cred[3],
    signedAt: parseAmzDate(params.get('X-Amz-Date') ?? undefined),
    expiresSec: expires !== null && /^\d+$/.test(expires) ? Number(expires) : undefined,
    signedHeaders: params.get('X-Amz-SignedHeaders') ?? undefined,
    hasSignature: sig !== undefined,
    signatureWellFormed: sig !== undefined && /^[0-9a-f]{64}$/.test(sig),
    hasSecurityToken: params.has('X-Amz-Security-Token'),
  };
}

/** The region in a tlsql or RDS endpoint name (`<id>.<12 chars>.<region>.<domain>`). */
export function regionOfEndpoint(host: string): string | undefined {
  return /^[a-z][a-z0-9-]*\.[a-z0-9]{12}\.([a-z]{2}(?:-[a-z]+)+-\d)\./i.exec(host)?.[1];
}

function fmtDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** Allowed clock difference between the token's signer and the server, as tlsql and RDS allow. */
export const TOKEN_CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Checks a token against the endpoint it is used for. `user` is the login user when known;
 * `region` the endpoint's region when known (else taken from the endpoint name).
 */
export function checkToken(token: string, target: { host: string; port: number; user?: string; region?: string }, now: Date): TokenReport {
  let d: DecodedToken;
  try {
    d = decodeToken(token);
  } catch (e) {
    return { decoded: undefined, error: (e as Error).message, checks: [] };
  }
  const checks: TokenCheck[] = [];
  const add = (name: string, ok: boolean, detail: string) => checks.push({ name, ok, detail });

  add('action', d.action === 'connect', d.action === 'connect' ? 'Action=connect' : `Action=${d.action ?? '(missing)'}; a DB auth token has Action=connect (is this a token for another service?)`);
  add('algorithm', d.algorithm === 'AWS4-HMAC-SHA256', `X-Amz-Algorithm=${d.algorithm ?? '(missing)'}`);
  add('service', d.service === 'rds-db', d.service === 'rds-db' ? 'signed for rds-db' : `signed for service ${d.service ?? '(missing)'}, not rds-db: use @aws-sdk/rds-signer or aws rds generate-db-auth-token`);
  const hostOk = d.host.toLowerCase() === target.host.toLowerCase();
  add(
    'host',
    hostOk,
    hostOk
      ? `for host ${d.host}`
      : `for host ${d.host}, but you connect to ${target.host}: the server checks the token against its own endpoint name; sign the token for the endpoint you connect to (and connect by that name)`,
  );
  const portOk = d.port === target.port;
  add('port', portOk, portOk ? `for port ${d.port}` : `for port ${d.port ?? '(none)'}, but the endpoint's port is ${target.port}: generate the token with --port ${target.port}`);
  if (target.user !== undefined) {
    const userOk = d.dbUser === target.user;
    add('user', userOk, userOk ? `for DB user ${d.dbUser}` : `for DB user ${d.dbUser ?? '(missing)'}, but you log in as ${target.user} (the comparison is case-sensitive)`);
  } else {
    add('user', d.dbUser !== undefined && d.dbUser !== '', `for DB user ${d.dbUser ?? '(missing)'} (log in as exactly this user)`);
  }
  const region = target.region ?? regionOfEndpoint(target.host);
  if (region !== undefined) {
    const ok = d.region === region;
    add('region', ok, ok ? `signed for region ${d.region}` : `signed for region ${d.region ?? '(missing)'}, but the endpoint is in ${region}: sign with --region ${region}`);
  } else {
    add('region', d.region !== undefined, `signed for region ${d.region ?? '(missing)'} (endpoint region unknown)`);
  }
  if (d.signedAt === undefined) {
    add('expiry', false, 'X-Amz-Date is missing or malformed');
  } else {
    const expires = d.expiresSec ?? 0;
    const end = d.signedAt.getTime() + expires * 1000;
    const ageMs = now.getTime() - d.signedAt.getTime();
    if (d.expiresSec === undefined || d.expiresSec > 900) {
      add('expiry', false, `X-Amz-Expires=${d.expiresSec ?? '(missing)'}; DB auth tokens may live at most 900 s`);
    } else if (ageMs < -TOKEN_CLOCK_SKEW_MS) {
      add('expiry', false, `signed ${fmtDuration(ageMs)} in the future (${d.signedAt.toISOString()}): the signer's clock is ahead; fix the clock where the token is generated`);
    } else if (now.getTime() > end) {
      add('expiry', false, `expired ${fmtDuration(now.getTime() - end)} ago (signed ${d.signedAt.toISOString()}, valid ${expires} s): tokens live 15 minutes; generate a new one right before connecting`);
    } else {
      add('expiry', true, `valid for ${fmtDuration(end - now.getTime())} more (signed ${d.signedAt.toISOString()}, X-Amz-Expires=${expires})`);
    }
    const dateOk = d.scopeDate === d.signedAt.toISOString().slice(0, 10).replace(/-/g, '');
    add('scope-date', dateOk, dateOk ? `credential scope date ${d.scopeDate}` : `credential scope date ${d.scopeDate ?? '(missing)'} differs from X-Amz-Date`);
  }
  add('signed-headers', d.signedHeaders === 'host', `X-Amz-SignedHeaders=${d.signedHeaders ?? '(missing)'}`);
  add(
    'signature',
    d.signatureWellFormed,
    d.signatureWellFormed
      ? 'signature present (64 hex digits; only the server can check it, with the key\'s secret)'
      : d.hasSignature
        ? 'X-Amz-Signature is not 64 hex digits: the token was cut or altered (copy it whole; it is ~1 KB)'
        : 'X-Amz-Signature is missing: the token was cut short',
  );
  return { decoded: d, error: undefined, checks };
}
