/**
 * A TLS client session kept for resumption, without the server's certificate.
 *
 * Why: Node resumes a session only from its serialised form (`tls.connect({ session })`), so every
 * engine-link handshake runs `d2i_SSL_SESSION`. The session holds the server's certificate, and
 * OpenSSL 3.0 decodes its public key through the provider decoder framework
 * (`OSSL_DECODER_CTX_new_for_pkey`): 0.4-0.6 ms per connection on the benchmark machine, against
 * ~0.07 ms for the rest of the session (docs/benchmarks.md).
 *
 * Why it is sound: resuming does not use the certificate. The server proves itself with the
 * session's secret (the TLS 1.3 PSK binder and Finished), which only the server that completed the
 * original, fully verified handshake holds. Node accepts exactly this: for a resumed TLS 1.3
 * session without a peer certificate its verify check passes (a TLS 1.3 PSK looks like
 * resumption; `VerifyPeerCertificate` in Node's crypto_common.cc), and it skips the name check for
 * any resumed session, as before. When the server does not accept the session (restart, new
 * certificate) the handshake is a full one and the certificate it presents is verified, chain and
 * name, like any other. TLS 1.2 sessions are left whole: Node refuses a resumed TLS 1.2 session
 * without the certificate ("unable to get issuer certificate").
 *
 * The session is DER (`SSL_SESSION_ASN1`, OpenSSL ssl/ssl_asn1.c): a SEQUENCE whose optional
 * `peer` element is `[3] EXPLICIT Certificate`. This walks the SEQUENCE's top-level elements and
 * drops that one, byte for byte otherwise; a generic ASN.1 library would re-encode every field.
 * Anything unexpected returns the session unchanged (it still resumes, only slower).
 */
const SEQUENCE = 0x30;
/** Context-specific, constructed, tag number 3: `peer [3] EXPLICIT X509 OPTIONAL`. */
const PEER_TAG = 0xa3;
/** `ssl_version`, the SEQUENCE's second element: INTEGER 0x0304 for TLS 1.3. */
const TLS13_VERSION = Buffer.from([0x02, 0x02, 0x03, 0x04]);

/** The TLS 1.3 client session without the server's certificate; any other input unchanged. */
export function withoutPeerCertificate(session: Buffer): Buffer {
  const outer = readHeader(session, 0);
  if (!outer || session[0] !== SEQUENCE || outer.end !== session.length) return session;
  const kept: Buffer[] = [];
  let dropped = false;
  for (let i = outer.contentStart; i < outer.end; ) {
    const el = readHeader(session, i);
    if (!el || el.end > outer.end) return session;
    if (session[i] === PEER_TAG) dropped = true;
    else kept.push(session.subarray(i, el.end));
    i = el.end;
  }
  if (!dropped || !kept[1]?.equals(TLS13_VERSION)) return session;
  const body = Buffer.concat(kept);
  return Buffer.concat([Buffer.from([SEQUENCE]), encodeLength(body.length), body]);
}

/** One DER element header at `at` (single-byte tags only, as in SSL_SESSION_ASN1). */
function readHeader(b: Buffer, at: number): { contentStart: number; end: number } | null {
  if (at + 2 > b.length || (b[at]! & 0x1f) === 0x1f) return null;
  const first = b[at + 1]!;
  if (first < 0x80) return { contentStart: at + 2, end: at + 2 + first };
  const n = first & 0x7f;
  if (n === 0 || n > 4 || at + 2 + n > b.length) return null; // indefinite or absurd lengths
  let len = 0;
  for (let k = 0; k < n; k++) len = len * 256 + b[at + 2 + k]!;
  return { contentStart: at + 2 + n, end: at + 2 + n + len };
}

function encodeLength(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l = Math.floor(l / 256)) bytes.unshift(l & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
