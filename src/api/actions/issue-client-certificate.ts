import { writeClientCertificate } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * IssueClientCertificate (tlsql's own action): Subject (OpenSSL one-line form, e.g.
 * `/C=US/O=acme/CN=app`), ValidityHours (default 720), KeyType (`rsa2048` default, `ecdsa-p256`).
 * Issued by the region's client CA with EKU clientAuth. The private key is in this response only.
 */
export const issueClientCertificateAction = defineAction('IssueClientCertificate', async ({ control, params }) => {
  const c = await control.connectionSecurity.issueClientCertificate({
    subject: params.requiredString('Subject'),
    validityHours: params.integer('ValidityHours'),
    keyType: params.oneOf('KeyType', ['rsa2048', 'ecdsa-p256'] as const),
  });
  return (w) => writeClientCertificate(w, c);
});
