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

  it('keeps ids of every kind apart: large, negative and fractional ids beside the store\'s small ones', () => {
    const l = new LatestValues();
    const ids = [1, 2, 1023, 1024, 70_000, 2 ** 20 - 1, 2 ** 20, 2 ** 40, -1, -(2 ** 20), 0, 1.5, 2 ** 53 - 1];
    ids.forEach((id, k) => l.set({ point_id: id, value: k, quality: 'good', ts: k }));
    expect(l.size).toBe(ids.length);
    ids.forEach((id, k) => expect(l.get(id)).toEqual({ point_id: id, value: k, quality: 'good', ts: k }));
    // neighbours of each id are not there
    for (const id of [3, 1022, 1025, 69_999, 2 ** 20 + 1, 2 ** 40 + 1, -2, 0.5, 2.5]) expect(l.has(id)).toBe(false);
    for (const id of [2 ** 20, -1, 1.5, 70_000]) l.delete(id);
    expect(l.size).toBe(ids.length - 4);
    expect(new Set(l.keys())).toEqual(new Set(ids.filter((id) => ![2 ** 20, -1, 1.5, 70_000].includes(id))));
    // a batch sets them the same way, and a deleted id comes back in a freed slot without disturbing the rest
    l.setAll(ValueBatch.of([{ point_id: 1.5, value: 9, quality: 'stale', ts: 99 }, { point_id: 2 ** 40, value: 8, quality: 'good', ts: 98 }]));
    expect(l.get(1.5)).toEqual({ point_id: 1.5, value: 9, quality: 'stale', ts: 99 });
    expect(l.get(2 ** 40)).toEqual({ point_id: 2 ** 40, value: 8, quality: 'good', ts: 98 });
    expect(l.get(2 ** 53 - 1)).toEqual({ point_id: 2 ** 53 - 1, value: ids.length - 1, quality: 'good', ts: ids.length - 1 });
    expect(l.size).toBe(ids.length - 3);
  });

  it('finds an id kept aside while few points were held after the table has grown past it', () => {
    const l = new LatestValues();
    l.set({ point_id: 5000, value: 1, quality: 'good', ts: 1 });
    for (let id = 1; id <= 4000; id++) l.set({ point_id: id, value: id, quality: 'good', ts: id });
    l.set({ point_id: 6000, value: 2, quality: 'good', ts: 2 });
    expect(l.get(5000)).toEqual({ point_id: 5000, value: 1, quality: 'good', ts: 1 });
    l.set({ point_id: 5000, value: 3, quality: 'bad', ts: 3 });
    expect(l.size).toBe(4002);
    expect(l.get(5000)).toEqual({ point_id: 5000, value: 3, quality: 'bad', ts: 3 });
    l.delete(5000);
    expect(l.has(5000)).toBe(false);
    expect(l.get(6000)?.value).toBe(2);
    expect([...l.keys()].length).toBe(4001);
  });

  it('clears to empty and takes new values in the same arrays', () => {
    const l = new LatestValues();
    for (const id of [3, 70_000, -4, 2.5, 2 ** 40]) l.set({ point_id: id, value: 'x', quality: 'manual', ts: id });
    for (let id = 1; id <= 3000; id++) l.set({ point_id: id, value: id, quality: 'good', ts: id });
    l.clear();
    expect(l.size).toBe(0);
    expect([...l.keys()]).toEqual([]);
    for (const id of [1, 3, 3000, 70_000, -4, 2.5, 2 ** 40]) expect(l.get(id)).toBeUndefined();
    l.set({ point_id: 3000, value: 1, quality: 'bad', ts: 9 });
    l.set({ point_id: 2.5, value: null, quality: 'stale', ts: 8 });
    expect(l.size).toBe(2);
    expect(l.get(3000)).toEqual({ point_id: 3000, value: 1, quality: 'bad', ts: 9 });
    expect(l.get(2.5)).toEqual({ point_id: 2.5, value: null, quality: 'stale', ts: 8 });
    expect(l.get(3)).toBeUndefined();
    expect([...l.keys()].sort((a, b) => a - b)).toEqual([2.5, 3000]);
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
