import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BusyPoller } from '../../../src/dataplane/busy-poll.js';
import { BULK_CHUNK_BYTES, relay } from '../../../src/dataplane/relay.js';

/** A poller on a hand-driven clock, whose scheduled callbacks run only when the test says so. */
function manualPoller(windowMs: number) {
  let t = 0;
  const queue: (() => void)[] = [];
  const poller = new BusyPoller(windowMs, () => t, (f) => queue.push(f));
  return {
    poller,
    advance: (ms: number) => (t += ms),
    /** Runs what is scheduled now (one loop turn); returns how many callbacks ran. */
    turn: () => {
      const now = queue.splice(0);
      for (const f of now) f();
      return now.length;
    },
    scheduled: () => queue.length,
  };
}

describe('BusyPoller', () => {
  it('keeps the loop polling until one window after the last traffic, then stops', () => {
    const m = manualPoller(0.2);
    m.poller.touch();
    expect(m.poller.active).toBe(true);
    m.advance(0.1);
    expect(m.turn()).toBe(1);
    expect(m.scheduled()).toBe(1); // still inside the window: polls again
    m.poller.touch(); // more traffic at t = 0.1 moves the end to 0.3
    m.advance(0.15);
    m.turn();
    expect(m.poller.active).toBe(true);
    m.advance(0.1);
    m.turn(); // t = 0.35: past the window
    expect(m.poller.active).toBe(false);
    expect(m.scheduled()).toBe(0);
  });

  it('schedules one polling chain however much traffic comes in', () => {
    const m = manualPoller(0.2);
    for (let i = 0; i < 50; i++) m.poller.touch();
    expect(m.scheduled()).toBe(1);
  });

  it('does nothing with a zero window', () => {
    const m = manualPoller(0);
    m.poller.touch();
    expect(m.poller.active).toBe(false);
    expect(m.scheduled()).toBe(0);
  });

  it('is kept polling by the small packets the relay carries, not by full TLS records of a bulk transfer', async () => {
    const m = manualPoller(0.2);
    const bulk = new PassThrough();
    relay(bulk, new PassThrough(), m.poller);
    bulk.write(Buffer.alloc(BULK_CHUNK_BYTES));
    await new Promise((r) => setImmediate(r));
    expect(m.poller.active).toBe(false);

    const from = new PassThrough();
    const to = new PassThrough();
    relay(from, to, m.poller);
    from.write(Buffer.from('ping'));
    await new Promise((r) => setImmediate(r));
    expect(to.read()?.toString()).toBe('ping');
    expect(m.poller.active).toBe(true);
  });
});
