/**
 * Certificate lifecycle metrics (Prometheus text format), beside the front door's metrics
 * (`dataplane/metrics.ts`, which exports `tlsql_certificate_expiry_timestamp_seconds` for served
 * certificates and CAs; the engine link certificates are added to it from here). Timestamps are
 * Unix seconds, so an alert reads e.g. `tlsql_certificate_renewal_due_timestamp_seconds < time()`
 * ("renewal overdue", i.e. renewals are failing).
 */
import type { CertificateReplacementCounters, PreparedCertificateStats } from '../model/certificate-maintenance.js';
import type { LinkCertificateRecord } from '../model/link-certificate-record.js';
import { halfLife } from '../pki/certificate-schedule.js';
import type { Store } from '../store/store.js';

/** What the certificate metrics read (control/tlsql-control-plane.ts provides each). */
export interface CertificateMetricsSource {
  /** Instances and their active server certificates. */
  store: Store;
  /** The active engine link certificate of an instance (by DbiResourceId), or null. */
  activeLinkCertificate(resourceId: string): LinkCertificateRecord | null;
  counters: CertificateReplacementCounters;
  prepared: { stats: PreparedCertificateStats; count(): number };
}

/** A certificate whose expiry is exported (same shape as dataplane/metrics.ts ExpiringCertificate). */
export interface ExpiringCertificateSample {
  kind: string;
  labels: Record<string, string>;
  notAfter: Date;
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** Expiry of every instance's engine link certificate, for `tlsql_certificate_expiry_timestamp_seconds{kind="engine_link"}`. */
export function linkCertificateExpiry(d: CertificateMetricsSource): ExpiringCertificateSample[] {
  const out: ExpiringCertificateSample[] = [];
  for (const inst of d.store.listInstances()) {
    const l = d.activeLinkCertificate(inst.resourceId);
    if (l) out.push({ kind: 'engine_link', labels: { instance: inst.id, serial: l.serial }, notAfter: l.notAfter });
  }
  return out;
}

/**
 * `tlsql_certificate_renewal_due_timestamp_seconds{kind,instance,serial}` (half-life of the active
 * server and link certificates) and `tlsql_certificate_replacements_total{kind,result}`.
 */
export function renderCertificateMetrics(d: CertificateMetricsSource): string {
  const lines: string[] = [
    '# HELP tlsql_certificate_renewal_due_timestamp_seconds When automatic renewal of a certificate is due (its half-life), seconds since the epoch.',
    '# TYPE tlsql_certificate_renewal_due_timestamp_seconds gauge',
  ];
  for (const inst of d.store.listInstances()) {
    const rec = d.store.activeServerCertificate(inst.id);
    if (rec) lines.push(`tlsql_certificate_renewal_due_timestamp_seconds${labelText({ kind: 'server', instance: inst.id, serial: rec.serial })} ${halfLife(rec.notBefore, rec.notAfter).getTime() / 1000}`);
    const l = d.activeLinkCertificate(inst.resourceId);
    if (l) lines.push(`tlsql_certificate_renewal_due_timestamp_seconds${labelText({ kind: 'engine_link', instance: inst.id, serial: l.serial })} ${halfLife(l.notBefore, l.notAfter).getTime() / 1000}`);
  }
  lines.push(
    '# HELP tlsql_certificate_replacements_total Certificate replacements since start, by kind (server_renewal, engine_link_renewal, ca_rotation) and result.',
    '# TYPE tlsql_certificate_replacements_total counter',
  );
  const c = d.counters;
  for (const [kind, o] of [
    ['server_renewal', c.serverRenewals],
    ['engine_link_renewal', c.linkRenewals],
    ['ca_rotation', c.caRotations],
  ] as const) {
    lines.push(`tlsql_certificate_replacements_total${labelText({ kind, result: 'success' })} ${o.succeeded}`);
    lines.push(`tlsql_certificate_replacements_total${labelText({ kind, result: 'failure' })} ${o.failed}`);
  }
  const p = d.prepared.stats;
  lines.push(
    '# HELP tlsql_certificate_prepared Server certificates issued ahead of CA rotations and not used yet.',
    '# TYPE tlsql_certificate_prepared gauge',
    `tlsql_certificate_prepared ${d.prepared.count()}`,
    '# HELP tlsql_certificate_rotations_prepared_total CA rotations by whether a prepared certificate was ready (used) or one had to be issued then (missed).',
    '# TYPE tlsql_certificate_rotations_prepared_total counter',
    `tlsql_certificate_rotations_prepared_total${labelText({ result: 'used' })} ${p.used}`,
    `tlsql_certificate_rotations_prepared_total${labelText({ result: 'missed' })} ${p.missed}`,
  );
  return lines.join('\n') + '\n';
}
