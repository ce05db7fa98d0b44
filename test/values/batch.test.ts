import { describe, expect, it } from 'vitest';
import { type PointValue, ValueBatch, ValueBatchBuilder } from '../../src/core/values/batch';
import { LatestValues } from '../../src/core/values/latest';
import type { Quality } from '../../src/shared/live';

// every kind of value and quality: numbers (-0, NaN, huge), text, null, an id beyond 32 bits, a quality outside the six
const qualities: Quality[] = ['good', 'manual', 'comm_fail', 'out_of_range', 'stale', 'bad', 'odd' as Quality];
const values: PointValue['value'][] = [42.25, 'OPEN', null, -0, 1e300, Number.NaN, 3];
const given: PointValue[] = values.map((value, i) => ({ point_id: i === 5 ? 2 ** 40 : i + 1, value, quality: qualities[i], ts: [1_700_000_000_123, 1, -5, 0, 8.64e15, 2, 3][i] }));

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
