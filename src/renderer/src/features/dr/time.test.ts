import { describe, expect, it } from 'vitest';
import { durationMinutes, inZone, localToIso } from './index';

describe('DR console times in the site time zone', () => {
  it('reads entered times in the site zone, summer and winter', () => {
    expect(localToIso('2026-07-01T17:00', 'Europe/Berlin')).toBe('2026-07-01T17:00:00+02:00');
    expect(localToIso('2026-12-01T17:00', 'Europe/Berlin')).toBe('2026-12-01T17:00:00+01:00');
    expect(localToIso('2026-10-31T09:00', 'America/Toronto')).toBe('2026-10-31T09:00:00-04:00');
    expect(localToIso('2026-11-02T09:00', 'America/Toronto')).toBe('2026-11-02T09:00:00-05:00');
  });
  it('shows instants in the site zone and reads durations', () => {
    expect(inZone('2026-03-29T00:30:00Z', 'Europe/Berlin')).toBe('2026-03-29 01:30');
    expect(inZone('2026-03-29T01:30:00Z', 'Europe/Berlin')).toBe('2026-03-29 03:30');
    expect(durationMinutes('PT1H30M')).toBe(90);
  });
});
