import { X509Certificate } from 'node:crypto';
import { HANDSHAKE_BUCKETS_SECONDS, REFUSAL_REASONS } from './connection-stats.js';
import type { NativeDataplaneStats } from './native/native-dataplane.js';
import type { FrontDoor } from './front-door.js';
import { renderIamMetrics } from './iam-metrics.js';

/**
 * Prometheus text exposition (format 0.0.4) of the front doors, served at `GET /metrics` on the
 * API port. Counters reset when tlsql restarts; gauges are read at scrape time.
 */

/** A certificate whose expiry is exported, beside the endpoints' own server certificates. */
export interface ExpiringCertificate {
  /** e.g. `ca_root`, `client_ca`. */
  kind: string;
  /** Extra labels, e.g. `{ ca: 'tlsql-ca-rsa2048-g1', region: 'us-east-1' }`. */
  labels: Record<string, string>;
  notAfter: Date;
}

/**
 * The front doors' metrics in Prometheus text format. `dataplane`: the native data plane's
 * counters (null before the first endpoint opened it).
 */
export function renderMetrics(doors: ReadonlyMap<string, FrontDoor>, extraCertificates: readonly ExpiringCertificate[] = [], dataplane: NativeDataplaneStats | null = null): string {
  const out: string[] = [];
  const family = (name: string, type: 'counter' | 'gauge' | 'histogram', help: string) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  const sample = (name: string, labels: Record<string, string>, value: number) => out.push(`${name}${formatLabels(labels)} ${formatNumber(value)}`);
  const sorted = [...doors.entries()].sort(([a], [b]) => a.localeCompare(b));

  family('tlsql_connections', 'gauge', 'Live sessions by instance, transport, TLS version and cipher.');
  for (const [id, door] of sorted) {
    const live = new Map<string, number>();
    for (const s of door.sessions.values()) {
      const key = s.tls ? `tls|${s.tls.version}|${s.tls.cipher}` : s.user !== null ? 'plaintext||' : 'handshake||';
      live.set(key, (live.get(key) ?? 0) + 1);
    }
    for (const [key, n] of live) sample('tlsql_connections', { instance: id, ...transportLabels(key) }, n);
  }

  family('tlsql_pre_auth_sessions', 'gauge', 'Unauthenticated sessions holding an engine connection, by instance; state idle: nothing received from the client yet.');
  for (const [id, door] of sorted) {
    const { all, idle } = door.preAuth.size;
    sample('tlsql_pre_auth_sessions', { instance: id, state: 'idle' }, idle);
    sample('tlsql_pre_auth_sessions', { instance: id, state: 'progressing' }, all - idle);
  }

  family('tlsql_connections_total', 'counter', 'Sessions that reached login, by instance, transport, TLS version and cipher.');
  for (const [id, door] of sorted) {
    for (const [key, n] of door.stats.established) sample('tlsql_connections_total', { instance: id, ...transportLabels(key) }, n);
  }

  family('tlsql_connections_accepted_total', 'counter', 'TCP connections accepted by the endpoint (before any check).');
  for (const [id, door] of sorted) sample('tlsql_connections_accepted_total', { instance: id }, door.counters.accepted);

  family('tlsql_connection_refusals_total', 'counter', 'Connections refused by the front door or the engine, by reason.');
  for (const [id, door] of sorted) {
    for (const reason of REFUSAL_REASONS) sample('tlsql_connection_refusals_total', { instance: id, reason }, door.stats.refusals.get(reason) ?? 0);
  }

  family('tlsql_sessions_closed_total', 'counter', 'Live sessions the front door closed, by reason: revoked (their client certificate was revoked).');
  for (const [id, door] of sorted) sample('tlsql_sessions_closed_total', { instance: id, reason: 'revoked' }, door.stats.closedRevoked);
  family('tlsql_tls_handshake_aborts_total', 'counter', 'Client TLS handshakes the client abandoned (reset or closed mid-handshake); not refusals.');
  for (const [id, door] of sorted) sample('tlsql_tls_handshake_aborts_total', { instance: id }, door.counters.tlsHandshakeAborts);

  family('tlsql_refusal_log_suppressed_total', 'counter', 'Refused connections counted in a summary line instead of logged one by one (one line per client and reason per interval).');
  for (const [id, door] of sorted) sample('tlsql_refusal_log_suppressed_total', { instance: id }, door.refusalLog.suppressedTotal);

  family('tlsql_dataplane_native', 'gauge', 'Whether the native data plane (TLS and relay on its own threads) is running: 1, or 0 before the first endpoint opened it.');
  sample('tlsql_dataplane_native', {}, dataplane ? 1 : 0);
  if (dataplane) {
    const loops = dataplane.loops.map((l, i) => [String(i), l] as const);
    family('tlsql_dataplane_sessions', 'gauge', 'Sessions owned by each data-plane thread.');
    for (const [thread, l] of loops) sample('tlsql_dataplane_sessions', { thread }, l.sessions);
    family('tlsql_dataplane_sessions_opened_total', 'counter', 'Sessions each data-plane thread has taken.');
    for (const [thread, l] of loops) sample('tlsql_dataplane_sessions_opened_total', { thread }, l.sessionsOpened);
    family('tlsql_dataplane_relayed_bytes_total', 'counter', 'Plaintext bytes relayed by each data-plane thread, by direction.');
    for (const [thread, l] of loops) {
      sample('tlsql_dataplane_relayed_bytes_total', { thread, direction: 'client_to_engine' }, l.relayedClientToEngine);
      sample('tlsql_dataplane_relayed_bytes_total', { thread, direction: 'engine_to_client' }, l.relayedEngineToClient);
    }
    family('tlsql_dataplane_wakeups_total', 'counter', 'Times each data-plane thread woke from epoll_wait.');
    for (const [thread, l] of loops) sample('tlsql_dataplane_wakeups_total', { thread }, l.wakeups);
  }

  renderIamMetrics(sorted, family, sample);

  family('tlsql_client_certificates_total', 'counter', 'Client certificates presented, by verdict of the front door.');
  for (const [id, door] of sorted) {
    sample('tlsql_client_certificates_total', { instance: id, result: 'trusted' }, door.stats.clientCertificates.trusted);
    sample('tlsql_client_certificates_total', { instance: id, result: 'refused' }, door.stats.clientCertificates.refused);
  }

  family('tlsql_handshake_duration_seconds', 'histogram', 'Time from TCP accept to the login being forwarded to the engine (TLS handshakes included).');
  for (const [id, door] of sorted) {
    let cumulative = 0;
    HANDSHAKE_BUCKETS_SECONDS.forEach((le, i) => {
      cumulative += door.stats.handshakeBuckets[i] ?? 0;
      sample('tlsql_handshake_duration_seconds_bucket', { instance: id, le: String(le) }, cumulative);
    });
    sample('tlsql_handshake_duration_seconds_bucket', { instance: id, le: '+Inf' }, door.stats.handshakeCount);
    sample('tlsql_handshake_duration_seconds_sum', { instance: id }, door.stats.handshakeSumSeconds);
    sample('tlsql_handshake_duration_seconds_count', { instance: id }, door.stats.handshakeCount);
  }

  family('tlsql_tls_insecure_versions_allowed', 'gauge', '1 when the endpoint accepts TLS 1.0/1.1 (tls_version widened for legacy clients).');
  for (const [id, door] of sorted) sample('tlsql_tls_insecure_versions_allowed', { instance: id }, door.currentPolicy().insecure ? 1 : 0);

  family('tlsql_certificate_expiry_timestamp_seconds', 'gauge', 'notAfter of certificates in use, seconds since the epoch.');
  for (const [id, door] of sorted) {
    const leaf = firstCertificate(door.currentChainPem());
    if (leaf) sample('tlsql_certificate_expiry_timestamp_seconds', { kind: 'server', instance: id, serial: leaf.serialNumber.toLowerCase() }, Date.parse(leaf.validTo) / 1000);
  }
  for (const c of extraCertificates) sample('tlsql_certificate_expiry_timestamp_seconds', { kind: c.kind, ...c.labels }, c.notAfter.getTime() / 1000);

  return out.join('\n') + '\n';
}

function transportLabels(key: string): Record<string, string> {
  const [transport, version, cipher] = key.split('|');
  return { transport: transport!, tls_version: version ?? '', cipher: cipher ?? '' };
}

function firstCertificate(pem: string): X509Certificate | null {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  try {
    return m ? new X509Certificate(m[0]) : null;
  } catch {
    // Not a certificate we can read: export nothing rather than fail the whole scrape.
    return null;
  }
}

function formatLabels(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatNumber(n: number): string {
  return Number.isFinite(n) ? String(n) : n > 0 ? '+Inf' : n < 0 ? '-Inf' : 'NaN';
}
