import type { Clock } from '../lib/clock.js';

/** What a failure delays the next automatic attempt of; `activation`: bringing an instance's engine and endpoint up. */
export type RetryKind = 'server' | 'link' | 'rotation' | 'activation';

/** First retry after a failed attempt; doubles per failure up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 5 * 60 * 1000;
const RETRY_MAX_MS = 60 * 60 * 1000;

/** Delays of a RetryBackoff; certificate work uses the defaults. */
export interface RetryDelays {
  /** Delay after the first failure; doubles per consecutive failure. Default 5 min. */
  baseMs: number;
  /** Longest delay. Default 1 h. */
  maxMs: number;
}

/**
 * Exponential backoff of automatic work per instance and kind: after n consecutive failures the
 * next attempt waits base x 2^(n-1), at most max (certificate work: 5 min, at most an hour), so a
 * broken engine or CA is not hammered on every pass. In memory: a restart tries again at once.
 */
export class RetryBackoff {
  private readonly state = new Map<string, { failures: number; notBeforeMs: number }>();

  private readonly delays: RetryDelays;

  constructor(
    private readonly clock: Clock,
    delays: Partial<RetryDelays> = {},
  ) {
    this.delays = { baseMs: delays.baseMs ?? RETRY_BASE_MS, maxMs: delays.maxMs ?? RETRY_MAX_MS };
  }

  /** Whether an attempt for (`resourceId`, `kind`) may run at `now`. */
  mayAttempt(resourceId: string, kind: RetryKind, now: Date): boolean {
    const r = this.state.get(`${resourceId}/${kind}`);
    return !r || now.getTime() >= r.notBeforeMs;
  }

  /** Records a failure; returns when the next attempt may run. */
  failed(resourceId: string, kind: RetryKind): Date {
    const key = `${resourceId}/${kind}`;
    const failures = (this.state.get(key)?.failures ?? 0) + 1;
    const notBeforeMs = this.clock.now().getTime() + Math.min(this.delays.maxMs, this.delays.baseMs * 2 ** (failures - 1));
    this.state.set(key, { failures, notBeforeMs });
    return new Date(notBeforeMs);
  }

  /** Records a success: the next failure starts the backoff over. */
  succeeded(resourceId: string, kind: RetryKind): void {
    this.state.delete(`${resourceId}/${kind}`);
  }
}
