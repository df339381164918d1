/**
 * IAM users, their access keys and inline policies: the identities IAM database authentication
 * tokens are signed with. Secrets are generated here, shown once (in the CreateAccessKey answer)
 * and stored sealed under the master key, because SigV4 verification needs the secret itself (the
 * signing key is an HMAC chain over it), so a one-way hash cannot be used.
 */
import { randomBytes } from 'node:crypto';
import { createLocalJWKSet, decodeJwt, errors as joseErrors, jwtVerify, type JSONWebKeySet } from 'jose';
import { generateCredentials } from '../config/credentials.js';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import type { AccessKeyMetadata, IamAccessKeyRecord, NewAccessKey } from '../model/access-key.js';
import type { IamUserRecord } from '../model/iam-user.js';
import type { IamRoleRecord, OidcProviderRecord, TemporaryCredentials } from '../model/iam-role.js';
import { IamStore } from '../store/iam-store.js';
import type { Store } from '../store/store.js';
import { TokenRefusedError, type TokenSigningKey } from './db-auth-token.js';
import type { ApiSession, AssumeRoleRequest, AssumeRoleResult, CallerIdentity, CallerSession, IamControl, WebIdentityRequest, WebIdentityResult } from './iam-control.js';
import { evaluatePolicies, parsePolicyDocument, type ParsedPolicy, type PolicyDecision } from './policy.js';
import { SessionTokens, type StsSession } from './sts-sessions.js';
import { evaluateTrust, parseTrustPolicy, type ParsedTrustPolicy } from './trust-policy.js';

/** The principal of the data dir owner's API key (created by `tlsql init`). */
export const ROOT_PRINCIPAL = 'root';
/** IAM's limit of access keys per user. */
export const MAX_ACCESS_KEYS_PER_USER = 2;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;
const ROLE_NAME = /^[\w+=,.@-]{1,64}$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
/** IAM's bounds of a role's MaxSessionDuration and STS's of DurationSeconds, in seconds. */
export const MIN_SESSION_SECONDS = 900;
export const MAX_ROLE_SESSION_SECONDS = 43_200;
/** A session that assumes another role (role chaining) lasts at most an hour, as STS. */
export const ROLE_CHAINING_MAX_SECONDS = 3600;
/** Leeway for a JWT's exp/nbf against our clock. */
export const WEB_IDENTITY_LEEWAY_SECONDS = 60;
/** STS's limit of a session policy, in characters. */
export const MAX_SESSION_POLICY_CHARS = 2048;

export interface IamDirectoryDeps {
  store: Store;
  masterKey: Buffer;
  accountId: string;
  clock: Clock;
}

/**
 * IAM users, access keys and policies over the metadata store (IamControl for the API), and the
 * identity the front doors verify IAM database authentication tokens with (lookupSigningKey, authorize).
 */
export class IamDirectory implements IamControl {
  private readonly repo: IamStore;
  /** Parsed policies by document text; documents are immutable strings, so this never goes stale. */
  private readonly parsed = new Map<string, ParsedPolicy>();
  private readonly parsedTrust = new Map<string, ParsedTrustPolicy>();
  private readonly sessions: SessionTokens;
  /**
   * Roles as the login path needs them (id and parsed permission policies), by lower-cased name;
   * null for a role that does not exist. This process is the only writer of roles (the CLI goes
   * through the API), and every write below clears it, so a session's login needs no store access.
   */
  private readonly roleCache = new Map<string, { roleId: string; policies: ParsedPolicy[] } | null>();

  constructor(private readonly d: IamDirectoryDeps) {
    this.repo = new IamStore(d.store);
    this.sessions = new SessionTokens(d.masterKey);
  }

  get accountId(): string {
    return this.d.accountId;
  }

  userArn(userName: string): string {
    return `arn:aws:iam::${this.d.accountId}:user/${userName}`;
  }

  // --- users -----------------------------------------------------------------------------

  createUser(userName: string): IamUserRecord {
    checkName(userName, USER_NAME, 'UserName', 64);
    const user: IamUserRecord = { userName, userId: `AIDA${randomBase32(17)}`, arn: this.userArn(userName), createdAt: this.d.clock.now() };
    if (!this.repo.insertUser(user)) throw new AppError('EntityAlreadyExists', `User with name ${userName} already exists.`);
    return user;
  }

  getUser(userName: string): IamUserRecord {
    const u = this.repo.getUser(userName);
    if (!u) throw new AppError('NoSuchEntity', `The user with name ${userName} cannot be found.`);
    return u;
  }

  listUsers(): IamUserRecord[] {
    return this.repo.listUsers();
  }

  /** As IAM: refused while the user still has access keys or policies. */
  deleteUser(userName: string): void {
    const u = this.getUser(userName);
    const keys = this.repo.listAccessKeys(u.arn).length;
    const policies = this.repo.listPolicies(u.userName).length;
    if (keys || policies) {
      throw new AppError('DeleteConflict', `Cannot delete entity, must delete ${keys ? `${keys} access key(s)` : ''}${keys && policies ? ' and ' : ''}${policies ? `${policies} policy(ies)` : ''} first.`);
    }
    this.repo.deleteUser(u.userName);
  }

  // --- access keys -----------------------------------------------------------------------

  createAccessKey(userName: string): NewAccessKey {
    const u = this.getUser(userName);
    if (this.repo.listAccessKeys(u.arn).length >= MAX_ACCESS_KEYS_PER_USER) {
      throw new AppError('LimitExceeded', `Cannot exceed quota for AccessKeysPerUser: ${MAX_ACCESS_KEYS_PER_USER}.`);
    }
    const { accessKeyId, secretAccessKey } = generateCredentials();
    const createDate = this.d.clock.now();
    this.d.store.putAccessKey({ accessKeyId, secretSealed: sealSecret(this.d.masterKey, keyLabel(accessKeyId), secretAccessKey), principal: u.arn, active: true, createdAt: createDate });
    return { userName: u.userName, accessKeyId, secretAccessKey, status: 'Active', createDate };
  }

  listAccessKeys(userName: string): AccessKeyMetadata[] {
    const u = this.getUser(userName);
    return this.repo.listAccessKeys(u.arn).map((k) => this.metadata(u, k));
  }

  updateAccessKey(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): void {
    const u = this.getUser(userName);
    if (!this.repo.setAccessKeyActive(u.arn, accessKeyId, status === 'Active')) throw noSuchKey(accessKeyId, u.userName);
  }

  deleteAccessKey(userName: string, accessKeyId: string): void {
    const u = this.getUser(userName);
    if (!this.repo.deleteAccessKey(u.arn, accessKeyId)) throw noSuchKey(accessKeyId, u.userName);
  }

  private metadata(u: IamUserRecord, k: IamAccessKeyRecord): AccessKeyMetadata {
    return { userName: u.userName, accessKeyId: k.accessKeyId, status: k.active ? 'Active' : 'Inactive', createDate: k.createdAt };
  }

  /** Any access key (the root key or an IAM user's) with its secret, to recompute a token's signature. */
  lookupSigningKey(accessKeyId: string): TokenSigningKey | null {
    if (!/^[A-Z0-9]{16,128}$/.test(accessKeyId)) return null;
    const k = this.repo.getAccessKey(accessKeyId);
    if (!k) return null;
    return { secretAccessKey: openSecret(this.d.masterKey, keyLabel(k.accessKeyId), k.secretSealed).toString('utf8'), active: k.active, principal: k.principal };
  }

  // --- policies --------------------------------------------------------------------------

  putUserPolicy(userName: string, policyName: string, document: string): void {
    const u = this.getUser(userName);
    checkName(policyName, POLICY_NAME, 'PolicyName', 128);
    parsePolicyDocument(document);
    this.repo.putPolicy(u.userName, policyName, document, this.d.clock.now());
  }

  getUserPolicy(userName: string, policyName: string): { userName: string; policyName: string; document: string } {
    const u = this.getUser(userName);
    const document = this.repo.getPolicy(u.userName, policyName);
    if (document === null) throw new AppError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`);
    return { userName: u.userName, policyName, document };
  }

  listUserPolicies(userName: string): string[] {
    const u = this.getUser(userName);
    return this.repo.listPolicies(u.userName).map((p) => p.policyName);
  }

  deleteUserPolicy(userName: string, policyName: string): void {
    const u = this.getUser(userName);
    if (!this.repo.deletePolicy(u.userName, policyName)) throw new AppError('NoSuchEntity', `The user policy with name ${policyName} cannot be found.`);
  }

  /**
   * Whether `principal` may perform `action` on `resource`. The root key, like an AWS account's
   * root user, may do everything; IAM users need an Allow and no Deny in their inline policies.
   */
  authorize(principal: string, action: string, resource: string): PolicyDecision {
    if (principal === ROOT_PRINCIPAL) return 'allow';
    const role = assumedRoleName(principal);
    if (role !== null) return evaluatePolicies(this.cachedRole(role)?.policies ?? [], action, resource);
    return evaluatePolicies(this.repo.policiesOfPrincipal(principal).map((doc) => this.parse(doc)), action, resource);
  }

  // --- roles -----------------------------------------------------------------------------

  roleArn(roleName: string): string {
    return `arn:aws:iam::${this.d.accountId}:role/${roleName}`;
  }

  createRole(roleName: string, assumeRolePolicyDocument: string, opts: { maxSessionDuration?: number; description?: string } = {}): IamRoleRecord {
    checkName(roleName, ROLE_NAME, 'RoleName', 64);
    this.trust(assumeRolePolicyDocument);
    const max = opts.maxSessionDuration ?? 3600;
    if (!Number.isInteger(max) || max < 3600 || max > MAX_ROLE_SESSION_SECONDS) {
      throw new AppError('ValidationError', `1 validation error detected: Value '${max}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value between 3600 and ${MAX_ROLE_SESSION_SECONDS}`);
    }
    if (opts.description !== undefined && opts.description.length > 1000) throw new AppError('ValidationError', "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000");
    const role: IamRoleRecord = {
      roleName,
      roleId: `AROA${randomBase32(17)}`,
      arn: this.roleArn(roleName),
      assumeRolePolicyDocument,
      maxSessionDuration: max,
      description: opts.description ?? null,
      createdAt: this.d.clock.now(),
    };
    if (!this.repo.insertRole(role)) throw new AppError('EntityAlreadyExists', `Role with name ${roleName} already exists.`);
    this.roleCache.clear();
    return role;
  }

  getRole(roleName: string): IamRoleRecord {
    const r = this.repo.getRole(roleName);
    if (!r) throw new AppError('NoSuchEntity', `The role with name ${roleName} cannot be found.`);
    return r;
  }

  listRoles(): IamRoleRecord[] {
    return this.repo.listRoles();
  }

  /** As IAM: refused while the role still has inline policies. Its sessions stop working at their next login. */
  deleteRole(roleName: string): void {
    const r = this.getRole(roleName);
    const policies = this.repo.listRolePolicies(r.roleName).length;
    if (policies) throw new AppError('DeleteConflict', `Cannot delete entity, must delete ${policies} policy(ies) first.`);
    this.repo.deleteRole(r.roleName);
    this.roleCache.clear();
  }

  updateAssumeRolePolicy(roleName: string, document: string): void {
    const r = this.getRole(roleName);
    this.trust(document);
    this.repo.setTrustPolicy(r.roleName, document);
  }

  putRolePolicy(roleName: string, policyName: string, document: string): void {
    const r = this.getRole(roleName);
    checkName(policyName, POLICY_NAME, 'PolicyName', 128);
    parsePolicyDocument(document);
    this.repo.putRolePolicy(r.roleName, policyName, document, this.d.clock.now());
    this.roleCache.clear();
  }

  getRolePolicy(roleName: string, policyName: string): { roleName: string; policyName: string; document: string } {
    const r = this.getRole(roleName);
    const document = this.repo.getRolePolicy(r.roleName, policyName);
    if (document === null) throw new AppError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`);
    return { roleName: r.roleName, policyName, document };
  }

  listRolePolicies(roleName: string): string[] {
    const r = this.getRole(roleName);
    return this.repo.listRolePolicies(r.roleName).map((p) => p.policyName);
  }

  deleteRolePolicy(roleName: string, policyName: string): void {
    const r = this.getRole(roleName);
    if (!this.repo.deleteRolePolicy(r.roleName, policyName)) throw new AppError('NoSuchEntity', `The role policy with name ${policyName} cannot be found.`);
    this.roleCache.clear();
  }

  // --- OpenID Connect providers ---------------------------------------------------------------

  createOpenIdConnectProvider(url: string, clientIds: string[], jwks: string): OidcProviderRecord {
    const m = /^https:\/\/([A-Za-z0-9.-]+(?::\d{1,5})?(?:\/[\w.~%!$&'()*+,;=:@/-]*)?)$/.exec(url);
    if (!m || url.length > 255) throw new AppError('ValidationError', `The parameter Url is not valid: an https:// URL of at most 255 characters (the issuer of the tokens), got ${url.slice(0, 100)}.`);
    const issuer = m[1]!.replace(/\/+$/, '');
    if (clientIds.length > 100 || clientIds.some((c) => c.length < 1 || c.length > 255)) throw new AppError('ValidationError', 'ClientIDList holds at most 100 client ids of 1 to 255 characters.');
    parseJwks(jwks);
    const p: OidcProviderRecord = { arn: `arn:aws:iam::${this.d.accountId}:oidc-provider/${issuer}`, url: `https://${issuer}`, clientIds: [...new Set(clientIds)], jwks, createdAt: this.d.clock.now() };
    if (!this.repo.insertOidcProvider(p)) throw new AppError('EntityAlreadyExists', `Provider with url ${p.url} already exists.`);
    return p;
  }

  getOpenIdConnectProvider(arn: string): OidcProviderRecord {
    const p = this.repo.getOidcProvider(arn);
    if (!p) throw new AppError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn.slice(0, 300)}`);
    return p;
  }

  listOpenIdConnectProviders(): OidcProviderRecord[] {
    return this.repo.listOidcProviders();
  }

  deleteOpenIdConnectProvider(arn: string): void {
    if (!this.repo.deleteOidcProvider(arn)) throw new AppError('NoSuchEntity', `OpenIDConnect Provider not found for arn ${arn.slice(0, 300)}`);
  }

  // --- STS -------------------------------------------------------------------------------

  /** The identity a caller acts as (GetCallerIdentity). */
  callerIdentity(principal: string): CallerIdentity {
    const account = this.d.accountId;
    if (principal === ROOT_PRINCIPAL) return { userId: account, account, arn: `arn:aws:iam::${account}:root` };
    const roleName = assumedRoleName(principal);
    if (roleName !== null) {
      const role = this.repo.getRole(roleName);
      return { userId: `${role?.roleId ?? 'AROA'}:${principal.slice(principal.lastIndexOf('/') + 1)}`, account, arn: principal };
    }
    const user = this.repo.listUsers().find((u) => u.arn === principal);
    return { userId: user?.userId ?? principal, account, arn: principal };
  }

  /** AssumeRole for `caller` (the root key, an IAM user, or an assumed-role session). */
  assumeRole(caller: string, req: AssumeRoleRequest, session?: CallerSession): AssumeRoleResult {
    checkSessionName(req.roleSessionName);
    this.checkSessionPolicy(req.policy);
    const callerArns = caller === ROOT_PRINCIPAL ? [`arn:aws:iam::${this.d.accountId}:root`] : [caller];
    const chainedFrom = assumedRoleName(caller);
    if (chainedFrom !== null) callerArns.push(this.roleArn(chainedFrom));
    const denied = () => new AppError('AccessDenied', `User: ${callerArns[0]} is not authorized to perform: sts:AssumeRole on resource: ${req.roleArn.slice(0, 300)}`);
    const role = this.roleOfArn(req.roleArn, denied);
    const duration = this.sessionDuration(req.durationSeconds, role, chainedFrom !== null);
    const trust = this.trust(role.assumeRolePolicyDocument);
    const verdict = evaluateTrust(trust, { action: 'sts:AssumeRole', accountId: this.d.accountId, awsPrincipals: callerArns, context: new Map() });
    if (verdict.decision !== 'allow') throw denied();
    // A trust policy naming only the account delegates to the caller's own permissions, as IAM.
    if (verdict.viaAccount && caller !== ROOT_PRINCIPAL && this.authorize(caller, 'sts:AssumeRole', role.arn) !== 'allow') throw denied();
    // The caller's session policy narrows whatever the role and the trust policy grant, unless the
    // trust policy names this very session's ARN (IAM's rule for session policies).
    if (session?.sessionPolicy !== undefined) {
      const bySessionArn = evaluateTrust(trust, { action: 'sts:AssumeRole', accountId: this.d.accountId, awsPrincipals: [caller], context: new Map() });
      const named = bySessionArn.decision === 'allow' && !bySessionArn.viaAccount;
      if (!named && evaluatePolicies([this.parse(session.sessionPolicy)], 'sts:AssumeRole', role.arn) !== 'allow') throw denied();
    }
    return this.issueRoleSession(role, req.roleSessionName, duration, req.policy);
  }

  /** AssumeRoleWithWebIdentity: an OIDC provider's JWT instead of a signed request. */
  async assumeRoleWithWebIdentity(req: WebIdentityRequest): Promise<WebIdentityResult> {
    checkSessionName(req.roleSessionName);
    this.checkSessionPolicy(req.policy);
    if (req.webIdentityToken.length < 4 || req.webIdentityToken.length > 20_000) throw new AppError('ValidationError', "1 validation error detected: Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000");
    let claims;
    try {
      claims = decodeJwt(req.webIdentityToken);
    } catch {
      throw new AppError('InvalidIdentityToken', "Couldn't parse web identity token: not a signed JWT.");
    }
    const iss = typeof claims.iss === 'string' ? claims.iss.replace(/\/+$/, '') : '';
    const provider = this.repo.listOidcProviders().find((p) => p.url === iss);
    if (!provider) throw new AppError('InvalidIdentityToken', `No OpenIDConnect provider found in your account for ${iss.slice(0, 300) || '(no iss claim)'}`);
    const now = this.d.clock.now();
    let payload;
    try {
      ({ payload } = await jwtVerify(req.webIdentityToken, createLocalJWKSet(parseJwks(provider.jwks)), {
        issuer: [provider.url, `${provider.url}/`],
        currentDate: now,
        clockTolerance: WEB_IDENTITY_LEEWAY_SECONDS,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) {
        throw new AppError('ExpiredTokenException', `Token expired: current date/time ${now.toISOString()} must be before the expiration date/time ${new Date(Number(claims.exp) * 1000).toISOString()}`);
      }
      if (e instanceof joseErrors.JWTClaimValidationFailed) throw new AppError('InvalidIdentityToken', `The web identity token is not valid: ${e.message} (claim ${e.claim}).`);
      if (e instanceof joseErrors.JOSEError) throw new AppError('InvalidIdentityToken', `The web identity token could not be verified with the provider's keys: ${e.message}`);
      throw e;
    }
    const auds = (Array.isArray(payload.aud) ? payload.aud : payload.aud === undefined ? [] : [payload.aud]).filter((a: unknown): a is string => typeof a === 'string');
    const audience = auds.find((a: string) => provider.clientIds.includes(a));
    if (audience === undefined) throw new AppError('InvalidIdentityToken', 'Incorrect token audience');
    const issuerKey = provider.url.slice('https://'.length);
    const sub = String(payload.sub);
    const denied = () => new AppError('AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
    const role = this.roleOfArn(req.roleArn, denied);
    const duration = this.sessionDuration(req.durationSeconds, role, false);
    const context = new Map<string, string[]>([
      [`${issuerKey}:sub`.toLowerCase(), [sub]],
      [`${issuerKey}:aud`.toLowerCase(), auds],
    ]);
    const verdict = evaluateTrust(this.trust(role.assumeRolePolicyDocument), { action: 'sts:AssumeRoleWithWebIdentity', accountId: this.d.accountId, awsPrincipals: [], federated: provider.arn, context });
    if (verdict.decision !== 'allow') throw denied();
    return { ...this.issueRoleSession(role, req.roleSessionName, duration, req.policy), subjectFromWebIdentityToken: sub, audience, provider: issuerKey };
  }

  /** GetSessionToken: temporary credentials with the caller's own permissions (not for sessions, as STS). */
  getSessionToken(caller: string, durationSeconds: number | undefined, session?: CallerSession): TemporaryCredentials {
    // Any temporary credentials, GetSessionToken's own included: a session must not renew itself.
    if (session !== undefined || assumedRoleName(caller) !== null) throw new AppError('AccessDenied', 'Cannot call GetSessionToken with session credentials');
    const root = caller === ROOT_PRINCIPAL;
    // STS's default is 12 hours, but at most 1 hour for the account's root user.
    const d = durationSeconds ?? (root ? 3600 : 43_200);
    const max = root ? 3600 : 129_600;
    if (!Number.isInteger(d) || d < MIN_SESSION_SECONDS || d > max) {
      throw new AppError('ValidationError', `1 validation error detected: Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value between ${MIN_SESSION_SECONDS} and ${max}`);
    }
    return this.issue({ kind: 'user', principal: caller }, d);
  }

  /** The API's view of a temporary access key: its secret and who it acts as, or an error code. */
  openApiSession(accessKeyId: string, sessionToken: string): ApiSession | 'unknown_session' | 'session_expired' {
    const s = this.sessions.open(accessKeyId, sessionToken, this.d.clock.now());
    if (typeof s === 'string') return s;
    // As at login (lookupSession): a deleted role's sessions, also of a re-created role of the same name, are over.
    if (s.kind === 'assumed-role' && this.cachedRole(s.roleName ?? '')?.roleId !== s.roleId) return 'unknown_session';
    return { secretAccessKey: this.sessions.secretFor(accessKeyId), principal: s.principal, ...(s.sessionPolicy !== undefined ? { sessionPolicy: s.sessionPolicy } : {}) };
  }

  /** A root or IAM user access key for signing STS requests. */
  lookupCallerKey(accessKeyId: string): { secretAccessKey: string; active: boolean; principal: string } | null {
    return this.lookupSigningKey(accessKeyId);
  }

  /**
   * The data plane's view of a temporary access key in a DB auth token: throws TokenRefusedError
   * (unknown_session, session_expired, role_deleted); no store access except the role's id.
   */
  lookupSession(accessKeyId: string, sessionToken: string): TokenSigningKey & { expiresAt: Date; sessionPolicy: ParsedPolicy | null } {
    const s = this.sessions.open(accessKeyId, sessionToken, this.d.clock.now());
    const keyId = accessKeyId.slice(0, 128);
    if (s === 'unknown_session') throw new TokenRefusedError('unknown_session', 'the session token was not issued by this tlsql (or is altered, or belongs to another access key)', keyId);
    if (s === 'session_expired') throw new TokenRefusedError('session_expired', 'the temporary credentials have expired', keyId);
    if (s.kind === 'assumed-role' && this.cachedRole(s.roleName ?? '')?.roleId !== s.roleId) {
      throw new TokenRefusedError('role_deleted', `role ${s.roleName ?? ''} of the session was deleted`, keyId);
    }
    return {
      secretAccessKey: this.sessions.secretFor(accessKeyId),
      active: true,
      principal: s.principal,
      expiresAt: new Date(s.expiresAt),
      sessionPolicy: s.sessionPolicy !== undefined ? this.parse(s.sessionPolicy) : null,
    };
  }

  private issueRoleSession(role: IamRoleRecord, sessionName: string, duration: number, policy: string | undefined): AssumeRoleResult {
    const arn = `arn:aws:sts::${this.d.accountId}:assumed-role/${role.roleName}/${sessionName}`;
    const credentials = this.issue({ kind: 'assumed-role', principal: arn, roleName: role.roleName, roleId: role.roleId, ...(policy !== undefined ? { sessionPolicy: policy } : {}) }, duration);
    return {
      credentials,
      assumedRoleUser: { arn, assumedRoleId: `${role.roleId}:${sessionName}` },
      packedPolicySize: policy !== undefined ? Math.ceil((policy.length * 100) / MAX_SESSION_POLICY_CHARS) : undefined,
    };
  }

  private issue(s: Omit<StsSession, 'accessKeyId' | 'issuedAt' | 'expiresAt'>, durationSeconds: number): TemporaryCredentials {
    const accessKeyId = SessionTokens.newAccessKeyId();
    const now = this.d.clock.now().getTime();
    // STS reports expiry to the second.
    const expiresAt = Math.floor(now / 1000) * 1000 + durationSeconds * 1000;
    const sessionToken = this.sessions.seal({ ...s, accessKeyId, issuedAt: now, expiresAt });
    return { accessKeyId, secretAccessKey: this.sessions.secretFor(accessKeyId), sessionToken, expiration: new Date(expiresAt) };
  }

  private roleOfArn(arn: string, denied: () => AppError): IamRoleRecord {
    if (arn.length < 20 || arn.length > 2048) throw new AppError('ValidationError', "1 validation error detected: Value at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048");
    const m = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/.exec(arn);
    if (!m) throw new AppError('ValidationError', `${arn.slice(0, 300)} is invalid: RoleArn must be arn:aws:iam::<account>:role/<name>`);
    const role = m[1] === this.d.accountId ? this.repo.getRole(m[2]!) : null;
    // Role names are case-insensitive in IAM, but a role ARN names the role as created.
    if (!role || role.arn !== arn) throw denied();
    return role;
  }

  private sessionDuration(requested: number | undefined, role: IamRoleRecord, chained: boolean): number {
    const d = requested ?? 3600;
    if (!Number.isInteger(d) || d < MIN_SESSION_SECONDS || d > MAX_ROLE_SESSION_SECONDS) {
      throw new AppError('ValidationError', `1 validation error detected: Value '${d}' at 'durationSeconds' failed to satisfy constraint: Member must have value between ${MIN_SESSION_SECONDS} and ${MAX_ROLE_SESSION_SECONDS}`);
    }
    if (chained && d > ROLE_CHAINING_MAX_SECONDS) throw new AppError('ValidationError', 'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.');
    if (d > role.maxSessionDuration) throw new AppError('ValidationError', 'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.');
    return d;
  }

  private checkSessionPolicy(policy: string | undefined): void {
    if (policy === undefined) return;
    if (policy.length > MAX_SESSION_POLICY_CHARS) throw new AppError('PackedPolicyTooLarge', `Packed policy consumes ${Math.ceil((policy.length * 100) / MAX_SESSION_POLICY_CHARS)}% of allotted space, please use smaller policy for this session.`);
    parsePolicyDocument(policy);
  }

  private cachedRole(roleName: string): { roleId: string; policies: ParsedPolicy[] } | null {
    const key = roleName.toLowerCase();
    let r = this.roleCache.get(key);
    if (r === undefined) {
      const role = this.repo.getRole(roleName);
      r = role ? { roleId: role.roleId, policies: this.repo.listRolePolicies(role.roleName).map((p) => this.parse(p.document)) } : null;
      if (this.roleCache.size >= 10_000) this.roleCache.clear();
      this.roleCache.set(key, r);
    }
    return r;
  }

  private trust(doc: string): ParsedTrustPolicy {
    let p = this.parsedTrust.get(doc);
    if (!p) {
      p = parseTrustPolicy(doc);
      if (this.parsedTrust.size > 1000) this.parsedTrust.clear();
      this.parsedTrust.set(doc, p);
    }
    return p;
  }

  private parse(doc: string): ParsedPolicy {
    let p = this.parsed.get(doc);
    if (!p) {
      p = parsePolicyDocument(doc);
      if (this.parsed.size > 1000) this.parsed.clear();
      this.parsed.set(doc, p);
    }
    return p;
  }
}

/** The role name of an assumed-role session ARN (`arn:aws:sts::<account>:assumed-role/<role>/<session>`), else null. */
export function assumedRoleName(principal: string): string | null {
  const m = /^arn:aws:sts::\d{12}:assumed-role\/([^/]+)\/[^/]+$/.exec(principal);
  return m ? m[1]! : null;
}

/** True for principals that are IAM users (their keys sign DB auth tokens only, never API requests). */
export function isIamUserPrincipal(principal: string): boolean {
  return principal.startsWith('arn:aws:iam::');
}

function keyLabel(accessKeyId: string): string {
  return `access-keys/${accessKeyId}`;
}

function noSuchKey(accessKeyId: string, userName: string): AppError {
  return new AppError('NoSuchEntity', `The Access Key with id ${accessKeyId.slice(0, 128)} cannot be found for user ${userName}.`);
}

function checkName(v: string, re: RegExp, param: string, max: number): void {
  if (!re.test(v)) {
    throw new AppError('InvalidParameterValue', `The parameter ${param} is not valid: 1 to ${max} letters, digits and +=,.@_- characters.`, { details: { param } });
  }
}

function randomBase32(n: number): string {
  return Array.from(randomBytes(n), (b) => BASE32[b & 31]).join('');
}

function checkSessionName(v: string): void {
  if (!SESSION_NAME.test(v)) {
    throw new AppError('ValidationError', `1 validation error detected: Value '${v.slice(0, 100)}' at 'roleSessionName' failed to satisfy constraint: Member must have length between 2 and 64 and match the pattern [\\w+=,.@-]*`);
  }
}

/** A JWKS document: `{"keys": [...]}` with at least one key; refused (ValidationError) otherwise. */
function parseJwks(text: string): JSONWebKeySet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new AppError('ValidationError', 'JwksDocument is not valid JSON.');
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0 || keys.some((k) => !k || typeof k !== 'object' || typeof (k as { kty?: unknown }).kty !== 'string')) {
    throw new AppError('ValidationError', 'JwksDocument must be a JWKS: {"keys": [{"kty": ..., ...}, ...]} with at least one key.');
  }
  for (const k of keys as Record<string, unknown>[]) {
    if ('d' in k || 'p' in k || 'k' in k) throw new AppError('ValidationError', 'JwksDocument must hold public keys only (a key has a private or symmetric member).');
  }
  return doc as JSONWebKeySet;
}
