import { writeCertificateMembers } from '../shapes.js';
import { defineAction } from './action.js';

/** ModifyCertificates: CertificateIdentifier | RemoveCustomerOverride; returns the affected Certificate. */
export const modifyCertificatesAction = defineAction('ModifyCertificates', async ({ control, params }) => {
  const cert = await control.modifyCertificates({
    certificateIdentifier: params.string('CertificateIdentifier'),
    removeCustomerOverride: params.boolean('RemoveCustomerOverride'),
  });
  return (w) => {
    if (cert) w.element('Certificate', (c) => writeCertificateMembers(c, cert));
  };
});
