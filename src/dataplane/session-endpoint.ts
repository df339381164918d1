import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ClientTrust } from './client-certs.js';
import type { ConnectionStats } from './connection-stats.js';
import type { EngineLink } from './engine-link.js';
import type { IamGate } from './iam-auth.js';
import type { NativeServerContext } from './native/native-context.js';
import type { NativeDataplane } from './native/native-dataplane.js';
import type { RefusalLog } from './refusal-log.js';
import type { PreAuthLimiter, PreAuthLimits } from './pre-auth-limits.js';
import type { SessionInfo } from './session-info.js';
import type { TlsPolicy } from './tls-policy.js';

/** The settings of an endpoint that its sessions read (FrontDoorOptions adds the listener's own). */
export interface SessionSettings {
  instanceId: string;
  /** The endpoint's port: the PROXY header's destination port when the socket does not tell. */
  port: number;
  /** Dynamic: read on every login. */
  requireSecureTransport: () => boolean;
  /** IAM database authentication of this endpoint (enabled or not; see iam-auth.ts). Absent: never. */
  iam?: IamGate;
  /** Bound of the whole login, accept to the engine's OK or ERR, ms. */
  handshakeTimeoutMs: number;
  /** Bound of the engine connection and greeting, and of the engine link's TLS handshake, ms. */
  engineConnectTimeoutMs: number;
  maxHandshakePacketBytes: number;
  /** Interval of the refusal log's summaries (refusal-log.ts), ms; absent: 60 s. */
  refusalLogIntervalMs?: number;
  /** Time of the refusal log's intervals; absent: the system clock. */
  clock?: Clock;
  /** Bounds on unauthenticated sessions (pre-auth-limits.ts); absent: DEFAULT_PRE_AUTH_LIMITS. */
  preAuthLimits?: Readonly<PreAuthLimits>;
  /** The engine's unix socket. */
  engineSocketPath: string;
  /** Owns every session's sockets, TLS and relay; one per process, shared by all endpoints. */
  dataplane: NativeDataplane;
  logger: Logger;
}

/**
 * What a session (session.ts) needs from the endpoint that accepted it; FrontDoor is the one.
 * A type of its own so the session does not depend on the class that starts it.
 */
export interface SessionEndpoint {
  readonly opts: SessionSettings;
  /** Live sessions by id; a session adds itself and removes itself when it ends. */
  readonly sessions: Map<string, SessionInfo>;
  readonly counters: { tlsHandshakeFailures: number; tlsHandshakeAborts: number };
  /** Refused connections, logged once per client and reason per interval (refusal-log.ts). */
  readonly refusalLog: RefusalLog;
  readonly stats: ConnectionStats;
  /** What unauthenticated sessions hold, bounded (pre-auth-limits.ts). */
  readonly preAuth: PreAuthLimiter;
  /** Trusted client CAs; null when the endpoint does not ask for client certificates. */
  clientTrust(): ClientTrust | null;
  engineLink(): EngineLink;
  currentPolicy(): TlsPolicy;
  /** The server context for the next client handshake. */
  currentContext(): NativeServerContext;
}
