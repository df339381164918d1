import type tls from 'node:tls';

/** A cached link context and the session its next handshake resumes. */
export interface LinkContextEntry {
  ctx: tls.SecureContext;
  session: Buffer | undefined;
  /** When `session` was taken (performance.now ms). */
  sessionAtMs: number;
}

/** The certificate and key the front door presents on the engine link for one client certificate. */
export class LinkIdentity {
  /** Per (TLS version, cipher): a link context with this certificate, and its last session for resumption. */
  readonly contexts = new Map<string, LinkContextEntry>();

  constructor(
    readonly certPem: string,
    readonly keyPem: string,
    readonly notAfter: Date,
  ) {}
}
