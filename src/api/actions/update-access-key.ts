import { iamDirectory } from '../iam-shapes.js';
import { defineAction } from './action.js';

/** UpdateAccessKey (tlsql's own, as IAM's): UserName, AccessKeyId, Status Active|Inactive. Applies to the next login. */
export const updateAccessKeyAction = defineAction('UpdateAccessKey', async ({ control, params, principal, logger }) => {
  const userName = params.requiredString('UserName');
  const accessKeyId = params.requiredString('AccessKeyId');
  const status = params.requiredOneOf('Status', ['Active', 'Inactive'] as const);
  iamDirectory(control, principal, 'UpdateAccessKey').updateAccessKey(userName, accessKeyId, status);
  logger.info('access key status changed', { userName, accessKeyId, status });
  return null;
});
