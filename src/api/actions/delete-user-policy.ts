import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** DeleteUserPolicy (tlsql's own, as IAM's): UserName, PolicyName. Applies to the next login. */
export const deleteUserPolicyAction = defineAction('DeleteUserPolicy', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'DeleteUserPolicy').deleteUserPolicy(params.requiredString('UserName'), params.requiredString('PolicyName'));
  return null;
});
