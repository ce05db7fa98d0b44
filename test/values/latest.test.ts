import { describe, expect, it } from 'vitest';
import type { PointValue } from '../../src/core/values/bus';
import { ValueBus } from '../../src/core/values/bus';
import { LatestValues } from '../../src/core/values/latest';
import { ValueBatch } from '../../src/core/values/batch';

describe('packed latest values', () => {
  it('answers every value kind and quality as it was set, the newest winning', () => {
    const l = new LatestValues();
    const given: PointValue[] = [
      { point_id: 1, value: 42.25, quality: 'good', ts: 1_700_000_000_123 },
      { point_id: 2, value: 'OPEN', quality: 'manual', ts: 1 },
      { point_id: 3, value: null, quality: 'comm_fail', ts: -5 },
      { point_id: 4, value: -0, quality: 'out_of_range', ts: 0 },
      { point_id: 5, value: 1e300, quality: 'stale', ts: 8.64e15 },
      { point_id: 6, value: Number.NaN, quality: 'bad', ts: 2 },
    ];
    for (const v of given) l.set(v);
    for (const v of given) expect(l.get(v.point_id)).toEqual(v);
    expect(Object.is(l.get(4)!.value, -0)).toBe(true);
    expect(l.qualityOf(3)).toBe('comm_fail');
    expect(l.get(7)).toBeUndefined();
    expect(l.qualityOf(7)).toBeUndefined();
    // a text point that turns numeric, and back to null: no text left behind
    l.set({ point_id: 2, value: 7, quality: 'good', ts: 3 });
    expect(l.get(2)).toEqual({ point_id: 2, value: 7, quality: 'good', ts: 3 });
    l.set({ point_id: 2, value: null, quality: 'bad', ts: 4 });
    expect(l.get(2)).toEqual({ point_id: 2, value: null, quality: 'bad', ts: 4 });
    expect(l.size).toBe(6);
  });

  it('grows past its first arrays, reuses the slots of deleted points and keeps the others intact', () => {
    const l = new LatestValues();
    for (let id = 1; id <= 5000; id++) l.set({ point_id: id, value: id * 1.5, quality: 'good', ts: id });
    for (let id = 1; id <= 5000; id += 2) l.delete(id);
    expect(l.size).toBe(2500);
    expect(l.has(1)).toBe(false);
    for (let id = 10_001; id <= 12_500; id++) l.set({ point_id: id, value: `t${id}`, quality: 'manual', ts: id });
    expect(l.size).toBe(5000);
    for (let id = 2; id <= 5000; id += 2) expect(l.get(id)).toEqual({ point_id: id, value: id * 1.5, quality: 'good', ts: id });
    for (let id = 10_001; id <= 12_500; id++) expect(l.get(id)).toEqual({ point_id: id, value: `t${id}`, quality: 'manual', ts: id });
    expect([...l.keys()].length).toBe(5000);
  });

  it('is what the value bus answers as a point’s latest value', () => {
    const bus = new ValueBus();
    const seen: PointValue[][] = [];
    bus.subscribe((b) => seen.push(b.toArray()));
    bus.publish(ValueBatch.of([{ point_id: 9, value: 1, quality: 'good', ts: 10 }]));
    bus.publish(ValueBatch.of([{ point_id: 9, value: 2, quality: 'stale', ts: 20 }]));
    expect(bus.latest(9)).toEqual({ point_id: 9, value: 2, quality: 'stale', ts: 20 });
    expect(seen).toHaveLength(2);
    bus.forget(9);
    expect(bus.latest(9)).toBeUndefined();
  });
});
