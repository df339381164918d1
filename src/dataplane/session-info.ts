import type { ClientCertificateInfo } from './client-certs.js';

/** One live client session, as shown by describe-db-connections. */
export interface SessionInfo {
  id: string;
  clientAddress: string;
  clientPort: number;
  startedAt: Date;
  phase: 'handshake' | 'authenticated' | 'closed';
  user: string | null;
  tls: { version: string; cipher: string } | null;
  /** The certificate the client presented in the TLS handshake, if any. */
  clientCertificate: ClientCertificateInfo | null;
  engineThreadId: number | null;
  /** Live byte counters, read from the sockets on demand (nothing counted on the hot path). */
  bytes(): { fromClient: number; toClient: number };
  /** Ends the session (both sockets). */
  close(reason: string): void;
}
