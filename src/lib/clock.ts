/** A source of the current time. Injected everywhere time matters so tests can move it. */
export interface Clock {
  now(): Date;
}

/** The real wall clock. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to; for tests of expiry, renewal and timeouts. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(start: Date | string | number = Date.UTC(2026, 0, 1)) {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  /** Moves the clock forward by `ms` milliseconds. */
  advance(ms: number): void {
    this.ms += ms;
  }
  set(date: Date | string | number): void {
    this.ms = new Date(date).getTime();
  }
}
