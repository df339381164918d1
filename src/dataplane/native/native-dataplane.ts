import type net from 'node:net';
import { loadNativeBinding, type ClientContextOptions, type NativeBinding, type NativeEvent, type NativeLoopStats, type RawDataplane, type ServerContextOptions } from './native-binding.js';
import { NativeClientContext, NativeServerContext } from './native-context.js';
import { NativeSession } from './native-session.js';

/** Data plane options. */
export interface NativeDataplaneOptions {
  /** I/O loops (threads). Default: one per CPU (os.availableParallelism()). */
  loops?: number;
  /** After traffic, each loop keeps polling its sockets for this long before sleeping, µs. Default 0 (off). */
  busyPollMicros?: number;
  /** The addon; default loadNativeBinding() (throws NativeLoadError when not built). */
  binding?: NativeBinding;
  /** Called when a session's event handler throws (a bug); default: written to stderr. The other events of the batch still run. */
  onListenerError?: (err: Error, session: number) => void;
}

/** What /metrics shows of the native data plane. */
export interface NativeDataplaneStats {
  loaded: true;
  opensslVersion: string;
  loops: NativeLoopStats[];
}

/**
 * The native data plane (native/README.md): I/O loops on their own threads that own the client and
 * engine sockets of every session, both TLS sides, and the relay between them. One per process.
 * Nothing here blocks: commands are queued to the session's loop, results come back as events.
 */
export class NativeDataplane {
  private readonly dp: RawDataplane;
  private readonly sessions = new Map<number, NativeSession>();
  readonly binding: NativeBinding;

  private readonly onListenerError: (err: Error, session: number) => void;

  constructor(options: NativeDataplaneOptions = {}) {
    this.binding = options.binding ?? loadNativeBinding();
    this.onListenerError = options.onListenerError ?? ((err, session) => process.stderr.write(`native data plane: session ${session} event handler failed: ${err.stack ?? err.message}\n`));
    this.dp = new this.binding.Dataplane({ loops: options.loops ?? 0, busyPollMicros: options.busyPollMicros ?? 0 }, (events) => this.dispatch(events));
  }

  /**
   * Takes over an accepted client socket (accepted with `pauseOnConnect: true`, so Node has read
   * nothing) and connects to the engine: `engine` is the engine's unix socket path, or a connected
   * net.Socket to it whose greeting has been read (taken over the same way). The JavaScript
   * sockets are destroyed; the loop keeps duplicates of their descriptors.
   */
  openSession(client: net.Socket, engine: string | net.Socket): NativeSession {
    const clientFd = fdOf(client);
    const engineArg = typeof engine === 'string' ? engine : fdOf(engine);
    const id = this.dp.openSession(clientFd, engineArg);
    client.destroy();
    if (typeof engine !== 'string') engine.destroy();
    const session = new NativeSession(this.dp, id);
    this.sessions.set(id, session);
    return session;
  }

  /** A server context (throws on unusable material, e.g. a key that does not match). */
  serverContext(options: ServerContextOptions): NativeServerContext {
    return new NativeServerContext(this.binding, options);
  }

  /** An engine-link context. */
  clientContext(options: ClientContextOptions): NativeClientContext {
    return new NativeClientContext(this.binding, options);
  }

  /** Live sessions. */
  get sessionCount(): number {
    return this.sessions.size;
  }

  setBusyPollMicros(micros: number): void {
    this.dp.setBusyPollMicros(micros);
  }

  stats(): NativeDataplaneStats {
    return { loaded: true, opensslVersion: this.binding.opensslVersion, loops: this.dp.stats() };
  }

  /** Stops the loops; open sessions are closed without events. For tests and process exit. */
  shutdown(): void {
    this.dp.shutdown();
    this.sessions.clear();
  }

  private dispatch(events: NativeEvent[]): void {
    for (const e of events) {
      const s = this.sessions.get(e.session);
      if (!s) continue;
      if (e.type === 'close') this.sessions.delete(e.session);
      try {
        s.handle(e);
      } catch (err) {
        // One session's listener must not drop the other sessions' events of this batch.
        this.onListenerError(err as Error, e.session);
      }
    }
  }
}

/** The descriptor of a connected net.Socket (Node keeps it on its handle). */
function fdOf(socket: net.Socket): number {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no file descriptor (closed, or not a TCP/unix socket)');
  return fd;
}
