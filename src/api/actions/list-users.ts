import { iamDirectory, writeUserMembers } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** ListUsers (tlsql's own, as IAM's): every IAM user, sorted by name. */
export const listUsersAction = defineAction('ListUsers', async ({ control, principal }) => {
  const users = iamDirectory(control, principal, 'ListUsers').listUsers();
  return (w) => {
    w.list('Users', 'member', users, writeUserMembers);
    w.leaf('IsTruncated', false);
  };
});
