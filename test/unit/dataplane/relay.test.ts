import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { BULK_CHUNK_BYTES, RELAY_HIGH_WATER_BYTES, relay } from '../../../src/dataplane/relay.js';

/** A destination that records each write call (one entry per _write or _writev batch). */
function recordingSink(opts: { complete?: boolean } = {}) {
  const batches: number[][] = [];
  const pending: (() => void)[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      batches.push([chunk.length]);
      if (opts.complete === false) pending.push(cb);
      else cb();
    },
    writev(chunks, cb) {
      batches.push(chunks.map((c) => (c.chunk as Buffer).length));
      if (opts.complete === false) pending.push(cb);
      else cb();
    },
  });
  return { sink, batches, pending, bytes: () => batches.flat().reduce((a, b) => a + b, 0) };
}

const turn = () => new Promise((r) => setImmediate(r));

describe('relay', () => {
  it('writes full-record chunks that arrive in one event-loop turn with one write', async () => {
    const from = new PassThrough();
    const { sink, batches } = recordingSink();
    relay(from, sink);
    for (let i = 0; i < 4; i++) from.write(Buffer.alloc(BULK_CHUNK_BYTES, i));
    await turn();
    await turn();
    expect(batches).toEqual([[BULK_CHUNK_BYTES, BULK_CHUNK_BYTES, BULK_CHUNK_BYTES, BULK_CHUNK_BYTES]]);
  });

  it('writes a small chunk at once, without waiting for the turn to end', async () => {
    const from = new PassThrough();
    const { sink, batches } = recordingSink();
    relay(from, sink);
    from.write(Buffer.from('\x05\x00\x00\x00\x03SELECT 1'));
    // PassThrough delivers 'data' in a microtask; the write must be done before any immediate runs.
    await Promise.resolve();
    await Promise.resolve();
    expect(batches).toEqual([[13]]);
  });

  it('keeps byte order when small chunks follow full records in the same turn', async () => {
    const from = new PassThrough();
    const received: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _e, cb) {
        received.push(chunk);
        cb();
      },
      writev(chunks, cb) {
        for (const c of chunks) received.push(c.chunk as Buffer);
        cb();
      },
    });
    relay(from, sink);
    const sent = [Buffer.alloc(BULK_CHUNK_BYTES, 1), Buffer.from('tail'), Buffer.alloc(BULK_CHUNK_BYTES, 2), Buffer.from('x')];
    for (const b of sent) from.write(b);
    await turn();
    await turn();
    expect(Buffer.concat(received).equals(Buffer.concat(sent))).toBe(true);
  });

  it('stops reading while the destination holds the high-water mark and resumes on drain', async () => {
    const from = new PassThrough({ highWaterMark: 1 });
    const { sink, pending, bytes } = recordingSink({ complete: false });
    relay(from, sink);
    const chunk = Buffer.alloc(BULK_CHUNK_BYTES);
    const total = RELAY_HIGH_WATER_BYTES / BULK_CHUNK_BYTES + 8;
    for (let i = 0; i < total; i++) from.write(chunk);
    for (let i = 0; i < 5; i++) await turn();
    expect(from.isPaused()).toBe(true);
    expect(sink.writableLength).toBeGreaterThanOrEqual(RELAY_HIGH_WATER_BYTES);
    expect(sink.writableLength).toBeLessThan(total * BULK_CHUNK_BYTES);
    // The destination catches up: everything still flows through, in full.
    while (bytes() < total * BULK_CHUNK_BYTES) {
      while (pending.length) pending.shift()!();
      await turn();
    }
    while (pending.length) pending.shift()!();
    await turn();
    expect(bytes()).toBe(total * BULK_CHUNK_BYTES);
    expect(from.isPaused()).toBe(false);
  });

  it('ends the destination when the source ends', async () => {
    const from = new PassThrough();
    const { sink } = recordingSink();
    relay(from, sink);
    const finished = new Promise((r) => sink.once('finish', r));
    from.end(Buffer.from('bye'));
    await expect(finished).resolves.toBeUndefined();
  });
});
