import { describe, expect, it } from 'vitest';
import { RefusalLog } from '../../../src/dataplane/refusal-log.js';
import type { Clock } from '../../../src/lib/clock.js';
import { createLogger } from '../../../src/lib/logger.js';

/** A refusal log on a clock the test moves, and the lines it wrote (parsed). */
function setup() {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const clock: Clock = { now: () => new Date(now) };
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ level: 'debug', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  const log = new RefusalLog(logger, clock, 60_000, { instance: 'db1' });
  return { log, lines, advance: (ms: number) => (now += ms) };
}

describe('refusal log', () => {
  it('logs the first refusal of a client and reason in full, then one summary line with the count when the interval ends', () => {
    const { log, lines, advance } = setup();
    for (let i = 0; i < 1000; i++) log.note('info', 'connection refused', '10.0.0.1', 'IAM authentication refused: signature', { session: `s${i}`, user: 'jane' });
    expect(lines).toEqual([expect.objectContaining({ level: 'info', msg: 'connection refused', instance: 'db1', client: '10.0.0.1', reason: 'IAM authentication refused: signature', session: 's0', user: 'jane' })]);
    advance(59_999);
    log.flushIfDue();
    expect(lines).toHaveLength(1);
    advance(1);
    log.flushIfDue();
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual(expect.objectContaining({ level: 'info', msg: 'connection refused (repeated)', instance: 'db1', client: '10.0.0.1', reason: 'IAM authentication refused: signature', count: 999, seconds: 60 }));
    expect(log.suppressedTotal).toBe(999);
    // A new interval starts afresh: its first refusal is logged in full again.
    log.note('info', 'connection refused', '10.0.0.1', 'IAM authentication refused: signature', { session: 'next' });
    expect(lines[2]).toEqual(expect.objectContaining({ msg: 'connection refused', session: 'next' }));
  });

  it('keeps clients and reasons apart, and writes no summary for a pair seen once', () => {
    const { log, lines, advance } = setup();
    log.note('info', 'client TLS handshake failed', '10.0.0.1', 'ERR_SSL_NO_SHARED_CIPHER');
    log.note('info', 'client TLS handshake failed', '10.0.0.2', 'ERR_SSL_NO_SHARED_CIPHER');
    log.note('info', 'client TLS handshake failed', '10.0.0.1', 'ERR_SSL_UNSUPPORTED_PROTOCOL');
    log.note('info', 'client TLS handshake failed', '10.0.0.1', 'ERR_SSL_NO_SHARED_CIPHER');
    expect(lines.map((l) => [l.client, l.msg])).toEqual([
      ['10.0.0.1', 'client TLS handshake failed'],
      ['10.0.0.2', 'client TLS handshake failed'],
      ['10.0.0.1', 'client TLS handshake failed'],
    ]);
    advance(60_000);
    // The next refusal after the interval ends it first.
    log.note('info', 'client TLS handshake failed', '10.0.0.3', 'ERR_SSL_NO_SHARED_CIPHER');
    expect(lines.slice(3).map((l) => [l.msg, l.client, l.count ?? null])).toEqual([
      ['client TLS handshake failed (repeated)', '10.0.0.1', 1],
      ['client TLS handshake failed', '10.0.0.3', null],
    ]);
  });

  it('bounds what it tracks: past 1000 client and reason pairs in one interval, refusals are summed under client *', () => {
    const { log, lines } = setup();
    for (let i = 0; i < 1500; i++) log.note('info', 'connection refused', `10.0.${i >> 8}.${i & 255}`, 'too many unauthenticated connections');
    expect(lines).toHaveLength(1000);
    log.flush();
    expect(lines.at(-1)).toEqual(expect.objectContaining({ msg: 'connection refused (repeated)', client: '*', count: 500 }));
  });
});
