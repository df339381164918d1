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
  /** Marks a certificate this CA issued as revoked (`openssl ca -revoke`) in its database. */
  revoke(certPath: string, reason: string): void;
  /** Signs a CRL of the revocations so far (`openssl ca -gencrl`, valid 1 day); returns the PEM file's path. */
  crl(name: string): string;
}

/** A self-signed P-256 CA, CA:TRUE, keyCertSign, valid 2 days. */
export function opensslCa(subject: string): OpensslCa {
  const dir = mkdtempSync(join(tmpdir(), 'tlsql-ca-'));
  const certPath = join(dir, 'ca.pem');
  const keyPath = join(dir, 'ca.key');
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'] as ('ignore' | 'pipe')[] };
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath, '-subj', subject, '-days', '2',
    '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], quiet);
  const cnf = join(dir, 'ca.cnf');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'crlnumber'), '01\n');
  writeFileSync(cnf, `[ ca ]\ndefault_ca = d\n[ d ]\ndatabase = ${dir}/index.txt\ncertificate = ${certPath}\nprivate_key = ${keyPath}\ndefault_md = sha256\ndefault_crl_days = 1\ncrlnumber = ${dir}/crlnumber\n`);
  return {
    dir,
    certPath,
    revoke(cert, reason) {
      execFileSync('openssl', ['ca', '-config', cnf, '-revoke', cert, '-crl_reason', reason], quiet);
    },
    crl(name) {
      const out = join(dir, `${name}.crl.pem`);
      execFileSync('openssl', ['ca', '-config', cnf, '-gencrl', '-out', out], quiet);
      return out;
    },
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
