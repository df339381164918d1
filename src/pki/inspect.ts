import { createHash } from 'node:crypto';
import * as x509 from './x509.js';
import { AppError } from '../errors/app-error.js';
import type { KeyType } from './families.js';
import { keyTypeOfSpki } from './keys.js';

/** What tlsql needs to know about a certificate, read from its PEM. */
export interface CertificateInfo {
  /** Subject DN in certificate (DER) order, e.g. `C=US, O=tlsql, CN=db1.example`. */
  subject: string;
  /** First CN of the subject, or undefined. */
  subjectCommonName: string | undefined;
  /** Issuer DN, same format as `subject`. */
  issuer: string;
  issuerCommonName: string | undefined;
  notBefore: Date;
  notAfter: Date;
  /** Serial as lowercase hex without the DER sign byte (32 digits for tlsql's 128-bit serials). */
  serialHex: string;
  /** DNS names and IP addresses of the subjectAltName extension, in order; [] when absent. */
  sans: string[];
  /** Key type, or undefined for keys tlsql does not issue (e.g. RSA-3072). */
  keyType: KeyType | undefined;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
  /** Lowercase hex SHA-1 of the DER certificate (the RDS `Thumbprint`). */
  thumbprintSha1: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM text (a bundle or a chain), each as its own PEM ending in a newline. */
export function splitPemCertificates(pem: string | Buffer): string[] {
  return (pem.toString().match(PEM_CERT) ?? []).map((p) => p + '\n');
}

function loadFirst(pem: string | Buffer): x509.X509Certificate {
  const first = splitPemCertificates(pem)[0];
  if (first === undefined) throw new AppError('InternalFailure', 'no PEM certificate found in input', { expose: false });
  try {
    return new x509.X509Certificate(first);
  } catch (cause) {
    throw new AppError('InternalFailure', 'cannot parse PEM certificate', { cause, expose: false });
  }
}

/** Lowercase hex SHA-1 of the DER of the first certificate in `pem`. */
export function thumbprintSha1(pem: string | Buffer): string {
  return createHash('sha1').update(new Uint8Array(loadFirst(pem).rawData)).digest('hex');
}

/** Parses the first certificate in `pem` (a chain or bundle gives its first member). Throws AppError InternalFailure on bad input. */
export function parseCertificate(pem: string | Buffer): CertificateInfo {
  const cert = loadFirst(pem);
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const bc = cert.getExtension(x509.BasicConstraintsExtension);
  return {
    subject: cert.subject,
    subjectCommonName: cert.subjectName.getField('CN')[0],
    issuer: cert.issuer,
    issuerCommonName: cert.issuerName.getField('CN')[0],
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    serialHex: cert.serialNumber.toLowerCase(),
    sans: san ? san.names.items.filter((n) => n.type === 'dns' || n.type === 'ip').map((n) => n.value) : [],
    keyType: keyTypeOfSpki(new Uint8Array(cert.publicKey.rawData)),
    isCa: bc?.ca === true,
    thumbprintSha1: createHash('sha1').update(new Uint8Array(cert.rawData)).digest('hex'),
  };
}
