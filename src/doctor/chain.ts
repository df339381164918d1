/**
 * Offline certificate-chain checks for `tlsql doctor`: does the chain a server sent verify against
 * a bundle file, and if not, why (no matching root, an outdated root, a regional bundle of another
 * region, only the intermediate, a pinned leaf, an expired link)? Pure functions over
 * node:crypto X509Certificate, with the time passed in, so expired certificates are tested with
 * a moved clock rather than by waiting.
 */

import { X509Certificate } from 'node:crypto';
import { splitPemCertificates } from '../pki/inspect.js';

/** A bundle file and its certificates. */
export interface Bundle {
  /** How to name it in messages: the path as given. */
  path: string;
  /** Where it came from: `--ssl-ca`, or the tlsql data dir. */
  origin: 'ssl-ca' | 'data-dir';
  certs: X509Certificate[];
  /** Members that could not be parsed (reported, not fatal). */
  unparsable: number;
}

/** Why a bundle does (not) verify a chain. */
export type BundleVerdict =
  /** A root in the bundle signed the top of the chain, and every link is valid at `now`. */
  | 'verifies'
  /** The chain links to a root in the bundle, but some certificate is outside its validity at `now`. */
  | 'expired'
  /** The bundle has a root with the issuer's name but another key: an old bundle, or another installation's. */
  | 'outdated'
  /** The bundle's roots are all of other regions than the chain's root. */
  | 'other-region'
  /** The bundle holds the issuing intermediate but not its root: only clients that accept any trusted certificate as anchor (Java) verify. */
  | 'intermediate-only'
  /** The bundle holds the server certificate itself: pinned, breaks on the next rotation. */
  | 'pinned-leaf'
  /** None of the above: no certificate of the bundle relates to this chain. */
  | 'no-issuer'
  | 'empty';

export interface BundleCheck {
  bundle: Bundle;
  verdict: BundleVerdict;
  /** The root that anchors the chain (subject CN), when one was found. */
  anchor: string | undefined;
  /** One sentence, for the report. */
  detail: string;
}

/** Reads a PEM bundle. Unparsable members are counted, not thrown. */
export function parseBundle(path: string, pem: string, origin: Bundle['origin']): Bundle {
  const certs: X509Certificate[] = [];
  let unparsable = 0;
  for (const p of splitPemCertificates(pem)) {
    try {
      certs.push(new X509Certificate(p));
    } catch {
      unparsable++;
    }
  }
  return { path, origin, certs, unparsable };
}

/** `CN` of a node:crypto DN (`C=US\nO=tlsql\nCN=x`), else the whole DN on one line. */
export function commonName(dn: string): string {
  const m = /(?:^|\n)CN=([^\n]*)/.exec(dn);
  return m ? (m[1] as string) : dn.replace(/\n/g, ', ');
}

/** The region named in a CA's common name (`tlsql us-east-1 Root CA ...`, `Amazon RDS eu-west-1 Root CA ...`). */
export function regionOfCa(cn: string): string | undefined {
  return /\b([a-z]{2}(?:-[a-z]+)+-\d)\b/.exec(cn)?.[1];
}

function isSelfSigned(c: X509Certificate): boolean {
  return c.subject === c.issuer && c.checkIssued(c) && safeVerify(c, c);
}

function safeVerify(child: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** True when `issuer` issued `child`: names match and the signature verifies. */
export function issued(issuer: X509Certificate, child: X509Certificate): boolean {
  return child.checkIssued(issuer) && safeVerify(child, issuer);
}

/** True when `c` is valid at `now`. */
export function validAt(c: X509Certificate, now: Date): boolean {
  return new Date(c.validFrom).getTime() <= now.getTime() && now.getTime() <= new Date(c.validTo).getTime();
}

/**
 * The chain as linked: the sent certificates from the leaf up, following issuer links among them
 * (servers may send them in any order), without the roots. A sent self-signed root ends the chain
 * and is returned separately: it is never a trust anchor by itself being sent.
 */
export function linkChain(sent: readonly X509Certificate[]): { chain: X509Certificate[]; sentRoot: X509Certificate | undefined } {
  const leaf = sent[0];
  if (leaf === undefined) return { chain: [], sentRoot: undefined };
  const chain = [leaf];
  let sentRoot: X509Certificate | undefined;
  const rest = sent.slice(1);
  for (;;) {
    const top = chain[chain.length - 1] as X509Certificate;
    if (isSelfSigned(top)) {
      chain.pop();
      sentRoot = top;
      break;
    }
    const next = rest.find((c) => !chain.includes(c) && issued(c, top));
    if (next === undefined) break;
    if (isSelfSigned(next)) {
      sentRoot = next;
      break;
    }
    chain.push(next);
  }
  return { chain, sentRoot };
}

/** Checks `chain` (leaf first, roots excluded: see linkChain) against one bundle at time `now`. */
export function checkBundle(chain: readonly X509Certificate[], bundle: Bundle, now: Date): BundleCheck {
  const top = chain[chain.length - 1];
  const leaf = chain[0];
  const check = (verdict: BundleVerdict, detail: string, anchor?: string): BundleCheck => ({ bundle, verdict, anchor, detail });
  if (bundle.certs.length === 0) return check('empty', `${bundle.path} holds no certificate`);
  if (top === undefined || leaf === undefined) return check('no-issuer', 'the server sent no certificate');
  const wantedIssuer = commonName(top.issuer);

  const root = bundle.certs.find((c) => issued(c, top));
  if (root !== undefined) {
    const expired = [...chain, root].filter((c) => !validAt(c, now));
    const anchor = commonName(root.subject);
    if (expired.length > 0) {
      const iso = (d: string) => new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const names = expired.map((c) => `"${commonName(c.subject)}" (valid ${iso(c.validFrom)} to ${iso(c.validTo)})`).join(', ');
      return check('expired', `links to "${anchor}", but at ${now.toISOString().replace(/\.\d{3}Z$/, 'Z')} ${names} ${expired.length === 1 ? 'is' : 'are'} not valid`, anchor);
    }
    return check('verifies', `verifies: chain ends at "${anchor}"`, anchor);
  }
  if (bundle.certs.some((c) => c.fingerprint256 === leaf.fingerprint256)) {
    return check('pinned-leaf', `holds the server certificate itself, not its CA: this pins one certificate and breaks at the next rotation`);
  }
  const intermediate = chain.find((c, i) => i > 0 && bundle.certs.some((b) => b.fingerprint256 === c.fingerprint256));
  if (intermediate !== undefined) {
    return check(
      'intermediate-only',
      `holds the intermediate "${commonName(intermediate.subject)}" but not the root "${wantedIssuer}": Java truststores accept that, OpenSSL-based clients (mysql, mysql2, PyMySQL, Go) do not`,
    );
  }
  const sameName = bundle.certs.find((c) => c.subject === top.issuer);
  if (sameName !== undefined) {
    return check(
      'outdated',
      `has a root named "${wantedIssuer}" but with another key (fingerprint ${sameName.fingerprint256.slice(0, 23)}...): the bundle is outdated or from another tlsql installation`,
    );
  }
  const wantedRegion = regionOfCa(wantedIssuer);
  const bundleRegions = new Set(bundle.certs.map((c) => regionOfCa(commonName(c.subject))).filter((r): r is string => r !== undefined));
  if (wantedRegion !== undefined && bundleRegions.size > 0 && !bundleRegions.has(wantedRegion)) {
    return check('other-region', `holds roots of ${[...bundleRegions].sort().join(', ')} only; the server's chain needs "${wantedIssuer}" (${wantedRegion})`);
  }
  const sample = bundle.certs.slice(0, 2).map((c) => `"${commonName(c.subject)}"`).join(', ');
  return check('no-issuer', `has no root for "${wantedIssuer}" (it holds ${bundle.certs.length} certificate${bundle.certs.length === 1 ? '' : 's'}, e.g. ${sample})`);
}

/** The certificate that issued the leaf, when the server sent it: what apps that take one CA certificate need. */
export function issuingIntermediate(chain: readonly X509Certificate[]): X509Certificate | undefined {
  return chain.length > 1 ? chain[1] : undefined;
}
