import type { Diagnosis, DoctorStep } from '../diagnosis.js';

/** 3. Greeting: a MySQL server, and one that offers TLS. Undefined without a TCP connection. */
export function greetingStep(d: Diagnosis): DoctorStep | undefined {
  const p = d.probe;
  if (!p.tcp.ok) return undefined;
  const g = p.greeting.info;
  if (g === undefined) {
    return { id: 'greeting', title: 'greeting', status: 'fail', summary: p.greeting.error ?? 'no greeting', details: [], fix: `is ${d.where} a MySQL port? A refused login at this stage (too many connections, host blocked) comes from the server` };
  }
  if (!g.offersTls) {
    return {
      id: 'greeting',
      title: 'greeting',
      status: 'fail',
      summary: `${g.serverVersion}, connection id ${g.connectionId}: TLS NOT offered`,
      details: [
        'clients with the default --ssl-mode=PREFERRED silently connect in plaintext here; REQUIRED and VERIFY_* fail with',
        "\"SSL connection error: SSL is required but the server doesn't support it\"",
      ],
      fix: 'this is not a tlsql endpoint (tlsql endpoints always offer TLS): connect to the instance endpoint, or configure TLS on this server (ssl_cert, ssl_key)',
    };
  }
  return { id: 'greeting', title: 'greeting', status: 'ok', summary: `${g.serverVersion}, connection id ${g.connectionId}, TLS offered`, details: [], fix: undefined };
}
