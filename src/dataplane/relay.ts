import type { Readable, Writable } from 'node:stream';
import type { BusyPoller } from './busy-poll.js';

/**
 * A chunk this large is part of a bulk transfer: Node's TLS socket hands over what it decrypts in
 * chunks of at most one TLS record's plaintext (16 KiB), one 'data' event each.
 */
export const BULK_CHUNK_BYTES = 16 * 1024;
/**
 * Bytes queued towards a slow reader before the other side stops being read: one read from a
 * socket (libuv reads up to 64 KiB at a time, four full records) fits, so a turn's records can be
 * batched; more would only cost memory per slow session.
 */
export const RELAY_HIGH_WATER_BYTES = 64 * 1024;

/**
 * `from` -> `to` with backpressure and end propagation, like `from.pipe(to)`, with one difference
 * made for TLS sockets: full-record chunks that arrive in one event-loop turn go out as one write.
 *
 * Why: a TLS socket completes every write in the next turn (Node's TLSWrap finishes even
 * synchronous writes from a native immediate), so `pipe` writes the first record of a read at once
 * and the next one a turn later, alone: one write system call and one wake-up of the reader per
 * 16 KiB record. Corking the destination on the first full record and uncorking it after the turn
 * (`setImmediate`) writes everything the turn decrypted with one `writev`, encrypted into as many
 * records as before. Small chunks (queries and their answers) are written at once: nothing is
 * held back on the latency path.
 *
 * Backpressure: `from` pauses once `to` holds `RELAY_HIGH_WATER_BYTES`, and resumes on 'drain'.
 * The stream default (16 KiB) would pause after the first record and undo the batching.
 *
 * Chunks smaller than a full record (queries, answers, the login) keep `poller` (busy-poll.ts)
 * polling for its window, when one is given: that traffic is bound by round trips. Full records
 * are a bulk transfer, bound by throughput: there the loop sleeps between reads and leaves the CPU
 * to the engine and the client.
 */
export function relay(from: Readable, to: Writable, poller?: BusyPoller): void {
  let corked = false;
  let waiting = false;
  const uncork = (): void => {
    corked = false;
    to.uncork();
  };
  const resume = (): void => {
    waiting = false;
    from.resume();
  };
  from.on('data', (chunk: Buffer) => {
    if (chunk.length < BULK_CHUNK_BYTES) poller?.touch();
    else if (!corked) {
      corked = true;
      to.cork();
      setImmediate(uncork);
    }
    // write() answers false from 16 KiB on, and then 'drain' is sure to follow once all is out.
    if (!to.write(chunk) && !waiting && to.writableLength >= RELAY_HIGH_WATER_BYTES) {
      waiting = true;
      from.pause();
      to.once('drain', resume);
    }
  });
  from.once('end', () => to.end());
}
