import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/**
 * PutUserPolicy (tlsql's own, as IAM's): UserName, PolicyName, PolicyDocument (JSON). tlsql
 * evaluates Effect/Action/Resource for `rds-db:connect`; other elements are refused
 * (MalformedPolicyDocument) rather than ignored.
 */
export const putUserPolicyAction = defineAction('PutUserPolicy', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'PutUserPolicy').putUserPolicy(params.requiredString('UserName'), params.requiredString('PolicyName'), params.requiredString('PolicyDocument'));
  return null;
});
