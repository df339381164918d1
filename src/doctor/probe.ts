/**
 * The network half of `tlsql doctor`: connects like a MySQL client, one step at a time, and keeps
 * what each step saw: TCP here, then greeting, SSLRequest and TLS handshake through the shared
 * probe in protocol/upgrade-to-tls.ts.
 *
 * The TLS handshake here accepts any certificate on purpose: the doctor's job is to look at what
 * the server presents and judge it (chain.ts, hostname.ts) against every bundle, and it sends no
 * credentials on this connection, only the SSLRequest, then closes it.
 */

import { X509Certificate } from 'node:crypto';
import dns from 'node:dns/promises';
import net from 'node:net';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { ClientError } from '../protocol/client-error.js';
import { connectTcp, type GreetingInfo } from '../protocol/greeting.js';
import { upgradeToTls } from '../protocol/upgrade-to-tls.js';

export interface ResolutionResult {
  /** True when the host is an IP literal (nothing to resolve). */
  isIp: boolean;
  addresses: string[];
  /** CNAME targets seen in DNS (empty for names resolved by /etc/hosts or nss-myhostname). */
  cnames: string[];
  error: string | undefined;
}

export interface TlsProbe {
  protocol: string;
  cipher: string;
  /** Certificates the server sent, leaf first, as far as they link (node's walk without a trust store). */
  sent: X509Certificate[];
  /** Whether the chain verifies against the system's default roots (what clients using the OS/Node trust store see), and why not. */
  authorized: boolean;
  authorizationError: string | undefined;
}

export interface ProbeResult {
  resolution: ResolutionResult;
  tcp: { ok: boolean; address: string | undefined; ms: number | undefined; error: string | undefined };
  greeting: { info: GreetingInfo | undefined; error: string | undefined };
  tls: { result: TlsProbe | undefined; error: string | undefined; skipped: boolean };
}

/** Resolves `host` the way clients do (getaddrinfo), and looks for a CNAME in DNS. */
export async function resolveHost(host: string): Promise<ResolutionResult> {
  if (net.isIP(host) !== 0) return { isIp: true, addresses: [host], cnames: [], error: undefined };
  try {
    const addrs = await dns.lookup(host, { all: true });
    let cnames: string[] = [];
    try {
      cnames = await dns.resolveCname(host);
    } catch {
      // No CNAME record (or no DNS at all, as for *.localhost): the common case, not a finding.
      cnames = [];
    }
    return { isIp: false, addresses: [...new Set(addrs.map((a) => a.address))], cnames, error: undefined };
  } catch (e) {
    return { isIp: false, addresses: [], cnames: [], error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

/** Follows node's detailed peer certificate links (sent chain, no trust store) into X509Certificates. */
function sentChain(sock: TLSSocket): X509Certificate[] {
  const out: X509Certificate[] = [];
  const seen = new Set<string>();
  let c = sock.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  while (c && 'raw' in c && c.raw && !seen.has(c.fingerprint256)) {
    seen.add(c.fingerprint256);
    out.push(new X509Certificate(c.raw));
    if (!c.issuerCertificate || c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return out;
}

/**
 * Runs the connection steps against host:port. Each step runs only if the previous one worked;
 * nothing throws: failures are recorded in the result. No trust store is given, so the chain is
 * the one the server sent; the per-bundle verdicts come from chain.ts. `timeoutMs` (default 10 s)
 * bounds each step.
 */
export async function probe(host: string, port: number, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const result: ProbeResult = {
    resolution: await resolveHost(host),
    tcp: { ok: false, address: undefined, ms: undefined, error: undefined },
    greeting: { info: undefined, error: undefined },
    tls: { result: undefined, error: undefined, skipped: true },
  };
  if (result.resolution.error !== undefined) return result;

  const started = Date.now();
  let sock: net.Socket;
  try {
    sock = await connectTcp(host, port, timeoutMs);
  } catch (e) {
    result.tcp.error = e instanceof ClientError ? e.message : String(e);
    return result;
  }
  result.tcp = { ok: true, address: `${sock.remoteAddress}:${sock.remotePort}`, ms: Date.now() - started, error: undefined };

  // The handshake accepts any certificate: the doctor judges what the server sends itself (see the top of this file).
  const up = await upgradeToTls(sock, { tls: { servername: net.isIP(host) === 0 ? host : undefined, rejectUnauthorized: false }, timeoutMs, where: `${host}:${port}` });
  const greetingError = up.greeting.error;
  result.greeting = { info: up.greeting.info, error: greetingError === undefined ? undefined : greetingError instanceof ClientError ? greetingError.format() : String(greetingError) };
  result.tls = { result: undefined, error: up.tls.error?.message, skipped: up.tls.skipped };
  const secure = up.tls.socket;
  if (secure !== undefined) {
    const cipher = secure.getCipher();
    result.tls.result = {
      protocol: secure.getProtocol() ?? 'unknown',
      cipher: cipher.standardName ?? cipher.name,
      sent: sentChain(secure),
      authorized: secure.authorized,
      authorizationError: secure.authorizationError === undefined || secure.authorizationError === null ? undefined : String(secure.authorizationError),
    };
    secure.destroy();
  }
  return result;
}
