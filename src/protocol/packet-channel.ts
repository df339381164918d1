import type { Duplex } from 'node:stream';
import { PacketReader } from './framing.js';

/**
 * Reads whole MySQL packets from a stream during the connection phase. `release()` detaches it,
 * leaving the stream paused and returning any bytes read beyond the last packet taken, so the
 * caller can start TLS or the byte pipe without losing data.
 */
export class PacketChannel {
  private readonly reader: PacketReader;
  private waiter: { resolve: (p: { seq: number; payload: Buffer }) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;
  private readonly onData = (chunk: Buffer) => {
    try {
      this.reader.push(chunk);
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    this.deliver();
  };
  private readonly onEnd = () => this.fail(new PeerClosedError());
  private readonly onError = (e: Error) => this.fail(e);

  constructor(
    private readonly stream: Duplex,
    maxPayloadBytes: number,
  ) {
    this.reader = new PacketReader({ maxPayloadBytes });
    stream.on('data', this.onData);
    stream.on('end', this.onEnd);
    stream.on('close', this.onEnd);
    stream.on('error', this.onError);
  }

  /** Sequence id of the next packet's header when it has arrived (PacketReader.pendingSeq). */
  get pendingSeq(): number | null {
    return this.reader.pendingSeq;
  }

  /** The next packet; rejects on close, error or a malformed/oversized header. */
  read(): Promise<{ seq: number; payload: Buffer }> {
    if (this.failure) return Promise.reject(this.failure);
    const p = this.reader.next();
    if (p) return Promise.resolve(p);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  private deliver(): void {
    if (!this.waiter) return;
    let p;
    try {
      p = this.reader.next();
    } catch (e) {
      this.fail(e as Error);
      return;
    }
    if (p) {
      const w = this.waiter;
      this.waiter = null;
      w.resolve(p);
    }
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    const w = this.waiter;
    this.waiter = null;
    w?.reject(e);
  }

  /** Detaches from the stream (paused) and returns the unread bytes. */
  release(): Buffer {
    this.stream.pause();
    this.stream.off('data', this.onData);
    this.stream.off('end', this.onEnd);
    this.stream.off('close', this.onEnd);
    this.stream.off('error', this.onError);
    return this.reader.takeRemainder();
  }
}

export class PeerClosedError extends Error {
  constructor() {
    super('peer closed the connection');
    this.name = 'PeerClosedError';
  }
}
