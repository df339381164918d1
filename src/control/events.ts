import { AppError } from '../errors/app-error.js';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { DbEvent } from '../model/db-event.js';
import type { DbInstance } from '../model/db-instance.js';
import type { Store } from '../store/store.js';

/** Records DB events (DescribeEvents) and mirrors each to the log. */
export class EventRecorder {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Records an event dated now by the injected clock. */
  record(e: Omit<DbEvent, 'date'>): void {
    const ev: DbEvent = { ...e, date: this.clock.now() };
    this.store.addEvent(ev);
    this.logger.info('event', { source: e.sourceIdentifier, categories: e.eventCategories, message: e.message });
  }

  /** Records an event of a DB instance (source type `db-instance`, its identifier and ARN). */
  instance(inst: DbInstance, message: string, categories: string[]): void {
    this.record({ sourceIdentifier: inst.id, sourceType: 'db-instance', message, eventCategories: categories, sourceArn: inst.arn });
  }

  /**
   * DescribeEvents: events between `startTime` and `endTime` (default: the `durationMinutes`,
   * default 60, before now), of one source and/or source type, with any of `eventCategories`.
   */
  describe(q: { sourceIdentifier?: string; sourceType?: string; startTime?: Date; endTime?: Date; durationMinutes?: number; eventCategories?: string[] }): DbEvent[] {
    const end = q.endTime ?? this.clock.now();
    const start = q.startTime ?? new Date(end.getTime() - (q.durationMinutes ?? 60) * 60_000);
    const events = this.store.listEvents({ sourceIdentifier: q.sourceIdentifier?.toLowerCase(), sourceType: q.sourceType, start, end });
    return q.eventCategories?.length ? events.filter((e) => e.eventCategories.some((c) => q.eventCategories!.includes(c))) : events;
  }
}

/** A failure reason for certificate events: the error's message, without a stack. */
export function reasonOf(e: unknown): string {
  if (e instanceof AppError) return e.message;
  return e instanceof Error ? e.message : String(e);
}

/** A failure reason safe to show to API callers: exposable AppError messages, else a generic one (details stay in the log). */
export function publicReason(e: unknown): string {
  if (e instanceof AppError && e.expose) return e.message;
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'the endpoint port is in use';
  return 'internal error (see the tlsql server log)';
}
