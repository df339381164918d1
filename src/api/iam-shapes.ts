/**
 * Wire shapes of tlsql's own IAM actions. Names and members follow the IAM API (`User`,
 * `AccessKey`, `AccessKeyMetadata`, `member` lists), so the answers read like `aws iam`'s; they
 * are served on the RDS endpoint (awsQuery, Version 2014-10-31, SigV4 service `rds`) by the
 * root key only.
 */
import type { ControlPlane } from '../control/control-plane.js';
import { AppError } from '../errors/app-error.js';
import type { IamControl } from '../iam/iam-control.js';
import { ROOT_PRINCIPAL } from '../iam/iam-directory.js';
import type { AccessKeyMetadata, NewAccessKey } from '../model/access-key.js';
import type { IamRoleRecord } from '../model/iam-role.js';
import type { IamUserRecord } from '../model/iam-user.js';
import type { XmlWriter } from './xml.js';

/** The control plane's IAM directory, for the root key only. */
export function iamDirectory(control: ControlPlane, principal: string, action: string): IamControl {
  if (principal !== ROOT_PRINCIPAL) throw new AppError('InvalidClientTokenId', `${action} needs the root access key of the data dir (tlsql credentials).`);
  return control.iam;
}

export function writeUserMembers(w: XmlWriter, u: IamUserRecord): void {
  w.leaf('Path', '/').leaf('UserName', u.userName).leaf('UserId', u.userId).leaf('Arn', u.arn).leaf('CreateDate', u.createdAt);
}

export function writeUser(w: XmlWriter, u: IamUserRecord): void {
  w.element('User', (x) => writeUserMembers(x, u));
}

/** The one answer that carries a secret access key. */
export function writeNewAccessKey(w: XmlWriter, k: NewAccessKey): void {
  w.element('AccessKey', (x) =>
    x.leaf('UserName', k.userName).leaf('AccessKeyId', k.accessKeyId).leaf('Status', k.status).leaf('SecretAccessKey', k.secretAccessKey).leaf('CreateDate', k.createDate),
  );
}

export function writeAccessKeyMetadata(w: XmlWriter, keys: AccessKeyMetadata[]): void {
  w.list('AccessKeyMetadata', 'member', keys, (x, k) => x.leaf('UserName', k.userName).leaf('AccessKeyId', k.accessKeyId).leaf('Status', k.status).leaf('CreateDate', k.createDate));
}

/** IAM's Role shape; the trust policy URL-encoded, as IAM returns it. */
export function writeRoleMembers(w: XmlWriter, r: IamRoleRecord): void {
  w.leaf('Path', '/').leaf('RoleName', r.roleName).leaf('RoleId', r.roleId).leaf('Arn', r.arn).leaf('CreateDate', r.createdAt);
  w.leaf('AssumeRolePolicyDocument', encodeURIComponent(r.assumeRolePolicyDocument));
  if (r.description !== null) w.leaf('Description', r.description);
  w.leaf('MaxSessionDuration', r.maxSessionDuration);
}

export function writeRole(w: XmlWriter, r: IamRoleRecord): void {
  w.element('Role', (x) => writeRoleMembers(x, r));
}
