import { writeClientCaMembers } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/** RemoveClientCertificateAuthority (tlsql's own action): DBInstanceIdentifier, Thumbprint (SHA-256 hex). */
export const removeClientCertificateAuthorityAction = defineAction('RemoveClientCertificateAuthority', async ({ control, params }) => {
  const ca = await control.connectionSecurity.removeClientCertificateAuthority({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
    thumbprint: params.requiredString('Thumbprint'),
  });
  return (w) => w.element('ClientCertificateAuthority', (x) => writeClientCaMembers(x, ca));
});
