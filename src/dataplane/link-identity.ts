import type { NativeClientContext } from './native/native-context.js';

/** The certificate and key the front door presents on the engine link for one client certificate. */
export class LinkIdentity {
  /**
   * Per (TLS version, cipher): a link context with this certificate. Each keeps the newest TLS
   * session the engine issued on it (native-context.ts), so a resumed session never carries one
   * client's certificate to another client's link.
   */
  readonly contexts = new Map<string, NativeClientContext>();

  constructor(
    readonly certPem: string,
    readonly keyPem: string,
    readonly notAfter: Date,
  ) {}
}
