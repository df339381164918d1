/**
 * STS on the API endpoint (docs/iam.md "Roles and temporary credentials"): requests signed for
 * SigV4 service `sts` (Query protocol, Version 2011-06-15, STS's XML shapes and error codes), and
 * the one unsigned STS call, AssumeRoleWithWebIdentity, whose JWT is its credential. Callers are
 * the root key, IAM users' keys (which the RDS actions refuse) and temporary credentials.
 */
import type { IncomingMessage } from 'node:http';
import { AppError } from '../errors/app-error.js';
import type { ApiSession, CallerSession, IamControl } from '../iam/iam-control.js';
import type { TemporaryCredentials } from '../model/iam-role.js';
import type { ControlPlane } from '../control/control-plane.js';
import type { Logger } from '../lib/logger.js';
import type { CredentialStore } from './credentials.js';
import type { QueryReader } from './query.js';
import { XmlWriter } from './xml.js';

/** The STS API version every SDK sends. */
export const stsApiVersion = '2011-06-15';
/** STS's XML namespace, on answers and faults. */
export const stsXmlNamespace = 'https://sts.amazonaws.com/doc/2011-06-15/';

interface StsContext {
  iam: IamControl;
  params: QueryReader;
  /** The caller's principal; null for the unsigned AssumeRoleWithWebIdentity. */
  principal: string | null;
  /** Set when the caller signed with temporary credentials. */
  session: CallerSession | undefined;
  logger: Logger;
}

type StsAction = (ctx: StsContext) => Promise<(w: XmlWriter) => void>;

function writeCredentials(w: XmlWriter, c: TemporaryCredentials): void {
  w.element('Credentials', (x) => x.leaf('AccessKeyId', c.accessKeyId).leaf('SecretAccessKey', c.secretAccessKey).leaf('SessionToken', c.sessionToken).leaf('Expiration', c.expiration));
}

function signedCaller(ctx: StsContext): string {
  if (ctx.principal === null) throw new AppError('MissingAuthenticationToken', 'Request is missing Authentication Token');
  return ctx.principal;
}

function roleRequest(p: QueryReader) {
  const durationSeconds = p.integer('DurationSeconds');
  const policy = p.string('Policy');
  return {
    roleArn: p.requiredString('RoleArn'),
    roleSessionName: p.requiredString('RoleSessionName'),
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    ...(policy !== undefined ? { policy } : {}),
  };
}

function refuseUnsupported(p: QueryReader, names: string[]): void {
  for (const n of names) {
    if (p.has(n)) throw new AppError('ValidationError', `tlsql does not support the parameter ${n} (supported: RoleArn, RoleSessionName, DurationSeconds, Policy).`);
  }
}

const stsActions = new Map<string, StsAction>([
  [
    'GetCallerIdentity',
    async (ctx) => {
      const id = ctx.iam.callerIdentity(signedCaller(ctx));
      return (w) => w.leaf('UserId', id.userId).leaf('Account', id.account).leaf('Arn', id.arn);
    },
  ],
  [
    'GetSessionToken',
    async (ctx) => {
      refuseUnsupported(ctx.params, ['SerialNumber', 'TokenCode']);
      const c = ctx.iam.getSessionToken(signedCaller(ctx), ctx.params.integer('DurationSeconds'), ctx.session);
      return (w) => writeCredentials(w, c);
    },
  ],
  [
    'AssumeRole',
    async (ctx) => {
      refuseUnsupported(ctx.params, ['PolicyArns', 'Tags', 'TransitiveTagKeys', 'ExternalId', 'SerialNumber', 'TokenCode', 'SourceIdentity', 'ProvidedContexts']);
      const caller = signedCaller(ctx);
      const r = ctx.iam.assumeRole(caller, roleRequest(ctx.params), ctx.session);
      ctx.logger.info('role assumed', { caller, assumedRole: r.assumedRoleUser.arn, accessKeyId: r.credentials.accessKeyId, expiration: r.credentials.expiration.toISOString() });
      return (w) => {
        writeCredentials(w, r.credentials);
        w.element('AssumedRoleUser', (x) => x.leaf('AssumedRoleId', r.assumedRoleUser.assumedRoleId).leaf('Arn', r.assumedRoleUser.arn));
        if (r.packedPolicySize !== undefined) w.leaf('PackedPolicySize', r.packedPolicySize);
      };
    },
  ],
  [
    'AssumeRoleWithWebIdentity',
    async (ctx) => {
      refuseUnsupported(ctx.params, ['PolicyArns', 'ProviderId']);
      const r = await ctx.iam.assumeRoleWithWebIdentity({ ...roleRequest(ctx.params), webIdentityToken: ctx.params.requiredString('WebIdentityToken') });
      ctx.logger.info('role assumed with web identity', { subject: r.subjectFromWebIdentityToken, provider: r.provider, assumedRole: r.assumedRoleUser.arn, accessKeyId: r.credentials.accessKeyId });
      return (w) => {
        writeCredentials(w, r.credentials);
        w.leaf('SubjectFromWebIdentityToken', r.subjectFromWebIdentityToken);
        w.element('AssumedRoleUser', (x) => x.leaf('AssumedRoleId', r.assumedRoleUser.assumedRoleId).leaf('Arn', r.assumedRoleUser.arn));
        if (r.packedPolicySize !== undefined) w.leaf('PackedPolicySize', r.packedPolicySize);
        w.leaf('Provider', r.provider);
        w.leaf('Audience', r.audience);
      };
    },
  ],
]);

/** Largest body read from an unsigned request: a web identity call (a JWT of at most 20000 characters and a few parameters). */
export const maxUnsignedStsBodyBytes = 32 * 1024;

/**
 * Whether an unsigned request may be STS's AssumeRoleWithWebIdentity, from its headers alone: a
 * form POST with a small declared body. Anything else is refused before its body is read.
 */
export function mayBeUnsignedSts(req: IncomingMessage): boolean {
  const length = Number(req.headers['content-length']);
  const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
  return req.method === 'POST' && form && Number.isInteger(length) && length > 0 && length <= maxUnsignedStsBodyBytes;
}

/** True for the one STS call made without a signature. */
export function isUnsignedStsRequest(params: QueryReader): boolean {
  return params.string('Action') === 'AssumeRoleWithWebIdentity' && params.string('Version') === stsApiVersion;
}

/** Runs an STS action and returns the whole `<{Action}Response>` document. */
export async function runStsAction(o: { control: ControlPlane; params: QueryReader; principal: string | null; session?: CallerSession | null; requestId: string; logger: Logger }): Promise<{ action: string; xml: string }> {
  const name = o.params.string('Action');
  if (name === undefined || name === '') throw new AppError('MissingAction', 'The request must contain the parameter Action');
  const action = stsActions.get(name);
  if (!action) throw new AppError('InvalidAction', `Could not find operation ${name.slice(0, 100)} for version ${(o.params.string('Version') || 'NO_VERSION_SPECIFIED').slice(0, 40)}`);
  const version = o.params.string('Version');
  if (version !== stsApiVersion) throw new AppError('InvalidAction', `Could not find operation ${name} for version ${(version || 'NO_VERSION_SPECIFIED').slice(0, 40)}`);
  const result = await action({ iam: o.control.iam, params: o.params, principal: o.principal, session: o.session ?? undefined, logger: o.logger });
  const w = new XmlWriter();
  w.open(`${name}Response`, { xmlns: stsXmlNamespace });
  w.open(`${name}Result`);
  result(w);
  w.close();
  w.element('ResponseMetadata', (m) => m.leaf('RequestId', o.requestId));
  w.close();
  return { action: name, xml: w.toString() };
}

/**
 * Who may sign one STS request: the root key, IAM users' keys, and temporary credentials with their
 * session token (an expired session is ExpiredToken, as STS). `sessionToken` is the request's
 * X-Amz-Security-Token header: a temporary key is opened with it at lookup, which the server does
 * before reading the body, so a made-up `ASIA...` key id costs the headers only. `session()` is
 * the session lookup opened (null for long-term keys).
 */
export function stsCredentials(iam: IamControl, sessionToken: string | undefined): CredentialStore & { session(): ApiSession | null } {
  let opened: ApiSession | null = null;
  return {
    async lookup(accessKeyId) {
      if (!accessKeyId.startsWith('ASIA')) return iam.lookupCallerKey(accessKeyId);
      if (sessionToken === undefined || sessionToken === '') {
        throw new AppError('InvalidClientTokenId', 'The security token included in the request is invalid: temporary credentials need their session token (X-Amz-Security-Token).');
      }
      const s = iam.openApiSession(accessKeyId, sessionToken);
      if (s === 'session_expired') throw new AppError('ExpiredToken', 'The security token included in the request is expired');
      if (s === 'unknown_session') return null;
      opened = s;
      return { secretAccessKey: s.secretAccessKey, active: true, principal: s.principal, requiresSessionToken: true };
    },
    async verifySessionToken(accessKeyId, token) {
      // The token was opened at lookup; the signature check (sigv4.ts) asks again for the same one.
      if (opened === null || token !== sessionToken || !accessKeyId.startsWith('ASIA')) return false;
      return { principal: opened.principal, secretAccessKey: opened.secretAccessKey };
    },
    session: () => opened,
  };
}
