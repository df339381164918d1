import { randomUUID } from 'node:crypto';
import net from 'node:net';
import type { AllowList } from './allow-list.js';
import type { ClientTrust } from './client-certs.js';
import { ConnectionStats } from './connection-stats.js';
import { EngineLink } from './engine-link.js';
import type { NativeServerContext } from './native/native-context.js';
import { normaliseAddress } from './normalise-address.js';
import { DEFAULT_PRE_AUTH_LIMITS, PreAuthLimiter } from './pre-auth-limits.js';
import { systemClock } from '../lib/clock.js';
import { DEFAULT_REFUSAL_LOG_INTERVAL_MS } from '../config/config.js';
import { RefusalLog } from './refusal-log.js';
import { runSession } from './session.js';
import type { SessionEndpoint, SessionSettings } from './session-endpoint.js';
import type { SessionInfo } from './session-info.js';
import type { TlsPolicy } from './tls-policy.js';

/**
 * Endpoint totals beside ConnectionStats (connection-stats.ts), which has the per-reason refusals
 * and the established sessions by transport.
 */
export interface FrontDoorCounters {
  /** TCP connections accepted, before any check (metric tlsql_connections_accepted_total). */
  accepted: number;
  /** Client TLS handshakes that failed or fell outside the policy. */
  tlsHandshakeFailures: number;
  /** Client TLS handshakes the client abandoned (reset or closed mid-handshake): not refusals. */
  tlsHandshakeAborts: number;
  /** Closed at accept: the client address is outside the instance's network allow-list. */
  refusedAllowList: number;
}

/** How an endpoint is set up; the part its sessions read is SessionSettings (session-endpoint.ts). */
export interface FrontDoorOptions extends SessionSettings {
  /** Addresses to listen on, e.g. ['127.0.0.1', '::1']. */
  addresses: string[];
  /** Server certificate chain (leaf + subordinate) and its key, PEM. */
  certificateChainPem: string;
  privateKeyPem: string;
  policy: TlsPolicy;
  link: { caPem: string; servername: string; keyType: 'rsa' | 'ecdsa' };
  /** Dynamic: read on every accept. Null (or absent) allows every address that reaches the listener. */
  allowList?: () => AllowList | null;
}

/**
 * The instance endpoint: the listener, the instance certificate and TLS policy, the client
 * certificates it trusts and the engine link; each accepted connection runs as a Session
 * (session.ts) whose sockets the native data plane owns (native/native-dataplane.ts).
 */
export class FrontDoor implements SessionEndpoint {
  private readonly servers: net.Server[] = [];
  private secureContext: NativeServerContext;
  private policy: TlsPolicy;
  private chainPem: string;
  private keyPem: string;
  private trust: ClientTrust | null = null;
  private lastAllowListLogMs = 0;
  /** Per-connection accounting for metrics. */
  readonly stats = new ConnectionStats();
  private readonly link: EngineLink;
  readonly sessions = new Map<string, SessionInfo>();
  readonly preAuth: PreAuthLimiter;
  readonly counters: FrontDoorCounters = { accepted: 0, tlsHandshakeFailures: 0, tlsHandshakeAborts: 0, refusedAllowList: 0 };
  readonly refusalLog: RefusalLog;
  private readonly refusalLogTimer: NodeJS.Timeout;

  constructor(readonly opts: FrontDoorOptions) {
    this.policy = opts.policy;
    this.preAuth = new PreAuthLimiter(opts.preAuthLimits ?? DEFAULT_PRE_AUTH_LIMITS);
    this.refusalLog = new RefusalLog(opts.logger, opts.clock ?? systemClock, opts.refusalLogIntervalMs ?? DEFAULT_REFUSAL_LOG_INTERVAL_MS, { instance: opts.instanceId });
    // Summaries go out when their interval ends even if no refusal follows.
    this.refusalLogTimer = setInterval(() => this.refusalLog.flushIfDue(), Math.min(this.refusalLog.intervalMs, 10_000));
    this.refusalLogTimer.unref();
    this.chainPem = opts.certificateChainPem;
    this.keyPem = opts.privateKeyPem;
    this.secureContext = this.buildContext(opts.certificateChainPem, opts.privateKeyPem, opts.policy);
    this.link = new EngineLink(opts.dataplane, opts.link.caPem, opts.link.servername, opts.link.keyType);
  }

  /** Builds a server context; throws (and changes nothing) if the key does not match the certificate. */
  private buildContext(chainPem: string, keyPem: string, policy: TlsPolicy, clientCaPem?: string): NativeServerContext {
    return this.opts.dataplane.serverContext({
      certChainPem: chainPem,
      keyPem,
      minVersion: policy.minVersion,
      maxVersion: policy.maxVersion,
      ciphers: policy.ciphers,
      honorCipherOrder: true,
      secureOptions: policy.secureOptions,
      // Trust anchors for client certificates (requested, optional; see client-certs.ts check).
      ...(clientCaPem ? { clientCaPem } : {}),
      // OpenSSL refuses to resume a session (alert "internal error") on a server that requests
      // client certificates unless a session id context is set; clients that resume (mysql2
      // reusing its ssl options, JDBC pools) would fail every other connection without it.
      sessionIdContext: 'tlsql-front-door',
    });
  }

  get instanceId(): string {
    return this.opts.instanceId;
  }

  get port(): number {
    return this.opts.port;
  }

  /** The context used for the next handshake; swapped atomically by rotation. */
  currentContext(): NativeServerContext {
    return this.secureContext;
  }

  currentPolicy(): TlsPolicy {
    return this.policy;
  }

  engineLink(): EngineLink {
    return this.link;
  }

  /**
   * Swaps the certificate (and optionally the policy) for new connections. Existing sessions keep
   * theirs. Throws before swapping if the new material is unusable.
   */
  setCertificate(chainPem: string, keyPem: string, policy: TlsPolicy = this.policy): void {
    const ctx = this.buildContext(chainPem, keyPem, policy, this.trust?.caPem);
    this.secureContext = ctx;
    this.policy = policy;
    this.chainPem = chainPem;
    this.keyPem = keyPem;
  }

  /** The server certificate chain new handshakes use (leaf first), PEM. */
  currentChainPem(): string {
    return this.chainPem;
  }

  /** New sessions connect to the engine at `path` (a Multi-AZ failover); live sessions keep theirs. */
  setEngineSocketPath(path: string): void {
    this.opts.engineSocketPath = path;
  }

  /** Trusted client CAs; null when the endpoint does not ask for client certificates. */
  clientTrust(): ClientTrust | null {
    return this.trust;
  }

  /** Swaps the client-certificate trust list for new connections (a new secure context). Throws before swapping if unusable. */
  setClientTrust(trust: ClientTrust | null): void {
    const ctx = this.buildContext(this.chainPem, this.keyPem, this.policy, trust?.caPem);
    this.secureContext = ctx;
    this.trust = trust;
  }

  /** Listens on every address; rejects with EADDRINUSE etc. after closing any that did open. */
  async listen(): Promise<void> {
    if (this.policy.insecure) {
      this.opts.logger.warn('endpoint allows insecure legacy TLS versions (security level 0)', { instance: this.opts.instanceId, tlsVersions: this.policy.versions.join(',') });
    }
    try {
      for (const address of this.opts.addresses) {
        // pauseOnConnect: Node reads nothing; the native data plane takes the socket (session.ts).
        const server = net.createServer({ noDelay: true, pauseOnConnect: true }, (socket) => this.accept(socket));
        server.on('error', (e) => this.opts.logger.error('front door listener error', { instance: this.opts.instanceId, err: e }));
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: address, port: this.opts.port, ipv6Only: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
        this.servers.push(server);
      }
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  private accept(socket: net.Socket): void {
    this.counters.accepted++;
    const allowList = this.opts.allowList?.();
    if (allowList && !allowList.allows(socket.remoteAddress ?? '')) {
      // Closed before the engine is contacted or a byte is sent: the client sees a reset/EOF.
      this.counters.refusedAllowList++;
      this.stats.refused('allow_list');
      const now = Date.now();
      if (now - this.lastAllowListLogMs >= 1000) {
        // At most one line per second per endpoint, so a scan cannot flood the log; the counter has every refusal.
        this.lastAllowListLogMs = now;
        this.opts.logger.info('connection refused by the network allow-list', { instance: this.opts.instanceId, client: normaliseAddress(socket.remoteAddress ?? ''), refusedSoFar: this.counters.refusedAllowList });
      }
      socket.destroy();
      return;
    }
    const id = randomUUID();
    runSession(this, socket, id).catch((e) => {
      // runSession handles its own failures; reaching here is a bug, not a client error.
      this.opts.logger.error('front door session crashed', { instance: this.opts.instanceId, session: id, err: e });
      socket.destroy();
    });
  }

  /** Stops accepting; with `dropSessions`, also ends every live session. */
  async close(dropSessions = true): Promise<void> {
    clearInterval(this.refusalLogTimer);
    this.refusalLog.flush();
    const servers = this.servers.splice(0);
    // server.close() resolves only when every accepted socket has closed, so stop listening
    // first, then end the sessions, then wait.
    const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (dropSessions) for (const s of [...this.sessions.values()]) s.close('endpoint closed');
    await closed;
  }
}
