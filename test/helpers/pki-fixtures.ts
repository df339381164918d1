import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA made with the openssl command line, standing for an operator's own (or a stranger's) client CA. */
export interface OpensslCa {
  dir: string;
  certPath: string;
  keyPath: string;
  certPem: string;
  /** Issues a client certificate (EKU clientAuth) for `subject`; returns the cert and key file paths. */
  issue(subject: string, name: string, opts?: { days?: number }): { certPath: string; keyPath: string };
}

/** A self-signed P-256 CA, CA:TRUE, keyCertSign, valid 2 days. */
export function opensslCa(subject: string): OpensslCa {
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-ca-'));
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', subject, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], quiet);
  return {
    dir,
    certPath,
    keyPath,
    certPem: readFileSync(certPath, 'utf8'),
    issue(leafSubject, name, opts = {}) {
      const leafKey = join(dir, `${name}.key`);
      const csr = join(dir, `${name}.csr`);
      const leafCert = join(dir, `${name}.pem`);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
      execFileSync('openssl', ['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', leafSubject], quiet);
      execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', certPath, '-CAkey', keyPath, '-CAcreateserial', '-out', leafCert, '-days', String(opts.days ?? 1), '-extfile', ext], quiet);
      return { certPath: leafCert, keyPath: leafKey };
    },
  };
}
