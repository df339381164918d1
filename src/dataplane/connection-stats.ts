/**
 * Per-endpoint connection accounting for metrics: established sessions by transport, TLS version
 * and cipher; refusals by reason; a handshake latency histogram. Plain counters, updated once per
 * connection (never per byte), read by the Prometheus exposition at `/metrics`.
 */

/** Why the front door refused a connection. */
export type RefusalReason =
  /** Outside the instance's network allow-list (DB security groups): closed before the greeting. */
  | 'allow_list'
  /** TLS handshake failed: protocol version or cipher outside the policy, or a broken handshake. */
  | 'tls_policy'
  /** Plaintext login while require_secure_transport is ON (error 3159). */
  | 'require_secure_transport'
  /** A client certificate the instance does not trust (untrusted CA, expired, wrong purpose): 1045. */
  | 'client_certificate'
  /** A client certificate that is revoked (RevokeClientCertificate or an imported CRL): 1045 saying so. */
  | 'revoked'
  /** Authentication refused: by the engine (wrong password, REQUIRE clause) or a reserved account. */
  | 'auth'
  /** The engine could not be reached, or the TLS link to it failed: the client gets an error packet. */
  | 'engine_unavailable'
  /** Too many unauthenticated connections (endpoint or client address; pre-auth-limits.ts): 1040 at accept. */
  | 'pre_auth_limit'
  /** Idle before login past its grace while too many were idle (pre-auth-limits.ts): evicted with 1040. */
  | 'pre_auth_idle';

export const REFUSAL_REASONS: readonly RefusalReason[] = ['allow_list', 'tls_policy', 'require_secure_transport', 'client_certificate', 'revoked', 'auth', 'engine_unavailable', 'pre_auth_limit', 'pre_auth_idle'];

/** Upper bounds of the handshake latency histogram, in seconds. */
export const HANDSHAKE_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

export class ConnectionStats {
  /** Sessions that reached the HandshakeResponse, keyed `transport|version|cipher` (plaintext: `plaintext||`). */
  readonly established = new Map<string, number>();
  readonly refusals = new Map<RefusalReason, number>(REFUSAL_REASONS.map((r) => [r, 0]));
  /** Sessions that presented a client certificate, by verdict. */
  readonly clientCertificates = { trusted: 0, refused: 0 };
  /** Live sessions closed because their client certificate was revoked. */
  closedRevoked = 0;
  /** Count per bucket of HANDSHAKE_BUCKETS_SECONDS (not cumulative), then the count above the last. */
  readonly handshakeBuckets = new Array<number>(HANDSHAKE_BUCKETS_SECONDS.length + 1).fill(0);
  handshakeSumSeconds = 0;
  handshakeCount = 0;

  refused(reason: RefusalReason): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  /** A session got as far as forwarding its login to the engine. */
  sessionEstablished(tls: { version: string; cipher: string } | null): void {
    const key = tls ? `tls|${tls.version}|${tls.cipher}` : 'plaintext||';
    this.established.set(key, (this.established.get(key) ?? 0) + 1);
  }

  /** Time from accept to the login being forwarded to the engine (TLS handshake included). */
  observeHandshake(seconds: number): void {
    this.handshakeSumSeconds += seconds;
    this.handshakeCount++;
    const i = HANDSHAKE_BUCKETS_SECONDS.findIndex((b) => seconds <= b);
    // Stored per bucket; the exposition accumulates.
    this.handshakeBuckets[i === -1 ? HANDSHAKE_BUCKETS_SECONDS.length : i]!++;
  }
}
