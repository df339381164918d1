import { paginate, readPageRequest } from '../paging.js';
import { writeCertificateMembers } from '../shapes.js';
import { defineAction, readFilters } from './action.js';

/** DescribeCertificates: CertificateIdentifier, Filters, MaxRecords (20..100), Marker. */
export const describeCertificatesAction = defineAction('DescribeCertificates', async ({ control, params }) => {
  const page = readPageRequest(params);
  const result = await control.describeCertificates({
    certificateIdentifier: params.string('CertificateIdentifier'),
    filters: readFilters(params),
  });
  const { items, marker } = paginate(result.certificates, (c) => c.certificateIdentifier, page);
  return (w) => {
    w.leaf('DefaultCertificateForNewLaunches', result.defaultCertificateForNewLaunches);
    w.list('Certificates', 'Certificate', items, writeCertificateMembers);
    w.leaf('Marker', marker);
  };
});
