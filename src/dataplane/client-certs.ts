import { X509Certificate } from 'node:crypto';
import { normaliseSerialHex, type Revocation } from '../model/client-certificate.js';
import type { Signer } from '../pki/sign.js';
import { onelineName } from '../pki/client-ca.js';
import { LinkIdentity } from './link-identity.js';

/**
 * Client certificates at the front door (docs/design.md "Client certificates"): which CAs an instance
 * trusts for client certificates, the check of what a client presented, and the link identities
 * (certificate + key) that carry the client's subject to the engine so that MariaDB enforces
 * REQUIRE X509 / ISSUER / SUBJECT itself.
 */

/** One CA an instance trusts for client certificates. */
export interface TrustedClientCa {
  /** The CA clients' certificates are issued by: the front door's trust anchor. */
  caPem: string;
  /**
   * Signs link certificates for clients of this CA. tlsql's own client CA signs with its real key;
   * an operator's CA is stood in for by its shadow (same subject, tlsql's key, trusted only by the engine).
   */
  linkSigner: Signer;
  source: 'tlsql' | 'operator';
  /**
   * Certificates of this CA that are revoked, by `normaliseSerialHex` serial: tlsql's own
   * revocations for its client CA, the imported CRL's entries for an operator CA. Default none.
   */
  revoked?: ReadonlyMap<string, Revocation>;
}

/** What a client presented, as describe-db-connections shows it. */
export interface ClientCertificateInfo {
  /** OpenSSL one-line form, e.g. `/C=US/O=acme/CN=app`. */
  subject: string;
  issuer: string;
  serialHex: string;
  notAfter: Date;
  /** Null when trusted; else why the front door refused it (e.g. `CERT_HAS_EXPIRED`). */
  refusedReason: string | null;
}

export type ClientCertificateCheck =
  | { kind: 'none' }
  | { kind: 'refused'; info: ClientCertificateInfo | null; reason: string; revocation?: Revocation }
  | { kind: 'trusted'; info: ClientCertificateInfo; linkIdentity: () => Promise<LinkIdentity> };

/** Issues a link certificate for a trusted client certificate (see pki/client-ca.ts issueLinkClientCertificate). */
export type LinkCertificateIssuer = (p: { clientCertDer: Uint8Array; issuer: Signer }) => Promise<{ certPem: string; keyPem: string; notAfter: Date }>;

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EKU_OID = '2.5.29.37.0';

/** What the client's TLS handshake showed of its certificate (native-session.ts ServerTlsResult). */
export interface PresentedCertificate {
  /** DER, leaf first; empty when the client presented none. */
  peerCertificates: readonly Buffer[];
  /**
   * OpenSSL's verdict on the chain against the context's client CAs, as Node names it (e.g.
   * `CERT_HAS_EXPIRED`); null when it verified. The handshake itself never fails on it: the
   * certificate is optional, and this check enforces the verdict.
   */
  verifyError: string | null;
}

/** Link identities are reused until this long before they expire. */
const LINK_IDENTITY_REFRESH_MS = 5 * 60 * 1000;
/** Most client certificates whose link identity is kept; the oldest is dropped beyond this. */
const MAX_CACHED_IDENTITIES = 1024;

interface CachedIdentity {
  identity: Promise<LinkIdentity>;
  /** ms since the epoch after which a new identity is issued. */
  renewAtMs: number;
}

/**
 * An instance's client-certificate trust list, immutable: a change builds a new one (and the
 * front door a new secure context, whose fresh ticket keys also stop resumed sessions from
 * carrying a verdict made under the old list).
 */
export class ClientTrust {
  /** Every trusted CA, PEM concatenated: the `ca` of the front door's secure context. */
  readonly caPem: string;
  private readonly cas: { entry: TrustedClientCa; x509: X509Certificate }[];
  private readonly identities = new Map<string, CachedIdentity>();

  constructor(
    entries: readonly TrustedClientCa[],
    private readonly issueLink: LinkCertificateIssuer,
    private readonly nowMs: () => number = Date.now,
  ) {
    this.cas = entries.map((entry) => ({ entry, x509: new X509Certificate(entry.caPem) }));
    this.caPem = entries.map((e) => e.caPem.trimEnd() + '\n').join('');
  }

  get size(): number {
    return this.cas.length;
  }

  /**
   * Judges the certificate a client presented in the TLS handshake. The front door requests
   * client certificates as optional (so clients without one still connect); OpenSSL has verified
   * the chain against `caPem` anyway, and its verdict (`verifyError`) is enforced here: an unverified, expired or
   * unsuitable certificate is refused, never passed on. The issuer must also be a listed CA that
   * signed the leaf directly, the leaf must be an end-entity certificate for client auth and be
   * within its validity period: checked again here, so neither check alone decides.
   */
  check(presented: PresentedCertificate): ClientCertificateCheck {
    const leaf = presented.peerCertificates[0];
    if (!leaf) return { kind: 'none' };
    const peer = new X509Certificate(leaf);
    const base = {
      subject: onelineName(peer.subject),
      issuer: onelineName(peer.issuer),
      serialHex: normaliseSerialHex(peer.serialNumber),
      notAfter: new Date(peer.validTo),
    };
    const refuse = (reason: string): ClientCertificateCheck => ({ kind: 'refused', reason, info: { ...base, refusedReason: reason } });
    if (presented.verifyError !== null) return refuse(presented.verifyError);
    // The CA that issued the leaf must itself be in the list: its subject is what the engine
    // must see as the issuer, and only listed CAs have a link signer.
    const issuer = this.cas.find((c) => peer.checkIssued(c.x509) && peer.verify(c.x509.publicKey));
    if (!issuer) return refuse('the issuing CA is not in the trust list (import the CA that issues client certificates, not only its root)');
    const now = this.nowMs();
    for (const c of [peer, issuer.x509]) {
      if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) return refuse(`certificate ${onelineName(c.subject)} is not valid now (${c.validFrom} - ${c.validTo})`);
    }
    if (peer.ca) return refuse('the client presented a CA certificate');
    // Revocation is checked here, after OpenSSL's handshake, rather than with CRLs in the native
    // X509_STORE (native/core/tls-context.cc): the verdict of an optional client certificate is
    // already enforced here; a revocation then needs no CRL file, no new native context and no
    // CRL expiry handling in C++, only a new ClientTrust (a map lookup per certificate login); and
    // the client gets a MySQL error packet that says "revoked" (mysql2 and the mariadb CLI print
    // it), where a TLS alert shows as a bare "certificate revoked" alert or a lost connection.
    const revocation = issuer.entry.revoked?.get(base.serialHex);
    if (revocation) {
      const reason = `certificate serial ${base.serialHex} was revoked on ${revocation.revokedAt.toISOString()} (${revocation.reason})`;
      return { kind: 'refused', reason, info: { ...base, refusedReason: reason }, revocation };
    }
    if (peer.keyUsage !== undefined && !peer.keyUsage.includes(CLIENT_AUTH_OID) && !peer.keyUsage.includes(ANY_EKU_OID)) {
      return refuse('the certificate is not for client authentication (extended key usage has no clientAuth)');
    }
    return { kind: 'trusted', info: { ...base, refusedReason: null }, linkIdentity: () => this.identityFor(peer, issuer.entry) };
  }

  private identityFor(peer: X509Certificate, issuer: TrustedClientCa): Promise<LinkIdentity> {
    const key = peer.fingerprint256;
    const now = this.nowMs();
    const cached = this.identities.get(key);
    if (cached && cached.renewAtMs > now) return cached.identity;
    const identity = this.issueLink({ clientCertDer: new Uint8Array(peer.raw), issuer: issuer.linkSigner }).then((c) => new LinkIdentity(c.certPem, c.keyPem, c.notAfter));
    const entry: CachedIdentity = { identity, renewAtMs: now + 60_000 };
    identity.then(
      (id) => {
        entry.renewAtMs = id.notAfter.getTime() - LINK_IDENTITY_REFRESH_MS;
      },
      () => {
        // A failed issuance is not cached: the next login tries again.
        if (this.identities.get(key) === entry) this.identities.delete(key);
      },
    );
    this.identities.delete(key);
    this.identities.set(key, entry);
    if (this.identities.size > MAX_CACHED_IDENTITIES) this.identities.delete(this.identities.keys().next().value!);
    return identity;
  }
}
