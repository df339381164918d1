/**
 * The last hour of the `/metrics` counters the console's Traffic view charts: samples of the very
 * text `/metrics` serves, taken every 10 s, so the charts and Prometheus never disagree. Nothing is
 * added to the data plane: a sample is one render of counters that exist anyway.
 */
import type { Clock } from '../lib/clock.js';

/** One sample: counters summed over instances; `at` in ms since the epoch. */
export interface TrafficSample {
  at: number;
  /** tlsql_connections_accepted_total. */
  accepted: number;
  /** tlsql_connection_refusals_total by reason. */
  refusals: Record<string, number>;
  /** tlsql_connections (live, gauge) by TLS version; `plaintext` for plaintext sessions. */
  sessions: Record<string, number>;
  /** tlsql_iam_logins_total. */
  iamLogins: number;
  /** tlsql_iam_login_refusals_total by reason. */
  iamRefusals: Record<string, number>;
}

/** Default pause between samples: 10 s. */
export const defaultSampleIntervalMs = 10_000;
/** Default history kept: one hour. */
export const defaultHistoryMs = 60 * 60 * 1000;

/** Where samples come from and how many are kept; defaults per field. */
export interface MetricsHistoryOptions {
  /** Renders the Prometheus text `/metrics` serves. */
  metrics: () => string;
  clock: Clock;
  /** Default 10 s. */
  intervalMs?: number;
  /** Default 1 hour. */
  historyMs?: number;
}

/** A ring of TrafficSamples, oldest first, taken on a timer (`start`) or on demand (`sample`). */
export class MetricsHistory {
  private readonly buf: TrafficSample[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly intervalMs: number;
  private readonly historyMs: number;

  constructor(private readonly opts: MetricsHistoryOptions) {
    this.intervalMs = opts.intervalMs ?? defaultSampleIntervalMs;
    this.historyMs = opts.historyMs ?? defaultHistoryMs;
  }

  /** Samples now and every intervalMs after (the timer does not keep the process alive). */
  start(): void {
    if (this.timer) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Takes one sample now and drops those older than historyMs. */
  sample(): TrafficSample {
    const s = parseTraffic(this.opts.metrics(), this.opts.clock.now().getTime());
    this.buf.push(s);
    while (this.buf.length > 0 && this.buf[0]!.at < s.at - this.historyMs) this.buf.shift();
    return s;
  }

  /** The samples kept, oldest first. */
  samples(): readonly TrafficSample[] {
    return this.buf;
  }
}

const line = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/;
const labelRe = /([a-z_]+)="((?:[^"\\]|\\.)*)"/g;

/** Sums the Traffic view's families of a Prometheus text exposition. */
export function parseTraffic(text: string, at: number): TrafficSample {
  const s: TrafficSample = { at, accepted: 0, refusals: {}, sessions: {}, iamLogins: 0, iamRefusals: {} };
  const add = (m: Record<string, number>, k: string, v: number) => (m[k] = (m[k] ?? 0) + v);
  for (const raw of text.split('\n')) {
    const m = line.exec(raw);
    if (!m) continue;
    const [, name, labelText, valueText] = m;
    const value = Number(valueText);
    if (!Number.isFinite(value)) continue;
    const labels: Record<string, string> = {};
    for (const l of (labelText ?? '').matchAll(labelRe)) labels[l[1]!] = l[2]!;
    switch (name) {
      case 'tlsql_connections_accepted_total':
        s.accepted += value;
        break;
      case 'tlsql_connection_refusals_total':
        add(s.refusals, labels.reason ?? 'unknown', value);
        break;
      case 'tlsql_connections':
        if (labels.transport === 'tls') add(s.sessions, labels.tls_version || 'tls', value);
        else if (labels.transport === 'plaintext') add(s.sessions, 'plaintext', value);
        break;
      case 'tlsql_iam_logins_total':
        s.iamLogins += value;
        break;
      case 'tlsql_iam_login_refusals_total':
        add(s.iamRefusals, labels.reason ?? 'unknown', value);
        break;
    }
  }
  return s;
}
