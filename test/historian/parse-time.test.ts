import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/core/api/errors';
import { parseTime } from '../../src/core/historian/feature';

describe('trend time parameters', () => {
  it('reads ISO 8601 with and without a zone (none = UTC)', () => {
    expect(parseTime('2026-11-21T08:00:00', 'startdatetime')).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(parseTime('2026-11-21T08:00:00Z', 'startdatetime')).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(parseTime('2026-11-21T08:00:00.250Z', 'x')).toBe(Date.parse('2026-11-21T08:00:00.250Z'));
    expect(parseTime('2026-11-21T09:30:00+01:30', 'x')).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(parseTime('2026-11-21T03:00:00-0500', 'x')).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(parseTime('2026-11-21 08:00', 'x')).toBe(Date.parse('2026-11-21T08:00:00Z'));
    expect(parseTime('2026-11-21', 'x')).toBe(Date.parse('2026-11-21T00:00:00Z'));
    expect(parseTime(' 2026-11-21T08:00:00 ', 'x')).toBe(Date.parse('2026-11-21T08:00:00Z'));
  });

  it('refuses what is not a real date and time, naming the parameter', () => {
    for (const bad of ['', 'yesterday', '2026-02-30T00:00:00', '2026-13-01', '2026-11-21T24:00:00', '2026-11-21T08:60:00', '2026-11-21T08:00:61', '1700000000000', '2026-11-21T08:00:00+25:00', '2026-11-21T08:00:00 UTC', undefined, 42]) {
      let err: unknown;
      try {
        parseTime(bad, 'enddatetime');
      } catch (e) {
        err = e;
      }
      expect(err, String(bad)).toBeInstanceOf(ApiError);
      expect((err as ApiError).status).toBe(400);
      expect((err as ApiError).field).toBe('enddatetime');
    }
  });
});
