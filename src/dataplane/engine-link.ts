import type { Socket } from 'node:net';
import tls from 'node:tls';
import type { LinkContextEntry, LinkIdentity } from './link-identity.js';
import { withoutPeerCertificate } from './tls-session.js';

/**
 * TLS on the front door -> engine link, mirroring what the client negotiated so that the
 * engine's `Ssl_version`/`Ssl_cipher` and `REQUIRE CIPHER` see the client's choice.
 *
 * `tls.connect` ignores minVersion/maxVersion/ciphers when a secureContext is passed, so there is
 * one cached context per (version, cipher); each keeps the last session the engine gave us so the
 * next link handshake resumes (no certificate exchange, no signature on either side). The session is
 * kept without the engine's certificate (tls-session.ts), which resuming does not use.
 *
 * A client that presented a trusted certificate gets a link that presents a `LinkIdentity` (same
 * subject, see client-certs.ts); its contexts and sessions live on that identity, so a resumed
 * session never carries one client's certificate to another client's link.
 *
 * TLS 1.0/1.1 (legacy clients, an insecure opt-in) are not mirrored: their link uses TLS 1.2 with
 * the client's cipher, so the engine keeps its secure defaults (no security level 0 there).
 * `Ssl_version` then reads TLSv1.2 for those sessions; `Ssl_cipher` stays the client's.
 */
/**
 * How long a link session is offered for resumption before a newer one is taken. TLS 1.3 tickets
 * are reusable (MariaDB's OpenSSL issues stateless ones, valid 2 hours), so the front door does not
 * need the new ticket every handshake brings: taking one costs an encode and a copy per connection.
 */
const LINK_SESSION_REFRESH_MS = 60_000;

export class EngineLink {
  private readonly contexts = new Map<string, LinkContextEntry>();
  /** Link handshakes, and how many of them resumed a previous session (no certificate exchange). */
  readonly stats = { handshakes: 0, resumed: 0 };

  /**
   * @param caPem the internal CA that signed the engine's link certificate (never published)
   * @param servername the name in the engine's link certificate; verified like any TLS peer
   * @param linkKeyType the engine certificate's key type, to map TLS 1.2 suites onto it
   */
  constructor(
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
  linkVersionFor(version: string): tls.SecureVersion {
    return version === 'TLSv1' || version === 'TLSv1.1' ? 'TLSv1.2' : (version as tls.SecureVersion);
  }

  private entry(version: tls.SecureVersion, cipher: string, identity?: LinkIdentity) {
    const contexts = identity?.contexts ?? this.contexts;
    const key = `${version}|${cipher}`;
    let e = contexts.get(key);
    if (!e) {
      const ctx = tls.createSecureContext({
        ca: this.caPem,
        minVersion: version,
        maxVersion: version,
        ciphers: cipher,
        ...(identity ? { cert: identity.certPem, key: identity.keyPem } : {}),
      });
      e = { ctx, session: undefined, sessionAtMs: 0 };
      contexts.set(key, e);
    }
    return e;
  }

  /**
   * Starts TLS on an engine socket that has already been sent the SSLRequest.
   * Resolves once the engine's certificate chain and name have been verified. With `identity`,
   * the link presents that client certificate to the engine.
   */
  connect(engine: Socket, version: string, clientCipher: string, timeoutMs: number, identity?: LinkIdentity): Promise<tls.TLSSocket> {
    const cipher = this.linkCipherFor(version, clientCipher);
    const e = this.entry(this.linkVersionFor(version), cipher, identity);
    return new Promise((resolve, reject) => {
      const offered = e.session;
      const s = tls.connect({ socket: engine, secureContext: e.ctx, servername: this.servername, session: offered });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`engine link TLS handshake timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      // Node encodes a session for JavaScript only while a 'session' listener is attached.
      if (!e.session || performance.now() - e.sessionAtMs >= LINK_SESSION_REFRESH_MS) {
        const onSession = (session: Buffer) => {
          // Kept without the engine's certificate: resuming does not need it, and decoding it on
          // every connection is most of what resuming costs (tls-session.ts).
          e.session = withoutPeerCertificate(session);
          e.sessionAtMs = performance.now();
          s.off('session', onSession);
        };
        s.on('session', onSession);
      }
      s.once('secureConnect', () => {
        clearTimeout(timer);
        s.off('close', onClose);
        this.stats.handshakes++;
        if (s.isSessionReused()) this.stats.resumed++;
        // The engine no longer takes the kept session (restart, FLUSH SSL): take the next one it
        // issues. (A TLS 1.2 session taken during this handshake has already replaced `offered`.)
        else if (offered && e.session === offered) e.sessionAtMs = 0;
        resolve(s);
      });
      const fail = (err: Error, sessionSuspect: boolean) => {
        clearTimeout(timer);
        s.off('close', onClose);
        // A stale session must not poison the next attempt.
        if (sessionSuspect) {
          e.session = undefined;
          e.sessionAtMs = 0;
        }
        reject(err);
      };
      // The session closed the engine socket (its client left while the link was being set up):
      // that says nothing about the kept session.
      const onClose = () => fail(new Error('engine link closed during its TLS handshake'), false);
      s.once('close', onClose);
      s.once('error', (err: NodeJS.ErrnoException) => fail(err, err.code !== 'ECONNRESET' && err.code !== 'EPIPE'));
    });
  }
}
