import { writeConnections, writeIssuedClientCertificateMembers } from '../connection-security-shapes.js';
import { defineAction } from './action.js';

/**
 * RevokeClientCertificate (tlsql's own action): SerialNumber (hex) or CertificatePem, and Reason
 * (RFC 5280 name: unspecified (default), keyCompromise, affiliationChanged, superseded,
 * cessationOfOperation, privilegeWithdrawn). Every endpoint of the region refuses the certificate
 * from then on; returns the certificate with its revocation and the live sessions closed.
 */
export const revokeClientCertificateAction = defineAction('RevokeClientCertificate', async ({ control, params }) => {
  const r = await control.connectionSecurity.revokeClientCertificate({
    serialNumber: params.string('SerialNumber'),
    certificatePem: params.string('CertificatePem'),
    reason: params.string('Reason'),
  });
  return (w) => {
    w.element('ClientCertificate', (x) => writeIssuedClientCertificateMembers(x, r.certificate));
    writeConnections(w, r.closed);
  };
});
