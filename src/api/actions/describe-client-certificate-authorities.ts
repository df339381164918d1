import { writeClientCaMembers } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/** DescribeClientCertificateAuthorities (tlsql's own action): DBInstanceIdentifier. The region's tlsql client CA first, then imported CAs. */
export const describeClientCertificateAuthoritiesAction = defineAction('DescribeClientCertificateAuthorities', async ({ control, params }) => {
  const list = await control.connectionSecurity.describeClientCertificateAuthorities({
    dbInstanceIdentifier: params.requiredString('DBInstanceIdentifier'),
  });
  return (w) => w.list('ClientCertificateAuthorities', 'ClientCertificateAuthority', list, writeClientCaMembers);
});
