/**
 * The IAM contract: what the API (tlsql's own IAM actions, root key only) needs of IAM users,
 * their access keys and inline policies. Implemented by iam-directory.ts. Names are IAM's:
 * user names match case-insensitively, missing entities raise NoSuchEntity, limits LimitExceeded.
 */
import type { AccessKeyMetadata, NewAccessKey } from '../model/access-key.js';
import type { IamUserRecord } from '../model/iam-user.js';

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
}
