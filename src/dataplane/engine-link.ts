import type { Socket } from 'node:net';
import tls from 'node:tls';

/**
 * TLS on the front door -> engine link, mirroring what the client negotiated so that the
 * engine's `Ssl_version`/`Ssl_cipher` and `REQUIRE CIPHER` see the client's choice.
 *
 * `tls.connect` ignores minVersion/maxVersion/ciphers when a secureContext is passed, so there is
 * one cached context per (version, cipher); each keeps the last session the engine gave us so the
 * next link handshake resumes (no certificate exchange, no signature on either side).
 */
export class EngineLink {
  private readonly contexts = new Map<string, { ctx: tls.SecureContext; session: Buffer | undefined }>();
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
    private readonly linkKeyType: 'rsa' | 'ecdsa',
  ) {}

  /** The TLS 1.2 suite the link can use for a client suite: same suite, auth part swapped if needed. */
  linkCipherFor(version: string, cipher: string): string {
    if (version === 'TLSv1.3') return cipher;
    if (this.linkKeyType === 'rsa') return cipher.replace('ECDHE-ECDSA-', 'ECDHE-RSA-');
    return cipher.replace('ECDHE-RSA-', 'ECDHE-ECDSA-');
  }

  private entry(version: string, cipher: string) {
    const key = `${version}|${cipher}`;
    let e = this.contexts.get(key);
    if (!e) {
      const legacy = version === 'TLSv1' || version === 'TLSv1.1';
      const ctx = tls.createSecureContext({
        ca: this.caPem,
        minVersion: version as tls.SecureVersion,
        maxVersion: version as tls.SecureVersion,
        ciphers: legacy ? `${cipher}:@SECLEVEL=0` : cipher,
      });
      e = { ctx, session: undefined };
      this.contexts.set(key, e);
    }
    return e;
  }

  /**
   * Starts TLS on an engine socket that has already been sent the SSLRequest.
   * Resolves once the engine's certificate chain and name have been verified.
   */
  connect(engine: Socket, version: string, clientCipher: string, timeoutMs: number): Promise<tls.TLSSocket> {
    const cipher = this.linkCipherFor(version, clientCipher);
    const e = this.entry(version, cipher);
    return new Promise((resolve, reject) => {
      const s = tls.connect({ socket: engine, secureContext: e.ctx, servername: this.servername, session: e.session });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`engine link TLS handshake timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      s.on('session', (session: Buffer) => {
        e.session = session;
      });
      s.once('secureConnect', () => {
        clearTimeout(timer);
        this.stats.handshakes++;
        if (s.isSessionReused()) this.stats.resumed++;
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        // A stale session must not poison the next attempt.
        e.session = undefined;
        reject(err);
      });
    });
  }
}
