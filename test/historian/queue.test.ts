import { describe, expect, it } from 'vitest';
import { SampleQueue } from '../../src/core/historian/queue';
import { type PointValue, ValueBatch } from '../../src/core/values/batch';

const pv = (i: number): PointValue => ({ point_id: (i % 7) + 1, value: i, quality: 'good', ts: i });

describe('historian sample queue', () => {
  it('hands out the oldest values in order across appends, partial takes and compactions', () => {
    const q = new SampleQueue();
    let next = 0;
    let expected = 0;
    // appends of 10,000 and takes of 7,000: the backlog grows past the compaction bound several times
    for (let round = 0; round < 60; round++) {
      q.push(ValueBatch.of(Array.from({ length: 10_000 }, () => pv(next++))));
      const got = q.peek(7_000).toArray();
      expect(got).toHaveLength(7_000);
      expect(got[0].value).toBe(expected);
      expect(got[6_999].value).toBe(expected + 6_999);
      q.consume(got.length);
      expected += 7_000;
      expect(q.length).toBe(next - expected);
    }
    const rest = q.peek(Infinity).toArray();
    expect(rest).toHaveLength(next - expected);
    expect(rest.every((v, i) => v.value === expected + i)).toBe(true);
    q.consume(rest.length);
    expect(q.length).toBe(0);
    expect(q.peek(10).length).toBe(0);
  });

  it('drops the oldest, and filters out a point, keeping the order of the rest', () => {
    const q = new SampleQueue();
    q.push(ValueBatch.of(Array.from({ length: 100 }, (_, i) => pv(i))));
    q.consume(30);
    q.filter((id) => id !== 3);
    const want = Array.from({ length: 70 }, (_, i) => i + 30).filter((i) => (i % 7) + 1 !== 3);
    expect(q.peek(Infinity).toArray().map((v) => v.value)).toEqual(want);
    q.consume(5);
    expect(q.peek(2).toArray().map((v) => v.value)).toEqual(want.slice(5, 7));
  });
});
