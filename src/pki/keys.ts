import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto';
import type { KeyType, SignatureHash } from './families.js';

/**
 * Key generation, import and export. WebCrypto does the work (its keygen runs on the libuv thread
 * pool, so independent keys generated with Promise.all really are generated in parallel);
 * node:crypto KeyObjects are used only to convert formats and to derive a public key from a private one.
 */

/** The WebCrypto provider used by the PKI module; passed explicitly to @peculiar/x509, never set globally. */
export const pkiCrypto: Crypto = webcrypto as unknown as Crypto;

/** A WebCrypto key pair (the global CryptoKeyPair type is DOM-only). */
export type CryptoKeyPair = webcrypto.CryptoKeyPair;
/** WebCrypto provider and key types from Node's own typings (the global names are DOM-only). */
export type Crypto = webcrypto.Crypto;
export type CryptoKey = webcrypto.CryptoKey;

type KeyAlgorithmParams = webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams;
type ImportParams = webcrypto.RsaHashedImportParams | webcrypto.EcKeyImportParams;

const RSA_PUBLIC_EXPONENT = new Uint8Array([0x01, 0x00, 0x01]);

export function isRsaKeyType(keyType: KeyType): keyType is 'rsa2048' | 'rsa4096' {
  return keyType === 'rsa2048' || keyType === 'rsa4096';
}

/**
 * WebCrypto parameters for `keyType`. For RSA the hash is bound to the key, and @peculiar/x509 signs
 * with the signing key's own hash, so an RSA CA key must be created or imported with its family's hash.
 */
export function keyAlgorithm(keyType: KeyType, hash: SignatureHash): KeyAlgorithmParams & ImportParams {
  switch (keyType) {
    case 'rsa2048':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: RSA_PUBLIC_EXPONENT, hash };
    case 'rsa4096':
      return { name: 'RSASSA-PKCS1-v1_5', modulusLength: 4096, publicExponent: RSA_PUBLIC_EXPONENT, hash };
    case 'ecdsa-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'ecdsa-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
  }
}

/** The `signingAlgorithm` to pass to @peculiar/x509 for a CA key of `keyType` signing with `hash`. */
export function signingAlgorithm(keyType: KeyType, hash: SignatureHash): { name: string; hash: SignatureHash } {
  return isRsaKeyType(keyType) ? { name: 'RSASSA-PKCS1-v1_5', hash } : { name: 'ECDSA', hash };
}

/**
 * A fresh, extractable key pair of `keyType`. `hash` only matters for RSA keys that will sign
 * (see `keyAlgorithm`); default SHA-256.
 */
export async function generateKeyPair(keyType: KeyType, hash: SignatureHash = 'SHA-256', crypto: Crypto = pkiCrypto): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(keyAlgorithm(keyType, hash), true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`) of an extractable private key, as OpenSSL and MariaDB read it. */
export async function exportPrivateKeyPem(privateKey: CryptoKey, crypto: Crypto = pkiCrypto): Promise<string> {
  const der = Buffer.from(await crypto.subtle.exportKey('pkcs8', privateKey));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** Imports a PKCS#8 PEM private key as a non-extractable WebCrypto signing key. */
export async function importSigningKey(pkcs8Pem: string | Buffer, keyType: KeyType, hash: SignatureHash, crypto: Crypto = pkiCrypto): Promise<CryptoKey> {
  const der = createPrivateKey({ key: pkcs8Pem, format: 'pem' }).export({ format: 'der', type: 'pkcs8' });
  return crypto.subtle.importKey('pkcs8', der, keyAlgorithm(keyType, hash), false, ['sign']);
}

/** DER SubjectPublicKeyInfo of the public half of a private key given as PEM (PKCS#8 or traditional). */
export function spkiOfPrivateKeyPem(privateKeyPem: string | Buffer): Buffer {
  return createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'der', type: 'spki' });
}

/** The KeyType of a public key given as DER SubjectPublicKeyInfo, or undefined for any other key. */
export function keyTypeOfSpki(spkiDer: Uint8Array): KeyType | undefined {
  const key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  return keyTypeOfKeyObject(key);
}

function keyTypeOfKeyObject(key: KeyObject): KeyType | undefined {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === 'rsa') {
    if (d.modulusLength === 2048) return 'rsa2048';
    if (d.modulusLength === 4096) return 'rsa4096';
    return undefined;
  }
  if (key.asymmetricKeyType === 'ec') {
    if (d.namedCurve === 'secp384r1') return 'ecdsa-p384';
    if (d.namedCurve === 'prime256v1') return 'ecdsa-p256';
  }
  return undefined;
}
