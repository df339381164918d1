import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** DeleteAccessKey (tlsql's own, as IAM's): UserName, AccessKeyId. */
export const deleteAccessKeyAction = defineAction('DeleteAccessKey', async ({ control, params, principal, logger }) => {
  const userName = params.requiredString('UserName');
  const accessKeyId = params.requiredString('AccessKeyId');
  iamDirectory(control, principal, 'DeleteAccessKey').deleteAccessKey(userName, accessKeyId);
  logger.info('access key deleted', { userName, accessKeyId });
  return null;
});
