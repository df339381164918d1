/**
 * The client -> engine direction of an IAM-enabled endpoint, framed just enough to find account
 * statements. Installed only when IAM authentication is enabled when the session starts (the
 * engine -> client direction always stays a raw pipe, and endpoints without IAM pipe both ways
 * untouched).
 *
 * Only the first packet of a command (sequence id 0) of at most `INSPECT_MAX_BYTES` is held back
 * until complete; everything else streams through as it arrives. A COM_QUERY is decoded (Latin-1,
 * no copy of what is not inspected) and tested against two regular expressions; only a text that
 * mentions AWSAuthenticationPlugin is parsed and possibly rewritten, and one that may change
 * accounts (CREATE/DROP/RENAME/ALTER USER, GRANT, SET PASSWORD, FLUSH PRIVILEGES, grant tables)
 * makes the gate re-read the engine's accounts before the next login that needs them.
 *
 * Limits, by design: statements in COM_STMT_PREPARE, stored programs or compressed sessions
 * (CLIENT_COMPRESS) are not seen, and neither is text past the first 64 KiB of a query. The
 * plugin clause then reaches the engine, which answers 1524 "not loaded"; an unseen DROP USER
 * leaves a stale entry that can only refuse a login, and the next refresh clears it.
 */
import { Transform, type Duplex, type TransformCallback } from 'node:stream';
import { CHANGES_ACCOUNTS, MENTIONS_IAM_PLUGIN } from './account-statements.js';
import type { IamGate } from './iam-auth.js';

/** Largest command packet held back for inspection. */
export const INSPECT_MAX_BYTES = 64 * 1024;
const COM_QUERY = 0x03;
const MULTI_PACKET = 0xff_ffff;

export class QueryFilter extends Transform {
  private readonly hdr = Buffer.alloc(4);
  private hdrFill = 0;
  private headerReady = false;
  private passRemaining = 0;
  private collecting: { parts: Buffer[]; remaining: number; length: number } | null = null;
  /** An account statement went through: refresh the account list before the next command. */
  private armed = false;

  constructor(
    private readonly gate: IamGate,
    private readonly engine: Duplex,
  ) {
    super();
    engine.once('close', () => this.destroy());
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.run(chunk, 0, callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (this.armed) {
      this.armed = false;
      this.gate.markDirty();
      this.gate.refresh().catch(() => {});
    }
    callback(error);
  }

  private run(chunk: Buffer, start: number, callback: TransformCallback): void {
    const out: Buffer[] = [];
    let off = start;
    const flush = () => {
      if (out.length === 1) this.push(out[0]);
      else if (out.length > 1) this.push(Buffer.concat(out));
      out.length = 0;
    };
    for (;;) {
      if (this.headerReady) {
        const length = this.hdr.readUIntLE(0, 3);
        const seq = this.hdr[3];
        if (seq === 0 && this.armed) {
          // The client sends its next command only after reading the previous answer, so the
          // statement has run: make the new accounts IAM accounts before this command runs.
          this.armed = false;
          flush();
          this.gate.markDirty();
          this.gate.refresh().then(
            () => this.run(chunk, off, callback),
            () => this.run(chunk, off, callback),
          );
          return;
        }
        this.headerReady = false;
        if (seq === 0 && length > 0 && length <= INSPECT_MAX_BYTES && length !== MULTI_PACKET) {
          this.collecting = { parts: [], remaining: length, length };
        } else {
          out.push(Buffer.from(this.hdr));
          this.passRemaining = length;
        }
        continue;
      }
      if (off >= chunk.length) break;
      if (this.passRemaining > 0) {
        const take = Math.min(this.passRemaining, chunk.length - off);
        out.push(chunk.subarray(off, off + take));
        this.passRemaining -= take;
        off += take;
        continue;
      }
      if (this.collecting) {
        const c = this.collecting;
        const take = Math.min(c.remaining, chunk.length - off);
        c.parts.push(chunk.subarray(off, off + take));
        c.remaining -= take;
        off += take;
        if (c.remaining === 0) {
          this.collecting = null;
          const payload = c.parts.length === 1 ? c.parts[0]! : Buffer.concat(c.parts, c.length);
          out.push(this.inspect(payload));
        }
        continue;
      }
      const take = Math.min(4 - this.hdrFill, chunk.length - off);
      chunk.copy(this.hdr, this.hdrFill, off, off + take);
      this.hdrFill += take;
      off += take;
      if (this.hdrFill === 4) {
        this.hdrFill = 0;
        this.headerReady = true;
      }
    }
    flush();
    callback();
  }

  /** The packet (header included) to forward for a complete command payload. */
  private inspect(payload: Buffer): Buffer {
    if (payload[0] === COM_QUERY) {
      const text = payload.toString('latin1', 1);
      if (MENTIONS_IAM_PLUGIN.test(text)) {
        const rewritten = this.gate.rewriteQuery(text);
        if (rewritten !== null) {
          this.track();
          return frame(Buffer.concat([Buffer.from([COM_QUERY]), Buffer.from(rewritten, 'latin1')]));
        }
      }
      if (CHANGES_ACCOUNTS.test(text)) this.track();
    }
    return frame(payload);
  }

  private track(): void {
    this.gate.markDirty();
    this.armed = true;
    // The engine's first bytes after this are (for a client that waits for answers) its answer.
    this.engine.once('data', () => this.gate.markDirty());
  }
}

function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + payload.length);
  out.writeUIntLE(payload.length, 0, 3);
  out[3] = 0;
  payload.copy(out, 4);
  return out;
}
