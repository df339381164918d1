import { iamDirectory, writeNewAccessKey } from '../iam-shapes.js';
import { defineAction } from './action.js';

/**
 * CreateAccessKey (tlsql's own, as IAM's): UserName. The answer is the only place the secret is
 * ever shown; tlsql keeps it sealed under the master key to verify signatures.
 */
export const createAccessKeyAction = defineAction('CreateAccessKey', async ({ control, params, principal, logger }) => {
  const k = iamDirectory(control, principal, 'CreateAccessKey').createAccessKey(params.requiredString('UserName'));
  logger.info('access key created', { userName: k.userName, accessKeyId: k.accessKeyId });
  return (w) => writeNewAccessKey(w, k);
});
