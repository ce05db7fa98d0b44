import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { nextPeriod, periodsOf, periodStart } from '../../src/core/energy/timezones';
import { localClockText, plusLocal, startOfLocal, transitions, zoneOffset, type CalendarUnit } from '../../src/core/energy/zoneclock';

const H = 3_600_000;
const utc = (s: string) => Date.parse(s);

describe('zone transition tables', () => {
  // DST north and south, :30 and :45 offsets, a 30-minute DST shift, transitions at midnight, a skipped day
  const zones = [
    'Europe/Berlin',
    'America/New_York',
    'Australia/Sydney',
    'Australia/Adelaide',
    'Australia/Lord_Howe',
    'Asia/Kolkata',
    'Asia/Kathmandu',
    'America/St_Johns',
    'America/Santiago',
    'America/Havana',
    'Africa/Casablanca',
    'Pacific/Apia',
    'UTC',
  ];

  it('agree with luxon (Intl) on offsets, local text, period starts and steps across 2016-2027', () => {
    const units: CalendarUnit[] = ['day', 'week', 'month', 'year'];
    const wrong: string[] = [];
    for (const zone of zones) {
      const z = IANAZone.create(zone);
      // every 97 h 17 min: each hour of the day and each day of the week come round
      for (let ts = utc('2016-01-01T00:00:00Z'); ts < utc('2028-01-01T00:00:00Z'); ts += 97 * H + 17 * 60_000) {
        const dt = DateTime.fromMillis(ts, { zone });
        const unit = units[Math.floor(ts / H) % 4];
        const start = dt.startOf(unit);
        const mine = [zoneOffset(zone, ts), localClockText(ts, zone), startOfLocal(ts, unit, zone), plusLocal(start.toMillis(), unit, zone)];
        const theirs = [z.offset(ts), dt.toFormat("yyyy-MM-dd'T'HH:mm:ss"), start.toMillis(), start.plus({ [unit]: 1 }).toMillis()];
        if (mine.some((x, i) => x !== theirs[i])) wrong.push(`${zone} ${unit} ${dt.toISO()}: ${mine.join(' ')} != ${theirs.join(' ')}`);
      }
      // and around each transition: the last second before, the first second of the new offset, the local days and months
      for (const [at] of transitions(zone, utc('2010-01-01T00:00:00Z'), utc('2028-01-01T00:00:00Z'))) {
        for (const ts of [at - 1000, at, at + 1000, at + H]) {
          const dt = DateTime.fromMillis(ts, { zone });
          const mine = [zoneOffset(zone, ts), startOfLocal(ts, 'day', zone), plusLocal(startOfLocal(ts, 'day', zone), 'day', zone), startOfLocal(ts, 'month', zone)];
          const theirs = [z.offset(ts), dt.startOf('day').toMillis(), dt.startOf('day').plus({ day: 1 }).toMillis(), dt.startOf('month').toMillis()];
          if (mine.some((x, i) => x !== theirs[i])) wrong.push(`${zone} at ${dt.toISO()}: ${mine.join(' ')} != ${theirs.join(' ')}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  }, 120_000);

  it('hold the transitions each zone has', () => {
    const count = (zone: string) => transitions(zone, utc('2026-01-01T00:00:00Z'), utc('2027-01-01T00:00:00Z')).length;
    expect(transitions('Europe/Berlin', utc('2026-01-01T00:00:00Z'), utc('2027-01-01T00:00:00Z'))).toEqual([
      [utc('2026-03-29T01:00:00Z'), 120],
      [utc('2026-10-25T01:00:00Z'), 60],
    ]);
    expect(transitions('Australia/Sydney', utc('2026-01-01T00:00:00Z'), utc('2027-01-01T00:00:00Z'))).toEqual([
      [utc('2026-04-04T16:00:00Z'), 600],
      [utc('2026-10-03T16:00:00Z'), 660],
    ]);
    expect([count('Asia/Kolkata'), count('Asia/Kathmandu'), count('UTC'), count('Australia/Lord_Howe'), count('America/Santiago')]).toEqual([0, 0, 0, 2, 2]);
    // Samoa skipped 30 December 2011 (from -10 to +14)
    expect(transitions('Pacific/Apia', utc('2011-12-01T00:00:00Z'), utc('2012-01-01T00:00:00Z'))).toEqual([[utc('2011-12-30T10:00:00Z'), 840]]);
  });

  it('keep the Berlin DST days: 23 and 25 hours, each one day', () => {
    const days = periodsOf(utc('2026-03-28T23:00:00Z'), utc('2026-03-30T22:00:00Z'), 'daily', 'Europe/Berlin');
    expect(days.map((d) => [d.local, d.hours])).toEqual([
      ['2026-03-29T00:00:00', 23],
      ['2026-03-30T00:00:00', 24],
    ]);
    const fall = periodsOf(utc('2026-10-24T22:00:00Z'), utc('2026-10-25T23:00:00Z'), 'daily', 'Europe/Berlin');
    expect(fall.map((d) => [d.local, d.hours])).toEqual([['2026-10-25T00:00:00', 25]]);
  });

  it('Sydney (southern hemisphere): April falls back (25 hours), October springs forward (23 hours)', () => {
    // AEDT +11 until 2026-04-05 03:00 local, AEST +10 until 2026-10-04 02:00 local, then +11 again
    const april = periodsOf(utc('2026-04-03T13:00:00Z'), utc('2026-04-06T14:00:00Z'), 'daily', 'Australia/Sydney');
    expect(april.map((d) => [d.local, new Date(d.start).toISOString(), d.hours])).toEqual([
      ['2026-04-04T00:00:00', '2026-04-03T13:00:00.000Z', 24],
      ['2026-04-05T00:00:00', '2026-04-04T13:00:00.000Z', 25],
      ['2026-04-06T00:00:00', '2026-04-05T14:00:00.000Z', 24],
    ]);
    const october = periodsOf(utc('2026-10-03T14:00:00Z'), utc('2026-10-05T13:00:00Z'), 'daily', 'Australia/Sydney');
    expect(october.map((d) => [d.local, new Date(d.start).toISOString(), d.hours])).toEqual([
      ['2026-10-04T00:00:00', '2026-10-03T14:00:00.000Z', 23],
      ['2026-10-05T00:00:00', '2026-10-04T13:00:00.000Z', 24],
    ]);
    // the local hour 02:00 on 4 October does not exist: UTC 15:00 is local 01:00, 16:00 is 03:00
    expect(localClockText(utc('2026-10-03T15:00:00Z'), 'Australia/Sydney')).toBe('2026-10-04T01:00:00');
    expect(localClockText(utc('2026-10-03T16:00:00Z'), 'Australia/Sydney')).toBe('2026-10-04T03:00:00');
    // a southern summer month: January 2026 starts at 13:00 UTC on 31 December (+11) and has 31 x 24 hours
    expect(periodStart(utc('2026-01-15T00:00:00Z'), 'monthly', 'Australia/Sydney')).toBe(utc('2025-12-31T13:00:00Z'));
    expect(nextPeriod(utc('2025-12-31T13:00:00Z'), 'monthly', 'Australia/Sydney')).toBe(utc('2026-01-31T13:00:00Z'));
    // April has the extra hour: 30 x 24 + 1
    const months = periodsOf(utc('2026-03-31T13:00:00Z'), utc('2026-04-30T14:00:00Z'), 'monthly', 'Australia/Sydney');
    expect(months.map((m) => [m.local, m.hours])).toEqual([['2026-04-01T00:00:00', 721]]);
  });

  it('Kolkata (+05:30): local days start at 18:30 UTC and hold the 24 UTC hours that start in them', () => {
    const days = periodsOf(utc('2026-05-31T18:30:00Z'), utc('2026-06-02T18:30:00Z'), 'daily', 'Asia/Kolkata');
    expect(days.map((d) => [d.local, new Date(d.start).toISOString(), d.hours])).toEqual([
      ['2026-06-01T00:00:00', '2026-05-31T18:30:00.000Z', 24],
      ['2026-06-02T00:00:00', '2026-06-01T18:30:00.000Z', 24],
    ]);
    // the UTC hour 18:00-19:00 starts at 23:30 local: it belongs to the local day before
    expect(periodStart(utc('2026-06-01T18:00:00Z'), 'daily', 'Asia/Kolkata')).toBe(utc('2026-05-31T18:30:00Z'));
    expect(periodStart(utc('2026-06-01T19:00:00Z'), 'daily', 'Asia/Kolkata')).toBe(utc('2026-06-01T18:30:00Z'));
    // ISO week of Wednesday 3 June 2026: Monday 1 June, local midnight
    expect(periodStart(utc('2026-06-03T12:00:00Z'), 'weekly', 'Asia/Kolkata')).toBe(utc('2026-05-31T18:30:00Z'));
    expect(localClockText(utc('2026-06-01T18:00:00Z'), 'Asia/Kolkata')).toBe('2026-06-01T23:30:00');
  });

  it('Adelaide (+09:30/+10:30) and Lord Howe (a 30-minute DST shift)', () => {
    // Adelaide falls back from +10:30 to +09:30 at 03:00 local on 5 April 2026: a 25-hour day starting 13:30 UTC
    const adelaide = periodsOf(utc('2026-04-04T13:30:00Z'), utc('2026-04-05T14:30:00Z'), 'daily', 'Australia/Adelaide');
    expect(adelaide.map((d) => [d.local, d.hours])).toEqual([['2026-04-05T00:00:00', 25]]);
    // Lord Howe goes from +11 to +10:30 at 02:00 local on 5 April 2026: the day lasts 24.5 hours, from 13:00 UTC
    // to 13:30 UTC the next day, and holds the 25 UTC hours starting 13:00 ... 13:00
    const start = periodStart(utc('2026-04-05T00:00:00Z'), 'daily', 'Australia/Lord_Howe');
    expect(start).toBe(utc('2026-04-04T13:00:00Z'));
    const next = nextPeriod(start, 'daily', 'Australia/Lord_Howe');
    expect(next).toBe(utc('2026-04-05T13:30:00Z'));
    expect(periodsOf(start, next, 'daily', 'Australia/Lord_Howe')[0].hours).toBe(25);
    expect(zoneOffset('Australia/Lord_Howe', utc('2026-04-04T14:59:59Z'))).toBe(660);
    expect(zoneOffset('Australia/Lord_Howe', utc('2026-04-04T15:00:00Z'))).toBe(630);
  });
});
