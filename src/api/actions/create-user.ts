import { iamDirectory, writeUser } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** CreateUser (tlsql's own, as IAM's): UserName. An identity that can own access keys and policies. */
export const createUserAction = defineAction('CreateUser', async ({ control, params, principal }) => {
  const u = iamDirectory(control, principal, 'CreateUser').createUser(params.requiredString('UserName'));
  return (w) => writeUser(w, u);
});
