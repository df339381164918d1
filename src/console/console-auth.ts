/**
 * Who may use the web console: one-time login links, sessions with an idle timeout, and each
 * session's CSRF token. Everything is in memory (a restart logs everyone out) and every time
 * comes from the injected Clock, so tests move it with ManualClock instead of sleeping.
 *
 * Tokens are 256-bit random values, base64url. Only their SHA-256 is kept, so a heap dump or a
 * log line of this object's state reveals no usable token, and lookups compare hashes (a timing
 * difference on a hash says nothing about the token).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../lib/clock.js';

/** Default lifetime of a one-time login link: 5 minutes (it is meant to be opened at once). */
export const defaultLoginLinkTtlMs = 5 * 60 * 1000;
/** Default idle timeout of a console session: 30 minutes without a request. */
export const defaultSessionIdleMs = 30 * 60 * 1000;
/** Login links not yet used, at most; the oldest is dropped beyond (a flood cannot grow memory). */
const maxPendingLinks = 64;
/** Sessions at once, at most; the least recently used is dropped beyond. */
const maxSessions = 256;

export interface ConsoleAuthOptions {
  clock: Clock;
  /** Lifetime of a login link. Default 5 minutes. */
  loginLinkTtlMs?: number;
  /** A session unused for this long is over. Default 30 minutes. */
  sessionIdleMs?: number;
}

/** A logged-in browser. */
export interface ConsoleSession {
  /** Who logged in (the API principal whose credentials made the link or were typed in); passed to actions. */
  principal: string;
  /** The token every state-changing request must echo in the `X-CSRF-Token` header. */
  csrfToken: string;
  /** When the session was last used, ms since the epoch. */
  lastUsedMs: number;
}

/** Why a login or a request was refused; shown to the user, never secret. */
export type RefusalReason = 'no-session' | 'session-expired' | 'link-unknown' | 'link-expired' | 'csrf-mismatch';

const newToken = (): string => randomBytes(32).toString('base64url');
const digest = (token: string): string => createHash('sha256').update(token).digest('base64url');

export class ConsoleAuth {
  private readonly clock: Clock;
  private readonly loginLinkTtlMs: number;
  private readonly sessionIdleMs: number;
  /** Link token digest -> { principal, expiry ms }. */
  private readonly links = new Map<string, { principal: string; expiresMs: number }>();
  /** Session token digest -> session. Map order is least recently used first. */
  private readonly sessions = new Map<string, ConsoleSession>();

  constructor(opts: ConsoleAuthOptions) {
    this.clock = opts.clock;
    this.loginLinkTtlMs = opts.loginLinkTtlMs ?? defaultLoginLinkTtlMs;
    this.sessionIdleMs = opts.sessionIdleMs ?? defaultSessionIdleMs;
  }

  /** A new one-time login token for `principal`, valid for loginLinkTtlMs from now. */
  createLoginLink(principal: string): { token: string; expiresAt: Date } {
    this.sweep();
    const token = newToken();
    const expiresMs = this.clock.now().getTime() + this.loginLinkTtlMs;
    this.links.set(digest(token), { principal, expiresMs });
    while (this.links.size > maxPendingLinks) this.links.delete(this.links.keys().next().value!);
    return { token, expiresAt: new Date(expiresMs) };
  }

  /**
   * Uses a login token: a new session when it is known and not expired. The token is spent either
   * way (an expired link cannot be retried, a used one cannot be replayed).
   */
  redeemLoginLink(token: string): { session: string; csrfToken: string } | { refused: RefusalReason } {
    const key = digest(token);
    const link = this.links.get(key);
    this.links.delete(key);
    if (!link) return { refused: 'link-unknown' };
    if (this.clock.now().getTime() >= link.expiresMs) return { refused: 'link-expired' };
    return this.startSession(link.principal);
  }

  /** A new session for `principal` (after a login with the API secret, or a redeemed link). */
  startSession(principal: string): { session: string; csrfToken: string } {
    this.sweep();
    const session = newToken();
    const csrfToken = newToken();
    this.sessions.set(digest(session), { principal, csrfToken, lastUsedMs: this.clock.now().getTime() });
    while (this.sessions.size > maxSessions) this.sessions.delete(this.sessions.keys().next().value!);
    return { session, csrfToken };
  }

  /**
   * The session for a cookie value, touched (its idle timer restarts), or why there is none.
   * `csrfToken`: for a state-changing request, the header's value, compared in constant time.
   */
  authenticate(sessionToken: string | undefined, opts: { csrfToken?: string | undefined; stateChanging: boolean }): ConsoleSession | { refused: RefusalReason } {
    if (!sessionToken) return { refused: 'no-session' };
    const key = digest(sessionToken);
    const s = this.sessions.get(key);
    if (!s) return { refused: 'no-session' };
    const now = this.clock.now().getTime();
    if (now - s.lastUsedMs >= this.sessionIdleMs) {
      this.sessions.delete(key);
      return { refused: 'session-expired' };
    }
    if (opts.stateChanging && !sameToken(opts.csrfToken, s.csrfToken)) return { refused: 'csrf-mismatch' };
    s.lastUsedMs = now;
    // Re-inserted so the map stays in least-recently-used order.
    this.sessions.delete(key);
    this.sessions.set(key, s);
    return s;
  }

  /** Ends a session (logout). Unknown tokens are ignored. */
  endSession(sessionToken: string | undefined): void {
    if (sessionToken) this.sessions.delete(digest(sessionToken));
  }

  /** Sessions alive now (expired ones not yet swept may be counted until the next sweep). */
  get sessionCount(): number {
    return this.sessions.size;
  }

  /** Drops expired links and idle sessions. */
  private sweep(): void {
    const now = this.clock.now().getTime();
    for (const [k, l] of this.links) if (now >= l.expiresMs) this.links.delete(k);
    for (const [k, s] of this.sessions) if (now - s.lastUsedMs >= this.sessionIdleMs) this.sessions.delete(k);
  }
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(digest(given));
  const b = Buffer.from(digest(expected));
  return timingSafeEqual(a, b);
}
