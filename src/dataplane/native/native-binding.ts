import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options of a server (client-facing) TLS context; see native/README.md "Contexts". */
export interface ServerContextOptions {
  /** Leaf first, then the chain certificates to send, PEM. */
  certChainPem: string;
  keyPem: string;
  /** Node's mixed string: `TLS_*` entries are TLS 1.3 suites, the rest an OpenSSL cipher list (may hold `@SECLEVEL=0`). */
  ciphers: string;
  /** Node's names. Default TLSv1.2. */
  minVersion?: string;
  /** Node's names. Default TLSv1.3. */
  maxVersion?: string;
  /** SSL_OP_* bits (version gaps, see tls-policy.ts). Default 0. */
  secureOptions?: number;
  /** Default true. */
  honorCipherOrder?: boolean;
  /** When set, client certificates are requested (optional) and verified against these CAs; the verdict is reported, never enforced. */
  clientCaPem?: string;
  /** At most 32 bytes. */
  sessionIdContext?: string;
  /** Free OpenSSL's record buffers while idle (SSL_MODE_RELEASE_BUFFERS). Default true. */
  releaseBuffers?: boolean;
}

/** Options of an engine-link (client) TLS context. */
export interface ClientContextOptions {
  /** Trust anchors for the engine's certificate. */
  caPem: string;
  /** Verified against the engine's certificate (chain and name); sent as SNI when a DNS name. */
  servername: string;
  minVersion?: string;
  maxVersion?: string;
  ciphers: string;
  /** Optional certificate (chain) and key presented to the engine. */
  certPem?: string;
  keyPem?: string;
  /** As for the server context. Default true. */
  releaseBuffers?: boolean;
}

/** Byte counters of one session's sockets (raw socket bytes, TLS records included). */
export interface NativeByteCounters {
  clientIn: number;
  clientOut: number;
  engineIn: number;
  engineOut: number;
}

/** Counters of one I/O loop. */
export interface NativeLoopStats {
  sessions: number;
  sessionsOpened: number;
  relayedClientToEngine: number;
  relayedEngineToClient: number;
  events: number;
  wakeups: number;
  commands: number;
  busyPolls: number;
  busyPollMicros: number;
}

/** An event from the native loops (one batch per turn of Node's event loop). */
export type NativeEvent =
  | { session: number; type: 'connected'; side: 'engine' }
  | { session: number; type: 'connectFailed'; side: 'engine'; reason: string; code: string }
  | { session: number; type: 'data'; side: NativeSideName; data: Buffer }
  | { session: number; type: 'end'; side: NativeSideName }
  | { session: number; type: 'error'; side: NativeSideName; reason: string; code: string }
  | { session: number; type: 'negotiated'; side: 'client'; version: string; cipher: string }
  | {
      session: number;
      type: 'secure';
      side: NativeSideName;
      version: string;
      cipher: string;
      resumed: boolean;
      peerCertificates: Buffer[];
      verifyError: string | null;
      verifyErrorMessage: string | null;
    }
  | { session: number; type: 'inspect'; side: 'client'; packet: Buffer; partial: boolean }
  | { session: number; type: 'close'; side: 'client'; reason: string; bytes?: NativeByteCounters };

/** The two sockets of a session, as events name them. */
export type NativeSideName = 'client' | 'engine';

/** The raw addon (build/Release/tlsql_dataplane.node). Use NativeDataplane rather than this. */
export interface NativeBinding {
  Dataplane: new (options: { loops?: number; busyPollMicros?: number }, onEvents: (events: NativeEvent[]) => void) => RawDataplane;
  ServerContext: new (options: ServerContextOptions) => object;
  ClientContext: new (options: ClientContextOptions) => object;
  opensslVersion: string;
  /** flock(fd, LOCK_EX | LOCK_NB): true when taken, false when another open file holds it (src/service/data-dir-lock.ts). */
  tryLockExclusive(fd: number): boolean;
  abiVersion: number;
}

/** Methods of the addon's Dataplane; sides are 0 (client) and 1 (engine). */
export interface RawDataplane {
  openSession(clientFd: number, engine: string | number): number;
  write(id: number, side: 0 | 1, data: Buffer): void;
  ack(id: number, side: 0 | 1, bytes: number): void;
  feed(id: number, side: 0 | 1, data: Buffer): void;
  startServerTls(id: number, ctx: object, preread: Buffer, received: number): void;
  startClientTls(id: number, ctx: object, received: number): void;
  relay(
    id: number,
    options: { clientPending: Buffer; enginePending: Buffer; clientReceived: number; engineReceived: number; inspect: boolean; keywords: string[] },
  ): void;
  inspectDone(id: number, replacement: Buffer, holdNext: boolean): void;
  close(id: number, reason: string, flush: boolean): void;
  counters(id: number): NativeByteCounters | undefined;
  stats(): NativeLoopStats[];
  setBusyPollMicros(micros: number): void;
  shutdown(): void;
}

/** The module's file name under build/Release (binding.gyp target `tlsql_dataplane`). */
export const NATIVE_ADDON_FILE = 'tlsql_dataplane.node';

/** Why the addon could not load, with what to do about it. */
export class NativeLoadError extends Error {
  override name = 'NativeLoadError';
}

/**
 * Where the addon is looked for: `TLSQL_NATIVE_ADDON` (a path, e.g. the sanitizer build in
 * build-asan/), else build/Release/ at the repository root, found from this file both in src/
 * (tests run the TypeScript) and in dist/src/ (the compiled service).
 */
export function nativeAddonCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.TLSQL_NATIVE_ADDON) return [resolve(env.TLSQL_NATIVE_ADDON)];
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, '..', '..', '..', 'build', 'Release', NATIVE_ADDON_FILE), join(here, '..', '..', '..', '..', 'build', 'Release', NATIVE_ADDON_FILE)];
}

let cached: NativeBinding | null = null;

/**
 * Loads the native data plane once. Throws NativeLoadError saying what to do when it is missing
 * or does not load; never falls back to anything.
 */
export function loadNativeBinding(candidates?: string[]): NativeBinding {
  if (!candidates && cached) return cached;
  const list = candidates ?? nativeAddonCandidates();
  const require = createRequire(import.meta.url);
  const found = list.find((p) => existsSync(p));
  if (!found) {
    throw new NativeLoadError(
      `native data plane not built (no ${list.join(' or ')}): run npm ci (or npm rebuild) in the tlsql directory; it needs g++, make and python3`,
    );
  }
  let binding: NativeBinding;
  try {
    binding = require(found) as NativeBinding;
  } catch (e) {
    throw new NativeLoadError(`native data plane at ${found} does not load (${(e as Error).message}): rebuild it with npm rebuild (needs g++, make, python3) for this Node version (${process.version})`);
  }
  if (binding.abiVersion !== 2) throw new NativeLoadError(`native data plane at ${found} is of another version (abi ${binding.abiVersion}): rebuild it with npm rebuild`);
  if (!candidates) cached = binding;
  return binding;
}

/** Whether the native data plane loads, for /metrics and the start-up log; never throws. */
export type NativeLoadState = { loaded: true; opensslVersion: string } | { loaded: false; error: string };

/** Tries to load the addon (once; later calls answer from the cache). */
export function probeNativeBinding(): NativeLoadState {
  try {
    return { loaded: true, opensslVersion: loadNativeBinding().opensslVersion };
  } catch (e) {
    return { loaded: false, error: (e as Error).message };
  }
}
