import { describe, expect, it } from 'vitest';
import { periodStart } from '../../src/core/alarms/checks';

describe('rule periods in the space time zone', () => {
  const now = Date.parse('2026-03-01T02:30:00Z');
  it('day and month start at local midnight of the zone, DST and date line included', () => {
    expect(new Date(periodStart('day', now, 'Asia/Shanghai')).toISOString()).toBe('2026-02-28T16:00:00.000Z'); // 10:30 on 1 March in Shanghai
    expect(new Date(periodStart('month', now, 'Asia/Shanghai')).toISOString()).toBe('2026-02-28T16:00:00.000Z');
    expect(new Date(periodStart('day', now, 'America/New_York')).toISOString()).toBe('2026-02-28T05:00:00.000Z'); // still 28 February there
    expect(new Date(periodStart('month', now, 'America/New_York')).toISOString()).toBe('2026-02-01T05:00:00.000Z');
    // the day after the spring DST change in Berlin starts at 22:00 UTC, not 23:00
    expect(new Date(periodStart('day', Date.parse('2026-03-29T12:00:00Z'), 'Europe/Berlin')).toISOString()).toBe('2026-03-28T23:00:00.000Z');
    expect(new Date(periodStart('day', Date.parse('2026-03-30T12:00:00Z'), 'Europe/Berlin')).toISOString()).toBe('2026-03-29T22:00:00.000Z');
  });
  it('hour is the UTC hour; an unknown zone falls back to the server zone', () => {
    expect(new Date(periodStart('hour', now, 'Asia/Kolkata')).toISOString()).toBe('2026-03-01T02:00:00.000Z');
    expect(periodStart('day', now, 'Not/AZone')).toBe(periodStart('day', now));
  });
});
