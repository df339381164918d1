/**
 * Access keys: the API's root key and IAM users' keys (which sign IAM database authentication
 * tokens only). Secrets are stored sealed under the master key and shown once, at creation.
 */

/** An access key as stored, secret sealed. `principal` is `root` or an IAM user's ARN. */
export interface AccessKeyRecord {
  accessKeyId: string;
  secretSealed: Buffer;
  principal: string;
  active: boolean;
  createdAt: Date;
}

/** An access key as listed from the store (never with its secret). */
export interface IamAccessKeyRecord {
  accessKeyId: string;
  principal: string;
  active: boolean;
  createdAt: Date;
}

/** A new access key, the only time its secret is available (CreateAccessKey). */
export interface NewAccessKey {
  userName: string;
  accessKeyId: string;
  secretAccessKey: string;
  status: 'Active';
  createDate: Date;
}

/** An access key as described to callers (ListAccessKeys): never the secret. */
export interface AccessKeyMetadata {
  userName: string;
  accessKeyId: string;
  status: 'Active' | 'Inactive';
  createDate: Date;
}
