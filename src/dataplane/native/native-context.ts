import type { ClientContextOptions, NativeBinding, ServerContextOptions } from './native-binding.js';

/**
 * A server TLS context on the native side: immutable once made. A certificate rotation makes a
 * new one; sessions keep the one they started with (the native object is reference counted).
 */
export class NativeServerContext {
  /** The addon's object, passed back to it. */
  readonly handle: object;

  /** Throws an Error naming the problem (e.g. "the private key does not match the certificate"). */
  constructor(binding: NativeBinding, options: ServerContextOptions) {
    this.handle = new binding.ServerContext(options);
  }
}

/**
 * An engine-link TLS context: verifies the engine's chain against `caPem` and its name against
 * `servername`. It keeps the newest TLS session the engine issued and every new link on it offers
 * that session for resumption (in memory, no serialising).
 */
export class NativeClientContext {
  readonly handle: object;

  constructor(binding: NativeBinding, options: ClientContextOptions) {
    this.handle = new binding.ClientContext(options);
  }
}
