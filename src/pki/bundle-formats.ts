/**
 * CA bundles in the formats clients ask for: PEM (roots concatenated), PKCS#7 certificates-only
 * (`.p7b`, as RDS also publishes) and a PKCS#12 truststore for Java, whose keystores import only the
 * first certificate of a PEM bundle. Also resolves the public bundle file names the API serves.
 */
import { X509Certificate, createHash, createHmac } from 'node:crypto';
import type { CertificateAuthority } from './certificate-authority.js';
import { ctx, bmpString, int, nul, octets, oid, pemEncode, seq, setOf } from './der.js';
import { isCaFamilyId, type CaFamilyId } from './families.js';
import { splitPemCertificates } from './inspect.js';

const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  friendlyName: '1.2.840.113549.1.9.20',
  /** Oracle's "trusted key usage" bag attribute: what makes Java read a cert bag as a trustedCertEntry. */
  oracleTrustedKeyUsage: '2.16.840.1.113894.746875.1.1',
  anyExtendedKeyUsage: '2.5.29.37.0',
  sha256: '2.16.840.1.101.3.4.2.1',
} as const;

/** DER of every certificate in a PEM text, in order. */
export function pemCertificatesToDer(pem: string): Buffer[] {
  return splitPemCertificates(pem).map((p) =>
    Buffer.from(
      p
        .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
        .replace(/\s+/g, ''),
      'base64',
    ),
  );
}

/**
 * A PKCS#7 SignedData with certificates and no signers (a "certs-only" bundle, what
 * `openssl crl2pkcs7 -nocrl` writes), PEM-armoured (`-----BEGIN PKCS7-----`). Certificates keep
 * their order. Read it with `openssl pkcs7 -print_certs -in bundle.p7b`.
 */
export function encodePkcs7Bundle(pem: string): string {
  const certs = pemCertificatesToDer(pem);
  if (certs.length === 0) throw new RangeError('a PKCS#7 bundle needs at least one certificate');
  const signedData = seq(
    int(1),
    setOf(), // digestAlgorithms
    seq(oid(OID.data)), // encapContentInfo without content
    ctx(0, ...certs), // certificates [0] IMPLICIT SET OF Certificate
    setOf(), // signerInfos
  );
  return pemEncode('PKCS7', seq(oid(OID.signedData), ctx(0, signedData)));
}

/** Options of `encodePkcs12TrustStore`; every field has a default. */
export interface TrustStoreOptions {
  /** PBKDF iterations for the integrity MAC. Default 10000 (what Java 17's keytool writes). */
  iterations?: number;
  /** MAC salt. Default: 20 bytes derived from the certificates, so the same bundle gives the same file. */
  salt?: Buffer;
  /** Alias of certificate i (Java lower-cases aliases). Default: its subject CN, or `tlsql-ca-<i>`. */
  alias?: (certDer: Buffer, index: number) => string;
}

/**
 * A PKCS#12 truststore holding every certificate of `pem` as a Java `trustedCertEntry` (cert bags
 * carrying Oracle's trusted-key-usage attribute, which OpenSSL 3.0 cannot write), unencrypted (the
 * certificates are public) with an HMAC-SHA256 integrity MAC under `password` (RFC 7292, as Java 17
 * writes). Check with `keytool -list -keystore x.p12 -storetype PKCS12 -storepass <password>`.
 */
export function encodePkcs12TrustStore(pem: string, password: string, opts: TrustStoreOptions = {}): Buffer {
  const certs = pemCertificatesToDer(pem);
  if (certs.length === 0) throw new RangeError('a truststore needs at least one certificate');
  if (password.length === 0) throw new RangeError('a PKCS#12 truststore needs a non-empty password');
  const iterations = opts.iterations ?? 10_000;
  const aliasOf = opts.alias ?? ((der: Buffer, i: number) => commonNameOf(der) ?? `tlsql-ca-${i + 1}`);
  const used = new Set<string>();
  const bags = certs.map((der, i) => {
    let alias = aliasOf(der, i).toLowerCase();
    for (let n = 2; used.has(alias); n++) alias = `${aliasOf(der, i).toLowerCase()} (${n})`;
    used.add(alias);
    return seq(
      oid(OID.certBag),
      ctx(0, seq(oid(OID.x509Certificate), ctx(0, octets(der)))),
      setOf(
        seq(oid(OID.friendlyName), setOf(bmpString(alias))),
        seq(oid(OID.oracleTrustedKeyUsage), setOf(oid(OID.anyExtendedKeyUsage))),
      ),
    );
  });
  const safeContents = seq(...bags);
  const authSafe = seq(seq(oid(OID.data), ctx(0, octets(safeContents))));
  const salt = opts.salt ?? createHash('sha256').update('tlsql truststore salt').update(Buffer.concat(certs)).digest().subarray(0, 20);
  const macKey = pkcs12Kdf(password, salt, 3, iterations, 32);
  const mac = createHmac('sha256', macKey).update(authSafe).digest();
  const macData = seq(seq(seq(oid(OID.sha256), nul()), octets(mac)), octets(salt), int(iterations));
  return seq(int(3), seq(oid(OID.data), ctx(0, octets(authSafe))), macData);
}

/**
 * The PKCS#12 key derivation of RFC 7292 appendix B.2 with SHA-256 (u = 32, v = 64 bytes).
 * `id` 1 = encryption key, 2 = IV, 3 = MAC key. The password is BMPString with a NUL terminator.
 */
export function pkcs12Kdf(password: string, salt: Buffer, id: 1 | 2 | 3, iterations: number, bytes: number): Buffer {
  const u = 32;
  const v = 64;
  const pwd = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const D = Buffer.alloc(v, id);
  const fill = (b: Buffer) => {
    if (b.length === 0) return Buffer.alloc(0);
    const out = Buffer.alloc(v * Math.ceil(b.length / v));
    for (let i = 0; i < out.length; i++) out[i] = b[i % b.length]!;
    return out;
  };
  const I = Buffer.concat([fill(salt), fill(pwd)]);
  const out: Buffer[] = [];
  for (let produced = 0; produced < bytes; produced += u) {
    let A = createHash('sha256').update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash('sha256').update(A).digest();
    out.push(A);
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      // I_j = (I_j + B + 1) mod 2^(8v)
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k]! + B[k]! + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, bytes);
}

/** The first CN of a certificate's subject, read with Node's parser. */
function commonNameOf(der: Buffer): string | undefined {
  try {
    return /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(der).subject)?.[1];
  } catch {
    // An unparseable certificate still gets a generated alias; the encoder does not judge content.
    return undefined;
  }
}

// --- public bundle files ------------------------------------------------------------------------

/** What a public bundle file name asks for. */
export interface BundleSelection {
  /** Undefined: every region. */
  region: string | undefined;
  /** Undefined: every CA family. */
  familyId: CaFamilyId | undefined;
  format: 'pem' | 'p7b';
}

/**
 * Parses a bundle file name: `global-bundle`, `<region>-bundle`, `<ca-id>-bundle` or
 * `<region>-<ca-id>-bundle`, each `.pem` or `.p7b`. Null for any other name.
 */
export function parseBundleFileName(name: string, regions: readonly string[]): BundleSelection | null {
  const m = /^([a-z0-9-]+)-bundle\.(pem|p7b)$/.exec(name);
  if (!m) return null;
  const prefix = m[1]!;
  const format = m[2] as 'pem' | 'p7b';
  if (prefix === 'global') return { region: undefined, familyId: undefined, format };
  if (isCaFamilyId(prefix)) return { region: undefined, familyId: prefix, format };
  for (const region of regions) {
    if (prefix === region) return { region, familyId: undefined, format };
    const rest = prefix.startsWith(`${region}-`) ? prefix.slice(region.length + 1) : '';
    if (isCaFamilyId(rest)) return { region, familyId: rest, format };
  }
  return null;
}

/** The file name for a selection (inverse of parseBundleFileName). */
export function bundleFileNameFor(sel: { region?: string | undefined; familyId?: string | undefined; format?: 'pem' | 'p7b' | 'p12' }): string {
  const prefix = [sel.region, sel.familyId].filter((x): x is string => x !== undefined).join('-') || 'global';
  return `${prefix}-bundle.${sel.format ?? 'pem'}`;
}

/**
 * Root certificates (PEM) of the selection, regions in configured order and families in
 * CA_FAMILIES order. Every family is always present, whatever instances use today, so a CA an
 * instance will rotate to is trusted by clients before the switch.
 */
export function bundlePemFor(ca: CertificateAuthority, sel: Pick<BundleSelection, 'region' | 'familyId'>): string {
  return ca
    .records()
    .filter((r) => (sel.region === undefined || r.region === sel.region) && (sel.familyId === undefined || r.familyId === sel.familyId))
    .map((r) => r.rootPem)
    .join('');
}

/** The content of public bundle file `name`, or null when the name is unknown. */
export function resolveBundleFile(ca: CertificateAuthority, regions: readonly string[], name: string): string | null {
  const sel = parseBundleFileName(name, regions);
  if (!sel) return null;
  const pem = bundlePemFor(ca, sel);
  if (pem === '') return null;
  return sel.format === 'pem' ? pem : encodePkcs7Bundle(pem);
}
