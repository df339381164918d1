import { constants } from 'node:crypto';
import { AppError } from '../errors/app-error.js';

/** MariaDB's `tls_version` tokens. `TLSv1` alone is not one (mariadbd refuses it). */
export type TlsVersionToken = 'TLSv1.0' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
/** Node's names for the same versions. */
export type NodeTlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

const ORDER: TlsVersionToken[] = ['TLSv1.0', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
const toNode: Record<TlsVersionToken, NodeTlsVersion> = { 'TLSv1.0': 'TLSv1', 'TLSv1.1': 'TLSv1.1', 'TLSv1.2': 'TLSv1.2', 'TLSv1.3': 'TLSv1.3' };

/** TLS versions each engine version supports by default (docs/reference.md §3). */
export const ENGINE_DEFAULT_TLS_VERSIONS: Record<string, TlsVersionToken[]> = {
  '10.11': ['TLSv1.2', 'TLSv1.3'],
  '11.4': ['TLSv1.2', 'TLSv1.3'],
  '11.8': ['TLSv1.2', 'TLSv1.3'],
};

/**
 * Forward-secret AEAD suites only for TLS 1.2 (no RSA key exchange, no CBC, no SHA-1 MACs);
 * every TLS 1.3 suite is AEAD with ECDHE already.
 */
export const SECURE_TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');
export const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';
/** Legacy clients (TLS 1.0/1.1) need CBC-SHA1 suites and OpenSSL security level 0. */
const LEGACY_CIPHERS = 'ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:@SECLEVEL=0';

export interface TlsPolicy {
  versions: TlsVersionToken[];
  minVersion: NodeTlsVersion;
  maxVersion: NodeTlsVersion;
  /** OpenSSL cipher string (TLS 1.2 and below) followed by TLS 1.3 suites, as Node's `ciphers` takes them. */
  ciphers: string;
  /** True when TLS 1.0/1.1 are allowed: weaker than the engine default, flagged to operators. */
  insecure: boolean;
  /**
   * OpenSSL `SSL_OP_NO_TLSv1_x` flags for versions inside [minVersion, maxVersion] that the policy
   * leaves out (e.g. `TLSv1.0,TLSv1.3`), so a gap is refused in the handshake itself. 0 without a gap.
   */
  secureOptions: number;
}

const NO_VERSION_FLAG: Record<TlsVersionToken, number> = {
  'TLSv1.0': constants.SSL_OP_NO_TLSv1,
  'TLSv1.1': constants.SSL_OP_NO_TLSv1_1,
  'TLSv1.2': constants.SSL_OP_NO_TLSv1_2,
  'TLSv1.3': constants.SSL_OP_NO_TLSv1_3,
};

/** True when `protocol` (Node's name, as `TLSSocket.getProtocol()` returns it) is one the policy allows. */
export function policyAllowsProtocol(policy: TlsPolicy, protocol: string | null): boolean {
  return policy.versions.some((v) => toNode[v] === protocol);
}

/** Engine minor version key ("10.11") of a full version ("10.11.19"). */
export function engineMinor(version: string): string {
  return version.split('.').slice(0, 2).join('.');
}

/**
 * Parses a `tls_version` parameter value (comma-separated MariaDB tokens). Throws
 * InvalidParameterValue for anything else, naming the bad token.
 */
export function parseTlsVersionParameter(value: string): TlsVersionToken[] {
  const tokens = value.split(',').map((t) => t.trim()).filter(Boolean);
  if (tokens.length === 0) throw new AppError('InvalidParameterValue', 'tls_version must list at least one of TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3');
  for (const t of tokens) {
    if (!ORDER.includes(t as TlsVersionToken)) {
      throw new AppError('InvalidParameterValue', `Invalid parameter value: ${t} for tls_version. Allowed values: TLSv1.0,TLSv1.1,TLSv1.2,TLSv1.3`);
    }
  }
  return ORDER.filter((v) => tokens.includes(v));
}

/**
 * The TLS policy of an instance: the engine's default versions, or exactly the `tls_version`
 * parameter when set (which may narrow, or explicitly widen to legacy versions).
 * Node expresses a contiguous range; a gap (e.g. 1.0 and 1.3) is cut out with `secureOptions`.
 */
export function tlsPolicyFor(engineVersion: string, tlsVersionParameter?: string | null): TlsPolicy {
  const defaults = ENGINE_DEFAULT_TLS_VERSIONS[engineMinor(engineVersion)] ?? ['TLSv1.2', 'TLSv1.3'];
  const versions = tlsVersionParameter ? parseTlsVersionParameter(tlsVersionParameter) : defaults;
  const insecure = versions.includes('TLSv1.0') || versions.includes('TLSv1.1');
  const ciphers = insecure ? `${SECURE_TLS12_CIPHERS}:${LEGACY_CIPHERS}:${TLS13_SUITES}` : `${SECURE_TLS12_CIPHERS}:${TLS13_SUITES}`;
  const span = ORDER.slice(ORDER.indexOf(versions[0]!), ORDER.indexOf(versions[versions.length - 1]!) + 1);
  return {
    versions,
    minVersion: toNode[versions[0]!],
    maxVersion: toNode[versions[versions.length - 1]!],
    ciphers,
    insecure,
    secureOptions: span.filter((v) => !versions.includes(v)).reduce((flags, v) => flags | NO_VERSION_FLAG[v], 0),
  };
}
