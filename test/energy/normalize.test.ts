import { describe, expect, it } from 'vitest';
import { FLAG_FLAGGED, normalizeSeries, type MeterLimits } from '../../src/core/energy/normalize';
import { blockCost, priceHours, touPrice, type Tariff } from '../../src/core/energy/tariffs';
import { periodsOf } from '../../src/core/energy/timezones';

const t = (s: string) => Date.parse(s);
const limits = (over: Partial<MeterLimits> = {}): MeterLimits => ({ low: 0, high: 100, wrap: null, gapMs: 65 * 60_000, ...over });
const series = (rows: [string, number][]) => rows.map(([ts, value]) => ({ ts: t(ts), value }));

describe('normalization of a cumulative register', () => {
  it('apportions a rise across the hours it spans', () => {
    // 10 kWh over 00:30..01:30 -> 5 in hour 00 and 5 in hour 01; 00:00..00:30 adds 4 to hour 00
    const h = normalizeSeries(series([['2026-01-01T00:00:00Z', 100], ['2026-01-01T00:30:00Z', 104], ['2026-01-01T01:30:00Z', 114], ['2026-01-01T02:00:00Z', 120]]), limits());
    expect(h).toEqual([
      { hour: t('2026-01-01T00:00:00Z'), value: 9, flags: 0 },
      { hour: t('2026-01-01T01:00:00Z'), value: 11, flags: 0 },
    ]);
  });

  it('counts the rises around a reset, not the drop', () => {
    const h = normalizeSeries(series([['2026-01-01T00:00:00Z', 1000], ['2026-01-01T00:30:00Z', 1010], ['2026-01-01T01:00:00Z', 3], ['2026-01-01T01:30:00Z', 8], ['2026-01-01T02:00:00Z', 20]]), limits());
    // hour 00: 10 then the drop (0); hour 01: 5 + 12
    expect(h.map((x) => x.value)).toEqual([10, 17]);
  });

  it('counts a wrap of a uint32 register', () => {
    const wrap = 2 ** 32;
    const h = normalizeSeries(series([['2026-01-01T00:00:00Z', wrap - 100], ['2026-01-01T00:30:00Z', wrap - 20], ['2026-01-01T01:00:00Z', 50]]), limits({ wrap, high: 1000 }));
    // 80 before the top, 20 to reach it and 50 after
    expect(h).toEqual([{ hour: t('2026-01-01T00:00:00Z'), value: 150, flags: 0 }]);
    // without a known range the same fall is a reset
    expect(normalizeSeries(series([['2026-01-01T00:00:00Z', wrap - 100], ['2026-01-01T00:30:00Z', wrap - 20], ['2026-01-01T01:00:00Z', 50]]), limits())[0].value).toBe(80);
  });

  it('keeps a gap a gap: hours whose boundary falls in it are missing', () => {
    const h = normalizeSeries(
      series([['2026-01-01T00:00:00Z', 0], ['2026-01-01T01:00:00Z', 10], ['2026-01-01T01:30:00Z', 15], ['2026-01-01T04:00:00Z', 40], ['2026-01-01T05:00:00Z', 50]]),
      limits(),
    );
    // 00 = 10; 01, 02, 03 touch the 2.5 h gap; 04 = 10
    expect(h.map((x) => [new Date(x.hour).toISOString().slice(11, 13), x.value])).toEqual([
      ['00', 10],
      ['04', 10],
    ]);
  });

  it('flags an impossible jump and hours outside the limits, keeping their values', () => {
    const h = normalizeSeries(
      series([['2026-01-01T00:00:00Z', 0], ['2026-01-01T01:00:00Z', 10], ['2026-01-01T01:30:00Z', 15], ['2026-01-01T01:40:00Z', 500], ['2026-01-01T02:00:00Z', 505], ['2026-01-01T03:00:00Z', 515]]),
      limits({ low: 1 }),
    );
    expect(h).toEqual([
      { hour: t('2026-01-01T00:00:00Z'), value: 10, flags: 0 },
      { hour: t('2026-01-01T01:00:00Z'), value: 495, flags: FLAG_FLAGGED },
      { hour: t('2026-01-01T02:00:00Z'), value: 10, flags: 0 },
    ]);
    // an hour below the low limit is flagged too
    expect(normalizeSeries(series([['2026-01-01T00:00:00Z', 0], ['2026-01-01T01:00:00Z', 0.5]]), limits({ low: 1 }))[0].flags).toBe(FLAG_FLAGGED);
  });
});

describe('local periods', () => {
  it('gives Europe/Berlin a 23-hour spring-forward day and a 25-hour fall-back day', () => {
    const spring = periodsOf(t('2026-03-28T23:00:00Z'), t('2026-03-29T22:00:00Z'), 'daily', 'Europe/Berlin');
    expect(spring).toEqual([{ start: t('2026-03-28T23:00:00Z'), local: '2026-03-29T00:00:00', hours: 23 }]);
    const fall = periodsOf(t('2026-10-24T22:00:00Z'), t('2026-10-26T23:00:00Z'), 'daily', 'Europe/Berlin');
    expect(fall.map((p) => [p.local, p.hours])).toEqual([
      ['2026-10-25T00:00:00', 25],
      ['2026-10-26T00:00:00', 24],
    ]);
  });
});

describe('tariffs', () => {
  const tou: Tariff = {
    id: 1,
    type: 'timeofuse',
    from: '2026-01-01T00:00:00',
    through: '2027-01-01T00:00:00',
    tou: [
      { start: 8 * 3600, end: 20 * 3600, peak: 'onpeak', price: 0.3 },
      { start: 20 * 3600, end: 8 * 3600, peak: 'offpeak', price: 0.1 },
    ],
    blocks: [],
  };
  it('prices time of use by the local hour, across midnight', () => {
    expect(touPrice(tou, 9 * 3600)).toEqual({ price: 0.3, peak: 'onpeak' });
    expect(touPrice(tou, 23 * 3600)?.price).toBe(0.1);
    expect(touPrice(tou, 3600)?.price).toBe(0.1);
    // 07:00 UTC is 08:00 in Berlin (winter): peak; 06:00 UTC is 07:00: off-peak
    const c = priceHours([tou], 'Europe/Berlin', [{ hour: t('2026-01-05T06:00:00Z'), value: 10, flags: 0 }, { hour: t('2026-01-05T07:00:00Z'), value: 10, flags: 0 }], () => 0);
    expect(c[0]).toBeCloseTo(1, 10);
    expect(c[1]).toBeCloseTo(3, 10);
  });
  it('prices blocks by what the month consumed before, splitting an hour across blocks', () => {
    const blocks = [
      { start: 0, end: 100, price: 0.2 },
      { start: 100, end: 200, price: 0.3 },
      { start: 200, end: 1e9, price: 0.5 },
    ];
    expect(blockCost(blocks, 0, 60)).toBeCloseTo(12, 10);
    expect(blockCost(blocks, 60, 60)).toBeCloseTo(40 * 0.2 + 20 * 0.3, 10);
    expect(blockCost(blocks, 180, 60)).toBeCloseTo(20 * 0.3 + 40 * 0.5, 10);
  });
});
