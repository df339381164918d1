import net from 'node:net';
import { PacketChannel } from '../protocol/packet-channel.js';

/** An engine connection whose greeting (HandshakeV10 or an error packet) has arrived. */
export interface GreetedEngine {
  socket: net.Socket;
  greeting: { seq: number; payload: Buffer };
}

/** The engine could not be reached or sent no greeting; the reason is for the log. */
export class EngineUnavailableError extends Error {
  override name = 'EngineUnavailableError';
}

export interface EngineConnectorOptions {
  /** The engine's unix socket. */
  socketPath: string;
  /** Limit for connecting and receiving the greeting, ms. */
  connectTimeoutMs: number;
  /**
   * How long a pre-greeted spare connection is kept, ms. Default 30 min: inside the engines'
   * `connect_timeout` (1 h, mariadb-process.ts), after which MariaDB drops a connection that has
   * not logged in. 0 disables spares.
   */
  spareMaxAgeMs?: number;
  /** Milliseconds clock for spare ages (injected by tests). Default `performance.now`. */
  now?: () => number;
  /** Largest greeting accepted, bytes. Default 1 MiB. */
  maxGreetingBytes?: number;
}

interface Spare {
  engine: GreetedEngine;
  bornMs: number;
  timer: NodeJS.Timeout;
  /** Drops the spare; listening on the socket until it is taken. */
  die: () => void;
}

const SPARE_EVENTS = ['data', 'end', 'close', 'error'] as const;

/**
 * Opens engine connections for the front door and keeps one pre-greeted spare while new
 * connections keep arriving, so a new session starts without waiting for the engine.
 *
 * Why this is sound: MariaDB sends its greeting *before* it reads anything, and it reads the PROXY
 * header as the first bytes from the client side (net_serv.cc), after the greeting. So a spare
 * connection does not yet have a client address; the session writes the PROXY header with the real
 * client's address when it takes the spare, and the engine resolves accounts and `USER()` from
 * that header exactly as for a fresh connection. The scramble in a spare's greeting is fresh per
 * connection and used once.
 *
 * Costs, documented in README "Security model": for `spareMaxAgeMs` after a new connection, the
 * engine holds one extra connection that has not logged in (PROCESSLIST: `unauthenticated user`,
 * state `login`); a spare not taken in that time is closed, which MariaDB counts in
 * `Aborted_connects` and logs as an "Aborted connection" warning. An instance that has had no new
 * connection for that long holds no spare.
 */
export class EngineConnector {
  private spare: Spare | null = null;
  private filling = false;
  private closed = false;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  /** Connections opened, and how many of them were spares taken ready-greeted. */
  readonly stats = { opened: 0, fromSpare: 0, sparesExpired: 0 };

  constructor(private readonly opts: EngineConnectorOptions) {
    this.maxAgeMs = opts.spareMaxAgeMs ?? 30 * 60_000;
    this.now = opts.now ?? (() => performance.now());
  }

  /**
   * A greeted engine connection: the spare when one is ready, else a new one. Starts greeting the
   * next spare in the background. Rejects with EngineUnavailableError.
   */
  async open(): Promise<GreetedEngine> {
    this.stats.opened++;
    const spare = this.takeSpare();
    // The waiting session's own connection (if any) is started before the next spare's.
    const engine = spare ? Promise.resolve(spare) : this.connect();
    if (spare) {
      this.stats.fromSpare++;
      // The next spare is started after this turn, so the greeting goes out to the client first.
      setImmediate(() => this.refill());
    } else this.refill();
    return engine;
  }

  /** Whether a live spare is waiting (for tests and metrics). */
  hasSpare(): boolean {
    return this.spare !== null;
  }

  /** Closes the spare and stops making new ones. */
  close(): void {
    this.closed = true;
    this.dropSpare();
  }

  private takeSpare(): GreetedEngine | null {
    const s = this.spare;
    if (!s) return null;
    this.spare = null;
    clearTimeout(s.timer);
    for (const ev of SPARE_EVENTS) s.engine.socket.off(ev, s.die);
    s.engine.socket.pause();
    if (this.now() - s.bornMs >= this.maxAgeMs) this.stats.sparesExpired++;
    else if (!s.engine.socket.destroyed && !s.engine.socket.readableEnded) return s.engine;
    s.engine.socket.destroy();
    return null;
  }

  private refill(): void {
    if (this.closed || this.filling || this.spare || this.maxAgeMs <= 0) return;
    this.filling = true;
    this.connect().then(
      (engine) => {
        this.filling = false;
        // A greeting that is an error (e.g. too many connections) is not kept: the next session
        // connects itself and relays whatever the engine says then.
        if (this.closed || this.spare || engine.greeting.payload[0] === 0xff) {
          engine.socket.destroy();
          return;
        }
        this.keep(engine);
      },
      () => {
        // The engine is down or restarting; the next session connects itself and reports it.
        this.filling = false;
      },
    );
  }

  private keep(engine: GreetedEngine): void {
    const spare: Spare = {
      engine,
      bornMs: this.now(),
      timer: setTimeout(() => {
        if (this.spare !== spare) return;
        this.stats.sparesExpired++;
        this.dropSpare();
      }, this.maxAgeMs),
      die: () => {
        if (this.spare === spare) this.dropSpare();
      },
    };
    spare.timer.unref();
    // Nothing may arrive before the client speaks; anything that does (an error packet on the
    // engine's connect_timeout, EOF on a restart) makes the spare unusable.
    for (const ev of SPARE_EVENTS) engine.socket.on(ev, spare.die);
    engine.socket.resume();
    this.spare = spare;
  }

  private dropSpare(): void {
    const s = this.spare;
    this.spare = null;
    if (!s) return;
    clearTimeout(s.timer);
    s.engine.socket.destroy();
  }

  private connect(): Promise<GreetedEngine> {
    const { socketPath, connectTimeoutMs } = this.opts;
    return new Promise((resolve, reject) => {
      const socket = net.connect({ path: socketPath });
      let settled = false;
      const fail = (reason: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new EngineUnavailableError(reason));
      };
      const timer = setTimeout(() => fail(`engine socket: no greeting within ${connectTimeoutMs} ms`), connectTimeoutMs);
      const onError = (e: NodeJS.ErrnoException) => fail(`engine socket: ${e.code ?? e.message}`);
      socket.once('error', onError);
      socket.once('connect', () => {
        const ch = new PacketChannel(socket, this.opts.maxGreetingBytes ?? 1 << 20);
        ch.read().then(
          (greeting) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            // The engine sends nothing after its greeting until the client speaks.
            ch.release();
            socket.off('error', onError);
            resolve({ socket, greeting });
          },
          (e: NodeJS.ErrnoException) => fail(`no greeting from the engine: ${e.code ?? e.message}`),
        );
      });
    });
  }
}
