import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** ListUserPolicies (tlsql's own, as IAM's): UserName. Names of the user's inline policies. */
export const listUserPoliciesAction = defineAction('ListUserPolicies', async ({ control, params, principal }) => {
  const names = iamDirectory(control, principal, 'ListUserPolicies').listUserPolicies(params.requiredString('UserName'));
  return (w) => {
    w.scalarList('PolicyNames', 'member', names);
    w.leaf('IsTruncated', false);
  };
});
