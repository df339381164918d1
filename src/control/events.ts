import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Store } from '../store/store.js';
import type { DbEvent } from '../model/db-event.js';

/** Records DB events (DescribeEvents) and mirrors each to the log. */
export class EventRecorder {
  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  record(e: Omit<DbEvent, 'date'>): void {
    const ev: DbEvent = { ...e, date: this.clock.now() };
    this.store.addEvent(ev);
    this.logger.info('event', { source: e.sourceIdentifier, categories: e.eventCategories, message: e.message });
  }
}
