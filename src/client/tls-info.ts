/**
 * What a client can say about its TLS session: version, cipher, the certificates the server sent,
 * and how the server's identity was (or was not) checked. Used by the banner, `status` and hints.
 */

import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { splitPemCertificates } from '../pki/inspect.js';
import type { SslMode } from './ssl-mode.js';

/** One certificate of the server's chain, as shown to users. */
export interface ChainEntry {
  subject: string;
  issuer: string;
  /** DNS names and IP addresses of the subjectAltName, e.g. `DNS:db1.example`. */
  altNames: string[];
  validFrom: Date;
  validTo: Date;
  fingerprint256: string;
  selfSigned: boolean;
}

export interface TlsSessionInfo {
  protocol: string;
  cipher: string;
  /** Leaf first, as far as the chain could be followed. */
  chain: ChainEntry[];
  /** The trusted root the chain ended at and the file it came from, when known. */
  anchor: { subject: string; file: string | undefined } | undefined;
}

/** How the connection ended up, for `status` and the banner. */
export interface IdentityReport {
  mode: SslMode;
  encrypted: boolean;
  /** One sentence, e.g. `verified: chain to "tlsql us-east-1 Root CA RSA2048 G1" (global-bundle.pem) and host name db1... in the certificate`. */
  summary: string;
}

function cnOf(dn: Record<string, unknown> | undefined): string {
  if (dn === undefined) return '';
  const cn = dn.CN;
  if (typeof cn === 'string') return cn;
  if (Array.isArray(cn)) return String(cn[0]);
  return Object.entries(dn)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join(', ');
}

/** Reads the version, cipher and certificate chain of an established TLS socket. */
export function describeTlsSocket(sock: TLSSocket, caFiles: readonly string[] = []): TlsSessionInfo {
  const chain: ChainEntry[] = [];
  let cert = sock.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  const seen = new Set<string>();
  while (cert && 'fingerprint256' in cert && !seen.has(cert.fingerprint256)) {
    seen.add(cert.fingerprint256);
    chain.push({
      subject: cnOf(cert.subject as unknown as Record<string, unknown>),
      issuer: cnOf(cert.issuer as unknown as Record<string, unknown>),
      altNames: cert.subjectaltname ? cert.subjectaltname.split(', ').map((s) => s.replace(/^IP Address:/, 'IP:')) : [],
      validFrom: new Date(cert.valid_from),
      validTo: new Date(cert.valid_to),
      fingerprint256: cert.fingerprint256,
      selfSigned: cert.issuerCertificate === cert,
    });
    if (cert.issuerCertificate === undefined || cert.issuerCertificate === cert) break;
    cert = cert.issuerCertificate;
  }
  let anchor: TlsSessionInfo['anchor'];
  const top = chain[chain.length - 1];
  if (top !== undefined && sock.authorized) {
    // The chain Node walked ends at the root it trusted: find which CA file holds it.
    anchor = { subject: top.selfSigned ? top.subject : top.issuer, file: findCaFile(top, caFiles) };
  }
  const c = sock.getCipher();
  return { protocol: sock.getProtocol() ?? 'unknown', cipher: c?.standardName ?? c?.name ?? 'unknown', chain, anchor };
}

function findCaFile(top: ChainEntry, caFiles: readonly string[]): string | undefined {
  for (const f of caFiles) {
    let pem: string;
    try {
      pem = readFileSync(f, 'utf8');
    } catch {
      continue; // the file was readable when the connection was made; a message naming no file is fine
    }
    for (const p of splitPemCertificates(pem)) {
      try {
        const x = new X509Certificate(p);
        if (x.fingerprint256 === top.fingerprint256 || (!top.selfSigned && cnOf(parseDn(x.subject)) === top.issuer)) return f;
      } catch {
        // an unparsable member of a bundle cannot be the anchor; keep looking
      }
    }
  }
  return caFiles.length === 1 ? caFiles[0] : undefined;
}

/** `C=US\nO=tlsql\nCN=x` (node:crypto's format) -> {C, O, CN}. */
function parseDn(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of s.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

/** The sentence `status` shows about the server's identity. */
export function identityReport(mode: SslMode, host: string, tls: TlsSessionInfo | undefined, plaintextReason?: 'disabled' | 'not-offered'): IdentityReport {
  if (tls === undefined) {
    const why = plaintextReason === 'not-offered' ? 'the server offers no TLS (PREFERRED fell back to plaintext)' : '--ssl-mode=DISABLED';
    return { mode, encrypted: false, summary: `not verified, not encrypted: ${why}` };
  }
  if (mode === 'PREFERRED' || mode === 'REQUIRED') {
    return { mode, encrypted: true, summary: `NOT verified: --ssl-mode=${mode} encrypts but accepts any certificate (use --ssl-mode=VERIFY_IDENTITY --ssl-ca=global-bundle.pem)` };
  }
  const root = tls.anchor ? `"${tls.anchor.subject}"${tls.anchor.file ? ` from ${basename(tls.anchor.file)}` : ''}` : 'a trusted root';
  if (mode === 'VERIFY_CA') {
    return { mode, encrypted: true, summary: `chain verified to ${root}; host name NOT checked (VERIFY_CA)` };
  }
  const leaf = tls.chain[0];
  const match = leaf?.altNames.find((n) => n.toLowerCase() === `dns:${host.toLowerCase()}` || n === `IP:${host}`) ?? `CN ${leaf?.subject ?? '?'}`;
  return { mode, encrypted: true, summary: `verified (VERIFY_IDENTITY): chain to ${root}, host name ${host} matches ${match}` };
}
