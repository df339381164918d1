import { Duplex } from 'node:stream';

/** What a side stream needs from its session (native-session.ts). */
export interface SideStreamHost {
  write(data: Buffer): void;
  ack(bytes: number): void;
  /** Ends the whole session once what is queued has been written. */
  end(reason: string): void;
  close(reason: string): void;
}

/** Bytes received before the loop is told that JavaScript has taken them (one command per this many). */
const ACK_BATCH_BYTES = 64 * 1024;

/**
 * One socket of a native session as a byte stream, for the login code that reads and writes
 * Duplex streams (packet-channel.ts, iam-auth.ts). Reads are plaintext once TLS is up. Flow
 * control: the loop stops reading the socket while JavaScript holds 256 KiB not acknowledged;
 * bytes are acknowledged in 64 KiB batches, and all at once when a stream that pushed back is
 * read again or the side is switched (TLS, relay).
 *
 * Writes are queued to the loop at once and the callback runs immediately: the login phase writes
 * a few small packets (greeting, auth exchanges, error packets), bounded by the login code itself.
 * `end()` ends the whole session after the queued bytes are written (how a refusal closes);
 * `destroy()` closes the session at once.
 */
export class NativeSideStream extends Duplex {
  /** Bytes received in data events since the session opened (the offset switches are made at). */
  received = 0;
  private unacked = 0;
  private backedUp = false;
  private hostClosing = false;

  constructor(private readonly host: SideStreamHost) {
    super({ allowHalfOpen: true, decodeStrings: true });
  }

  /** A data event from the loop. */
  deliver(data: Buffer): void {
    this.received += data.length;
    this.unacked += data.length;
    const ok = this.push(data);
    if (!ok) this.backedUp = true;
    else if (this.unacked >= ACK_BATCH_BYTES) this.flushAck();
  }

  /** The peer sent EOF. */
  deliverEnd(): void {
    this.push(null);
  }

  /** The socket failed. Emitted as 'error' only to a listener (an unheard 'error' would end the process). */
  deliverError(err: Error): void {
    this.hostClosing = true;
    if (this.listenerCount('error') > 0) this.destroy(err);
    else this.destroy();
  }

  /** The session is gone. */
  deliverClose(): void {
    this.hostClosing = true;
    this.destroy();
  }

  /** Takes every byte buffered in the stream and not yet read (before a switch to TLS or the relay). */
  takeBuffered(): Buffer {
    const parts: Buffer[] = [];
    const wasFlowing = this.readableFlowing;
    this.pause();
    for (let chunk = this.read() as Buffer | null; chunk !== null; chunk = this.read() as Buffer | null) parts.push(chunk);
    if (wasFlowing) this.resume();
    this.flushAck();
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  private flushAck(): void {
    if (this.unacked === 0) return;
    const n = this.unacked;
    this.unacked = 0;
    this.host.ack(n);
  }

  override _read(): void {
    // Small amounts are not worth a command (a loop wake-up): the loop's window is 256 KiB and a
    // login exchanges a few hundred bytes. What a full stream held back is released at once.
    if (!this.backedUp && this.unacked < ACK_BATCH_BYTES) return;
    this.backedUp = false;
    this.flushAck();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.host.write(chunk);
    callback();
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.host.write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)));
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.hostClosing) this.host.end('ended by the front door');
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.hostClosing) {
      this.hostClosing = true;
      this.host.close(error ? `stream destroyed: ${error.message}` : 'stream destroyed');
    }
    callback(error);
  }
}
