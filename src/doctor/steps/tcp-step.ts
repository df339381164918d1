import type { Diagnosis, DoctorStep } from '../diagnosis.js';

/** 2. TCP: whether something listens. Undefined when the name did not resolve. */
export function tcpStep(d: Diagnosis): DoctorStep | undefined {
  const p = d.probe;
  if (p.resolution.error !== undefined) return undefined;
  if (p.tcp.ok) return { id: 'tcp', title: 'TCP', status: 'ok', summary: `connected to ${p.tcp.address} in ${p.tcp.ms} ms`, details: [], fix: undefined };
  return {
    id: 'tcp',
    title: 'TCP',
    status: 'fail',
    summary: p.tcp.error ?? 'connection failed',
    details: [],
    fix: /\(111\)/.test(p.tcp.error ?? '')
      ? `nothing listens on ${d.where}: check the port (tlsql describe-db-instances shows Endpoint.Port) and that the instance is available and \`tlsql server\` runs`
      : 'check the address, the port and any firewall on the way',
  };
}
