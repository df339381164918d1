import { iamDirectory, writeUser } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** GetUser (tlsql's own, as IAM's): UserName. */
export const getUserAction = defineAction('GetUser', async ({ control, params, principal }) => {
  const u = iamDirectory(control, principal, 'GetUser').getUser(params.requiredString('UserName'));
  return (w) => writeUser(w, u);
});
