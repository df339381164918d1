import { describe, expect, it } from 'vitest';
import { RetryBackoff } from '../../../src/control/retry-backoff.js';
import { ManualClock } from '../../../src/lib/clock.js';

const MIN = 60_000;

describe('RetryBackoff', () => {
  it('allows the first attempt, then waits 5, 10, 20 ... minutes after consecutive failures, at most an hour', () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const retry = new RetryBackoff(clock);
    expect(retry.mayAttempt('db-A', 'server', clock.now())).toBe(true);
    const waits = [1, 2, 3, 4, 5, 6].map(() => (retry.failed('db-A', 'server').getTime() - clock.now().getTime()) / MIN);
    expect(waits).toEqual([5, 10, 20, 40, 60, 60]);
  });

  it('refuses an attempt before the delay and allows it once the injected clock reaches it', () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const retry = new RetryBackoff(clock);
    retry.failed('db-A', 'link');
    clock.advance(5 * MIN - 1);
    expect(retry.mayAttempt('db-A', 'link', clock.now())).toBe(false);
    clock.advance(1);
    expect(retry.mayAttempt('db-A', 'link', clock.now())).toBe(true);
  });

  it('keeps instances and kinds apart, and starts over after a success', () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const retry = new RetryBackoff(clock);
    retry.failed('db-A', 'rotation');
    expect(retry.mayAttempt('db-A', 'server', clock.now())).toBe(true);
    expect(retry.mayAttempt('db-B', 'rotation', clock.now())).toBe(true);
    retry.failed('db-A', 'rotation');
    retry.succeeded('db-A', 'rotation');
    expect(retry.mayAttempt('db-A', 'rotation', clock.now())).toBe(true);
    expect(retry.failed('db-A', 'rotation').getTime() - clock.now().getTime()).toBe(5 * MIN);
  });

  it('uses the configured delays (instance recovery: recovery.retryBaseMs, recovery.retryMaxMs)', () => {
    const clock = new ManualClock('2026-03-01T00:00:00Z');
    const retry = new RetryBackoff(clock, { baseMs: 5_000, maxMs: 300_000 });
    const waits = Array.from({ length: 8 }, () => retry.failed('db-A', 'activation').getTime() - clock.now().getTime());
    expect(waits).toEqual([5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
  });
});
