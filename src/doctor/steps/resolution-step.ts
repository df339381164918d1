import type { Diagnosis, DoctorStep } from '../diagnosis.js';

/** 1. Name resolution: does the host resolve, and through which CNAME. */
export function resolutionStep(d: Diagnosis): DoctorStep {
  const { o } = d;
  const r = d.probe.resolution;
  if (r.isIp) {
    return { id: 'resolution', title: 'name resolution', status: 'ok', summary: `${o.host} is an IP address (nothing to resolve)`, details: [], fix: undefined };
  }
  if (r.error !== undefined) {
    return {
      id: 'resolution',
      title: 'name resolution',
      status: 'fail',
      summary: `${o.host} does not resolve (${r.error})`,
      details: [],
      fix: o.host.endsWith('.localhost')
        ? 'names under .localhost resolve to loopback with libnss-myhostname (apt-get install libnss-myhostname) or an /etc/hosts entry'
        : 'check the endpoint name (tlsql describe-db-instances shows Endpoint.Address) and DNS',
    };
  }
  const cn = r.cnames.length > 0 ? ` (CNAME ${r.cnames.join(', ')})` : '';
  return { id: 'resolution', title: 'name resolution', status: 'ok', summary: `${o.host} -> ${r.addresses.join(', ')}${cn}`, details: [], fix: undefined };
}
