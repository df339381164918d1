import { EventEmitter } from 'node:events';
import type { NativeByteCounters, NativeEvent, RawDataplane } from './native-binding.js';
import type { NativeClientContext, NativeServerContext } from './native-context.js';
import { NativeSideStream } from './native-side-stream.js';

const CLIENT = 0;
const ENGINE = 1;
const EMPTY = Buffer.alloc(0);

/** The client's TLS as the loop reports it once the handshake is done. */
export interface ServerTlsResult {
  /** Node's names: 'TLSv1.3', 'TLSv1.2', 'TLSv1.1', 'TLSv1'. */
  version: string;
  /** OpenSSL's name, as Node's getCipher().name. */
  cipher: string;
  resumed: boolean;
  /** DER, leaf first; empty when the client presented none. */
  peerCertificates: Buffer[];
  /** Node's code for why the client's chain did not verify (e.g. CERT_HAS_EXPIRED), as TLSSocket.authorizationError; null when verified or absent. */
  verifyError: string | null;
  /** OpenSSL's text for the same (X509_verify_cert_error_string). */
  verifyErrorMessage: string | null;
}

/** The engine link's TLS. */
export interface ClientTlsResult {
  version: string;
  cipher: string;
  resumed: boolean;
}

/** A TLS handshake (or the engine connection) failed; `code` like Node's (ERR_SSL_*, ECONNRESET, CERT_HAS_EXPIRED). */
export class NativeTlsError extends Error {
  override name = 'NativeTlsError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** Relay options. */
export interface RelayStart {
  /** Client bytes read and not consumed by the login code (e.g. PacketChannel.release()); they reach the engine first. */
  clientPending?: Buffer;
  /** Engine bytes read and not consumed; they reach the client first. */
  enginePending?: Buffer;
  /**
   * Inspect the client -> engine direction (IAM endpoints, see session.ts inspect): a COM_QUERY
   * starting a command, of at most 64 KiB, containing a keyword (ASCII case-insensitive) is held
   * and emitted as 'inspect' until inspectDone() answers it.
   */
  inspect?: { keywords: string[] };
}

/**
 * One session on the native data plane: the client socket and the engine socket, owned by a
 * native loop. Events: 'close' (reason: string, bytes: NativeByteCounters) exactly once, last;
 * 'inspect' (packet: Buffer, partial: boolean) in an inspected relay.
 *
 * The login code uses `client` and `engine`, Duplex streams of each side's bytes (plaintext once
 * TLS is up), then hands both to the loop with relay(). Switching a side (TLS, relay) while data
 * events are on their way to JavaScript is handled here: bytes that arrive for a side after it was
 * switched were read before the switch, and go back to the loop, ahead of anything newer.
 */
export class NativeSession extends EventEmitter {
  readonly client: NativeSideStream;
  readonly engine: NativeSideStream;
  /** Resolves when the engine socket is connected; rejects with NativeTlsError (code: ENOENT, ECONNREFUSED, ...). */
  readonly engineConnected: Promise<void>;
  private closed = false;
  private finalBytes: NativeByteCounters | null = null;
  private closeReason: string | null = null;
  private relaying = false;
  /** Pending handshakes per side; while set, data events of that side go back to the loop. */
  private readonly tls: [Pending | null, Pending | null] = [null, null];
  private onNegotiated: ((r: { version: string; cipher: string }) => void) | null = null;
  private connectWaiter!: { resolve: () => void; reject: (e: Error) => void };

  constructor(
    private readonly dp: RawDataplane,
    /** The loop's id of this session. */
    readonly id: number,
  ) {
    super();
    this.client = new NativeSideStream(this.host(CLIENT));
    this.engine = new NativeSideStream(this.host(ENGINE));
    this.engineConnected = new Promise((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
    });
    this.engineConnected.catch(() => {}); // observed by whoever awaits it; not an unhandled rejection
  }

  /** Whether the session has closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** Why it closed (null while open). */
  get reason(): string | null {
    return this.closeReason;
  }

  /** Socket bytes so far (read synchronously from the loop's counters), or the final counts once closed. */
  bytes(): NativeByteCounters {
    return this.finalBytes ?? this.dp.counters(this.id) ?? { clientIn: 0, clientOut: 0, engineIn: 0, engineOut: 0 };
  }

  /**
   * Server-side TLS on the client socket. `preread`: client bytes read and not consumed (the
   * ClientHello may have come with the SSLRequest); bytes still buffered in `client` follow them.
   * `onNegotiated` runs once version and cipher are chosen and the server's first flight is out.
   */
  startServerTls(ctx: NativeServerContext, preread: Buffer = EMPTY, onNegotiated?: (r: { version: string; cipher: string }) => void): Promise<ServerTlsResult> {
    const pre = concat(preread, this.client.takeBuffered());
    this.onNegotiated = onNegotiated ?? null;
    const p = this.pending<ServerTlsResult>(CLIENT);
    this.dp.startServerTls(this.id, ctx.handle, pre, this.client.received);
    return p;
  }

  /** Client-side TLS on the engine socket (after the SSLRequest was written to it); verifies chain and name. */
  startClientTls(ctx: NativeClientContext): Promise<ClientTlsResult> {
    const leftover = this.engine.takeBuffered();
    if (leftover.length) {
      // The engine answers an SSLRequest with nothing; bytes here are a protocol error.
      return Promise.reject(new NativeTlsError(`engine sent ${leftover.length} unexpected bytes before TLS`, 'EPROTO'));
    }
    const p = this.pending<ClientTlsResult>(ENGINE);
    this.dp.startClientTls(this.id, ctx.handle, this.engine.received);
    return p;
  }

  /** Hands both sockets to the loop: from now on it moves bytes both ways itself. */
  relay(o: RelayStart = {}): void {
    if (this.closed || this.relaying) return;
    this.relaying = true;
    const clientPending = concat(o.clientPending ?? EMPTY, this.client.takeBuffered());
    const enginePending = concat(o.enginePending ?? EMPTY, this.engine.takeBuffered());
    this.dp.relay(this.id, {
      clientPending,
      enginePending,
      clientReceived: this.client.received,
      engineReceived: this.engine.received,
      inspect: o.inspect !== undefined,
      keywords: o.inspect?.keywords ?? [],
    });
  }

  /**
   * Answers an 'inspect' event: `replacement` goes to the engine instead of the held packet (pass
   * the packet itself to keep it; for a partial hold it goes before the streamed command). With
   * `holdNext`, the next command is held whatever it contains.
   */
  inspectDone(replacement: Buffer, holdNext = false): void {
    if (!this.closed) this.dp.inspectDone(this.id, replacement, holdNext);
  }

  /** Closes both sockets at once. */
  close(reason = 'closed by the front door'): void {
    if (!this.closed) this.dp.close(this.id, reason, false);
  }

  /** Closes both sockets once what is queued for them has been written (at most 5 s). */
  end(reason = 'ended by the front door'): void {
    if (!this.closed) this.dp.close(this.id, reason, true);
  }

  /** One event from the loop (NativeDataplane dispatches). */
  handle(e: NativeEvent): void {
    switch (e.type) {
      case 'connected':
        this.connectWaiter.resolve();
        return;
      case 'connectFailed':
        this.connectWaiter.reject(new NativeTlsError(e.reason, e.code));
        return;
      case 'data': {
        const side = e.side === 'client' ? CLIENT : ENGINE;
        // Read before the switch: back to the loop, where it precedes newer bytes. Counted as
        // received all the same: the loop counts every byte it delivered, the next switch's offset
        // must too.
        if (this.relaying || this.tls[side]) {
          this.stream(side).received += e.data.length;
          this.dp.feed(this.id, side, e.data);
        } else this.stream(side).deliver(e.data);
        return;
      }
      case 'end':
        if (!this.relaying) this.stream(e.side === 'client' ? CLIENT : ENGINE).deliverEnd();
        return;
      case 'error': {
        const side = e.side === 'client' ? CLIENT : ENGINE;
        const err = new NativeTlsError(e.reason, e.code);
        const pending = this.tls[side];
        if (pending) {
          this.tls[side] = null;
          pending.reject(err);
        } else this.stream(side).deliverError(err);
        return;
      }
      case 'negotiated':
        this.onNegotiated?.({ version: e.version, cipher: e.cipher });
        this.onNegotiated = null;
        return;
      case 'secure': {
        const side = e.side === 'client' ? CLIENT : ENGINE;
        const pending = this.tls[side];
        this.tls[side] = null;
        if (side === CLIENT) {
          pending?.resolve({ version: e.version, cipher: e.cipher, resumed: e.resumed, peerCertificates: e.peerCertificates, verifyError: e.verifyError, verifyErrorMessage: e.verifyErrorMessage });
        } else pending?.resolve({ version: e.version, cipher: e.cipher, resumed: e.resumed });
        return;
      }
      case 'inspect':
        this.emit('inspect', e.packet, e.partial);
        return;
      case 'close': {
        this.closed = true;
        this.closeReason = e.reason;
        this.finalBytes = e.bytes ?? this.bytes();
        this.connectWaiter.reject(new NativeTlsError(`session closed: ${e.reason}`, 'ECONNRESET'));
        for (const side of [CLIENT, ENGINE]) {
          const pending = this.tls[side];
          this.tls[side] = null;
          pending?.reject(new NativeTlsError(`session closed during the TLS handshake: ${e.reason}`, 'ECONNRESET'));
        }
        this.client.deliverClose();
        this.engine.deliverClose();
        this.emit('close', e.reason, this.finalBytes);
        return;
      }
    }
  }

  private stream(side: number): NativeSideStream {
    return side === CLIENT ? this.client : this.engine;
  }

  private pending<T>(side: 0 | 1): Promise<T> {
    if (this.closed) return Promise.reject(new NativeTlsError(`session closed: ${this.closeReason}`, 'ECONNRESET'));
    return new Promise<T>((resolve, reject) => {
      this.tls[side] = { resolve: resolve as (v: unknown) => void, reject };
    });
  }

  private host(side: 0 | 1) {
    return {
      write: (data: Buffer) => {
        if (!this.closed) this.dp.write(this.id, side, data);
      },
      ack: (n: number) => {
        if (!this.closed) this.dp.ack(this.id, side, n);
      },
      end: (reason: string) => this.end(reason),
      close: (reason: string) => this.close(reason),
    };
  }
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

function concat(a: Buffer, b: Buffer): Buffer {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  return Buffer.concat([a, b]);
}
