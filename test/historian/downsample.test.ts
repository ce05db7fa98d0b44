import { describe, expect, it } from 'vitest';
import { downsample, type Sample } from '../../src/core/historian/storage';

const series = (n: number, f: (i: number) => number | string | null): Sample[] => Array.from({ length: n }, (_, i) => ({ ts: 1_000_000 + i * 1000, value: f(i), quality: 'good' as const }));

describe('min/max-preserving downsampling', () => {
  it('returns the samples unchanged when there are no more than maxpoints', () => {
    const s = series(100, (i) => i);
    expect(downsample(s, 100)).toEqual(s);
    expect(downsample([], 10)).toEqual([]);
  });

  it('keeps every spike, stays within maxpoints and in time order', () => {
    const spikes = new Map([
      [17, 500],
      [4321, -500],
      [9999, 800],
      [50_000, -900],
    ]);
    const s = series(100_000, (i) => spikes.get(i) ?? Math.sin(i / 50));
    for (const max of [4, 10, 100, 1000, 4999]) {
      const d = downsample(s, max);
      expect(d.length).toBeLessThanOrEqual(max);
      expect(d.length).toBeGreaterThan(max / 2);
      const values = d.map((x) => x.value as number);
      expect(Math.max(...values)).toBe(800);
      expect(Math.min(...values)).toBe(-900);
      if (max >= 1000) for (const v of spikes.values()) expect(values).toContain(v);
      for (let k = 1; k < d.length; k++) expect(d[k].ts).toBeGreaterThan(d[k - 1].ts);
      // first and last sample of the range are kept (the chart spans the same time)
      expect(d[0]).toBe(s[0]);
      expect(d.at(-1)).toBe(s.at(-1));
    }
  });

  it('keeps a bucket of text or missing values by its first and last sample', () => {
    const s = series(1000, (i) => (i % 2 ? 'ON' : null));
    const d = downsample(s, 40);
    expect(d.length).toBeLessThanOrEqual(40);
    expect(d.length).toBe(20); // 10 buckets, first and last of each
  });

  it('copes with uneven spacing: gaps leave empty buckets out', () => {
    const s = [...series(500, (i) => i), ...series(500, (i) => -i).map((x) => ({ ...x, ts: x.ts + 86_400_000 }))];
    const d = downsample(s, 100);
    expect(d.length).toBeLessThanOrEqual(100);
    expect(Math.max(...d.map((x) => x.value as number))).toBe(499);
    expect(Math.min(...d.map((x) => x.value as number))).toBe(-499);
  });
});
