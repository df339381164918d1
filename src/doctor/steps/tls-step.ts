import type { Diagnosis, DoctorStep } from '../diagnosis.js';

/** 4. TLS handshake: version and cipher. Undefined when no handshake was tried. */
export function tlsStep(d: Diagnosis): DoctorStep | undefined {
  const p = d.probe;
  if (p.tls.skipped) return undefined;
  const t = p.tls.result;
  if (t === undefined) {
    return {
      id: 'tls',
      title: 'TLS handshake',
      status: 'fail',
      summary: `handshake failed: ${p.tls.error ?? 'unknown error'}`,
      details: [],
      fix: /version|protocol/i.test(p.tls.error ?? '') ? 'the server and this client share no TLS version: tlsql instances accept TLS 1.2 and 1.3 unless the parameter group says otherwise' : 'run with --debug and check the server log',
    };
  }
  const old = t.protocol === 'TLSv1' || t.protocol === 'TLSv1.1';
  return {
    id: 'tls',
    title: 'TLS handshake',
    status: old ? 'warn' : 'ok',
    summary: `${t.protocol}, ${t.cipher}`,
    details: [],
    fix: old ? `${t.protocol} is deprecated: allow TLS 1.2+ only (tls_version parameter)` : undefined,
  };
}
