/**
 * The client side of MySQL's TLS upgrade on a connected socket: read the greeting, send the
 * SSLRequest, run the TLS handshake. One probe for every caller that looks at what a server
 * presents without logging in: the certificate swap check (reconcile/tls-probe.ts, verifying)
 * and `tlsql doctor` (doctor/probe.ts, inspecting). The TLS options, and so how the certificate
 * is judged, are the caller's.
 */
import type net from 'node:net';
import tls from 'node:tls';
import { CLIENT_LONG_PASSWORD, CLIENT_PLUGIN_AUTH, CLIENT_PROTOCOL_41, CLIENT_SECURE_CONNECTION, CLIENT_SSL } from './capabilities.js';
import type { ClientError } from './client-error.js';
import { encodePacket } from './framing.js';
import { peekGreeting, type GreetingInfo } from './greeting.js';
import { encodeSslRequest } from './ssl-request.js';

/** What each step saw; a step runs only when the one before it worked. */
export interface TlsUpgrade {
  /** `error` is a ClientError for a refusal (ERR packet) or no greeting, as peekGreeting words it. */
  greeting: { info: GreetingInfo | undefined; error: ClientError | Error | undefined };
  /**
   * `skipped` when there was no greeting or it does not offer TLS. `socket` is the connected TLS
   * socket, which the caller owns and must destroy.
   */
  tls: { socket: tls.TLSSocket | undefined; error: Error | undefined; skipped: boolean };
}

/** Options for `upgradeToTls`. */
export interface UpgradeToTlsOptions {
  /** How the handshake runs and judges the certificate (servername, ca, checkServerIdentity...). */
  tls: Omit<tls.ConnectionOptions, 'socket'>;
  /** Bound of each step (greeting, handshake), in ms. */
  timeoutMs: number;
  /** `host:port` or another name for the server, used in error hints. */
  where: string;
}

/** The SSLRequest a MySQL 8 client sends (4.1 protocol, plugin auth, utf8mb4_general_ci). */
function sslRequestPacket(): Buffer {
  const payload = encodeSslRequest({
    capabilityFlags: (CLIENT_LONG_PASSWORD | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_SSL) >>> 0,
    maxPacketSize: 16 * 1024 * 1024,
    characterSet: 45,
  });
  // The greeting is packet 0 of the connection, so the SSLRequest is packet 1.
  return encodePacket(1, payload);
}

function handshake(sock: net.Socket, options: Omit<tls.ConnectionOptions, 'socket'>, timeoutMs: number): Promise<tls.TLSSocket> {
  return new Promise<tls.TLSSocket>((resolve, reject) => {
    const s = tls.connect({ ...options, socket: sock });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no TLS handshake within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/**
 * Upgrades `sock`, connected to a MySQL server (after any preamble such as a PROXY header), to
 * TLS without logging in. Never throws: failures are recorded per step, and `sock` is destroyed
 * unless the upgrade succeeded.
 */
export async function upgradeToTls(sock: net.Socket, o: UpgradeToTlsOptions): Promise<TlsUpgrade> {
  const result: TlsUpgrade = {
    greeting: { info: undefined, error: undefined },
    tls: { socket: undefined, error: undefined, skipped: true },
  };
  try {
    result.greeting.info = await peekGreeting(sock, o.timeoutMs, o.where);
  } catch (e) {
    result.greeting.error = e as Error;
    sock.destroy();
    return result;
  }
  // Drop the greeting peekGreeting put back; nothing else arrives before our SSLRequest.
  while (sock.read() !== null) {
    /* drain */
  }
  if (!result.greeting.info.offersTls) {
    sock.destroy();
    return result;
  }

  result.tls.skipped = false;
  try {
    sock.write(sslRequestPacket());
    result.tls.socket = await handshake(sock, o.tls, o.timeoutMs);
  } catch (e) {
    result.tls.error = e as Error;
    sock.destroy();
  }
  return result;
}
