import { writeClientCaMembers } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * ImportClientCertificateAuthority (tlsql's own action): DBInstanceIdentifier, CertificatePem (one
 * CA certificate). The instance then trusts client certificates issued directly by that CA; the
 * engine sees them through a shadow CA with the same subject, so REQUIRE ISSUER names the real CA.
 */
export const importClientCertificateAuthorityAction = defineAction('ImportClientCertificateAuthority', async ({ control, params }) => {
  const ca = await control.connectionSecurity.importClientCertificateAuthority({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    certificatePem: params.requiredString('CertificatePem'),
  });
  return (w) => w.element('ClientCertificateAuthority', (x) => writeClientCaMembers(x, ca));
});
