import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLNumber, id_ce_cRLNumber } from '@peculiar/asn1-x509';
import { AppError, wrap } from '../errors/app-error.js';
import { normaliseSerialHex, type Revocation, type RevocationReason } from '../model/client-certificate.js';
import * as x509 from './x509.js';
import { pkiCrypto, signingAlgorithm, type Crypto } from './keys.js';
import type { LoadedClientCa } from './client-ca.js';

/**
 * Certificate revocation lists of client CAs (docs/revocation.md): the CRLs tlsql signs for its
 * own client CAs, and the checks an operator's CRL passes before tlsql enforces it. Built and
 * parsed with @peculiar/x509 (the project's PKI library); the CRL number is encoded by its ASN.1
 * schema package, not by hand.
 */

/** How long a CRL tlsql signs is valid: nextUpdate = thisUpdate + 24 h. */
export const CRL_VALIDITY_MS = 24 * 60 * 60 * 1000;
/**
 * A CRL is signed again once it is this old, so relying parties that fetch it shortly before
 * nextUpdate still get one valid for hours: 12 h, half its validity.
 */
export const CRL_REFRESH_AFTER_MS = 12 * 60 * 60 * 1000;
/** Largest CRL file accepted for import: 4 MiB (well above the API's default body limit, which binds first). */
export const MAX_IMPORTED_CRL_BYTES = 4 * 1024 * 1024;

const REASON_NAMES: Record<number, RevocationReason> = {
  0: 'unspecified',
  1: 'keyCompromise',
  2: 'cACompromise',
  3: 'affiliationChanged',
  4: 'superseded',
  5: 'cessationOfOperation',
  6: 'certificateHold',
  8: 'removeFromCRL',
  9: 'privilegeWithdrawn',
  10: 'aACompromise',
};

/** One revoked certificate on a CRL. */
export interface CrlEntry extends Revocation {
  /** `normaliseSerialHex` form. */
  serialHex: string;
}

/** A CRL tlsql signed, in both encodings it is served in. */
export interface SignedCrl {
  der: Buffer;
  pem: string;
  thisUpdate: Date;
  nextUpdate: Date;
  crlNumber: number;
}

/**
 * Signs a v2 CRL for `ca` listing `entries`: thisUpdate `now`, nextUpdate `now + CRL_VALIDITY_MS`,
 * authorityKeyIdentifier (the CA's SKI, as its certificates carry), cRLNumber `crlNumber`, and per
 * entry the reason code (left out for `unspecified`, as RFC 5280 §5.3.1 asks).
 */
export async function signClientCrl(p: { ca: LoadedClientCa; entries: readonly CrlEntry[]; now: Date; crlNumber: number }, crypto: Crypto = pkiCrypto): Promise<SignedCrl> {
  const { ca } = p;
  // CRL times are whole seconds (UTCTime): both dates are cut to the second, so they are exactly CRL_VALIDITY_MS apart.
  const thisUpdate = new Date(Math.floor(p.now.getTime() / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + CRL_VALIDITY_MS);
  try {
    const ski = ca.cert.getExtension(x509.SubjectKeyIdentifierExtension);
    const aki = ski ? new x509.AuthorityKeyIdentifierExtension(ski.keyId, false) : await x509.AuthorityKeyIdentifierExtension.create(ca.cert.publicKey, false, crypto);
    const crl = await x509.X509CrlGenerator.create(
      {
        issuer: ca.cert.subjectName,
        thisUpdate,
        nextUpdate,
        signingAlgorithm: signingAlgorithm(ca.signer.keyType, ca.signer.hash),
        signingKey: ca.signer.privateKey,
        extensions: [aki, new x509.Extension(id_ce_cRLNumber, false, AsnConvert.serialize(new CRLNumber(p.crlNumber)))],
        entries: p.entries.map((e) => ({
          serialNumber: e.serialHex.length % 2 === 1 ? `0${e.serialHex}` : e.serialHex,
          revocationDate: e.revokedAt,
          ...(e.reason === 'unspecified' ? {} : { reason: reasonCode(e.reason) }),
        })),
      },
      crypto,
    );
    const der = Buffer.from(crl.rawData);
    return { der, pem: crlToPem(der), thisUpdate, nextUpdate, crlNumber: p.crlNumber };
  } catch (e) {
    throw wrap(e, `signing the CRL of ${ca.cert.subject}`);
  }
}

/** PEM (`X509 CRL`) of a DER CRL, `\n` line ends and a final newline. */
export function crlToPem(der: Buffer): string {
  return x509.PemConverter.encode(der, 'X509 CRL').replace(/\r\n/g, '\n').trimEnd() + '\n';
}

/** An operator's CRL that passed `verifyImportedCrl`. */
export interface VerifiedCrl {
  der: Buffer;
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: string | null;
  entries: CrlEntry[];
}

/**
 * Parses an operator CRL (PEM `X509 CRL` or DER) and checks it is `caPem`'s: the issuer name equals
 * the CA's subject, the CA may sign CRLs (keyUsage cRLSign when keyUsage is present) and the
 * signature verifies with the CA's key; thisUpdate is not in the future (5 minutes of skew allowed).
 * Indirect CRLs and delta CRLs are refused (their entries may be about other CAs, or incomplete).
 * Throws InvalidParameterValue naming what failed.
 */
export async function verifyImportedCrl(p: { crl: Buffer; caPem: string; now: Date }, crypto: Crypto = pkiCrypto): Promise<VerifiedCrl> {
  const { der, crl } = readCrl(p.crl);
  const ca = new x509.X509Certificate(p.caPem);
  if (!crlIssuedBy(crl, p.caPem)) throw bad(`the CRL is issued by ${crl.issuer}, not by the client CA ${ca.subject}`);
  const ku = ca.getExtension(x509.KeyUsagesExtension);
  if (ku && (ku.usages & x509.KeyUsageFlags.cRLSign) === 0) throw bad(`the client CA ${ca.subject} may not sign CRLs (its keyUsage lacks cRLSign)`);
  let ok = false;
  try {
    ok = await crl.verify({ publicKey: ca }, crypto);
  } catch (e) {
    throw bad(`the CRL signature could not be checked against the client CA ${ca.subject}: ${(e as Error).message}`, e);
  }
  if (!ok) throw bad(`the CRL signature does not verify with the key of the client CA ${ca.subject}`);
  if (crl.thisUpdate.getTime() > p.now.getTime() + 5 * 60 * 1000) throw bad(`the CRL's thisUpdate ${crl.thisUpdate.toISOString()} is in the future`);
  for (const ext of crl.extensions) {
    if (ext.type === '2.5.29.27') throw bad('delta CRLs are not supported: import the complete CRL');
    if (ext.type === '2.5.29.28') throw bad('indirect CRLs (issuingDistributionPoint) are not supported: import the CA\'s own complete CRL');
  }
  const numberExt = crl.extensions.find((e) => e.type === id_ce_cRLNumber);
  let crlNumber: string | null = null;
  if (numberExt) {
    try {
      crlNumber = String(AsnConvert.parse(numberExt.value, CRLNumber).value);
    } catch (e) {
      throw bad(`the CRL's cRLNumber extension is malformed: ${(e as Error).message}`, e);
    }
  }
  const entries = crl.entries.map((e) => {
    if (e.extensions.some((x) => x.type === '2.5.29.29')) throw bad('CRL entries naming another certificate issuer (indirect CRL) are not supported');
    return { serialHex: normaliseSerialHex(e.serialNumber), revokedAt: e.revocationDate, reason: REASON_NAMES[e.reason ?? 0] ?? 'unspecified' };
  });
  return { der, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate ?? null, crlNumber, entries };
}

function bad(msg: string, cause?: unknown): AppError {
  return new AppError('InvalidParameterValue', msg, cause === undefined ? {} : { cause });
}

/** Parses a CRL given as PEM (one `X509 CRL` block) or DER; throws InvalidParameterValue. */
export function readCrl(bytes: Buffer): { der: Buffer; crl: x509.X509Crl } {
  const text = bytes.toString('latin1');
  let der: Buffer;
  if (text.includes('-----BEGIN')) {
    const blocks = text.match(/-----BEGIN X509 CRL-----[\s\S]+?-----END X509 CRL-----/g) ?? [];
    if (blocks.length !== 1) throw bad(`the CRL file must hold exactly one PEM "X509 CRL" block (got ${blocks.length})`);
    der = Buffer.from(x509.PemConverter.decodeFirst(blocks[0]!));
  } else {
    der = bytes;
  }
  try {
    return { der, crl: new x509.X509Crl(new Uint8Array(der)) };
  } catch (e) {
    throw bad(`the file is not a valid X.509 CRL (PEM or DER): ${(e as Error).message}`, e);
  }
}

/** Whether the CRL's issuer name is the CA certificate's subject, byte for byte (no signature check). */
export function crlIssuedBy(crl: x509.X509Crl, caPem: string): boolean {
  const ca = new x509.X509Certificate(caPem);
  return Buffer.from(crl.issuerName.toArrayBuffer()).equals(Buffer.from(ca.subjectName.toArrayBuffer()));
}

function reasonCode(reason: RevocationReason): x509.X509CrlReason {
  const code = Object.entries(REASON_NAMES).find(([, n]) => n === reason)?.[0];
  return Number(code ?? 0) as x509.X509CrlReason;
}
