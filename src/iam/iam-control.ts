/**
 * The IAM contract: what the API (tlsql's own IAM actions, root key only; STS) needs of IAM users,
 * their access keys and inline policies, roles, OIDC providers and temporary credentials. Implemented by iam-directory.ts. Names are IAM's:
 * user names match case-insensitively, missing entities raise NoSuchEntity, limits LimitExceeded.
 */
import type { AccessKeyMetadata, NewAccessKey } from '../model/access-key.js';
import type { IamRoleRecord, OidcProviderRecord, TemporaryCredentials } from '../model/iam-role.js';
import type { IamUserRecord } from '../model/iam-user.js';

/** AssumeRole's parameters. */
export interface AssumeRoleRequest {
  roleArn: string;
  roleSessionName: string;
  /** 900..the role's MaxSessionDuration; default 3600. */
  durationSeconds?: number;
  /** A session policy (JSON) that narrows the role's permissions. */
  policy?: string;
}

export interface WebIdentityRequest extends AssumeRoleRequest {
  /** The OIDC provider's JWT. */
  webIdentityToken: string;
}

export interface AssumeRoleResult {
  credentials: TemporaryCredentials;
  assumedRoleUser: { arn: string; assumedRoleId: string };
  /** Percentage of the session policy limit used, when a session policy was given. */
  packedPolicySize: number | undefined;
}

export interface WebIdentityResult extends AssumeRoleResult {
  subjectFromWebIdentityToken: string;
  audience: string;
  provider: string;
}

/** A caller signing with temporary credentials: what its session adds to its principal. */
export interface CallerSession {
  /** The session policy (JSON) given when the session was issued. */
  sessionPolicy?: string;
}

/** A temporary access key opened with its session token (its role, if any, still exists). */
export interface ApiSession extends CallerSession {
  secretAccessKey: string;
  principal: string;
}

/** GetCallerIdentity's answer. */
export interface CallerIdentity {
  userId: string;
  account: string;
  arn: string;
}

/** IAM users, access keys and inline policies. Every method validates its input and throws AppError with IAM codes. */
export interface IamControl {
  createUser(userName: string): IamUserRecord;
  getUser(userName: string): IamUserRecord;
  listUsers(): IamUserRecord[];
  /** Refused (DeleteConflict) while the user still has access keys or policies, as IAM. */
  deleteUser(userName: string): void;

  /** A new key for the user; its secret is in this answer only. At most 2 keys per user (LimitExceeded). */
  createAccessKey(userName: string): NewAccessKey;
  listAccessKeys(userName: string): AccessKeyMetadata[];
  updateAccessKey(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): void;
  deleteAccessKey(userName: string, accessKeyId: string): void;

  /** Stores (or replaces) an inline policy after validating the document (MalformedPolicyDocument). */
  putUserPolicy(userName: string, policyName: string, document: string): void;
  getUserPolicy(userName: string, policyName: string): { userName: string; policyName: string; document: string };
  listUserPolicies(userName: string): string[];
  deleteUserPolicy(userName: string, policyName: string): void;

  /** Roles: a trust policy says who may assume them (MalformedPolicyDocument when it cannot be evaluated). */
  createRole(roleName: string, assumeRolePolicyDocument: string, opts?: { maxSessionDuration?: number; description?: string }): IamRoleRecord;
  getRole(roleName: string): IamRoleRecord;
  listRoles(): IamRoleRecord[];
  /** Refused (DeleteConflict) while the role has inline policies, as IAM. */
  deleteRole(roleName: string): void;
  updateAssumeRolePolicy(roleName: string, document: string): void;
  putRolePolicy(roleName: string, policyName: string, document: string): void;
  getRolePolicy(roleName: string, policyName: string): { roleName: string; policyName: string; document: string };
  listRolePolicies(roleName: string): string[];
  deleteRolePolicy(roleName: string, policyName: string): void;

  /** OpenID Connect providers for AssumeRoleWithWebIdentity; the JWKS is given, tlsql does not fetch it. */
  createOpenIdConnectProvider(url: string, clientIds: string[], jwks: string): OidcProviderRecord;
  getOpenIdConnectProvider(arn: string): OidcProviderRecord;
  listOpenIdConnectProviders(): OidcProviderRecord[];
  deleteOpenIdConnectProvider(arn: string): void;

  /** STS, for the caller `principal` (the root key, an IAM user's ARN, or an assumed-role session's ARN). */
  callerIdentity(principal: string): CallerIdentity;
  /** `session`: given when the caller signed with temporary credentials (its session policy narrows what it may assume). */
  assumeRole(principal: string, req: AssumeRoleRequest, session?: CallerSession): AssumeRoleResult;
  assumeRoleWithWebIdentity(req: WebIdentityRequest): Promise<WebIdentityResult>;
  /** Refused (AccessDenied) when `session` is given: temporary credentials cannot renew themselves. Default 43200 s, root 3600 s. */
  getSessionToken(principal: string, durationSeconds: number | undefined, session?: CallerSession): TemporaryCredentials;
  /** The key signing an STS request: the root key or an IAM user's key, or null. */
  lookupCallerKey(accessKeyId: string): { secretAccessKey: string; active: boolean; principal: string } | null;
  /** A temporary access key with its session token: its secret and principal, or why not. */
  openApiSession(accessKeyId: string, sessionToken: string): ApiSession | 'unknown_session' | 'session_expired';
}
