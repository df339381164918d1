import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** DeleteUser (tlsql's own, as IAM's): UserName. DeleteConflict while it has access keys or policies. */
export const deleteUserAction = defineAction('DeleteUser', async ({ control, params, principal }) => {
  iamDirectory(control, principal, 'DeleteUser').deleteUser(params.requiredString('UserName'));
  return null;
});
