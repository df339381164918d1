import type net from 'node:net';
import { CLIENT_COMPRESS, CLIENT_SSL, hasCap } from '../protocol/capabilities.js';
import { encodePacket } from '../protocol/framing.js';
import { encodeHandshakeResponse, parseHandshakeResponse, type HandshakeResponse } from '../protocol/handshake-response.js';
import { encodeHandshakeV10, parseHandshakeV10, type HandshakeV10 } from '../protocol/handshake-v10.js';
import { errPacketFor, type MysqlErrorName } from '../protocol/mysql-errors.js';
import { PacketChannel, PeerClosedError } from '../protocol/packet-channel.js';
import { encodeProxyV2 } from '../protocol/proxy-v2.js';
import { isSslRequest } from '../protocol/ssl-request.js';
import { CHANGES_ACCOUNTS, INSPECT_KEYWORDS, MENTIONS_IAM_PLUGIN } from './account-statements.js';
import type { ClientCertificateCheck } from './client-certs.js';
import { iamAuthenticateClient, iamEngineLogin, type IamGate } from './iam-auth.js';
import type { LinkIdentity } from './link-identity.js';
import { NativeTlsError, type ClientTlsResult, type NativeSession } from './native/native-session.js';
import { normaliseAddress } from './normalise-address.js';
import { withTimeout } from './phase-timeout.js';
import type { SessionEndpoint } from './session-endpoint.js';
import type { SessionInfo } from './session-info.js';
import { policyAllowsProtocol } from './tls-policy.js';

/** Accounts only tlsql itself may use; refused at the door whatever the engine would say. */
const RESERVED_USERS = new Set(['tlsql_admin']);
/** Engine packets of one authentication exchange looked at before the relay takes over unjudged. */
const MAX_AUTH_PACKETS = 16;
const COM_QUERY = 0x03;

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

/** The engine could not be reached or sent no greeting; the reason is for the log. */
class EngineUnavailableError extends Error {}

/** The client's TLS handshake failed or broke the policy: the session ends without a MySQL packet. */
class ClientTlsError extends Error {
  /** `reason`: the TLS error code (e.g. ERR_SSL_NO_SHARED_CIPHER) or what broke the policy; aggregates the log. */
  constructor(
    readonly reason: string,
    detail: string = reason,
  ) {
    super(detail);
  }

  /** The client went away mid-handshake (reset or closed): not a refusal, not an error. */
  get clientLeft(): boolean {
    return this.reason === 'ECONNRESET' || this.reason === 'EPIPE';
  }
}

/**
 * A packet the engine sent during the login could not be read (e.g. larger than the handshake
 * limit): the engine's fault, answered as engine unavailable, never as the client's packet error.
 */
function engineFailure(e: unknown): never {
  if ((e as { name?: string }).name === 'PacketError') throw new EngineUnavailableError(`unreadable packet from the engine during the login: ${(e as Error).message}`);
  throw e;
}

/** A packet read from either side during the login. */
type Packet = { seq: number; payload: Buffer };

/**
 * One client connection through the front door, as a sequence of phases, each a method with its
 * own bound (docs/architecture.md "A session"):
 *
 * 1. `engine`: the native data plane takes the accepted socket and connects to the engine's unix
 *    socket; the PROXY v2 header carries the real client address; the engine's greeting is read
 *    (bound: `engineConnectTimeoutMs`).
 * 2. `greet`: the greeting goes to the client with CLIENT_SSL set (thread id and scramble unchanged,
 *    so `KILL` works).
 * 3. `transport`: an SSLRequest starts TLS with the instance certificate (policy versions and
 *    ciphers, optional client certificate); the engine link's TLS mirrors the client's version and
 *    cipher and starts as soon as they are chosen. Otherwise the login stays plaintext.
 * 4. `login`: the HandshakeResponse is checked (require_secure_transport, reserved accounts, the
 *    client certificate, IAM tokens) and forwarded; the authentication exchange is relayed packet by
 *    packet until the engine's OK or ERR.
 * 5. `relay`: both sockets go to the native loop, which moves TLS records both ways itself.
 *
 * Phases 1-4 together are bounded by `handshakeTimeoutMs` from accept. The session never throws:
 * every failure ends this session only, with the reason in the log.
 */
export class Session {
  private readonly o: SessionEndpoint['opts'];
  private readonly info: SessionInfo;
  private native: NativeSession | null = null;
  /** Sequence id of the last packet exchanged with the client (-1: none yet, so an error goes out as 0). */
  private clientSeq = -1;
  private done = false;
  private readonly acceptedAt = performance.now();
  private readonly loginTimer: NodeJS.Timeout;
  /** The engine link's TLS handshake, once started (phase 3). */
  private link: Promise<ClientTlsResult> | null = null;
  /** An account statement went through the relay: refresh IAM accounts before the next command. */
  private armed = false;
  /** The engine's OK has been seen. */
  private loggedIn = false;
  /** The client's TLS handshake is under way (bounded by the login timer). */
  private clientTlsPending = false;
  /** Why the client's certificate was refused; answered with 1045 once the user name is known. */
  private certRefusal: string | null = null;
  /** Set with certRefusal when the certificate is revoked: the client is told so (not only "access denied"). */
  private certRevoked: string | null = null;
  /** The channel reading the client's login packets now (null before the greeting, and once released to the relay). */
  private clientCh: PacketChannel | null = null;
  /** Ends the idle grace (pre-auth-limits.ts): stale idle sessions beyond the bounds are evicted then. */
  private graceTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly door: SessionEndpoint,
    private readonly socket: net.Socket,
    id: string,
  ) {
    this.o = door.opts;
    this.info = {
      id,
      clientAddress: normaliseAddress(socket.remoteAddress ?? ''),
      clientPort: socket.remotePort ?? 0,
      startedAt: new Date(),
      phase: 'handshake',
      user: null,
      tls: null,
      clientCertificate: null,
      engineThreadId: null,
      bytes: () => {
        const b = this.native?.bytes();
        return { fromClient: b?.clientIn ?? 0, toClient: b?.clientOut ?? 0 };
      },
      close: (reason) => this.finish(reason),
    };
    door.sessions.set(id, this.info);
    // Bounds the whole login, including the authentication exchange: the engine must never hold a
    // connection for a client that stalls mid-login.
    this.loginTimer = setTimeout(() => {
      const why = `handshake not finished within ${this.o.handshakeTimeoutMs} ms`;
      // Mid TLS handshake no MySQL packet can be sent: a failed TLS handshake, closed.
      if (this.clientTlsPending) this.fail(new ClientTlsError('timeout', why));
      else if (this.info.phase === 'handshake') {
        // A packet the client started and did not finish is answered as the packet it is.
        this.answerPending();
        this.refuse(new SessionError('ER_NET_READ_INTERRUPTED', [], why));
      }
      else this.finish(`login not finished within ${this.o.handshakeTimeoutMs} ms`);
    }, this.o.handshakeTimeoutMs);
    this.loginTimer.unref();
  }

  /** Runs the session to its end; never rejects. */
  async run(): Promise<void> {
    try {
      if (!this.admit()) return;
      const greeting = await this.engine();
      if (!greeting) return;
      this.greet(greeting);
      const response = await this.transport();
      const s = await this.login(response, greeting);
      this.relay(s);
    } catch (e) {
      this.fail(e);
    }
  }

  // Admission ----------------------------------------------------------------------------------

  /**
   * Counts the session as unauthenticated (pre-auth-limits.ts), evicting stale idle sessions to
   * make room. Over the bounds it is refused with 1040 before the engine is contacted: false.
   */
  private admit(): boolean {
    const door = this.door;
    const refused = door.preAuth.admit(this.info.id, this.info.clientAddress, () => {
      door.stats.refused('pre_auth_idle');
      const err = new SessionError('ER_CON_COUNT_ERROR', [], `idle before login for over ${door.preAuth.limits.idleGraceMs} ms while too many unauthenticated connections are open`);
      // Mid TLS handshake no MySQL packet can be sent: closed, as the login timer does.
      if (this.clientTlsPending) {
        door.refusalLog.note('info', 'connection refused', this.info.clientAddress, err.reason, { session: this.info.id, error: err.mysql });
        this.finish(err.reason);
      } else this.refuse(err);
    });
    if (refused === null) return true;
    door.stats.refused('pre_auth_limit');
    const bound = refused === 'address' ? `${door.preAuth.limits.maxSessionsPerAddress} from this address` : `${door.preAuth.limits.maxSessions} for this endpoint`;
    this.refuse(new SessionError('ER_CON_COUNT_ERROR', [], `too many unauthenticated connections (${bound})`));
    return false;
  }

  // Phase 1 ------------------------------------------------------------------------------------

  /** The engine connection, PROXY v2, and the engine's greeting; null when the session ended. */
  private async engine(): Promise<HandshakeV10 | null> {
    const s = this.o.dataplane.openSession(this.socket, this.o.engineSocketPath);
    this.native = s;
    s.once('close', (reason: string) => this.finish(reason));
    // Failures before the relay reach the login code through the streams; unheard errors would end the process.
    s.client.on('error', () => this.finish('client socket error'));
    s.engine.on('error', () => {});
    const engineCh = new PacketChannel(s.engine, this.o.maxHandshakePacketBytes);
    const greeting = await withTimeout(
      (async () => {
        try {
          await s.engineConnected;
        } catch (e) {
          throw new EngineUnavailableError(`engine socket ${this.o.engineSocketPath}: ${(e as Error).message}`);
        }
        // MariaDB reads the PROXY header as the first bytes from our side, after its greeting.
        s.engine.write(
          encodeProxyV2({
            sourceAddress: this.info.clientAddress,
            sourcePort: this.info.clientPort,
            destAddress: normaliseAddress(this.socket.localAddress ?? '127.0.0.1'),
            destPort: this.socket.localPort ?? this.o.port,
          }),
        );
        try {
          return await engineCh.read();
        } catch (e) {
          throw new EngineUnavailableError(`no greeting from the engine: ${(e as Error).message}`);
        }
      })(),
      this.o.engineConnectTimeoutMs,
      () => new EngineUnavailableError(`engine did not greet within ${this.o.engineConnectTimeoutMs} ms`),
    );
    // The engine says nothing more until it hears from us: nothing is left in the channel.
    engineCh.release();
    if (greeting.payload[0] === 0xff) {
      // The engine refused us before the handshake (e.g. too many connections): relay as is.
      s.client.write(encodePacket(0, greeting.payload));
      this.end('engine refused the connection');
      return null;
    }
    const parsed = parseHandshakeV10(greeting.payload);
    this.info.engineThreadId = parsed.connectionId;
    return parsed;
  }

  // Phase 2 ------------------------------------------------------------------------------------

  /** The engine's greeting, relayed with CLIENT_SSL (thread id and scramble unchanged). */
  private greet(greeting: HandshakeV10): void {
    const offered = { ...greeting, capabilityFlags: (greeting.capabilityFlags | CLIENT_SSL) >>> 0 };
    this.native!.client.write(encodePacket(0, encodeHandshakeV10(offered)));
    this.clientSeq = 0;
    const preAuth = this.door.preAuth;
    preAuth.greeted(this.info.id);
    this.graceTimer = setTimeout(() => preAuth.enforce(), preAuth.limits.idleGraceMs + 1);
    this.graceTimer.unref();
  }

  // Phase 3 ------------------------------------------------------------------------------------

  /** An SSLRequest and TLS, or a plaintext login; returns the HandshakeResponse and the client's channel. */
  private async transport(): Promise<{ packet: Packet; ch: PacketChannel }> {
    const s = this.native!;
    const door = this.door;
    let ch = this.channel(s.client);
    const first = await ch.read();
    this.clientSeq = first.seq;
    // A plaintext HandshakeResponse: the login progresses. An SSLRequest alone does not (it costs
    // the client four bytes): the session stays idle, and evictable, until its TLS handshake is done.
    if (!isSslRequest(first.payload)) {
      this.progressed();
      return { packet: first, ch };
    }

    const preread = ch.release();
    s.engine.write(encodePacket(first.seq, first.payload));
    const trust = door.clientTrust();
    // With no client certificate to wait for (the endpoint asks for none), the link depends only on
    // the client's TLS version and cipher, which OpenSSL fixes with its first flight: it starts then,
    // so the engine's handshake runs while the client verifies our certificate.
    const early = trust === null ? (n: { version: string; cipher: string }) => !this.done && !this.link && policyAllowsProtocol(door.currentPolicy(), n.version) && this.startLink(n.version, n.cipher) : undefined;
    let tls;
    this.clientTlsPending = true;
    try {
      tls = await s.startServerTls(door.currentContext(), preread, early);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw code ? new ClientTlsError(code, (e as Error).message) : new ClientTlsError((e as Error).message);
    } finally {
      this.clientTlsPending = false;
    }
    this.info.tls = { version: tls.version, cipher: tls.cipher };
    this.progressed();
    // A version gap in tls_version is cut in the handshake (secureOptions); this keeps it exact.
    if (!policyAllowsProtocol(door.currentPolicy(), tls.version)) throw new ClientTlsError('version_outside_policy', `${tls.version} is outside the TLS policy`);
    const cert: ClientCertificateCheck = trust?.check(tls) ?? { kind: 'none' };
    if (cert.kind !== 'none') {
      this.info.clientCertificate = cert.info;
      door.stats.clientCertificates[cert.kind]++;
    }
    // A trusted client certificate travels to the engine as a link certificate with the same
    // subject and issuer name, so MariaDB enforces REQUIRE X509/ISSUER/SUBJECT itself. Started now,
    // the link handshake runs while the client sends its HandshakeResponse.
    if (!this.link && cert.kind !== 'refused') this.startLink(tls.version, tls.cipher, cert.kind === 'trusted' ? cert.linkIdentity() : undefined);
    ch = this.channel(s.client);
    const packet = await ch.read();
    this.clientSeq = packet.seq;
    if (cert.kind === 'refused') {
      // As MariaDB itself treats a certificate it cannot verify: access denied, whatever the account requires.
      this.certRefusal = cert.reason;
      if (cert.revocation) this.certRevoked = `serial ${cert.info?.serialHex ?? '?'} was revoked on ${cert.revocation.revokedAt.toISOString()} (${cert.revocation.reason})`;
    }
    return { packet, ch };
  }

  /** No longer idle (pre-auth-limits.ts): bounded by the login timer only from now on. */
  private progressed(): void {
    this.door.preAuth.progressed(this.info.id);
    if (this.graceTimer) clearTimeout(this.graceTimer);
  }

  private startLink(version: string, cipher: string, identity?: Promise<LinkIdentity>): true {
    const s = this.native!;
    const link = this.door.engineLink();
    const timeoutMs = this.o.engineConnectTimeoutMs;
    this.link = identity ? identity.then((id) => link.connect(s, version, cipher, timeoutMs, id)) : link.connect(s, version, cipher, timeoutMs);
    this.link.catch(() => {}); // observed in login(); no unhandled rejection if the client fails first
    return true;
  }

  // Phase 4 ------------------------------------------------------------------------------------

  /** Checks and forwards the HandshakeResponse, then relays the authentication exchange. */
  private async login({ packet, ch }: { packet: Packet; ch: PacketChannel }, greeting: HandshakeV10): Promise<{ clientPending: Buffer; enginePending: Buffer; response: HandshakeResponse }> {
    const s = this.native!;
    const door = this.door;
    const o = this.o;
    let response: HandshakeResponse;
    try {
      response = parseHandshakeResponse(packet.payload);
    } catch {
      throw new SessionError('ER_HANDSHAKE_ERROR', [], 'malformed HandshakeResponse');
    }
    const user = response.username;
    this.info.user = user;
    const denied = (reason: string) => new SessionError('ER_ACCESS_DENIED_ERROR', [user, this.info.clientAddress, response.authResponse.length > 0 ? 'YES' : 'NO'], reason);
    if (!this.info.tls && o.requireSecureTransport()) {
      door.stats.refused('require_secure_transport');
      throw new SessionError('ER_SECURE_TRANSPORT_REQUIRED', [], 'plaintext login while require_secure_transport=ON');
    }
    if (RESERVED_USERS.has(user)) {
      door.stats.refused('auth');
      throw denied('login as a reserved internal account');
    }
    if (this.certRevoked !== null) {
      door.stats.refused('revoked');
      throw new SessionError('ER_ACCESS_DENIED_CERTIFICATE_REVOKED', [user, this.info.clientAddress, this.certRevoked], `client certificate refused: ${this.certRefusal}`);
    }
    if (this.certRefusal !== null) {
      door.stats.refused('client_certificate');
      throw denied(`client certificate refused: ${this.certRefusal}`);
    }

    // IAM accounts log in with a token, checked here (iam-auth.ts); null for every other login.
    const iamAccount = o.iam ? await o.iam.route(user, this.info.clientAddress) : null;
    // Its token is asked for and checked while the engine link's TLS handshake is still running.
    let verified: { principal: string; accessKeyId: string } | null = null;
    if (iamAccount) {
      const r = await iamAuthenticateClient({ gate: o.iam!, account: iamAccount, client: s.client, clientCh: ch, tls: this.info.tls !== null, response, responseSeq: packet.seq, clientAddress: this.info.clientAddress, sessionId: this.info.id });
      this.clientSeq = r.clientSeq;
      if (!r.ok) {
        door.stats.refused('auth');
        throw denied(`IAM authentication refused: ${r.reason}`);
      }
      verified = r.verified;
    }

    if (this.link) {
      try {
        await this.link;
      } catch (e) {
        // The client left while the link's handshake ran: the session closed under it, nothing failed.
        if (this.done || this.native?.isClosed) throw new PeerClosedError();
        this.log('error', 'engine link TLS failed', { err: e as Error });
        throw new SessionError('ER_UNKNOWN_ERROR_MSG', [`DB instance ${o.instanceId}: internal TLS link to the engine failed; see the tlsql log`], 'engine link TLS failed');
      }
    } else {
      // Plaintext link: the HandshakeResponse must not claim TLS.
      response.capabilityFlags = (response.capabilityFlags & ~CLIENT_SSL) >>> 0;
    }

    if (iamAccount && verified) {
      // The engine stream was paused when its greeting was taken; the engine says nothing until
      // iamEngineLogin's HandshakeResponse, which it writes after attaching its own channel.
      s.engine.resume();
      const r = await iamEngineLogin({ gate: o.iam!, account: iamAccount, client: s.client, response, verified, clientSeq: this.clientSeq, engine: s.engine, responseSeq: packet.seq, scramble: greeting.authPluginData, clientAddress: this.info.clientAddress, sessionId: this.info.id, maxPacketBytes: o.maxHandshakePacketBytes }).catch(engineFailure);
      this.clientSeq = r.clientSeq;
      if (!r.ok) {
        door.stats.refused('auth');
        throw denied(`IAM authentication refused: ${r.reason}`);
      }
      this.loggedIn = true;
      return { clientPending: ch.release(), enginePending: Buffer.alloc(0), response };
    }
    s.engine.write(encodePacket(packet.seq, this.link ? packet.payload : encodeHandshakeResponse(response)));
    return { ...(await this.authExchange(ch)), response };
  }

  /**
   * Relays the authentication exchange (auth switch, more-data, OK/ERR) until the engine's OK or
   * ERR: engine packets one by one, so the result is seen (metrics, the login bound); client bytes
   * as they come. Returns what each side sent past it (pipelined commands go to the relay).
   */
  private async authExchange(clientCh: PacketChannel): Promise<{ clientPending: Buffer; enginePending: Buffer }> {
    const s = this.native!;
    const early = clientCh.release();
    if (early.length) s.engine.write(early);
    const forward = (chunk: Buffer) => s.engine.write(chunk);
    s.client.on('data', forward);
    s.client.resume();
    const engineCh = this.channel(s.engine);
    try {
      for (let n = 0; n < MAX_AUTH_PACKETS; n++) {
        const p = await engineCh.read().catch(engineFailure);
        s.client.write(encodePacket(p.seq, p.payload));
        this.clientSeq = p.seq;
        if (p.payload[0] === 0x00) {
          this.loggedIn = true;
          break;
        }
        if (p.payload[0] === 0xff) {
          this.door.stats.refused('auth');
          this.end('the engine refused the login');
          break;
        }
      }
      // More auth packets than any built-in plugin sends: relayed unjudged, the login bound still runs.
    } finally {
      // Paused before the listener goes, so later bytes stay in the stream for the relay to take.
      s.client.pause();
      s.client.off('data', forward);
    }
    return { clientPending: Buffer.alloc(0), enginePending: engineCh.release() };
  }

  // Phase 5 ------------------------------------------------------------------------------------

  /** Hands both sockets to the native loop. */
  private relay({ clientPending, enginePending, response }: { clientPending: Buffer; enginePending: Buffer; response: HandshakeResponse }): void {
    if (this.done) return;
    const s = this.native!;
    const door = this.door;
    const iam = this.o.iam;
    // Judged logins end the login bound; one relayed unjudged (authExchange) stays under it.
    if (this.loggedIn) clearTimeout(this.loginTimer);
    door.preAuth.leave(this.info.id);
    this.info.phase = 'authenticated';
    door.stats.sessionEstablished(this.info.tls);
    door.stats.observeHandshake((performance.now() - this.acceptedAt) / 1000);
    // With IAM enabled, account statements from the client are looked at (inspect) on their way.
    const inspect = iam?.enabled && !hasCap(response.capabilityFlags, CLIENT_COMPRESS);
    if (inspect) s.on('inspect', (packet: Buffer, partial: boolean) => this.inspect(iam, packet, partial));
    s.relay({ clientPending, enginePending, ...(inspect ? { inspect: { keywords: [...INSPECT_KEYWORDS] } } : {}) });
  }

  /**
   * A held client command of an IAM endpoint: the RDS account syntax is rewritten (iam-auth.ts
   * rewriteQuery), and a statement that may change accounts makes the gate re-read them before the
   * next command (held too) and at the end of the session.
   */
  private inspect(gate: IamGate, packet: Buffer, partial: boolean): void {
    const s = this.native!;
    const release = (replacement: Buffer) => s.inspectDone(replacement, this.armed);
    const decide = (): Buffer => {
      // A partial hold kept only the header of a command too large to inspect: the data plane
      // sends that header and the payload after it; nothing goes in their place.
      if (partial) return Buffer.alloc(0);
      const payload = packet.subarray(4);
      if (payload[0] !== COM_QUERY) return packet;
      const text = payload.toString('latin1', 1);
      if (!partial && MENTIONS_IAM_PLUGIN.test(text)) {
        const rewritten = gate.rewriteQuery(text);
        if (rewritten !== null) {
          this.track(gate);
          return encodePacket(0, Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(rewritten, 'latin1')]));
        }
      }
      if (CHANGES_ACCOUNTS.test(text)) this.track(gate);
      return packet;
    };
    if (!this.armed) {
      release(decide());
      return;
    }
    // The client sends its next command only after reading the previous answer, so the account
    // statement has run: make the new accounts IAM accounts before this command runs.
    this.armed = false;
    gate.markDirty();
    const go = () => !this.done && release(decide());
    gate.refresh().then(go, go);
  }

  private track(gate: IamGate): void {
    gate.markDirty();
    this.armed = true;
  }

  // Endings ------------------------------------------------------------------------------------

  private channel(stream: NativeSession['client']): PacketChannel {
    // The session closed in the same batch of events that let this phase go on.
    if (stream.destroyed) throw new PeerClosedError();
    const ch = new PacketChannel(stream, this.o.maxHandshakePacketBytes);
    stream.resume(); // a channel released earlier left the stream paused
    if (stream === this.native?.client) this.clientCh = ch;
    return ch;
  }

  /** Ends the session: at once, or (`flush`) once what is queued for the sockets has been written. */
  private finish(reason: string | null, flush = false): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.loginTimer);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.door.preAuth.leave(this.info.id);
    this.info.phase = 'closed';
    this.door.sessions.delete(this.info.id);
    if (this.armed && this.o.iam) {
      this.o.iam.markDirty();
      this.o.iam.refresh().catch(() => {});
    }
    if (reason) this.o.logger.debug('session closed', { instance: this.o.instanceId, session: this.info.id, client: this.info.clientAddress, reason });
    // Refused before the data plane took the socket (admission): the error packet is written first.
    if (!this.native) {
      if (flush) this.socket.end(() => this.socket.destroy());
      else this.socket.destroy();
    }
    else if (flush) this.native.end(reason ?? 'closed');
    else this.native.close(reason ?? 'closed');
  }

  /** Ends the session once what is queued for the client (an error packet) has been written. */
  private end(reason: string): void {
    this.finish(reason, true);
  }

  /** Ends the handshake with an error packet to the client, then closes. */
  private refuse(err: SessionError): void {
    if (this.done) return;
    this.door.refusalLog.note('info', 'connection refused', this.info.clientAddress, err.reason, { session: this.info.id, user: this.info.user, error: err.mysql });
    const packet = encodePacket((this.clientSeq + 1) & 0xff, errPacketFor(err.mysql, ...err.args));
    if (this.native) this.native.client.write(packet);
    else this.socket.write(packet);
    this.end(err.reason);
  }

  /**
   * The next error answers the client packet whose header is waiting in the client's channel
   * (refused as oversized, or cut short): its sequence id + 1, as the client expects.
   */
  private answerPending(): void {
    const seq = this.clientCh?.pendingSeq;
    if (seq !== null && seq !== undefined) this.clientSeq = seq;
  }

  private log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>): void {
    this.o.logger[level](msg, { instance: this.o.instanceId, session: this.info.id, client: this.info.clientAddress, ...fields });
  }

  private fail(e: unknown): void {
    if (this.done) return;
    const door = this.door;
    if (e instanceof SessionError) return this.refuse(e);
    if (e instanceof PeerClosedError) return this.finish('client closed during handshake');
    // A socket failed under the login (the client's ends the session through its close event first).
    if (e instanceof NativeTlsError) return this.fail(new EngineUnavailableError(`engine connection failed during the login: ${e.message}`));
    if (e instanceof EngineUnavailableError) {
      door.stats.refused('engine_unavailable');
      door.refusalLog.note('warn', 'engine unavailable', this.info.clientAddress, e.message, { session: this.info.id });
      return this.refuse(new SessionError('ER_UNKNOWN_ERROR_MSG', [`DB instance ${this.o.instanceId} is not available right now (engine not reachable); retry shortly`], e.message));
    }
    if (e instanceof ClientTlsError) {
      if (e.clientLeft) {
        // A client that resets or closes mid-handshake (a scanner, a client giving up) refused nothing.
        door.counters.tlsHandshakeAborts++;
        door.refusalLog.note('debug', 'client left during the TLS handshake', this.info.clientAddress, e.reason, { session: this.info.id, detail: e.message });
        return this.finish(null);
      }
      door.counters.tlsHandshakeFailures++;
      door.stats.refused('tls_policy');
      door.refusalLog.note('info', 'client TLS handshake failed', this.info.clientAddress, e.reason, { session: this.info.id, detail: e.message });
      return this.finish(null);
    }
    if ((e as { name?: string }).name === 'PacketError') {
      const reason = (e as { reason?: string }).reason ?? (e as Error).message;
      // An oversized header was left unread in the client's channel: the error answers that packet.
      if (reason === 'oversized') this.answerPending();
      return this.refuse(
        reason === 'oversized' ? new SessionError('ER_NET_PACKET_TOO_LARGE', [], 'oversized packet during handshake') : new SessionError('ER_HANDSHAKE_ERROR', [], `malformed packet: ${reason}`),
      );
    }
    this.log('error', 'session failed', { err: e as Error });
    this.finish('internal error');
  }
}

/** Runs one client connection through the front door (see Session). Never rejects. */
export function runSession(door: SessionEndpoint, client: net.Socket, id: string): Promise<void> {
  return new Session(door, client, id).run();
}
