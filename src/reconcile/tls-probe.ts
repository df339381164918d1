/**
 * Real TLS handshakes that check what a server presents, the way a verifying client does: MySQL
 * greeting, SSLRequest, TLS with the trust anchors a client uses, chain AND host name checked.
 * Used to verify a certificate swap before the previous certificate is forgotten, on the instance
 * endpoint (front door, public bundle) and on the engine's unix socket (internal link CA).
 */
import net from 'node:net';
import tls from 'node:tls';
import { AppError } from '../errors/app-error.js';
import { parseCertificate, type CertificateInfo } from '../pki/inspect.js';
import { encodeProxyV2 } from '../protocol/proxy-v2.js';
import { upgradeToTls } from '../protocol/upgrade-to-tls.js';

/** What a verified handshake saw. */
export interface ProbeResult {
  /** The leaf the server presented (chain and host name already verified). */
  leaf: CertificateInfo;
  /** The same leaf, PEM. */
  leafPem: string;
  /** Every certificate the server sent, leaf first, each PEM (what a client sees; roots are not sent). */
  chainPems: string[];
  /** e.g. `TLSv1.3`. */
  protocol: string;
  durationMs: number;
}

export interface ProbeTarget {
  /** Opens the transport (TCP to an endpoint, or the engine's unix socket). */
  connect: () => net.Socket;
  /** Sent before anything else, e.g. a PROXY v2 header for the engine socket. */
  preamble?: Buffer;
  /** The name the certificate must carry (SNI and host name check). */
  servername: string;
  /** Trust anchors: the public bundle for an endpoint, the internal link CA for the engine. */
  caPem: string;
  /** Whole probe, connect to verified handshake. Default 5000 ms. */
  timeoutMs?: number;
}

/**
 * Connects, reads the greeting, sends an SSLRequest and runs a verifying TLS handshake; then
 * closes without logging in. Rejects with AppError InternalFailure saying which step failed
 * (e.g. `certificate has expired`, `Hostname/IP does not match certificate's altnames`).
 */
export function probeMysqlTls(t: ProbeTarget): Promise<ProbeResult> {
  const started = performance.now();
  const timeoutMs = t.timeoutMs ?? 5000;
  return new Promise<ProbeResult>((resolve, reject) => {
    let socket: net.Socket | undefined;
    let secure: tls.TLSSocket | undefined;
    let settled = false;
    const done = (err: Error | null, result?: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secure?.destroy();
      socket?.destroy();
      if (err) reject(new AppError('InternalFailure', `TLS probe of ${t.servername} failed: ${err.message}`, { cause: err, expose: false }));
      else resolve(result!);
    };
    const timer = setTimeout(() => done(new Error(`no verified handshake within ${timeoutMs} ms`)), timeoutMs);
    timer.unref();

    try {
      socket = t.connect();
    } catch (e) {
      done(e as Error);
      return;
    }
    const s = socket;
    s.once('error', (e) => done(e));
    s.once('connect', () => {
      if (t.preamble) s.write(t.preamble);
      upgradeToTls(s, {
        tls: { servername: t.servername, ca: t.caPem, rejectUnauthorized: true, checkServerIdentity: (_host, cert) => tls.checkServerIdentity(t.servername, cert) },
        timeoutMs,
        where: t.servername,
      }).then((up) => {
        // Past the overall timeout nobody waits for this socket any more.
        if (settled) {
          up.tls.socket?.destroy();
          return;
        }
        secure = up.tls.socket;
        if (up.greeting.error) return done(up.greeting.error);
        if (!up.greeting.info?.offersTls) return done(new Error('the server does not offer TLS'));
        if (up.tls.error || !secure) return done(up.tls.error ?? new Error('no TLS handshake'));
        const peer = secure.getPeerCertificate();
        if (!peer.raw) return done(new Error('the server sent no certificate'));
        const pem = `-----BEGIN CERTIFICATE-----\n${peer.raw.toString('base64')}\n-----END CERTIFICATE-----\n`;
        done(null, { leaf: parseCertificate(pem), leafPem: pem, chainPems: sentChain(secure), protocol: secure.getProtocol() ?? 'unknown', durationMs: performance.now() - started });
      }).catch((e: Error) => done(e));
    });
  });
}

/**
 * The certificates the server sent, leaf first. Node links the peer's chain through
 * `issuerCertificate`, completing it from the trust anchors: only what the handshake carried is
 * kept (the root comes from the bundle, not from the server), and a self-link ends the walk.
 */
function sentChain(socket: tls.TLSSocket): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  let c: tls.DetailedPeerCertificate | undefined = socket.getPeerCertificate(true);
  while (c?.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    // A self-signed certificate is a root: a trust anchor, not something tlsql's endpoints send.
    if (out.length > 0 && c.issuerCertificate === c) break;
    out.push(`-----BEGIN CERTIFICATE-----\n${(c.raw.toString('base64').match(/.{1,64}/g) ?? []).join('\n')}\n-----END CERTIFICATE-----\n`);
    c = c.issuerCertificate;
  }
  return out;
}

/** Probes an instance endpoint over TCP with the public bundle, as a client with VERIFY_IDENTITY would. */
export function probeEndpoint(p: { address: string; port: number; endpoint: string; bundlePem: string; timeoutMs?: number }): Promise<ProbeResult> {
  return probeMysqlTls({
    connect: () => net.connect({ host: p.address, port: p.port }),
    servername: p.endpoint,
    caPem: p.bundlePem,
    ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}),
  });
}

/** Probes an engine's link certificate on its unix socket, as the front door's EngineLink does. */
export function probeEngineLink(p: { socketPath: string; servername: string; linkCaPem: string; timeoutMs?: number }): Promise<ProbeResult> {
  return probeMysqlTls({
    connect: () => net.connect({ path: p.socketPath }),
    // The engine accepts PROXY headers from the socket and waits for one; a LOCAL-like loopback address says "tlsql itself".
    preamble: encodeProxyV2({ sourceAddress: '127.0.0.1', sourcePort: 0, destAddress: '127.0.0.1', destPort: 0 }),
    servername: p.servername,
    caPem: p.linkCaPem,
    ...(p.timeoutMs !== undefined ? { timeoutMs: p.timeoutMs } : {}),
  });
}

