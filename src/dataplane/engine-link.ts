import type { LinkIdentity } from './link-identity.js';
import type { NativeDataplane } from './native/native-dataplane.js';
import type { NativeClientContext } from './native/native-context.js';
import type { ClientTlsResult, NativeSession } from './native/native-session.js';
import { withTimeout } from './phase-timeout.js';

/**
 * TLS on the front door -> engine link, mirroring what the client negotiated so that the
 * engine's `Ssl_version`/`Ssl_cipher` and `REQUIRE CIPHER` see the client's choice.
 *
 * One native client context per (version, cipher): the context pins both, verifies the engine's
 * chain against the internal CA and its name, and keeps the newest TLS session the engine issued,
 * which every next link handshake on it resumes (no certificate exchange, no signature on either
 * side; held by the native data plane as OpenSSL's own session object, so resuming decodes nothing).
 *
 * A client that presented a trusted certificate gets a link that presents a `LinkIdentity` (same
 * subject, see client-certs.ts); its contexts live on that identity, so a resumed session never
 * carries one client's certificate to another client's link.
 *
 * TLS 1.0/1.1 (legacy clients, an insecure opt-in) are not mirrored: their link uses TLS 1.2 with
 * the client's cipher, so the engine keeps its secure defaults (no security level 0 there).
 * `Ssl_version` then reads TLSv1.2 for those sessions; `Ssl_cipher` stays the client's.
 */
export class EngineLink {
  private readonly contexts = new Map<string, NativeClientContext>();
  /** Link handshakes, and how many of them resumed a previous session (no certificate exchange). */
  readonly stats = { handshakes: 0, resumed: 0 };

  /**
   * @param dataplane makes the native contexts
   * @param caPem the internal CA that signed the engine's link certificate (never published)
   * @param servername the name in the engine's link certificate; verified like any TLS peer
   * @param linkKeyType the engine certificate's key type, to map TLS 1.2 suites onto it
   */
  constructor(
    private readonly dataplane: NativeDataplane,
    private readonly caPem: string,
    private readonly servername: string,
    private linkKeyType: 'rsa' | 'ecdsa',
  ) {}

  /**
   * The TLS 1.2 suites the link offers for a client suite: the same suite with the auth part of the
   * engine's key type first, then the other auth type. The engine picks the one its certificate can
   * serve, so new links keep working while a CA rotation changes the link certificate's key type
   * (FLUSH SSL on the engine and `setKeyType` here cannot flip at the same instant).
   */
  linkCipherFor(version: string, cipher: string): string {
    if (version === 'TLSv1.3') return cipher;
    const rsa = cipher.replace('ECDHE-ECDSA-', 'ECDHE-RSA-');
    const ecdsa = cipher.replace('ECDHE-RSA-', 'ECDHE-ECDSA-');
    if (rsa === ecdsa) return cipher;
    return this.linkKeyType === 'rsa' ? `${rsa}:${ecdsa}` : `${ecdsa}:${rsa}`;
  }

  /** The engine's link certificate now has this key type: prefer its TLS 1.2 suites (certificate-lifecycle.ts). */
  setKeyType(keyType: 'rsa' | 'ecdsa'): void {
    this.linkKeyType = keyType;
  }

  /** The TLS version of the link for a client version: the same, except TLS 1.2 for legacy clients. */
  linkVersionFor(version: string): string {
    return version === 'TLSv1' || version === 'TLSv1.1' ? 'TLSv1.2' : version;
  }

  private context(version: string, cipher: string, identity?: LinkIdentity): NativeClientContext {
    const contexts = identity?.contexts ?? this.contexts;
    const key = `${version}|${cipher}`;
    let ctx = contexts.get(key);
    if (!ctx) {
      ctx = this.dataplane.clientContext({
        caPem: this.caPem,
        servername: this.servername,
        minVersion: version,
        maxVersion: version,
        ciphers: cipher,
        ...(identity ? { certPem: identity.certPem, keyPem: identity.keyPem } : {}),
      });
      contexts.set(key, ctx);
    }
    return ctx;
  }

  /**
   * Starts TLS on a session's engine socket that has already been sent the SSLRequest. Resolves
   * once the engine's certificate chain and name have been verified. With `identity`, the link
   * presents that client certificate to the engine.
   */
  async connect(session: NativeSession, version: string, clientCipher: string, timeoutMs: number, identity?: LinkIdentity): Promise<ClientTlsResult> {
    const ctx = this.context(this.linkVersionFor(version), this.linkCipherFor(version, clientCipher), identity);
    const r = await withTimeout(session.startClientTls(ctx), timeoutMs, () => new Error(`engine link TLS handshake timed out after ${timeoutMs} ms`));
    this.stats.handshakes++;
    if (r.resumed) this.stats.resumed++;
    return r;
  }
}
