import { iamDirectory, writeAccessKeyMetadata } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** ListAccessKeys (tlsql's own, as IAM's): UserName. Ids and status, never secrets. */
export const listAccessKeysAction = defineAction('ListAccessKeys', async ({ control, params, principal }) => {
  const keys = iamDirectory(control, principal, 'ListAccessKeys').listAccessKeys(params.requiredString('UserName'));
  return (w) => {
    writeAccessKeyMetadata(w, keys);
    w.leaf('IsTruncated', false);
  };
});
