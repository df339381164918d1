import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';

/** Distinct (client, reason) pairs tracked per interval; beyond, refusals are summed under client `*`. */
const MAX_KEYS = 1000;

interface Entry {
  client: string;
  reason: string;
  msg: string;
  level: 'debug' | 'info' | 'warn';
  /** Refusals after the first one logged in this interval. */
  suppressed: number;
}

/**
 * The log of refused connections, bounded: per client address and reason, the first refusal of
 * an interval is logged in full; the others are counted and reported as one summary line when the
 * interval ends (`flush`, run by the endpoint's timer and by the next refusal after the interval).
 * A scan or a brute-force attempt thus writes a few lines per address per interval, however many
 * handshakes it makes; every refusal stays counted in `/metrics`
 * (`tlsql_connection_refusals_total` by reason, `tlsql_refusal_log_suppressed_total`).
 */
export class RefusalLog {
  private readonly entries = new Map<string, Entry>();
  private windowStart: number;
  /** Refusals counted but not logged one by one, since start. */
  suppressedTotal = 0;

  constructor(
    private readonly logger: Logger,
    private readonly clock: Clock,
    readonly intervalMs: number,
    private readonly fields: Record<string, unknown> = {},
  ) {
    this.windowStart = clock.now().getTime();
  }

  /**
   * A refused connection from `client`. `reason` is the stable kind used to aggregate (e.g. the
   * MySQL error name, a TLS error code); `fields` go into the full line only.
   */
  note(level: 'debug' | 'info' | 'warn', msg: string, client: string, reason: string, fields: Record<string, unknown> = {}): void {
    this.flushIfDue();
    let key = `${client}\u0000${reason}\u0000${msg}`;
    let e = this.entries.get(key);
    if (!e && this.entries.size >= MAX_KEYS) {
      key = `*\u0000${reason}\u0000${msg}`;
      e = this.entries.get(key);
      if (!e) {
        // The first overflow of this reason starts an aggregate line; it is itself counted, not logged.
        this.entries.set(key, { client: '*', reason, msg, level, suppressed: 1 });
        this.suppressedTotal++;
        return;
      }
    }
    if (e) {
      e.suppressed++;
      this.suppressedTotal++;
      return;
    }
    this.entries.set(key, { client, reason, msg, level, suppressed: 0 });
    this.logger[level](msg, { ...this.fields, client, reason, ...fields });
  }

  /** Ends the interval when it is over: one summary line per (client, reason) with refusals not logged. */
  flushIfDue(): void {
    if (this.clock.now().getTime() - this.windowStart >= this.intervalMs) this.flush();
  }

  /** Ends the interval now. */
  flush(): void {
    const now = this.clock.now().getTime();
    const seconds = Math.max(0, Math.round((now - this.windowStart) / 1000));
    for (const e of this.entries.values()) {
      if (e.suppressed === 0) continue;
      this.logger[e.level](`${e.msg} (repeated)`, { ...this.fields, client: e.client, reason: e.reason, count: e.suppressed, seconds });
    }
    this.entries.clear();
    this.windowStart = now;
  }
}
