/** One live session through an instance endpoint (DescribeDBConnections). */
export interface DbConnection {
  connectionId: string;
  dbInstanceIdentifier: string;
  /** The login name sent by the client; null before its HandshakeResponse. */
  user: string | null;
  clientAddress: string;
  clientPort: number;
  transport: 'tls' | 'plaintext' | 'handshake';
  tlsVersion: string | null;
  cipher: string | null;
  /** OpenSSL one-line subject of the client certificate, if one was presented. */
  clientCertificateSubject: string | null;
  clientCertificateIssuer: string | null;
  phase: 'handshake' | 'authenticated' | 'closed';
  engineThreadId: number | null;
  startTime: Date;
  durationSeconds: number;
  /** Bytes received from the client (TLS records included). */
  bytesIn: number;
  /** Bytes sent to the client. */
  bytesOut: number;
}
