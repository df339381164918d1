import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { errPacketFor, type MysqlErrorName } from '../protocol/mysql-errors.js';
import { PacketChannel, PeerClosedError } from '../protocol/packet-channel.js';
import { EngineUnavailableError } from './engine-connector.js';
import { CLIENT_COMPRESS, CLIENT_SSL, hasCap } from '../protocol/capabilities.js';
import { encodePacket } from '../protocol/framing.js';
import { encodeHandshakeResponse, parseHandshakeResponse } from '../protocol/handshake-response.js';
import { encodeHandshakeV10, parseHandshakeV10 } from '../protocol/handshake-v10.js';
import { encodeProxyV2 } from '../protocol/proxy-v2.js';
import { isSslRequest } from '../protocol/ssl-request.js';
import type { LinkIdentity } from './link-identity.js';
import { normaliseAddress } from './normalise-address.js';
import type { SessionEndpoint } from './session-endpoint.js';
import type { SessionInfo } from './session-info.js';
import { observeAuthResult } from './auth-result.js';
import { iamAuthenticateClient, iamEngineLogin } from './iam-auth.js';
import { QueryFilter } from './query-filter.js';
import { relay } from './relay.js';
import { policyAllowsProtocol } from './tls-policy.js';

/** Accounts only tlsql itself may use; refused at the door whatever the engine would say. */
const RESERVED_USERS = new Set(['tlsql_admin']);

/** A failure that ends the session with a MySQL error packet (when the protocol allows one). */
class SessionError extends Error {
  constructor(
    readonly mysql: MysqlErrorName,
    readonly args: string[],
    readonly reason: string,
  ) {
    super(reason);
  }
}

/**
 * One client connection through the front door (docs/design.md "Front door session, step by step").
 * Never throws: every failure ends this session only, with the reason in the log.
 */
export async function runSession(door: SessionEndpoint, client: net.Socket, id: string): Promise<void> {
  const o = door.opts;
  const log = o.logger;
  const clientAddress = normaliseAddress(client.remoteAddress ?? '');
  const clientPort = client.remotePort ?? 0;
  let engine: net.Socket | null = null;
  let clientSide: Duplex = client;
  let engineSide: Duplex | null = null;
  let clientSeq = 0; // sequence id of the last packet exchanged with the client
  let done = false;
  const acceptedAt = performance.now();
  /** Why the client's certificate was refused; answered with 1045 once the user name is known. */
  let certRefusal: string | null = null;

  const info: SessionInfo = {
    id,
    clientAddress,
    clientPort,
    startedAt: new Date(),
    phase: 'handshake',
    user: null,
    tls: null,
    clientCertificate: null,
    engineThreadId: null,
    bytes: () => ({ fromClient: client.bytesRead, toClient: client.bytesWritten }),
    close: (reason) => finish(reason),
  };
  door.sessions.set(id, info);

  function finish(reason: string | null): void {
    if (done) return;
    done = true;
    clearTimeout(timer);
    info.phase = 'closed';
    door.sessions.delete(id);
    if (reason) log.debug('session closed', { instance: o.instanceId, session: id, client: clientAddress, reason });
    clientSide.destroy();
    client.destroy();
    engineSide?.destroy();
    engine?.destroy();
  }

  /** Ends the handshake with an error packet to the client, then closes. */
  function refuse(err: SessionError): void {
    if (done) return;
    log.info('connection refused', { instance: o.instanceId, session: id, client: clientAddress, user: info.user, reason: err.reason, error: err.mysql });
    try {
      if (clientSide.writable) clientSide.end(encodePacket((clientSeq + 1) & 0xff, errPacketFor(err.mysql, ...err.args)));
    } catch {
      // The client is already gone; nothing more can be said to it.
    }
    // Give the error packet a moment to flush; the socket is destroyed either way.
    setTimeout(() => finish(null), 50).unref();
    engineSide?.destroy();
    engine?.destroy();
  }

  // Bounds the whole login, including the part relayed on the byte pipe (auth switch, more-data,
  // OK/ERR): the engine must never hold a connection for a client that stalls mid-login.
  const timer = setTimeout(() => {
    if (info.phase === 'handshake') refuse(new SessionError('ER_NET_READ_INTERRUPTED', [], `handshake not finished within ${o.handshakeTimeoutMs} ms`));
    else finish(`login not finished within ${o.handshakeTimeoutMs} ms`);
  }, o.handshakeTimeoutMs);
  timer.unref();

  client.on('error', () => finish('client socket error'));
  client.on('close', () => finish('client closed'));

  try {
    // 1-2. A greeted engine connection (usually the spare, see engine-connector.ts), then PROXY v2
    // with the real client address so USER() and host matching see it: MariaDB reads the header
    // as the first bytes from our side, which may come after its greeting.
    const greeted = await door.engines.open();
    if (done) {
      // The client left (or the endpoint closed) while the engine greeted us.
      greeted.socket.destroy();
      return;
    }
    engine = greeted.socket;
    engineSide = engine;
    // Until the pipe starts, engine failures surface through the packet channel (so the client
    // gets an error packet); afterwards they end the session.
    engine.on('error', () => {
      if (info.phase === 'authenticated') finish('engine socket error');
    });
    // Held back (corked) until the SSLRequest joins it: one write and one engine wake-up instead
    // of two. A plaintext login releases it on its own.
    engine.cork();
    engine.write(
      encodeProxyV2({
        sourceAddress: clientAddress,
        sourcePort: clientPort,
        destAddress: normaliseAddress(client.localAddress ?? '127.0.0.1'),
        destPort: client.localPort ?? o.port,
      }),
    );

    // 2-3. The engine's greeting, relayed with CLIENT_SSL (thread id and scramble unchanged).
    const greetingPacket = greeted.greeting;
    if (greetingPacket.payload[0] === 0xff) {
      // The engine refused us before the handshake (e.g. too many connections): relay as is.
      client.end(encodePacket(0, greetingPacket.payload));
      finish('engine refused the connection');
      return;
    }
    const greeting = parseHandshakeV10(greetingPacket.payload);
    info.engineThreadId = greeting.connectionId;
    greeting.capabilityFlags = (greeting.capabilityFlags | CLIENT_SSL) >>> 0;
    client.write(encodePacket(0, encodeHandshakeV10(greeting)));

    // 4. SSLRequest or a plaintext HandshakeResponse.
    let clientCh = new PacketChannel(client, o.maxHandshakePacketBytes);
    let first = await clientCh.read();
    clientSeq = first.seq;
    // Assigned in startLink, also from a TLS callback (so typed without narrowing to null).
    let linkReady = null as Promise<tls.TLSSocket> | null;

    if (isSslRequest(first.payload)) {
      const sslRequest = first.payload;
      const leftover = clientCh.release();
      if (leftover.length) client.unshift(leftover);
      const plainEngine = engine;
      plainEngine.write(encodePacket(first.seq, sslRequest));
      plainEngine.uncork();
      const trust = door.clientTrust();
      const startLink = (version: string, cipher: string, identity?: Promise<LinkIdentity>) => {
        const link = identity
          ? identity.then((id) => door.engineLink().connect(plainEngine, version, cipher, o.engineConnectTimeoutMs, id))
          : door.engineLink().connect(plainEngine, version, cipher, o.engineConnectTimeoutMs);
        link.catch(() => {}); // observed below; avoid an unhandled rejection if the client fails first
        linkReady = link;
      };
      // With no client certificate to wait for (the endpoint asks for none), the link depends only
      // on the client's TLS version and cipher, which OpenSSL fixes with its first flight: it starts
      // then, so the engine's handshake runs while the client verifies our certificate.
      const startEarly = (s: tls.TLSSocket) => {
        const version = s.getProtocol();
        const cipher = s.getCipher()?.name;
        if (!done && !linkReady && version && cipher && policyAllowsProtocol(door.currentPolicy(), version)) startLink(version, cipher);
      };
      const secure = await startClientTls(client, door.currentContext(), o.handshakeTimeoutMs, trust !== null, trust === null ? startEarly : undefined);
      clientSide = secure;
      secure.on('error', () => finish('client TLS error'));
      secure.on('close', () => finish('client closed'));
      const version = secure.getProtocol() ?? 'unknown';
      const cipher = secure.getCipher().name;
      info.tls = { version, cipher };
      // A version gap in tls_version is cut in the handshake (secureOptions); this keeps it exact.
      if (!policyAllowsProtocol(door.currentPolicy(), secure.getProtocol())) throw new ClientTlsError(`${version} is outside the TLS policy`);
      const certCheck = trust?.check(secure) ?? { kind: 'none' as const };
      if (certCheck.kind !== 'none') {
        info.clientCertificate = certCheck.info;
        door.stats.clientCertificates[certCheck.kind]++;
        if (certCheck.kind === 'refused') certRefusal = certCheck.reason;
      }
      // A trusted client certificate travels to the engine as a link certificate with the same
      // subject and issuer name, so MariaDB enforces REQUIRE X509/ISSUER/SUBJECT itself.
      // Started now, the link handshake runs while the client sends its HandshakeResponse.
      if (!linkReady) startLink(version, cipher, certCheck.kind === 'trusted' ? certCheck.linkIdentity() : undefined);
      clientCh = new PacketChannel(secure, o.maxHandshakePacketBytes);
      first = await clientCh.read();
      clientSeq = first.seq;
    } else {
      engine.uncork();
    }

    // 4-5. The HandshakeResponse.
    let response;
    try {
      response = parseHandshakeResponse(first.payload);
    } catch {
      throw new SessionError('ER_HANDSHAKE_ERROR', [], 'malformed HandshakeResponse');
    }
    info.user = response.username;
    const usingPassword = response.authResponse.length > 0 ? 'YES' : 'NO';
    if (!info.tls && o.requireSecureTransport()) {
      door.stats.refused('require_secure_transport');
      throw new SessionError('ER_SECURE_TRANSPORT_REQUIRED', [], 'plaintext login while require_secure_transport=ON');
    }
    if (RESERVED_USERS.has(response.username)) {
      door.stats.refused('auth');
      throw new SessionError('ER_ACCESS_DENIED_ERROR', [response.username, clientAddress, usingPassword], 'login as a reserved internal account');
    }
    if (certRefusal !== null) {
      // As MariaDB itself treats a certificate it cannot verify: access denied, whatever the account requires.
      door.stats.refused('client_certificate');
      throw new SessionError('ER_ACCESS_DENIED_ERROR', [response.username, clientAddress, usingPassword], `client certificate refused: ${certRefusal}`);
    }
    // IAM accounts log in with a token, checked here (iam-auth.ts); null for every other login.
    const iamAccount = o.iam ? await o.iam.route(response.username, clientAddress) : null;
    // Its token is asked for and checked while the engine link's TLS handshake is still running.
    const iamClient = iamAccount
      ? await iamAuthenticateClient({ gate: o.iam!, account: iamAccount, client: clientSide, clientCh, tls: info.tls !== null, response, responseSeq: first.seq, clientAddress, sessionId: id })
      : null;
    if (iamClient) {
      clientSeq = iamClient.clientSeq;
      if (!iamClient.ok) {
        door.stats.refused('auth');
        throw new SessionError('ER_ACCESS_DENIED_ERROR', [response.username, clientAddress, usingPassword], `IAM authentication refused: ${iamClient.reason}`);
      }
    }

    if (linkReady) {
      try {
        engineSide = await linkReady;
      } catch (e) {
        door.stats.refused('engine_unavailable');
        log.error('engine link TLS failed', { instance: o.instanceId, session: id, err: e as Error });
        throw new SessionError('ER_UNKNOWN_ERROR_MSG', [`DB instance ${o.instanceId}: internal TLS link to the engine failed; see the tlsql log`], 'engine link TLS failed');
      }
      engineSide.on('error', () => finish('engine link error'));
    } else {
      // Plaintext link: the HandshakeResponse must not claim TLS.
      response.capabilityFlags = (response.capabilityFlags & ~CLIENT_SSL) >>> 0;
    }
    if (iamAccount && iamClient?.ok) {
      const r = await iamEngineLogin({ gate: o.iam!, account: iamAccount, client: clientSide, response, verified: iamClient.verified, clientSeq, engine: engineSide!, responseSeq: first.seq, scramble: greeting.authPluginData, clientAddress, sessionId: id, maxPacketBytes: o.maxHandshakePacketBytes });
      clientSeq = r.clientSeq;
      if (!r.ok) {
        door.stats.refused('auth');
        throw new SessionError('ER_ACCESS_DENIED_ERROR', [response.username, clientAddress, usingPassword], `IAM authentication refused: ${r.reason}`);
      }
    }
    const leftover = clientCh.release();
    if (!iamAccount) engineSide!.write(encodePacket(first.seq, linkReady ? first.payload : encodeHandshakeResponse(response)));

    // 6. Byte pipe with backpressure; the auth exchange (switch, more-data, OK/ERR) rides on it,
    // still under the login timer (cleared once the engine's OK or ERR has been seen).
    if (iamAccount) clearTimeout(timer); // the front door completed the engine login itself
    info.phase = 'authenticated';
    door.stats.sessionEstablished(info.tls);
    door.stats.observeHandshake((performance.now() - acceptedAt) / 1000);
    const a = clientSide;
    const b = engineSide!;
    if (!iamAccount) {
      observeAuthResult(b, (r) => {
        if (r === 'refused') door.stats.refused('auth');
        // 'unknown' (more auth packets than any built-in plugin sends) keeps the timer running.
        if (r !== 'unknown') clearTimeout(timer);
      });
    }
    b.on('close', () => finish('engine closed'));
    // With IAM enabled, client -> engine goes through the account-statement filter (query-filter.ts).
    const filter = o.iam?.enabled && !hasCap(response.capabilityFlags, CLIENT_COMPRESS) ? new QueryFilter(o.iam, b) : null;
    // Bytes the client sent past its login (pipelined commands) go the same way as the rest.
    if (leftover.length) (filter ?? b).write(leftover);
    if (filter) {
      a.pipe(filter);
      relay(filter, b, o.busyPoller);
    } else relay(a, b, o.busyPoller);
    relay(b, a, o.busyPoller);
    a.resume();
    b.resume();
  } catch (e) {
    if (e instanceof SessionError) return refuse(e);
    if (e instanceof PeerClosedError) return finish('client closed during handshake');
    if (e instanceof EngineUnavailableError) {
      door.stats.refused('engine_unavailable');
      log.warn('engine unavailable', { instance: o.instanceId, session: id, reason: e.message });
      return refuse(new SessionError('ER_UNKNOWN_ERROR_MSG', [`DB instance ${o.instanceId} is not available right now (engine not reachable); retry shortly`], e.message));
    }
    if (e instanceof ClientTlsError) {
      door.counters.tlsHandshakeFailures++;
      door.stats.refused('tls_policy');
      log.info('client TLS handshake failed', { instance: o.instanceId, session: id, client: clientAddress, reason: e.message });
      return finish(null);
    }
    if ((e as { name?: string }).name === 'PacketError') {
      const reason = (e as { reason?: string }).reason ?? (e as Error).message;
      return refuse(
        reason === 'oversized'
          ? new SessionError('ER_NET_PACKET_TOO_LARGE', [], 'oversized packet during handshake')
          : new SessionError('ER_HANDSHAKE_ERROR', [], `malformed packet: ${reason}`),
      );
    }
    log.error('session failed', { instance: o.instanceId, session: id, err: e as Error });
    finish('internal error');
  }

}

class ClientTlsError extends Error {}

/**
 * Server-side TLS on the client socket; resolves on 'secure'. `onNegotiated` runs once the version
 * and cipher are chosen and the server's first flight is out: for TLS 1.3 right after
 * ServerHello..Finished is written, for TLS 1.2 once the key exchange is done.
 */
function startClientTls(socket: net.Socket, secureContext: tls.SecureContext, timeoutMs: number, requestCert: boolean, onNegotiated?: (s: tls.TLSSocket) => void): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    // Client certificates, when the endpoint trusts any (ConnectionSecurity.clientTrust), are
    // requested but optional: most clients have none, and MariaDB accounts decide whether one is
    // required. Node only completes a handshake without a certificate when
    // `rejectUnauthorized` is false; that is not verification switched off: OpenSSL still verifies
    // any certificate presented against the instance's trusted client CAs (the context's `ca`), and
    // ClientTrust.check() refuses the session (1045) unless `authorized` is true and the issuer is
    // listed. No certificate means none reaches the engine, so REQUIRE X509 accounts are refused there.
    const s = new tls.TLSSocket(socket, { isServer: true, secureContext, requestCert, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new ClientTlsError(`TLS handshake not finished within ${timeoutMs} ms`));
    }, timeoutMs);
    if (onNegotiated) {
      // Node reports the first traffic secret ('keylog') synchronously inside the handshake step
      // that chose version and cipher, before that step's output is written; the immediate runs
      // after the write, so the callback never delays the client. The line (key material) is
      // dropped unread.
      s.once('keylog', () => setImmediate(() => s.destroyed || onNegotiated(s)));
    }
    s.once('secure', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(new ClientTlsError((e as NodeJS.ErrnoException).code ?? e.message));
    });
  });
}
