/**
 * SigV4 request authentication for the RDS Query API (`Authorization: AWS4-HMAC-SHA256 ...`).
 *
 * The signature is recomputed with `@smithy/signature-v4` (the signer the SDK itself uses) over
 * exactly the headers the client listed in SignedHeaders, then compared in constant time. Errors
 * carry the codes and, where known, the wording AWS uses. Secrets, signatures and the
 * Authorization header are never logged nor echoed back.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { CredentialStore } from './credentials.js';

const algorithm = 'AWS4-HMAC-SHA256';
const terminator = 'aws4_request';
/** AWS accepts request timestamps within 5 minutes of its own clock, either way. */
export const defaultMaxSkewMs = 5 * 60_000;

/** The three components of an `Authorization: AWS4-HMAC-SHA256 ...` header. */
export interface ParsedAuthorization {
  accessKeyId: string;
  /** `yyyymmdd` from the credential scope. */
  scopeDate: string;
  scopeRegion: string;
  scopeService: string;
  scopeTerminator: string;
  /** Lower-case header names, in the order sent. */
  signedHeaders: string[];
  /** Hex signature as sent (not validated here: a malformed one simply fails to match). */
  signature: string;
}

function incomplete(message: string): AppError {
  return new AppError('IncompleteSignature', message);
}

/**
 * Parses the Authorization header. Anything structurally wrong is IncompleteSignature; the
 * message names what is missing, as AWS does, without repeating the header (it holds the signature).
 */
export function parseAuthorization(header: string): ParsedAuthorization {
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const scheme = space < 0 ? trimmed : trimmed.slice(0, space);
  if (scheme !== algorithm) {
    throw incomplete(`Unsupported AWS 'algorithm': '${scheme.slice(0, 40)}'; only ${algorithm} is accepted.`);
  }
  const fields = new Map<string, string>();
  for (const part of trimmed.slice(space + 1).split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    if (eq <= 0) throw incomplete(`Authorization header component '${p.slice(0, 40)}' is not of the form name=value.`);
    fields.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
  }
  const problems: string[] = [];
  for (const required of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!fields.get(required)) problems.push(`Authorization header requires '${required}' parameter.`);
  }
  if (problems.length > 0) throw incomplete(problems.join(' '));

  const credential = fields.get('Credential') ?? '';
  const scope = credential.split('/');
  if (scope.length !== 5 || scope.some((s) => s === '')) {
    throw incomplete(`Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential.slice(0, 200)}'`);
  }
  const [accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator] = scope as [string, string, string, string, string];
  const signedHeaders = (fields.get('SignedHeaders') ?? '').split(';').map((h) => h.trim().toLowerCase());
  if (signedHeaders.some((h) => h === '')) throw incomplete('SignedHeaders must be a semicolon-separated list of header names.');
  return { accessKeyId, scopeDate, scopeRegion, scopeService, scopeTerminator, signedHeaders, signature: fields.get('Signature') ?? '' };
}

/** Parses an `X-Amz-Date` value (`yyyymmddThhmmssZ`, ISO-8601 basic format). */
export function parseAmzDate(value: string): Date | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  // Reject values Date.UTC silently rolls over (month 13, Feb 30, hour 25, ...).
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || date.getUTCHours() !== h || date.getUTCMinutes() !== mi || date.getUTCSeconds() !== s) {
    return null;
  }
  return date;
}

function amzDate(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}

/** The parts of an HTTP request that SigV4 covers. */
export interface SignedRequest {
  method: string;
  /** The URL path as received, e.g. `/`. */
  path: string;
  /** Decoded URL query parameters (awsQuery normally sends none). */
  query: Record<string, string | string[]>;
  /** Node's lower-cased request headers. */
  headers: IncomingHttpHeaders;
  body: Uint8Array;
}

/** Who may sign, for which scope, and how much clock skew is tolerated. */
export interface VerifyOptions {
  credentials: CredentialStore;
  /** The only region accepted in the credential scope. */
  region: string;
  /** Signing name; `rds` for the RDS API. */
  service: string;
  clock: Clock;
  /** Allowed distance between X-Amz-Date and the clock. Default 5 minutes. */
  maxSkewMs?: number;
}

/** The authenticated caller. */
export interface Caller {
  accessKeyId: string;
  principal: string;
}

/**
 * Verifies the request's SigV4 signature. Throws AppError with the RDS wire code:
 * MissingAuthenticationToken (no Authorization header), IncompleteSignature (malformed),
 * InvalidClientTokenId (unknown/inactive key, unsupported session token), SignatureDoesNotMatch
 * (wrong scope or signature), RequestExpired (X-Amz-Date off by more than `maxSkewMs`).
 */
export async function verifySigV4(req: SignedRequest, opts: VerifyOptions): Promise<Caller> {
  const authorization = headerValue(req.headers, 'authorization');
  if (authorization === undefined || authorization.trim() === '') {
    throw new AppError('MissingAuthenticationToken', 'Request is missing Authentication Token');
  }
  const auth = parseAuthorization(authorization);

  const dateHeader = headerValue(req.headers, 'x-amz-date');
  if (dateHeader === undefined) {
    throw incomplete("Authorization header requires existence of an 'X-Amz-Date' header.");
  }
  const requestDate = parseAmzDate(dateHeader.trim());
  if (!requestDate) {
    throw incomplete(`Date must be in ISO-8601 'basic format'. Got '${dateHeader.slice(0, 40)}'. See http://en.wikipedia.org/wiki/ISO_8601`);
  }

  const key = await opts.credentials.lookup(auth.accessKeyId);
  if (!key || !key.active) {
    throw new AppError('InvalidClientTokenId', 'The security token included in the request is invalid.');
  }

  if (auth.scopeTerminator !== terminator) {
    throw new AppError('SignatureDoesNotMatch', `Credential should be scoped with a valid terminator: '${terminator}', not '${auth.scopeTerminator.slice(0, 40)}'.`);
  }
  if (auth.scopeService !== opts.service) {
    throw new AppError('SignatureDoesNotMatch', `Credential should be scoped to correct service: '${opts.service}'.`);
  }
  if (auth.scopeRegion !== opts.region) {
    throw new AppError('SignatureDoesNotMatch', `Credential should be scoped to a valid region, not '${auth.scopeRegion.slice(0, 40)}'.`);
  }
  const requestDay = dateHeader.trim().slice(0, 8);
  if (auth.scopeDate !== requestDay) {
    throw new AppError('SignatureDoesNotMatch', `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${auth.scopeDate.slice(0, 20)}' != '${requestDay}', from '${dateHeader.trim()}'.`);
  }
  if (!auth.signedHeaders.includes('host')) {
    throw new AppError('SignatureDoesNotMatch', "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  }

  const now = opts.clock.now();
  const maxSkewMs = opts.maxSkewMs ?? defaultMaxSkewMs;
  const minutes = Math.round(maxSkewMs / 60_000);
  if (requestDate.getTime() < now.getTime() - maxSkewMs) {
    throw new AppError(
      'RequestExpired',
      `Signature expired: ${amzDate(requestDate)} is now earlier than ${amzDate(new Date(now.getTime() - maxSkewMs))} (${amzDate(now)} - ${minutes} min.)`,
    );
  }
  if (requestDate.getTime() > now.getTime() + maxSkewMs) {
    throw new AppError(
      'RequestExpired',
      `Signature not yet current: ${amzDate(requestDate)} is still later than ${amzDate(new Date(now.getTime() + maxSkewMs))} (${amzDate(now)} + ${minutes} min.)`,
    );
  }

  let principal = key.principal;
  let secretAccessKey = key.secretAccessKey;
  const sessionToken = headerValue(req.headers, 'x-amz-security-token');
  if (sessionToken !== undefined) {
    if (!auth.signedHeaders.includes('x-amz-security-token')) {
      throw new AppError('SignatureDoesNotMatch', 'The X-Amz-Security-Token header must be signed (listed in SignedHeaders).');
    }
    if (!opts.credentials.verifySessionToken) {
      throw new AppError(
        'InvalidClientTokenId',
        'The security token included in the request is invalid: this server does not issue temporary credentials (X-Amz-Security-Token); sign with an access key and no session token.',
      );
    }
    const session = await opts.credentials.verifySessionToken(auth.accessKeyId, sessionToken);
    if (!session) {
      throw new AppError('InvalidClientTokenId', 'The security token included in the request is invalid.');
    }
    if (typeof session === 'object') {
      principal = session.principal;
      if (session.secretAccessKey !== undefined) secretAccessKey = session.secretAccessKey;
    }
  } else if (key.requiresSessionToken) {
    throw new AppError('InvalidClientTokenId', 'The security token included in the request is invalid: temporary credentials need their session token (X-Amz-Security-Token).');
  }

  const signature = await computeSignature(req, auth, requestDate, {
    accessKeyId: auth.accessKeyId,
    secretAccessKey,
    ...(sessionToken !== undefined ? { sessionToken } : {}),
  }, opts);
  if (!constantTimeEqual(signature, auth.signature)) {
    throw new AppError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
  return { accessKeyId: auth.accessKeyId, principal };
}

async function computeSignature(
  req: SignedRequest,
  auth: ParsedAuthorization,
  signingDate: Date,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  opts: VerifyOptions,
): Promise<string> {
  const sha256 = Hash.bind(null, 'sha256');
  const payloadHash = await hexSha256(sha256, req.body);
  const claimedHash = headerValue(req.headers, 'x-amz-content-sha256');
  // The signer trusts this header as the payload hash; a client-supplied one must match the body,
  // or a captured signature could be replayed with a different body.
  if (claimedHash !== undefined && claimedHash.trim() !== payloadHash) {
    throw new AppError('SignatureDoesNotMatch', 'The provided x-amz-content-sha256 header does not match what was computed.');
  }

  const headers: Record<string, string> = {};
  for (const name of auth.signedHeaders) {
    const v = headerValue(req.headers, name);
    // A signed header that did not arrive cannot match; sign it as empty so the compare fails.
    headers[name] = v ?? '';
  }
  const request = new HttpRequest({
    method: req.method.toUpperCase(),
    protocol: 'http:',
    hostname: headers['host'] ?? '',
    path: req.path,
    query: req.query,
    headers,
    body: req.body,
  });
  const signer = new SignatureV4({
    service: opts.service,
    region: opts.region,
    credentials,
    sha256,
    // Sign only what the client signed: do not add x-amz-content-sha256 of our own.
    applyChecksum: false,
    uriEscapePath: true,
  });
  const signed = await signer.sign(request, { signingDate, signableHeaders: new Set(auth.signedHeaders) });
  const authHeader = String(signed.headers['authorization'] ?? '');
  const m = /Signature=([0-9a-f]+)$/.exec(authHeader);
  if (!m?.[1]) throw new Error('SignatureV4 produced no signature');
  return m[1];
}

async function hexSha256(ctor: new () => { update(d: Uint8Array): void; digest(): Promise<Uint8Array> }, data: Uint8Array): Promise<string> {
  const h = new ctor();
  h.update(data);
  return Buffer.from(await h.digest()).toString('hex');
}

/** Compares two strings without leaking where they differ (their lengths are not secret). */
function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
