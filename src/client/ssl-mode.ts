/**
 * MySQL 8's `--ssl-mode`, exactly:
 *   DISABLED         never TLS;
 *   PREFERRED        TLS when the server's greeting offers it, plaintext only when it does not
 *                    (a failed TLS handshake is an error, not a fallback); no certificate check;
 *   REQUIRED         TLS or fail; no certificate check;
 *   VERIFY_CA        TLS, chain checked against --ssl-ca/--ssl-capath; host name not checked;
 *   VERIFY_IDENTITY  TLS, chain and host name checked (the name typed with -h, or an IP literal
 *                    against the certificate's IP addresses).
 * Without --ssl-mode, --ssl-ca means VERIFY_CA (sslopt-case.h); VERIFY_* without a CA is an error.
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SecureVersion } from 'node:tls';
import { ClientError } from '../protocol/client-error.js';

/** The `--ssl-mode` values, weakest first. */
export const SSL_MODES = ['DISABLED', 'PREFERRED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'] as const;
/** One `--ssl-mode` value. */
export type SslMode = (typeof SSL_MODES)[number];

/** The mode in effect when none is given (PREFERRED; VERIFY_CA is set by the parser when --ssl-ca is). */
export const DEFAULT_SSL_MODE: SslMode = 'PREFERRED';

/** TLS settings exactly as given on the command line (options.ts); `resolveTlsSettings` turns them into what is used. */
export interface SslOptions {
  /** `--ssl-mode`, upper-cased; undefined when not given (PREFERRED, or VERIFY_CA with --ssl-ca). */
  mode: SslMode | undefined;
  /** `--ssl-ca`: PEM file of trusted roots (a bundle). */
  ca: string | undefined;
  /** `--ssl-capath`: directory of PEM files of trusted roots. */
  capath: string | undefined;
  /** `--ssl-cert` / `--ssl-key`: client certificate and key (PEM). */
  cert: string | undefined;
  key: string | undefined;
  /** `--ssl-cipher`: OpenSSL cipher list for TLS 1.2 and below. */
  cipher: string | undefined;
  /** `--tls-ciphersuites`: TLS 1.3 suites. */
  tlsCiphersuites: string | undefined;
  /** `--tls-version=TLSv1.2,TLSv1.3`: versions allowed, as given. */
  tlsVersions: string[] | undefined;
}

/** TLS settings ready for a connection attempt. */
export interface TlsSettings {
  mode: SslMode;
  /** PEM of trusted roots, only for VERIFY_CA / VERIFY_IDENTITY. */
  caPem: string | undefined;
  /** Files the roots came from, for messages (`--ssl-ca` path, or the `--ssl-capath` files). */
  caFiles: string[];
  certPem: string | undefined;
  keyPem: string | undefined;
  /** Node `ciphers`: --ssl-cipher and --tls-ciphersuites joined. */
  ciphers: string | undefined;
  minVersion: SecureVersion | undefined;
  maxVersion: SecureVersion | undefined;
}

const VERSION_ORDER: SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const VERSION_NAMES: Record<string, SecureVersion> = { 'TLSV1': 'TLSv1', 'TLSV1.0': 'TLSv1', 'TLSV1.1': 'TLSv1.1', 'TLSV1.2': 'TLSv1.2', 'TLSV1.3': 'TLSv1.3' };

/** `--tls-version` list -> Node min/max. Throws ClientError 2026 for unknown names, as MySQL does. */
export function tlsVersionRange(list: readonly string[]): { minVersion: SecureVersion; maxVersion: SecureVersion } {
  const versions = list.map((v) => {
    const n = VERSION_NAMES[v.toUpperCase()];
    if (n === undefined) throw ClientError.ssl(`unknown TLS version '${v}' in --tls-version (use TLSv1.2,TLSv1.3)`);
    return n;
  });
  if (versions.length === 0) throw ClientError.ssl('--tls-version lists no version');
  const idx = versions.map((v) => VERSION_ORDER.indexOf(v)).sort((a, b) => a - b);
  return { minVersion: VERSION_ORDER[idx[0] as number] as SecureVersion, maxVersion: VERSION_ORDER[idx[idx.length - 1] as number] as SecureVersion };
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw ClientError.ssl(`Unable to get ${what} '${path}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/**
 * Loads the files `ssl` names and decides the mode in effect. The CA is only loaded for the VERIFY
 * modes (MySQL ignores it otherwise). Throws ClientError 2026 for unreadable files or a VERIFY mode
 * without a CA.
 */
export function resolveTlsSettings(ssl: SslOptions): TlsSettings {
  const mode = ssl.mode ?? DEFAULT_SSL_MODE;
  let caPem: string | undefined;
  const caFiles: string[] = [];
  if (mode === 'VERIFY_CA' || mode === 'VERIFY_IDENTITY') {
    const parts: string[] = [];
    if (ssl.ca !== undefined) {
      parts.push(readPem(ssl.ca, 'CA certificate'));
      caFiles.push(ssl.ca);
    }
    if (ssl.capath !== undefined) {
      let names: string[];
      try {
        if (!statSync(ssl.capath).isDirectory()) throw new Error('not a directory');
        names = readdirSync(ssl.capath).filter((n) => /\.(pem|crt)$/i.test(n)).sort();
      } catch (e) {
        throw ClientError.ssl(`Unable to read CA path '${ssl.capath}': ${(e as Error).message}`);
      }
      for (const n of names) {
        parts.push(readPem(join(ssl.capath, n), 'CA certificate'));
        caFiles.push(join(ssl.capath, n));
      }
    }
    if (parts.length === 0) throw ClientError.ssl('CA certificate is required if ssl-mode is VERIFY_CA or VERIFY_IDENTITY');
    caPem = parts.join('\n');
    if (!caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw ClientError.ssl(`no PEM certificate found in ${caFiles.join(', ')}`);
    }
  }
  if ((ssl.cert === undefined) !== (ssl.key === undefined)) {
    throw ClientError.ssl(ssl.cert === undefined ? '--ssl-key given without --ssl-cert' : '--ssl-cert given without --ssl-key');
  }
  const ciphers = [ssl.cipher, ssl.tlsCiphersuites].filter((c): c is string => c !== undefined && c !== '').join(':') || undefined;
  const range = ssl.tlsVersions !== undefined ? tlsVersionRange(ssl.tlsVersions) : undefined;
  return {
    mode,
    caPem,
    caFiles,
    certPem: ssl.cert !== undefined ? readPem(ssl.cert, 'certificate') : undefined,
    keyPem: ssl.key !== undefined ? readPem(ssl.key, 'private key') : undefined,
    ciphers,
    minVersion: range?.minVersion,
    maxVersion: range?.maxVersion,
  };
}

/** What to do once the server's greeting is known. */
export type TlsDecision =
  | { useTls: false; reason: 'disabled' | 'not-offered' }
  | { useTls: true; verifyChain: boolean; verifyHostName: boolean };

/**
 * The mode's answer to "the server does (not) offer TLS". Throws ClientError 2026 when the mode
 * needs TLS and the server offers none.
 */
export function decideTls(mode: SslMode, serverOffersTls: boolean): TlsDecision {
  if (mode === 'DISABLED') return { useTls: false, reason: 'disabled' };
  if (!serverOffersTls) {
    if (mode === 'PREFERRED') return { useTls: false, reason: 'not-offered' };
    throw ClientError.ssl("SSL is required but the server doesn't support it");
  }
  return { useTls: true, verifyChain: mode === 'VERIFY_CA' || mode === 'VERIFY_IDENTITY', verifyHostName: mode === 'VERIFY_IDENTITY' };
}

/**
 * mysql2's `ssl` option for a decision to use TLS. mysql2 checks the chain when
 * `rejectUnauthorized` is true and the host name only with `verifyIdentity: true` (it passes a
 * no-op `checkServerIdentity` otherwise): exactly VERIFY_CA vs VERIFY_IDENTITY. REQUIRED and
 * PREFERRED encrypt without checking, which is what those modes mean.
 */
export function mysql2SslOptions(s: TlsSettings, d: Extract<TlsDecision, { useTls: true }>): Record<string, unknown> {
  const out: Record<string, unknown> = {
    rejectUnauthorized: d.verifyChain,
    verifyIdentity: d.verifyHostName,
  };
  if (d.verifyChain) out.ca = s.caPem;
  if (s.certPem !== undefined) out.cert = s.certPem;
  if (s.keyPem !== undefined) out.key = s.keyPem;
  if (s.ciphers !== undefined) out.ciphers = s.ciphers;
  if (s.minVersion !== undefined) out.minVersion = s.minVersion;
  if (s.maxVersion !== undefined) out.maxVersion = s.maxVersion;
  return out;
}
