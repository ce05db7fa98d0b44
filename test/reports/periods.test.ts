import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/api/errors';
import { parseReportParams, PERIOD_LIMIT_DAYS } from '../../src/core/reports/params';
import { localString, nextPeriod, parseLocal, periodLabel, periodStart } from '../../src/core/reports/time';

const Z = 'Europe/Berlin';
const iso = (ms: number) => new Date(ms).toISOString();

const err = (fn: () => unknown): ApiError => {
  try {
    fn();
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('no error');
};

describe('local time in the subject zone', () => {
  it('parses local date-times in the zone, DST honoured, and offsets as given', () => {
    expect(iso(parseLocal('2026-01-15T10:00:00', Z)!)).toBe('2026-01-15T09:00:00.000Z');
    expect(iso(parseLocal('2026-07-15T10:00:00', Z)!)).toBe('2026-07-15T08:00:00.000Z');
    // 02:30 does not exist on the spring-forward day: the instant after the gap
    expect(iso(parseLocal('2026-03-29T02:30:00', Z)!)).toBe('2026-03-29T01:30:00.000Z');
    // 02:30 happens twice in autumn: the first (summer time) occurrence
    expect(iso(parseLocal('2026-10-25T02:30:00', Z)!)).toBe('2026-10-25T00:30:00.000Z');
    expect(iso(parseLocal('2026-01-15T10:00:00Z', Z)!)).toBe('2026-01-15T10:00:00.000Z');
    expect(iso(parseLocal('2026-01-15T10:00:00+05:00', Z)!)).toBe('2026-01-15T05:00:00.000Z');
    expect(parseLocal('2026-02-30T00:00:00', Z)).toBeNull();
    expect(parseLocal('2026-01-15 10:00', Z)).toBeNull();
    expect(localString(Date.parse('2026-10-25T01:30:00Z'), Z)).toBe('2026-10-25T02:30:00');
  });

  it('period starts and steps: days of 23 and 25 hours, ISO weeks from Monday, months, years', () => {
    const spring = parseLocal('2026-03-29T00:00:00', Z)!;
    expect((nextPeriod(spring, Z, 'daily') - spring) / 3_600_000).toBe(23);
    const autumn = parseLocal('2026-10-25T00:00:00', Z)!;
    expect((nextPeriod(autumn, Z, 'daily') - autumn) / 3_600_000).toBe(25);
    // Thursday 2026-03-05 belongs to the week of Monday 2026-03-02
    expect(localString(periodStart(parseLocal('2026-03-05T13:00:00', Z)!, Z, 'weekly'), Z)).toBe('2026-03-02T00:00:00');
    expect(localString(periodStart(parseLocal('2026-03-05T13:20:00', Z)!, Z, 'monthly'), Z)).toBe('2026-03-01T00:00:00');
    expect(localString(nextPeriod(parseLocal('2026-01-01T00:00:00', Z)!, Z, 'monthly'), Z)).toBe('2026-02-01T00:00:00');
    expect(localString(nextPeriod(parseLocal('2026-01-01T00:00:00', Z)!, Z, 'yearly'), Z)).toBe('2027-01-01T00:00:00');
    expect(periodLabel('2026-03-02T00:00:00', 'daily')).toBe('2026-03-02');
    expect(periodLabel('2026-03-01T00:00:00', 'monthly')).toBe('2026-03');
    expect(periodLabel('2026-01-01T00:00:00', 'yearly')).toBe('2026');
  });
});

describe('MyEMS report parameters', () => {
  const q = (o: Record<string, string>) => o;
  it('aligns the periods to local period starts and reads quickmode and language', () => {
    const p = parseReportParams(q({ periodtype: 'daily', reportingperiodstartdatetime: '2026-03-02T10:00:00', reportingperiodenddatetime: '2026-03-04T10:00:00', quickmode: 'true', language: 'de' }), Z);
    expect(localString(p.reporting.start, Z)).toBe('2026-03-02T00:00:00');
    expect(localString(p.reporting.end, Z)).toBe('2026-03-05T00:00:00');
    expect(p.reporting.startLocal).toBe('2026-03-02T10:00:00');
    expect(p.base).toBeNull();
    expect(p.quickMode).toBe(true);
    expect(p.language).toBe('de');
  });

  it('names the parameter at fault and states the limit of each period type', () => {
    const e1 = err(() => parseReportParams(q({ reportingperiodstartdatetime: '2026-03-02T00:00:00', reportingperiodenddatetime: '2026-03-04T00:00:00' }), Z));
    expect([e1.status, e1.field, e1.description]).toEqual([400, 'periodtype', 'API.INVALID_PERIOD_TYPE']);
    const e2 = err(() => parseReportParams(q({ periodtype: 'daily', reportingperiodstartdatetime: '2026-03-02T00:00:00', reportingperiodenddatetime: '2026-03-04T00:00:00', baseperiodstartdatetime: '2026-02-01T00:00:00' }), Z));
    expect([e2.field, e2.description]).toEqual(['baseperiodenddatetime', 'API.INVALID_BASE_PERIOD_END_DATETIME']);
    const e3 = err(() => parseReportParams(q({ periodtype: 'daily', reportingperiodstartdatetime: '2020-01-01T00:00:00', reportingperiodenddatetime: '2026-01-01T00:00:00' }), Z));
    expect([e3.field, e3.description]).toEqual(['reportingperiodenddatetime', 'API.PERIOD_TOO_LONG']);
    expect(e3.message).toContain(`${PERIOD_LIMIT_DAYS.daily} days`);
    const e4 = err(() => parseReportParams(q({ periodtype: 'daily', reportingperiodstartdatetime: '2026-01-01T00:00:00', reportingperiodenddatetime: '2026-02-01T00:00:00', language: 'xx' }), Z));
    expect(e4.field).toBe('language');
  });
});
