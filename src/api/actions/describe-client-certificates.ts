import { writeIssuedClientCertificateMembers } from '../connection-security-shapes.js';
import { paginate, readPageRequest } from '../paging.js';
import { defineAction } from './action.js';

/**
 * DescribeClientCertificates (tlsql's own action): SerialNumber (optional), MaxRecords (20..100),
 * Marker. The client certificates tlsql issued in the region, by serial, with their revocation;
 * never a private key (tlsql does not keep them).
 */
export const describeClientCertificatesAction = defineAction('DescribeClientCertificates', async ({ control, params }) => {
  const page = readPageRequest(params);
  const all = await control.connectionSecurity.describeClientCertificates({ serialNumber: params.string('SerialNumber') });
  const { items, marker } = paginate(all, (c) => c.serialHex.padStart(40, '0'), page);
  return (w) => {
    w.leaf('Marker', marker);
    w.list('ClientCertificates', 'ClientCertificate', items, writeIssuedClientCertificateMembers);
  };
});
