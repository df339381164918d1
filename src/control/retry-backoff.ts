import type { Clock } from '../lib/clock.js';

/** What a failure delays the next automatic attempt of. */
export type RetryKind = 'server' | 'link' | 'rotation';

/** First retry after a failed attempt; doubles per failure up to RETRY_MAX_MS. */
const RETRY_BASE_MS = 5 * 60 * 1000;
const RETRY_MAX_MS = 60 * 60 * 1000;

/**
 * Exponential backoff of automatic certificate work per instance and kind: after n consecutive
 * failures the next attempt waits 5 min x 2^(n-1), at most an hour, so a broken engine or CA is
 * not hammered on every scheduler pass. In memory: a restart tries again at once.
 */
export class RetryBackoff {
  private readonly state = new Map<string, { failures: number; notBeforeMs: number }>();

  constructor(private readonly clock: Clock) {}

  /** Whether an attempt for (`resourceId`, `kind`) may run at `now`. */
  mayAttempt(resourceId: string, kind: RetryKind, now: Date): boolean {
    const r = this.state.get(`${resourceId}/${kind}`);
    return !r || now.getTime() >= r.notBeforeMs;
  }

  /** Records a failure; returns when the next attempt may run. */
  failed(resourceId: string, kind: RetryKind): Date {
    const key = `${resourceId}/${kind}`;
    const failures = (this.state.get(key)?.failures ?? 0) + 1;
    const notBeforeMs = this.clock.now().getTime() + Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (failures - 1));
    this.state.set(key, { failures, notBeforeMs });
    return new Date(notBeforeMs);
  }

  /** Records a success: the next failure starts the backoff over. */
  succeeded(resourceId: string, kind: RetryKind): void {
    this.state.delete(`${resourceId}/${kind}`);
  }
}
