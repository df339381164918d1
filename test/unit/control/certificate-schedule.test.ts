import { describe, expect, it } from 'vitest';
import { expiryNoticeDue, halfLife } from '../../../src/pki/certificate-schedule.js';
import { currentOrNextWindowStart, isInMaintenanceWindow, parseMaintenanceWindow } from '../../../src/control/maintenance-window.js';

describe('maintenance windows', () => {
  // 2026-01-04 is a Sunday.
  const sun0530 = new Date('2026-01-04T05:30:00Z');

  it('reads ddd:hh24:mi-ddd:hh24:mi as minutes of the week from Sunday 00:00 UTC', () => {
    expect(parseMaintenanceWindow('sun:05:00-sun:05:30')).toEqual({ startMinute: 300, endMinute: 330 });
    expect(parseMaintenanceWindow('Sat:23:30-Sun:00:30')).toEqual({ startMinute: 6 * 1440 + 23 * 60 + 30, endMinute: 30 });
    expect(() => parseMaintenanceWindow('sun 05:00')).toThrow(/PreferredMaintenanceWindow/);
  });

  it('includes the start and excludes the end', () => {
    expect(isInMaintenanceWindow(new Date('2026-01-04T05:00:00Z'), 'sun:05:00-sun:05:30')).toBe(true);
    expect(isInMaintenanceWindow(new Date('2026-01-04T05:29:59Z'), 'sun:05:00-sun:05:30')).toBe(true);
    expect(isInMaintenanceWindow(sun0530, 'sun:05:00-sun:05:30')).toBe(false);
    expect(isInMaintenanceWindow(new Date('2026-01-05T05:10:00Z'), 'sun:05:00-sun:05:30')).toBe(false);
  });

  it('handles windows that wrap around the end of the week', () => {
    const w = 'sat:23:00-sun:01:00';
    expect(isInMaintenanceWindow(new Date('2026-01-03T23:30:00Z'), w)).toBe(true); // Saturday
    expect(isInMaintenanceWindow(new Date('2026-01-04T00:59:00Z'), w)).toBe(true); // Sunday
    expect(isInMaintenanceWindow(new Date('2026-01-04T01:00:00Z'), w)).toBe(false);
    expect(currentOrNextWindowStart(new Date('2026-01-04T00:30:00Z'), w).toISOString()).toBe('2026-01-03T23:00:00.000Z');
  });

  it('gives the start of the window in progress, else of the next one', () => {
    expect(currentOrNextWindowStart(new Date('2026-01-04T05:10:00Z'), 'sun:05:00-sun:05:30').toISOString()).toBe('2026-01-04T05:00:00.000Z');
    expect(currentOrNextWindowStart(sun0530, 'sun:05:00-sun:05:30').toISOString()).toBe('2026-01-11T05:00:00.000Z');
    expect(currentOrNextWindowStart(new Date('2026-01-06T12:00:00Z'), 'mon:02:00-mon:03:00').toISOString()).toBe('2026-01-12T02:00:00.000Z');
  });
});

describe('renewal and expiry schedule', () => {
  it('renews at half-life', () => {
    expect(halfLife(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-01T00:00:00Z')).toISOString()).toBe('2026-07-02T12:00:00.000Z');
  });

  it('announces 90, 30 and 7 days before expiry once each, and expiry', () => {
    expect(expiryNoticeDue(120, null)).toBeNull();
    expect(expiryNoticeDue(89.5, null)).toBe(90);
    expect(expiryNoticeDue(80, 90)).toBeNull();
    expect(expiryNoticeDue(29, 90)).toBe(30);
    expect(expiryNoticeDue(29, 30)).toBeNull();
    expect(expiryNoticeDue(6.9, 30)).toBe(7);
    expect(expiryNoticeDue(1, 7)).toBeNull();
    expect(expiryNoticeDue(-0.1, 7)).toBe(0);
    expect(expiryNoticeDue(-5, 0)).toBeNull();
  });

  it('announces only the tightest threshold after a jump', () => {
    expect(expiryNoticeDue(5, null)).toBe(7);
    expect(expiryNoticeDue(5, 90)).toBe(7);
  });
});
