/**
 * Weekly maintenance windows (`PreferredMaintenanceWindow`, `ddd:hh24:mi-ddd:hh24:mi`, UTC, as
 * RDS). A window may wrap around the end of the week (`sat:23:00-sun:01:00`).
 */
import { AppError } from '../errors/app-error.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const MINUTE_MS = 60_000;
const WEEK_MINUTES = 7 * 24 * 60;

/** A window as minutes since Sunday 00:00 UTC; `end` may be smaller than `start` (wraps the week). */
export interface WeeklyWindow {
  startMinute: number;
  endMinute: number;
}

/** Parses a (validated) window. Throws InvalidParameterValue on anything else. */
export function parseMaintenanceWindow(window: string): WeeklyWindow {
  const m = /^([a-z]{3}):(\d\d):(\d\d)-([a-z]{3}):(\d\d):(\d\d)$/.exec(window.toLowerCase());
  const at = (day: string, h: string, min: string) => {
    const d = DAYS.indexOf(day as (typeof DAYS)[number]);
    if (d < 0 || Number(h) > 23 || Number(min) > 59) throw new AppError('InvalidParameterValue', `Invalid PreferredMaintenanceWindow ${window}`);
    return d * 24 * 60 + Number(h) * 60 + Number(min);
  };
  if (!m) throw new AppError('InvalidParameterValue', `Invalid PreferredMaintenanceWindow ${window}: use ddd:hh24:mi-ddd:hh24:mi (UTC)`);
  return { startMinute: at(m[1]!, m[2]!, m[3]!), endMinute: at(m[4]!, m[5]!, m[6]!) };
}

function minuteOfWeek(d: Date): number {
  return d.getUTCDay() * 24 * 60 + d.getUTCHours() * 60 + d.getUTCMinutes() + d.getUTCSeconds() / 60 + d.getUTCMilliseconds() / MINUTE_MS;
}

/** True when `now` falls inside the window (start inclusive, end exclusive). */
export function isInMaintenanceWindow(now: Date, window: string): boolean {
  const w = parseMaintenanceWindow(window);
  const m = minuteOfWeek(now);
  return w.startMinute <= w.endMinute ? m >= w.startMinute && m < w.endMinute : m >= w.startMinute || m < w.endMinute;
}

/** Start of the window now in progress, or else of the next one. */
export function currentOrNextWindowStart(now: Date, window: string): Date {
  const w = parseMaintenanceWindow(window);
  const m = minuteOfWeek(now);
  if (isInMaintenanceWindow(now, window)) {
    const since = (m - w.startMinute + WEEK_MINUTES) % WEEK_MINUTES;
    return new Date(now.getTime() - since * MINUTE_MS);
  }
  const until = (w.startMinute - m + WEEK_MINUTES) % WEEK_MINUTES;
  return new Date(now.getTime() + until * MINUTE_MS);
}
