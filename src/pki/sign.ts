import * as x509 from './x509.js';
import type { KeyType, SignatureHash } from './families.js';
import { pkiCrypto, signingAlgorithm, type Crypto, type CryptoKey } from './keys.js';
import { randomSerialHex, type CertificateProfile } from './profiles.js';

/**
 * Turns a profile and a public key into a signed certificate. The only place certificates are
 * signed, so every certificate gets the same checks: a fresh random serial, SKI/AKI, and a
 * validity that never outlives the issuer.
 */

/** A CA able to sign: its private key plus what is needed to name it and to choose the signature. */
export interface Signer {
  /** The issuer's certificate; omit to self-sign (the subject becomes the issuer). */
  cert?: x509.X509Certificate;
  /** The issuer's private key. For RSA it must carry `hash` (see keys.ts `keyAlgorithm`). */
  privateKey: CryptoKey;
  keyType: KeyType;
  hash: SignatureHash;
}

export interface SignRequest {
  profile: CertificateProfile;
  /** The subject's public key (for a self-signed certificate, the signer's own). */
  publicKey: CryptoKey;
  signer: Signer;
  /** Serial as hex; default a fresh `randomSerialHex()`. For tests with known answers only. */
  serialHex?: string;
}

/**
 * Signs `req.profile` for `req.publicKey`. notAfter is clamped to the issuer's notAfter, because a
 * certificate cannot be valid longer than the CA that vouches for it.
 */
export async function signCertificate(req: SignRequest, crypto: Crypto = pkiCrypto): Promise<x509.X509Certificate> {
  const { profile, signer } = req;
  const notAfter = signer.cert && signer.cert.notAfter < profile.notAfter ? signer.cert.notAfter : profile.notAfter;
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(profile.ca !== false, profile.ca === false ? undefined : profile.ca.pathLength, true),
    new x509.KeyUsagesExtension(profile.keyUsage, true),
  ];
  if (profile.extendedKeyUsage.length > 0) extensions.push(new x509.ExtendedKeyUsageExtension(profile.extendedKeyUsage, false));
  if (profile.subjectAltNames.length > 0) {
    extensions.push(new x509.SubjectAlternativeNameExtension(profile.subjectAltNames.map((n) => ({ type: n.type, value: n.value })), false));
  }
  if (profile.crlDistributionPoints?.length) extensions.push(new x509.CRLDistributionPointsExtension(profile.crlDistributionPoints, false));
  extensions.push(await x509.SubjectKeyIdentifierExtension.create(req.publicKey, false, crypto));
  if (signer.cert) extensions.push(await authorityKeyIdentifier(signer.cert, crypto));

  const common = {
    serialNumber: req.serialHex ?? randomSerialHex(),
    notBefore: profile.notBefore,
    notAfter,
    extensions,
    signingAlgorithm: signingAlgorithm(signer.keyType, signer.hash),
  };
  if (!signer.cert) {
    return x509.X509CertificateGenerator.createSelfSigned(
      { ...common, name: profile.subject, keys: { publicKey: req.publicKey, privateKey: signer.privateKey } },
      crypto,
    );
  }
  return x509.X509CertificateGenerator.create(
    { ...common, subject: profile.subject, issuer: signer.cert.subjectName, publicKey: req.publicKey, signingKey: signer.privateKey },
    crypto,
  );
}

/** AKI from the issuer's SKI when it has one (so the two always agree), else from its public key. */
async function authorityKeyIdentifier(issuer: x509.X509Certificate, crypto: Crypto): Promise<x509.AuthorityKeyIdentifierExtension> {
  const ski = issuer.getExtension(x509.SubjectKeyIdentifierExtension);
  if (ski) return new x509.AuthorityKeyIdentifierExtension(ski.keyId, false);
  return x509.AuthorityKeyIdentifierExtension.create(issuer.publicKey, false, crypto);
}

/** PEM text of a certificate, with `\n` line ends and a final newline, so PEMs concatenate into bundles. */
export function certificateToPem(cert: x509.X509Certificate): string {
  return cert.toString('pem').replace(/\r\n/g, '\n').trimEnd() + '\n';
}
