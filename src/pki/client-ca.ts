import { X509Certificate as NodeX509 } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from './x509.js';
import { AppError, wrap } from '../errors/app-error.js';
import { normaliseSerialHex } from '../model/client-certificate.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import type { KeyType, SignatureHash } from './families.js';
import { MASTER_KEY_BYTES, readSealedFile, writeSealedFile } from './key-store.js';
import { exportPrivateKeyPem, generateKeyPair, importSigningKey, isRsaKeyType, keyTypeOfSpki, spkiOfPrivateKeyPem } from './keys.js';
import { addDays, addYears, backdatedNotBefore, distinguishedName, type CertificateProfile } from './profiles.js';
import { pathExists, writePublicFile } from './public-file.js';
import { certificateToPem, signCertificate, type Signer } from './sign.js';

/**
 * Client certificates (docs/design.md "Client certificates"): a per-region client CA, separate from the
 * server CA families, that issues certificates for `REQUIRE X509 / ISSUER / SUBJECT` accounts; the
 * "shadow" CAs that stand in for operator-supplied client CAs on the engine link; and the
 * short-lived link certificates that carry a client's subject to the engine.
 */

/** Validity of a region's client CA, in years. */
export const CLIENT_CA_VALIDITY_YEARS = 10;
/** Default validity of an issued client certificate: 30 days, in hours. */
export const DEFAULT_CLIENT_CERT_VALIDITY_HOURS = 30 * 24;
/** Longest validity `issueClientCertificate` accepts: 397 days (the public-web limit), in hours. */
export const MAX_CLIENT_CERT_VALIDITY_HOURS = 397 * 24;
/** Validity of a link client certificate, in ms: 1 hour, never past the client certificate's own notAfter. */
export const LINK_CLIENT_CERT_VALIDITY_MS = 60 * 60 * 1000;

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
const CA_KEY_TYPE: KeyType = 'ecdsa-p256';
const CA_HASH: SignatureHash = 'SHA-256';
const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;
const HOUR_MS = 60 * 60 * 1000;

/** CN of a region's client CA, e.g. `tlsql us-east-1 Client CA G1`. */
export function clientCaCommonName(region: string): string {
  return `tlsql ${region} Client CA G1`;
}

/** Key types `issueClientCertificate` offers. */
export type ClientKeyType = 'rsa2048' | 'ecdsa-p256';

/** A client certificate with its private key, as returned once to the caller. */
export interface IssuedClientCertificate {
  certPem: string;
  /** PKCS#8 PEM; never stored by tlsql. */
  keyPem: string;
  /** The issuing client CA (self-signed): what the instance trusts. */
  caPem: string;
  /** OpenSSL one-line form (`/C=US/O=acme/CN=app`), exactly what `REQUIRE SUBJECT` compares. */
  subject: string;
  /** OpenSSL one-line form of the issuer, for `REQUIRE ISSUER`. */
  issuer: string;
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  keyType: ClientKeyType;
}

/** Subject attributes accepted in a one-line subject, in the order OpenSSL prints the usual ones. */
const SUBJECT_KEYS = ['C', 'ST', 'L', 'O', 'OU', 'CN', 'emailAddress'] as const;

/**
 * Parses an OpenSSL one-line subject (`/C=US/O=acme/CN=app`), the form MariaDB's REQUIRE SUBJECT
 * and REQUIRE ISSUER use, into a Name in the given order. Attributes: C, ST, L, O, OU, CN,
 * emailAddress; values may not contain `/` or `=`. Throws InvalidParameterValue.
 */
export function parseOnelineSubject(text: string): x509.JsonName {
  if (!text.startsWith('/') || text.length < 4) {
    throw new AppError('InvalidParameterValue', `Subject ${JSON.stringify(text)} must be in OpenSSL one-line form, e.g. /C=US/O=acme/CN=app`);
  }
  const name: x509.JsonName = [];
  for (const part of text.slice(1).split('/')) {
    const m = /^([A-Za-z]+)=([^=]+)$/.exec(part);
    const key = SUBJECT_KEYS.find((k) => k === m?.[1]);
    if (!m || !key || m[2]!.trim() !== m[2] || m[2]!.length > 64) {
      throw new AppError('InvalidParameterValue', `Invalid subject component ${JSON.stringify(part)}: use ${SUBJECT_KEYS.join(', ')} with 1-64 character values without '/' or '=', e.g. /C=US/O=acme/CN=app`);
    }
    if (key === 'C' && !/^[A-Z]{2}$/.test(m[2]!)) throw new AppError('InvalidParameterValue', `Invalid country ${JSON.stringify(m[2])}: use two upper-case letters`);
    name.push({ [key]: [m[2]!] });
  }
  if (!name.some((rdn) => 'CN' in rdn)) throw new AppError('InvalidParameterValue', 'The subject must contain a common name (CN=...)');
  return name;
}

/**
 * OpenSSL's one-line form of a Node X509Certificate subject or issuer (`C=US\nO=acme\nCN=app` ->
 * `/C=US/O=acme/CN=app`), as MariaDB shows and compares it.
 */
export function onelineName(nodeName: string): string {
  return nodeName
    .split('\n')
    .filter(Boolean)
    .map((line) => `/${line}`)
    .join('');
}

/** A CA loaded with its key: enough to sign link certificates. */
export interface LoadedClientCa {
  certPem: string;
  cert: x509.X509Certificate;
  signer: Signer;
}

export interface ClientCertificateAuthorityOptions {
  /** The PKI directory, e.g. `<dataDir>/pki`; files go to `<region>/client-ca/`. */
  dir: string;
  /** Service master key (32 bytes) that seals the CA keys. */
  masterKey: Buffer;
  regions: string[];
  /** Default systemClock. Tests pass a ManualClock to issue certificates in the past. */
  clock?: Clock;
  logger?: Logger;
}

/**
 * The per-region client CA (ECDSA P-256, SHA-256, self-signed, CA:TRUE pathLen 0, 10 years,
 * CN `tlsql <region> Client CA G1`). Files: `<dir>/<region>/client-ca/client-ca.pem` (0644) and
 * `client-ca.key.sealed` (0600, AES-256-GCM under the master key).
 */
export class ClientCertificateAuthority {
  private readonly cas = new Map<string, LoadedClientCa>();
  private ensuring: Promise<void> | undefined;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly opts: ClientCertificateAuthorityOptions) {
    if (opts.masterKey.length !== MASTER_KEY_BYTES) throw new AppError('ConfigInvalid', `master key must be ${MASTER_KEY_BYTES} bytes`);
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'pki', ca: 'client' });
  }

  /** Idempotent: loads (checking key against certificate) or creates each region's client CA. */
  ensure(): Promise<void> {
    this.ensuring ??= (async () => {
      for (const region of this.opts.regions) {
        if (!this.cas.has(region)) this.cas.set(region, await this.loadOrCreate(region));
      }
    })().catch((e: unknown) => {
      this.ensuring = undefined;
      throw wrap(e, 'ensuring the client CAs');
    });
    return this.ensuring;
  }

  /** The region's client CA if loaded (no error before `ensure()`). */
  loaded(region: string): LoadedClientCa | undefined {
    return this.cas.get(region);
  }

  /** The region's client CA; `ensure()` first. Throws InvalidParameterValue for an unknown region. */
  ca(region: string): LoadedClientCa {
    const ca = this.cas.get(region);
    if (!ca) throw new AppError('InvalidParameterValue', `region ${region} has no client CA; served regions: ${this.opts.regions.join(', ')}`);
    return ca;
  }

  /**
   * A new client certificate: fresh key (`keyType`, default rsa2048 for the widest client
   * support), `subject` as given, EKU clientAuth, keyUsage digitalSignature (+ keyEncipherment for
   * RSA), notBefore now-5min, valid `validityHours` (default 720, at most 9528); `crlUrl`, when
   * given, becomes its CRL distribution point.
   */
  async issueClientCertificate(p: { region: string; subject: x509.JsonName; validityHours?: number; keyType?: ClientKeyType; crlUrl?: string }): Promise<IssuedClientCertificate> {
    await this.ensure();
    const ca = this.ca(p.region);
    const hours = p.validityHours ?? DEFAULT_CLIENT_CERT_VALIDITY_HOURS;
    if (!Number.isInteger(hours) || hours < 1 || hours > MAX_CLIENT_CERT_VALIDITY_HOURS) {
      throw new AppError('InvalidParameterValue', `ValidityHours must be an integer from 1 to ${MAX_CLIENT_CERT_VALIDITY_HOURS}, got ${hours}`);
    }
    const keyType = p.keyType ?? 'rsa2048';
    if (keyType !== 'rsa2048' && keyType !== 'ecdsa-p256') throw new AppError('InvalidParameterValue', `KeyType must be rsa2048 or ecdsa-p256, got ${String(keyType)}`);
    const notBefore = backdatedNotBefore(this.clock.now());
    const profile: CertificateProfile = {
      subject: p.subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + hours * HOUR_MS),
      ca: false,
      keyUsage: x509.KeyUsageFlags.digitalSignature | (isRsaKeyType(keyType) ? x509.KeyUsageFlags.keyEncipherment : 0),
      extendedKeyUsage: [CLIENT_AUTH],
      subjectAltNames: [],
      ...(p.crlUrl ? { crlDistributionPoints: [p.crlUrl] } : {}),
    };
    try {
      const keys = await generateKeyPair(keyType);
      const cert = await signCertificate({ profile, publicKey: keys.publicKey, signer: ca.signer });
      const certPem = certificateToPem(cert);
      const node = new NodeX509(certPem);
      const issued: IssuedClientCertificate = {
        certPem,
        keyPem: await exportPrivateKeyPem(keys.privateKey),
        caPem: ca.certPem,
        subject: onelineName(node.subject),
        issuer: onelineName(node.issuer),
        serialHex: normaliseSerialHex(cert.serialNumber),
        notBefore: cert.notBefore,
        notAfter: cert.notAfter,
        keyType,
      };
      this.log.info('issued client certificate', { region: p.region, subject: issued.subject, serialHex: issued.serialHex, notAfter: issued.notAfter.toISOString() });
      return issued;
    } catch (e) {
      throw wrap(e, `issuing a client certificate in ${p.region}`);
    }
  }

  private async loadOrCreate(region: string): Promise<LoadedClientCa> {
    const certPath = join(this.opts.dir, region, 'client-ca', 'client-ca.pem');
    const keyPath = join(this.opts.dir, region, 'client-ca', 'client-ca.key.sealed');
    const label = `pki/${region}/client-ca/client-ca.key`;
    if (!(await pathExists(certPath))) {
      const keys = await generateKeyPair(CA_KEY_TYPE, CA_HASH);
      const notBefore = backdatedNotBefore(this.clock.now());
      const profile: CertificateProfile = {
        subject: distinguishedName(clientCaCommonName(region)),
        notBefore,
        notAfter: addYears(notBefore, CLIENT_CA_VALIDITY_YEARS),
        ca: { pathLength: 0 },
        keyUsage: CA_KEY_USAGE,
        extendedKeyUsage: [],
        subjectAltNames: [],
      };
      const cert = await signCertificate({ profile, publicKey: keys.publicKey, signer: { privateKey: keys.privateKey, keyType: CA_KEY_TYPE, hash: CA_HASH } });
      // Key first: a key without a certificate is an interrupted creation, replaced next time.
      await writeSealedFile(keyPath, this.opts.masterKey, label, await exportPrivateKeyPem(keys.privateKey));
      await writePublicFile(certPath, certificateToPem(cert));
      this.log.info('created client CA', { region, subject: cert.subject, notAfter: cert.notAfter.toISOString(), path: certPath });
    }
    if (!(await pathExists(keyPath))) throw new AppError('InternalFailure', `client CA ${certPath} has no private key at ${keyPath}`, { expose: false });
    const certPem = await readFile(certPath, 'utf8');
    const keyPem = await readSealedFile(keyPath, this.opts.masterKey, label);
    try {
      return await loadCaWithKey(certPem, keyPem.toString('utf8'), certPath);
    } finally {
      keyPem.fill(0);
    }
  }
}

/**
 * Loads a CA certificate with its PKCS#8 key as a signer, checking that they match and that the
 * key is ECDSA P-256 (the only key type tlsql creates for client-side CAs).
 */
export async function loadCaWithKey(certPem: string, keyPem: string, what: string): Promise<LoadedClientCa> {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (cause) {
    throw new AppError('InternalFailure', `cannot parse CA certificate ${what}`, { cause, expose: false });
  }
  const spki = new Uint8Array(cert.publicKey.rawData);
  if (keyTypeOfSpki(spki) !== CA_KEY_TYPE) throw new AppError('InternalFailure', `CA certificate ${what} does not have a P-256 key`, { expose: false });
  if (!spkiOfPrivateKeyPem(keyPem).equals(spki)) throw new AppError('InternalFailure', `private key of ${what} does not match its certificate`, { expose: false });
  const privateKey = await importSigningKey(keyPem, CA_KEY_TYPE, CA_HASH);
  return { certPem: certificateToPem(cert), cert, signer: { cert, privateKey, keyType: CA_KEY_TYPE, hash: CA_HASH } };
}

/**
 * A "shadow" of an operator's client CA: a self-signed CA whose subject is the operator CA's
 * subject copied byte for byte, with a key tlsql holds. The engine trusts the shadow (never the
 * operator's CA), so link certificates it signs carry the issuer the client's certificate has, and
 * MariaDB's `REQUIRE ISSUER` sees the client's real issuer. Valid from now-5min until the
 * operator CA's notAfter.
 */
export async function createShadowCa(operatorCaPem: string, now: Date): Promise<{ certPem: string; keyPem: string }> {
  const operator = new x509.X509Certificate(operatorCaPem);
  const keys = await generateKeyPair(CA_KEY_TYPE, CA_HASH);
  const notBefore = backdatedNotBefore(now);
  const profile: CertificateProfile = {
    subject: new x509.Name(operator.subjectName.toArrayBuffer()),
    notBefore,
    notAfter: operator.notAfter > notBefore ? operator.notAfter : addDays(notBefore, 1),
    ca: { pathLength: 0 },
    keyUsage: CA_KEY_USAGE,
    extendedKeyUsage: [],
    subjectAltNames: [],
  };
  const cert = await signCertificate({ profile, publicKey: keys.publicKey, signer: { privateKey: keys.privateKey, keyType: CA_KEY_TYPE, hash: CA_HASH } });
  return { certPem: certificateToPem(cert), keyPem: await exportPrivateKeyPem(keys.privateKey) };
}

/**
 * The certificate the front door presents to the engine for a client that presented `clientCertDer`:
 * the same subject (copied byte for byte), signed by `issuer` (the client's CA, or its shadow),
 * EKU clientAuth, a fresh P-256 key, valid from now-5min for LINK_CLIENT_CERT_VALIDITY_MS but never
 * past the client certificate's notAfter.
 */
export async function issueLinkClientCertificate(p: { clientCertDer: Uint8Array; issuer: Signer; now: Date }): Promise<{ certPem: string; keyPem: string; notAfter: Date }> {
  const client = new x509.X509Certificate(p.clientCertDer);
  const keys = await generateKeyPair('ecdsa-p256');
  const notBefore = backdatedNotBefore(p.now);
  const until = new Date(p.now.getTime() + LINK_CLIENT_CERT_VALIDITY_MS);
  const profile: CertificateProfile = {
    subject: new x509.Name(client.subjectName.toArrayBuffer()),
    notBefore,
    notAfter: client.notAfter < until ? client.notAfter : until,
    ca: false,
    keyUsage: x509.KeyUsageFlags.digitalSignature,
    extendedKeyUsage: [CLIENT_AUTH],
    subjectAltNames: [],
  };
  const cert = await signCertificate({ profile, publicKey: keys.publicKey, signer: p.issuer });
  return { certPem: certificateToPem(cert), keyPem: await exportPrivateKeyPem(keys.privateKey), notAfter: cert.notAfter };
}
