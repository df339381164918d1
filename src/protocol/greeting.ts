/**
 * Reads the server's greeting off a fresh TCP socket without consuming it: the bytes are put back
 * (`unshift`) so the protocol library that takes the socket over reads the same greeting. This is
 * how `tlsql mysql` learns whether the server offers TLS before choosing mysql2's `ssl` option,
 * over one connection, as libmysqlclient does for PREFERRED; upgrade-to-tls.ts reads the greeting
 * the same way before its SSLRequest. Failures are worded as the MySQL client words them.
 */

import net from 'node:net';
import { CLIENT_SSL, hasCap } from './capabilities.js';
import { ClientError, CR } from './client-error.js';
import { parseErrPacket, isErrPacket } from './err-packet.js';
import { PACKET_HEADER_BYTES } from './framing.js';
import { parseHandshakeV10 } from './handshake-v10.js';

/** What the greeting says, as far as the client cares. */
export interface GreetingInfo {
  /** As sent, e.g. `5.5.5-10.11.19-MariaDB-0+deb12u1`. */
  rawServerVersion: string;
  /** Without MariaDB's `5.5.5-` compatibility prefix. */
  serverVersion: string;
  connectionId: number;
  protocolVersion: number;
  offersTls: boolean;
  capabilityFlags: number;
  authPluginName: string | null;
}

/** The largest greeting accepted (real ones are ~100 bytes). */
const MAX_GREETING_BYTES = 64 * 1024;

/** `5.5.5-10.11.19-MariaDB` -> `10.11.19-MariaDB`. */
export function displayServerVersion(raw: string): string {
  return raw.startsWith('5.5.5-') ? raw.slice('5.5.5-'.length) : raw;
}

/**
 * Opens TCP to host:port. Maps failures to the MySQL client's errors: 2005 unknown host,
 * 2003 refused/unreachable/timed out.
 */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new ClientError(CR.CONN_HOST_ERROR, 'HY000', `Can't connect to MySQL server on '${host}:${port}' (110)`, { hint: `no answer within ${Math.round(timeoutMs / 1000)} s: check the host name and port, and that the instance is available` }));
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.removeAllListeners('error');
      sock.setNoDelay(true);
      resolve(sock);
    });
    sock.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(tcpError(e, host, port));
    });
  });
}

/** A socket error before the greeting, as the MySQL client words it. */
export function tcpError(e: NodeJS.ErrnoException, host: string, port: number): ClientError {
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN' || e.code === 'EAI_NONAME') {
    const hint = host.endsWith('.localhost')
      ? 'names under .localhost resolve to loopback only with libnss-myhostname (apt-get install libnss-myhostname) or an /etc/hosts entry'
      : 'check the endpoint name (tlsql describe-db-instances shows Endpoint.Address)';
    return new ClientError(CR.UNKNOWN_HOST, 'HY000', `Unknown MySQL server host '${host}' (-2)`, { hint, cause: e });
  }
  const errnoByCode: Record<string, number> = { ECONNREFUSED: 111, ETIMEDOUT: 110, EHOSTUNREACH: 113, ENETUNREACH: 101, ECONNRESET: 104 };
  const n = errnoByCode[e.code ?? ''] ?? 0;
  const hint =
    e.code === 'ECONNREFUSED'
      ? `nothing listens on ${host}:${port}: check the port (tlsql describe-db-instances shows Endpoint.Port) and that the instance is available and \`tlsql server\` runs`
      : undefined;
  return new ClientError(CR.CONN_HOST_ERROR, 'HY000', `Can't connect to MySQL server on '${host}:${port}' (${n})`, { ...(hint ? { hint } : {}), cause: e });
}

/**
 * Waits for the first packet on `sock`, parses it and puts every byte read back into the socket's
 * buffer. The socket is left paused: call `resume()` once the new owner listens for 'data'.
 * A server that refuses with an ERR packet (too many connections, host blocked) becomes a ClientError.
 */
export function peekGreeting(sock: net.Socket, timeoutMs: number, where: string): Promise<GreetingInfo> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err: Error | null, info?: GreetingInfo) => {
      clearTimeout(timer);
      sock.removeListener('readable', onReadable);
      sock.removeListener('error', onError);
      sock.removeListener('end', onEnd);
      if (err) {
        sock.destroy();
        reject(err);
        return;
      }
      sock.unshift(buf);
      resolve(info as GreetingInfo);
    };
    const lost = (detail: string) =>
      new ClientError(CR.SERVER_LOST, 'HY000', `Lost connection to MySQL server at 'reading initial communication packet', system error: ${detail}`, {
        hint: `${where} accepted TCP but sent no MySQL greeting: is this a MySQL port? (tlsql doctor ${where} tells more)`,
      });
    const timer = setTimeout(() => done(lost('110')), timeoutMs);
    const onError = (e: Error) => done(lost((e as NodeJS.ErrnoException).code ?? e.message));
    const onEnd = () => done(lost('0'));
    const onReadable = () => {
      for (let chunk = sock.read() as Buffer | null; chunk !== null; chunk = sock.read() as Buffer | null) {
        buf = Buffer.concat([buf, chunk]);
      }
      if (buf.length < PACKET_HEADER_BYTES) return;
      const len = buf.readUIntLE(0, 3);
      if (len > MAX_GREETING_BYTES) return done(lost('greeting too large'));
      if (buf.length < PACKET_HEADER_BYTES + len) return;
      const payload = buf.subarray(PACKET_HEADER_BYTES, PACKET_HEADER_BYTES + len);
      try {
        if (isErrPacket(payload)) {
          const err = parseErrPacket(payload);
          return done(new ClientError(err.code, err.sqlState ?? 'HY000', err.message));
        }
        const g = parseHandshakeV10(payload);
        done(null, {
          rawServerVersion: g.serverVersion,
          serverVersion: displayServerVersion(g.serverVersion),
          connectionId: g.connectionId,
          protocolVersion: g.protocolVersion,
          offersTls: hasCap(g.capabilityFlags, CLIENT_SSL),
          capabilityFlags: g.capabilityFlags,
          authPluginName: g.authPluginName,
        });
      } catch (e) {
        done(new ClientError(CR.SERVER_LOST, 'HY000', `Lost connection to MySQL server at 'reading initial communication packet': ${(e as Error).message}`, { cause: e }));
      }
    };
    sock.on('readable', onReadable);
    sock.once('error', onError);
    sock.once('end', onEnd);
  });
}
