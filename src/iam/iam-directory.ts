/**
 * IAM users, their access keys and inline policies: the identities IAM database authentication
 * tokens are signed with. Secrets are generated here, shown once (in the CreateAccessKey answer)
 * and stored sealed under the master key, because SigV4 verification needs the secret itself (the
 * signing key is an HMAC chain over it), so a one-way hash cannot be used.
 */
import { randomBytes } from 'node:crypto';
import { generateCredentials } from '../config/credentials.js';
import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import { openSecret, sealSecret } from '../pki/key-store.js';
import type { AccessKeyMetadata, IamAccessKeyRecord, NewAccessKey } from '../model/access-key.js';
import type { IamUserRecord } from '../model/iam-user.js';
import { IamStore } from '../store/iam-store.js';
import type { Store } from '../store/store.js';
import type { TokenSigningKey } from './db-auth-token.js';
import type { IamControl } from './iam-control.js';
import { evaluatePolicies, parsePolicyDocument, type ParsedPolicy, type PolicyDecision } from './policy.js';

/** The principal of the data dir owner's API key (created by `tlsql init`). */
export const ROOT_PRINCIPAL = 'root';
/** IAM's limit of access keys per user. */
export const MAX_ACCESS_KEYS_PER_USER = 2;

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const USER_NAME = /^[\w+=,.@-]{1,64}$/;
const POLICY_NAME = /^[\w+=,.@-]{1,128}$/;

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

  constructor(private readonly d: IamDirectoryDeps) {
    this.repo = new IamStore(d.store);
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
    const policies = this.repo.policiesOfPrincipal(principal).map((doc) => this.parse(doc));
    return evaluatePolicies(policies, action, resource);
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
