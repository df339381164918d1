import type { Diagnosis, DoctorStep } from '../diagnosis.js';
import { instanceLookup } from '../data-dir.js';
import { checkHostName } from '../hostname.js';

/** 6. Host name: does the certificate name the host the client typed. Undefined without a certificate. */
export async function hostNameStep(d: Diagnosis): Promise<DoctorStep | undefined> {
  if (d.leaf === undefined) return undefined;
  const hn = await checkHostName(d.o.host, d.leaf, d.probe.resolution, instanceLookup(d.o.dataDir));
  return { id: 'hostname', title: 'host name', status: hn.ok ? 'ok' : 'fail', summary: hn.detail, details: [`names in the certificate: ${hn.names.join(', ')}`], fix: hn.fix };
}
