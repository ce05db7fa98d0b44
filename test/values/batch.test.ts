import { describe, expect, it } from 'vitest';
import { type PointValue, ValueBatch, ValueBatchBuilder } from '../../src/core/values/batch';
import { LatestValues } from '../../src/core/values/latest';
import type { Quality } from '../../src/shared/live';

const given: PointValue[] = [
  { point_id: 1, value: 42.25, quality: 'good', ts: 1_700_000_000_123 },
  { point_id: 2, value: 'OPEN', quality: 'manual', ts: 1 },
  { point_id: 3, value: null, quality: 'comm_fail', ts: -5 },
  { point_id: 4, value: -0, quality: 'out_of_range', ts: 0 },
  { point_id: 5, value: 1e300, quality: 'stale', ts: 8.64e15 },
  { point_id: 2 ** 40, value: Number.NaN, quality: 'bad', ts: 2 },
  { point_id: 7, value: 3, quality: 'odd' as Quality, ts: 3 },
];

describe('packed value batch', () => {
  it('gives back every value kind and quality as it was put in, by index and as objects', () => {
    const b = ValueBatch.of(given);
    expect(b.length).toBe(given.length);
    expect(b.toArray()).toEqual(given);
    given.forEach((v, i) => {
      expect(b.id(i)).toBe(v.point_id);
      expect(b.value(i)).toEqual(v.value);
      expect(b.quality(i)).toBe(v.quality);
      expect(b.ts(i)).toBe(v.ts);
      expect(b.isNumber(i)).toBe(typeof v.value === 'number');
    });
    expect(Object.is(b.value(3), -0)).toBe(true);
    expect(b.num(0)).toBe(42.25);
  });

  it('grows past the length it was sized for and starts empty after finish', () => {
    const builder = new ValueBatchBuilder(2);
    for (let i = 0; i < 5000; i++) builder.push(i, i % 3 ? i * 0.5 : `t${i}`, i % 2 ? 'good' : 'bad', i * 1000);
    const b = builder.finish();
    expect(b.length).toBe(5000);
    for (let i = 0; i < 5000; i++) expect(b.at(i)).toEqual({ point_id: i, value: i % 3 ? i * 0.5 : `t${i}`, quality: i % 2 ? 'good' : 'bad', ts: i * 1000 });
    expect(builder.length).toBe(0);
    expect(builder.finish()).toBe(ValueBatch.EMPTY);
    builder.pushNumber(9, 1.5, 0, 10);
    const next = builder.finish();
    expect(next.toArray()).toEqual([{ point_id: 9, value: 1.5, quality: 'good', ts: 10 }]);
    // the first batch is not changed by the builder's next one
    expect(b.at(0)).toEqual({ point_id: 0, value: 't0', quality: 'bad', ts: 0 });
  });

  it('slices and concatenates in order, texts and odd qualities included', () => {
    const b = ValueBatch.of(given);
    expect(b.slice(0)).toBe(b);
    expect(b.slice(1, 4).toArray()).toEqual(given.slice(1, 4));
    expect(b.slice(5).toArray()).toEqual(given.slice(5));
    expect(b.slice(9).length).toBe(0);
    const numbers = ValueBatch.of(given.filter((v) => typeof v.value === 'number' && v.quality !== ('odd' as Quality)));
    expect(numbers.slice(1, 3).toArray()).toEqual(numbers.toArray().slice(1, 3));
    expect(ValueBatch.concat([b.slice(0, 2), numbers, b.slice(2)]).toArray()).toEqual([...given.slice(0, 2), ...numbers.toArray(), ...given.slice(2)]);
  });

  it('is what the latest values take, value by value', () => {
    const l = new LatestValues();
    l.set({ point_id: 2, value: 'CLOSED', quality: 'good', ts: 0 });
    l.setAll(ValueBatch.of(given));
    for (const v of given) expect(l.get(v.point_id)).toEqual(v);
    // a text value replaced by a number from a batch leaves no text behind
    l.setAll(ValueBatch.of([{ point_id: 2, value: 5, quality: 'good', ts: 9 }]));
    expect(l.get(2)).toEqual({ point_id: 2, value: 5, quality: 'good', ts: 9 });
  });
});
