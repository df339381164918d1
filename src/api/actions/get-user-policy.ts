import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** GetUserPolicy (tlsql's own, as IAM's): UserName, PolicyName. PolicyDocument URL-encoded, as IAM returns it. */
export const getUserPolicyAction = defineAction('GetUserPolicy', async ({ control, params, principal }) => {
  const p = iamDirectory(control, principal, 'GetUserPolicy').getUserPolicy(params.requiredString('UserName'), params.requiredString('PolicyName'));
  return (w) => w.leaf('UserName', p.userName).leaf('PolicyName', p.policyName).leaf('PolicyDocument', encodeURIComponent(p.document));
});
