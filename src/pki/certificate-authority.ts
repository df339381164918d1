import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as x509 from './x509.js';
import { AppError, wrap } from '../errors/app-error.js';
import { systemClock, type Clock } from '../lib/clock.js';
import { silentLogger, type Logger } from '../lib/logger.js';
import { CA_FAMILIES, getCaFamily, type CaFamily, type CaFamilyId, type KeyType, type SignatureHash } from './families.js';
import { MASTER_KEY_BYTES, readSealedFile, writeSealedFile } from './key-store.js';
import type { KeySource } from './key-pool.js';
import { exportPrivateKeyPem, generateKeyPair, type CryptoKeyPair, importSigningKey, keyTypeOfSpki, pkiCrypto, spkiOfPrivateKeyPem } from './keys.js';
import {
  isValidDnsName,
  linkCaProfile,
  rootProfile,
  serverProfile,
  subordinateProfile,
  type CertificateProfile,
} from './profiles.js';
import { pathExists, writePublicFile } from './public-file.js';
import { certificateToPem, signCertificate, type Signer } from './sign.js';

/** A freshly issued end-entity certificate with its private key. */
export interface IssuedCertificate {
  /** The leaf alone, PEM. */
  certPem: string;
  /** Leaf + issuing subordinate, PEM concatenated: what the server sends. */
  chainPem: string;
  /** PKCS#8 PEM private key, plaintext, in memory only: the caller decides how to store it (e.g. writePrivateFile). */
  keyPem: string;
  /** 32 lowercase hex digits (128 bits). */
  serialHex: string;
  notBefore: Date;
  notAfter: Date;
  familyId: CaFamilyId;
  keyType: KeyType;
}

/**
 * A link certificate (engine -> front door). Same fields as IssuedCertificate minus `familyId`
 * (link certificates belong to no published family); `chainPem` is the leaf alone, since the
 * internal link CA signs leaves directly and the front door trusts it as an anchor.
 */
export interface IssuedLinkCertificate extends Omit<IssuedCertificate, 'familyId' | 'keyType'> {
  keyType: 'rsa2048' | 'ecdsa-p256';
}

/** One published CA (family x region): what DescribeCertificates reports. */
export interface CaRecord {
  familyId: CaFamilyId;
  region: string;
  rootPem: string;
  subordinatePem: string;
  /** The root's notBefore. */
  notBefore: Date;
  /** The root's notAfter. */
  notAfter: Date;
  /** Lowercase hex SHA-1 of the root's DER. */
  thumbprintSha1: string;
}

export interface CertificateAuthorityOptions {
  /** Directory of the PKI files, e.g. `<dataDir>/pki`; created 0755 if missing. */
  dir: string;
  /** Service master key (32 bytes) that seals every CA private key. */
  masterKey: Buffer;
  /** Regions served: one root + subordinate per family per region. Non-empty; names like `us-east-1`. */
  regions: string[];
  /** Default systemClock. */
  clock?: Clock;
  /** Default silentLogger: pass the service logger in production. */
  logger?: Logger;
  /** Where leaf (server and link) key pairs come from. Default: generated on demand. CA keys are always generated on demand. */
  keySource?: KeySource;
}

/** A CA loaded from disk with its key checked against its certificate. */
interface LoadedCa {
  cert: x509.X509Certificate;
  pem: string;
  signer: Signer;
}

interface FamilyRegionCa {
  family: CaFamily;
  region: string;
  root: LoadedCa;
  sub: LoadedCa;
  record: CaRecord;
}

interface CaFiles {
  certPath: string;
  keyPath: string;
  /** Logical name bound into the sealed key (AES-GCM associated data). */
  keyLabel: string;
}

interface Hierarchy {
  pairs: Map<string, FamilyRegionCa>;
  link: LoadedCa;
  globalBundle: string;
  regionalBundles: Map<string, string>;
}

const REGION = /^[a-z]+(?:-[a-z]+)*-\d+$/;
const LINK_KEY_TYPE: KeyType = 'ecdsa-p256';
const LINK_HASH: SignatureHash = 'SHA-256';
/** Upper bound for validityDays: longer than any CA lives, so in practice the issuer's notAfter is the limit. */
const MAX_VALIDITY_DAYS = 100 * 366;

/**
 * tlsql's certificate authority: per region and CA family a self-signed root and a subordinate that
 * signs DB instance server certificates (the RDS model, docs/reference.md §1), plus one internal CA for
 * the front-door -> engine link that is never published.
 *
 * Files under `dir`:
 *   <region>/<familyId>/root.pem, sub.pem              0644 (dirs 0700, created by the key store)
 *   <region>/<familyId>/root.key.sealed, sub.key.sealed 0600, AES-256-GCM under the master key
 *   internal/link-ca.pem, internal/link-ca.key.sealed
 *   bundles/global-bundle.pem, bundles/<region>-bundle.pem  0644, roots only
 */
export class CertificateAuthority {
  private readonly dir: string;
  private readonly masterKey: Buffer;
  private readonly regions: readonly string[];
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly keySource: KeySource | undefined;
  private hierarchy: Hierarchy | undefined;
  private ensuring: Promise<void> | undefined;

  constructor(opts: CertificateAuthorityOptions) {
    if (opts.masterKey.length !== MASTER_KEY_BYTES) {
      throw new AppError('ConfigInvalid', `master key must be ${MASTER_KEY_BYTES} bytes, got ${opts.masterKey.length}`);
    }
    const regions = [...new Set(opts.regions)];
    if (regions.length === 0) throw new AppError('ConfigInvalid', 'the CA needs at least one region');
    const bad = regions.filter((r) => !REGION.test(r));
    if (bad.length > 0) throw new AppError('ConfigInvalid', `invalid region name(s): ${bad.join(', ')} (expected e.g. us-east-1)`);
    this.dir = opts.dir;
    this.masterKey = opts.masterKey;
    this.regions = Object.freeze(regions);
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'pki' });
    this.keySource = opts.keySource;
  }

  /**
   * Idempotent: loads every root + subordinate (every family x region) and the internal link CA,
   * creating whatever is missing, checks each private key matches its certificate and each
   * certificate's signature, then (re)writes the bundles. Concurrent calls share one run.
   * An existing CA that fails a check is an error, never silently replaced: its root may be published.
   */
  ensureHierarchy(): Promise<void> {
    this.ensuring ??= this.loadOrCreateHierarchy().finally(() => {
      this.ensuring = undefined;
    });
    return this.ensuring;
  }

  /** Every published CA, regions in configured order, families in CA_FAMILIES order. [] before ensureHierarchy. */
  records(): CaRecord[] {
    if (!this.hierarchy) return [];
    return [...this.hierarchy.pairs.values()].map((p) => ({ ...p.record }));
  }

  /** The CA of `familyId` in `region`. Throws AppError CertificateNotFound when there is none. */
  record(familyId: CaFamilyId, region: string): CaRecord {
    const pair = this.hierarchy?.pairs.get(pairKey(region, familyId));
    if (!pair) throw new AppError('CertificateNotFound', `Certificate ${familyId} not found in region ${region}.`);
    return { ...pair.record };
  }

  /**
   * A new server certificate for a DB instance endpoint, with a fresh key of the family's key type,
   * signed by the family's subordinate in `region`. CN = SAN dNSName = `endpoint`, EKU serverAuth,
   * notBefore now-5min, notAfter notBefore + `validityDays` (default 365) but never past the subordinate's.
   * Errors: CertificateNotFound (family), InvalidParameterValue (region, endpoint, validityDays).
   */
  async issueServerCertificate(p: { endpoint: string; familyId: CaFamilyId; region: string; validityDays?: number }): Promise<IssuedCertificate> {
    const family = getCaFamily(p.familyId);
    if (!family) throw new AppError('CertificateNotFound', `Certificate ${p.familyId} not found.`);
    const hierarchy = this.requireHierarchy();
    this.requireRegion(p.region);
    if (!isValidDnsName(p.endpoint)) throw new AppError('InvalidParameterValue', `endpoint ${JSON.stringify(p.endpoint)} is not a valid DNS name`);
    checkValidityDays(p.validityDays);
    const pair = hierarchy.pairs.get(pairKey(p.region, family.id));
    if (!pair) throw new AppError('CertificateNotFound', `Certificate ${family.id} not found in region ${p.region}.`);

    try {
      const issued = await this.issueLeaf(
        serverProfile({ hostname: p.endpoint, keyType: family.keyType, now: this.clock.now(), validityDays: p.validityDays }),
        family.keyType,
        family.hash,
        pair.sub,
      );
      this.log.info('issued server certificate', {
        endpoint: p.endpoint,
        familyId: family.id,
        region: p.region,
        serialHex: issued.serialHex,
        notAfter: issued.notAfter.toISOString(),
      });
      return { ...issued, chainPem: issued.certPem + pair.sub.pem, familyId: family.id, keyType: family.keyType };
    } catch (e) {
      throw wrap(e, `issuing a server certificate for ${p.endpoint} (${family.id}, ${p.region})`);
    }
  }

  /** PEM of the internal link CA (ECDSA P-256, 10 years, CN `tlsql internal link CA`): the front door's only trust anchor for the link. */
  internalCaPem(): string {
    return this.requireHierarchy().link.pem;
  }

  /**
   * A new certificate the engine presents to the front door on the link: CN = SAN = `hostname`
   * (SAN iPAddress for an IP literal), EKU serverAuth, a fresh `keyType` key, signed by the internal
   * link CA, valid `validityDays` (default 365) from now-5min. `keyPem` is PKCS#8 PEM.
   */
  async issueLinkCertificate(p: { hostname: string; keyType: 'rsa2048' | 'ecdsa-p256'; validityDays?: number }): Promise<IssuedLinkCertificate> {
    const hierarchy = this.requireHierarchy();
    if (isIP(p.hostname) === 0 && !isValidDnsName(p.hostname)) {
      throw new AppError('InvalidParameterValue', `hostname ${JSON.stringify(p.hostname)} is neither a DNS name nor an IP address`);
    }
    if (p.keyType !== 'rsa2048' && p.keyType !== 'ecdsa-p256') {
      throw new AppError('InvalidParameterValue', `link key type must be rsa2048 or ecdsa-p256, got ${String(p.keyType)}`);
    }
    checkValidityDays(p.validityDays);
    try {
      const issued = await this.issueLeaf(
        serverProfile({ hostname: p.hostname, keyType: p.keyType, now: this.clock.now(), validityDays: p.validityDays }),
        p.keyType,
        LINK_HASH,
        hierarchy.link,
      );
      this.log.info('issued link certificate', { hostname: p.hostname, serialHex: issued.serialHex, notAfter: issued.notAfter.toISOString() });
      return { ...issued, chainPem: issued.certPem, keyType: p.keyType };
    } catch (e) {
      throw wrap(e, `issuing a link certificate for ${p.hostname}`);
    }
  }

  /** Roots only. No region: every family x region (global bundle); with a region: that region's roots. */
  bundlePem(region?: string): string {
    const h = this.requireHierarchy();
    if (region === undefined) return h.globalBundle;
    this.requireRegion(region);
    return h.regionalBundles.get(region) ?? '';
  }

  /** `<dir>/bundles/global-bundle.pem`, or `<dir>/bundles/<region>-bundle.pem`; the files are written by ensureHierarchy. */
  bundlePath(region?: string): string {
    if (region === undefined) return join(this.dir, 'bundles', 'global-bundle.pem');
    this.requireRegion(region);
    return join(this.dir, 'bundles', `${region}-bundle.pem`);
  }

  // ---------------------------------------------------------------------------------------------

  private requireHierarchy(): Hierarchy {
    if (!this.hierarchy) throw new AppError('InternalFailure', 'the CA is not loaded: call ensureHierarchy() first', { expose: false });
    return this.hierarchy;
  }

  private requireRegion(region: string): void {
    if (!this.regions.includes(region)) {
      throw new AppError('InvalidParameterValue', `region ${region} is not served; served regions: ${this.regions.join(', ')}`);
    }
  }

  private async issueLeaf(
    profile: CertificateProfile,
    keyType: KeyType,
    hash: SignatureHash,
    issuer: LoadedCa,
  ): Promise<Omit<IssuedCertificate, 'familyId' | 'keyType'>> {
    const keys = this.keySource ? await this.keySource.take(keyType, hash) : await this.generate(keyType, hash);
    const cert = await signCertificate({ profile, publicKey: keys.publicKey, signer: issuer.signer });
    const certPem = certificateToPem(cert);
    return {
      certPem,
      chainPem: certPem, // callers append the issuer when the server must send it
      keyPem: await exportPrivateKeyPem(keys.privateKey),
      serialHex: cert.serialNumber.toLowerCase(),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };
  }

  private async loadOrCreateHierarchy(): Promise<void> {
    try {
      await mkdir(this.dir, { recursive: true, mode: 0o755 });
      // Start everything at once: RSA-4096 key generation dominates and runs on the thread pool.
      const pairJobs = this.regions.flatMap((region) => CA_FAMILIES.map((family) => this.ensureFamilyRegion(family, region)));
      const linkJob = this.ensureLinkCa();
      // Wait for every job before failing, so no job is still writing files when the error surfaces.
      const settled = await Promise.allSettled<unknown>([...pairJobs, linkJob]);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) throw failure.reason;

      const pairs = new Map<string, FamilyRegionCa>();
      for (const pair of await Promise.all(pairJobs)) pairs.set(pairKey(pair.region, pair.family.id), pair);
      const regionalBundles = new Map<string, string>();
      for (const region of this.regions) {
        regionalBundles.set(region, CA_FAMILIES.map((f) => pairs.get(pairKey(region, f.id))?.root.pem ?? '').join(''));
      }
      const globalBundle = this.regions.map((r) => regionalBundles.get(r) ?? '').join('');
      await Promise.all([
        writePublicFile(this.bundlePath(), globalBundle),
        ...this.regions.map((r) => writePublicFile(this.bundlePath(r), regionalBundles.get(r) ?? '')),
      ]);
      this.hierarchy = { pairs, link: await linkJob, globalBundle, regionalBundles };
      this.log.info('CA hierarchy ready', { regions: [...this.regions], families: CA_FAMILIES.map((f) => f.id) });
    } catch (e) {
      throw wrap(e, 'ensuring the CA hierarchy');
    }
  }

  private async ensureFamilyRegion(family: CaFamily, region: string): Promise<FamilyRegionCa> {
    const rootFiles = this.caFiles(`${region}/${family.id}`, 'root');
    const subFiles = this.caFiles(`${region}/${family.id}`, 'sub');
    const ctx = { familyId: family.id, region };
    let root = await this.loadCa(rootFiles, family.keyType, family.hash);
    let sub = await this.loadCa(subFiles, family.keyType, family.hash);

    if (!root) {
      if (sub) {
        throw new AppError('InternalFailure', `subordinate ${subFiles.certPath} exists but its root ${rootFiles.certPath} does not; restore the root or remove the subordinate`, {
          expose: false,
          details: ctx,
        });
      }
      const [rootKeys, subKeys] = await Promise.all([this.generate(family.keyType, family.hash), this.generate(family.keyType, family.hash)]);
      const now = this.clock.now();
      root = await this.createCa(rootFiles, rootProfile({ region, family, now }), rootKeys, undefined, family.keyType, family.hash, ctx);
      sub = await this.createCa(subFiles, subordinateProfile({ region, family, now }), subKeys, root.signer, family.keyType, family.hash, ctx);
    } else if (!sub) {
      const subKeys = await this.generate(family.keyType, family.hash);
      sub = await this.createCa(subFiles, subordinateProfile({ region, family, now: this.clock.now() }), subKeys, root.signer, family.keyType, family.hash, ctx);
    }
    await checkIssuedBy(root, root, rootFiles.certPath);
    await checkIssuedBy(sub, root, subFiles.certPath);
    this.warnIfExpired(root, ctx);
    this.warnIfExpired(sub, ctx);

    return {
      family,
      region,
      root,
      sub,
      record: {
        familyId: family.id,
        region,
        rootPem: root.pem,
        subordinatePem: sub.pem,
        notBefore: root.cert.notBefore,
        notAfter: root.cert.notAfter,
        thumbprintSha1: createHash('sha1').update(new Uint8Array(root.cert.rawData)).digest('hex'),
      },
    };
  }

  private async ensureLinkCa(): Promise<LoadedCa> {
    const files = this.caFiles('internal', 'link-ca');
    const ctx = { ca: 'internal link CA' };
    let link = await this.loadCa(files, LINK_KEY_TYPE, LINK_HASH);
    if (!link) {
      const keys = await this.generate(LINK_KEY_TYPE, LINK_HASH);
      link = await this.createCa(files, linkCaProfile({ now: this.clock.now() }), keys, undefined, LINK_KEY_TYPE, LINK_HASH, ctx);
    }
    await checkIssuedBy(link, link, files.certPath);
    this.warnIfExpired(link, ctx);
    return link;
  }

  private caFiles(relDir: string, name: string): CaFiles {
    return {
      certPath: join(this.dir, relDir, `${name}.pem`),
      keyPath: join(this.dir, relDir, `${name}.key.sealed`),
      keyLabel: `pki/${relDir}/${name}.key`,
    };
  }

  /**
   * Signs and stores a new CA (key first, then certificate: a key without a certificate is an
   * interrupted creation and is replaced on the next run), then reads it back through loadCa so a
   * new CA passes the same checks as an existing one.
   */
  private async createCa(
    files: CaFiles,
    profile: CertificateProfile,
    keys: CryptoKeyPair,
    issuer: Signer | undefined,
    keyType: KeyType,
    hash: SignatureHash,
    ctx: Record<string, unknown>,
  ): Promise<LoadedCa> {
    const cert = await signCertificate({ profile, publicKey: keys.publicKey, signer: issuer ?? { privateKey: keys.privateKey, keyType, hash } });
    await writeSealedFile(files.keyPath, this.masterKey, files.keyLabel, await exportPrivateKeyPem(keys.privateKey));
    await writePublicFile(files.certPath, certificateToPem(cert));
    this.log.info('created CA', { ...ctx, subject: cert.subject, serialHex: cert.serialNumber, notAfter: cert.notAfter.toISOString(), path: files.certPath });
    const loaded = await this.loadCa(files, keyType, hash);
    if (!loaded) throw new AppError('InternalFailure', `CA certificate ${files.certPath} vanished right after it was written`, { expose: false });
    return loaded;
  }

  /** The CA stored at `files`, or undefined when its certificate does not exist yet. */
  private async loadCa(files: CaFiles, keyType: KeyType, hash: SignatureHash): Promise<LoadedCa | undefined> {
    if (!(await pathExists(files.certPath))) {
      if (await pathExists(files.keyPath)) {
        this.log.warn('CA key without certificate (interrupted creation); creating a new CA', { path: files.keyPath });
      }
      return undefined;
    }
    if (!(await pathExists(files.keyPath))) {
      throw new AppError('InternalFailure', `CA certificate ${files.certPath} has no private key at ${files.keyPath}`, { expose: false });
    }
    let cert: x509.X509Certificate;
    try {
      cert = new x509.X509Certificate(await readFile(files.certPath, 'utf8'));
    } catch (cause) {
      throw new AppError('InternalFailure', `cannot parse CA certificate ${files.certPath}`, { cause, expose: false });
    }
    const certKeyType = keyTypeOfSpki(new Uint8Array(cert.publicKey.rawData));
    if (certKeyType !== keyType) {
      throw new AppError('InternalFailure', `CA certificate ${files.certPath} has a ${certKeyType ?? 'unsupported'} key, expected ${keyType}`, { expose: false });
    }
    const keyPem = await readSealedFile(files.keyPath, this.masterKey, files.keyLabel);
    try {
      const spki = spkiOfPrivateKeyPem(keyPem);
      if (!spki.equals(new Uint8Array(cert.publicKey.rawData))) {
        throw new AppError('InternalFailure', `private key ${files.keyPath} does not match certificate ${files.certPath}`, { expose: false });
      }
      const privateKey = await importSigningKey(keyPem, keyType, hash);
      return { cert, pem: certificateToPem(cert), signer: { cert, privateKey, keyType, hash } };
    } finally {
      keyPem.fill(0);
    }
  }

  private async generate(keyType: KeyType, hash: SignatureHash): Promise<CryptoKeyPair> {
    const started = performance.now();
    const keys = await generateKeyPair(keyType, hash);
    this.log.debug('generated key pair', { keyType, durationMs: Math.round(performance.now() - started) });
    return keys;
  }

  private warnIfExpired(ca: LoadedCa, ctx: Record<string, unknown>): void {
    if (ca.cert.notAfter.getTime() <= this.clock.now().getTime()) {
      this.log.warn('CA certificate has expired', { ...ctx, subject: ca.cert.subject, notAfter: ca.cert.notAfter.toISOString() });
    }
  }
}

function pairKey(region: string, familyId: CaFamilyId): string {
  return `${region}/${familyId}`;
}

function checkValidityDays(days: number | undefined): void {
  if (days === undefined) return;
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    throw new AppError('InvalidParameterValue', `validityDays must be an integer from 1 to ${MAX_VALIDITY_DAYS}, got ${days}`);
  }
}

/** Checks that `child` names `issuer` as its issuer and carries a valid signature by `issuer`'s key. */
async function checkIssuedBy(child: LoadedCa, issuer: LoadedCa, path: string): Promise<void> {
  const ok =
    child.cert.issuer === issuer.cert.subject &&
    (await child.cert.verify({ publicKey: issuer.cert.publicKey, signatureOnly: true }, pkiCrypto));
  if (!ok) {
    throw new AppError('InternalFailure', `certificate ${path} is not signed by ${issuer.cert.subject}`, { expose: false });
  }
}
