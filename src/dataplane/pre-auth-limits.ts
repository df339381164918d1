import { DEFAULT_PRE_AUTH_LIMITS as CONFIG_DEFAULTS } from '../config/config.js';
import { formatCidr, parseCidr } from './allow-list.js';

/**
 * Bounds on what unauthenticated sessions hold. Every accepted connection holds an engine
 * connection from before the client's first byte: the greeting's thread id and scramble are the
 * engine's (session.ts phase 1), so `KILL <thread id>` works and a native-password login verifies
 * against the engine's own scramble. Without a bound, idle TCP sockets fill the engine's
 * `max_connections` and starve logins that would succeed.
 *
 * Two kinds of unauthenticated session are counted, per endpoint and per client address (an IPv6
 * client counts under its /64: addressBucket):
 * - idle: greeted, and no HandshakeResponse or finished TLS handshake from the client yet (an
 *   SSLRequest alone keeps a session idle: it costs a client four bytes). Above `maxIdle` (or
 *   `maxIdlePerAddress` for one address), the oldest idle session whose greeting went out at least
 *   `idleGraceMs` ago is evicted with 1040 Too many connections (closed without a packet when it is
 *   mid TLS handshake, where none can be sent). The grace keeps a burst of real clients (a pool opening
 *   its connections at once) from evicting each other: a client answers a greeting within one round
 *   trip, an idle socket never does. Eviction runs when a connection arrives and when an idle
 *   session's grace ends, so the bound holds within `idleGraceMs` even when no one else connects.
 * - all (idle, connecting to the engine, in TLS or the authentication exchange): above
 *   `maxSessions` (or `maxSessionsPerAddress`), a new connection is refused with 1040 at accept,
 *   before the engine is contacted. Progressing logins are never evicted; each is bounded by
 *   `handshakeTimeoutMs`.
 *
 * With the defaults, idle sockets hold at most `maxIdle` engine connections once their grace has
 * passed, so logins succeed while authenticated sessions stay within the engine's
 * `max_connections` minus `maxIdle` (docs/connection-security.md "Unauthenticated connections").
 */
export interface PreAuthLimits {
  /** Unauthenticated sessions of one endpoint; a connection beyond is refused at accept. */
  maxSessions: number;
  /** Unauthenticated sessions from one client address (IPv6: one /64); a connection beyond is refused at accept. */
  maxSessionsPerAddress: number;
  /** Idle sessions (greeted, no HandshakeResponse or finished TLS yet) of one endpoint, once their grace has passed. */
  maxIdle: number;
  /** Idle sessions from one client address, once their grace has passed. */
  maxIdlePerAddress: number;
  /** How long after its greeting an idle session is safe from eviction, ms. */
  idleGraceMs: number;
}

export const DEFAULT_PRE_AUTH_LIMITS: Readonly<PreAuthLimits> = CONFIG_DEFAULTS;

/**
 * What the per-address bounds count under: an IPv4 address itself, an IPv6 address's /64. A single
 * IPv6 host is routinely given a whole /64 (SLAAC, one per customer), so counting single addresses
 * would give one client 2^64 separate allowances.
 */
export function addressBucket(address: string): string {
  if (!address.includes(':')) return address;
  try {
    // A link-local address may carry its interface (`fe80::1%eth0`): the same host whatever the interface.
    return formatCidr(parseCidr(`${address.replace(/%.*$/, '')}/64`));
  } catch {
    return address;
  }
}

/** Why a connection was turned away: the endpoint's bound, or its address's. */
export type PreAuthRefusal = 'endpoint' | 'address';

interface Entry {
  /** The client address's bucket (addressBucket). */
  address: string;
  /** When the greeting went out (clock ms); null while the engine is being connected. */
  greetedAt: number | null;
  idle: boolean;
  evict: () => void;
}

export class PreAuthLimiter {
  /** Unauthenticated sessions in arrival order (Map keeps insertion order: the first is the oldest). */
  private readonly entries = new Map<string, Entry>();
  private readonly perAddress = new Map<string, { all: number; idle: number }>();
  private idleCount = 0;
  /** Idle sessions evicted, and connections refused at accept, since start. */
  readonly counters = { evicted: 0, refused: 0 };

  constructor(
    readonly limits: Readonly<PreAuthLimits>,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * A new connection from `address`: first evicts stale idle sessions to make room for it (it
   * starts idle), then admits it, or returns why not (nothing is recorded then). `evict` ends the
   * session with 1040; it is called at most once, after the session has left the limiter.
   */
  admit(id: string, clientAddress: string, evict: () => void): PreAuthRefusal | null {
    const address = addressBucket(clientAddress);
    this.enforce(1, address);
    const a = this.perAddress.get(address);
    if ((a?.all ?? 0) >= this.limits.maxSessionsPerAddress) return this.refuse('address');
    if (this.entries.size >= this.limits.maxSessions) return this.refuse('endpoint');
    this.entries.set(id, { address, greetedAt: null, idle: true, evict });
    this.idleCount++;
    const c = a ?? { all: 0, idle: 0 };
    c.all++;
    c.idle++;
    this.perAddress.set(address, c);
    return null;
  }

  /** The session's greeting went out: its grace starts. */
  greeted(id: string): void {
    const e = this.entries.get(id);
    if (e) e.greetedAt = this.now();
  }

  /** The client sent its HandshakeResponse or finished its TLS handshake: no longer idle (still unauthenticated). */
  progressed(id: string): void {
    const e = this.entries.get(id);
    if (!e || !e.idle) return;
    e.idle = false;
    this.idleCount--;
    this.perAddress.get(e.address)!.idle--;
  }

  /** The session logged in or ended. Idempotent. */
  leave(id: string): void {
    const e = this.entries.get(id);
    if (!e) return;
    this.entries.delete(id);
    const c = this.perAddress.get(e.address)!;
    c.all--;
    if (e.idle) {
      this.idleCount--;
      c.idle--;
    }
    if (c.all === 0) this.perAddress.delete(e.address);
  }

  /**
   * Evicts the oldest stale idle sessions while the idle bounds are exceeded (counting `incoming`
   * more idle sessions from `clientAddress`). Returns how many were evicted.
   */
  enforce(incoming = 0, clientAddress?: string): number {
    const address = clientAddress === undefined ? undefined : addressBucket(clientAddress);
    let n = 0;
    if (address !== undefined) {
      while ((this.perAddress.get(address)?.idle ?? 0) + incoming > this.limits.maxIdlePerAddress && this.evictOldest(address)) n++;
    }
    for (const [addr, c] of [...this.perAddress]) {
      while (c.idle > this.limits.maxIdlePerAddress && this.evictOldest(addr)) n++;
    }
    while (this.idleCount + incoming > this.limits.maxIdle && this.evictOldest()) n++;
    return n;
  }

  /** Unauthenticated sessions now, and how many of them are idle. */
  get size(): { all: number; idle: number } {
    return { all: this.entries.size, idle: this.idleCount };
  }

  private refuse(why: PreAuthRefusal): PreAuthRefusal {
    this.counters.refused++;
    return why;
  }

  /** Evicts the oldest idle session past its grace (of `address`, when given); false if there is none. */
  private evictOldest(address?: string): boolean {
    const stale = this.now() - this.limits.idleGraceMs;
    for (const [id, e] of this.entries) {
      if (!e.idle || e.greetedAt === null || e.greetedAt > stale) continue;
      if (address !== undefined && e.address !== address) continue;
      this.leave(id);
      this.counters.evicted++;
      e.evict();
      return true;
    }
    return false;
  }
}
