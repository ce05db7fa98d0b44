import { describe, expect, it } from 'vitest';
import { SegmentWalk, WALK_MAX_CLOSE, WALK_SLICE } from '../../src/core/historian/walk';

describe('pass over the open segments', () => {
  it('visits a slice per step, closes every due segment across steps and finds the oldest log row still needed', () => {
    const open = new Map<number, { t0: number; logId: number }>();
    const n = 3 * WALK_SLICE + 17;
    // every tenth point stopped sending (t0 0, due); the others hold log rows from 1000 + (p % 500) on
    for (let p = 1; p <= n; p++) open.set(p, p % 10 === 0 ? { t0: 0, logId: 5 } : { t0: 100, logId: 1000 + (p % 500) });
    const due = [...open].filter(([, s]) => s.t0 === 0).map(([p]) => p);
    const walk = new SegmentWalk(open);
    walk.start(5000);
    const closed: number[] = [];
    let steps = 0;
    let floor: number | null = null;
    while (floor === null) {
      floor = walk.step(50, (p) => {
        closed.push(p);
        open.delete(p);
      });
      steps++;
      if (steps === 2) {
        // changes between steps: a point deleted, a new one that needs a newer row (seen, as it is appended)
        open.delete(n);
        open.set(n + 1, { t0: 100, logId: 4000 });
        open.set(n + 2, { t0: 0, logId: 4000 });
      }
    }
    expect(steps).toBeGreaterThanOrEqual(Math.ceil(n / WALK_SLICE));
    expect(closed.sort((a, b) => a - b)).toEqual([...due.filter((p) => p !== n), n + 2].sort((a, b) => a - b));
    expect(floor).toBe(1001); // p % 500 === 0 only for points that stopped (p % 10 === 0)
    expect(walk.walking).toBe(false);
    expect([...open.values()].every((s) => s.t0 === 100)).toBe(true);
  });

  it('stores at most WALK_MAX_CLOSE segments per step, and a pass with nothing to do finds the next row', () => {
    const open = new Map<number, { t0: number; logId: number }>();
    for (let p = 1; p <= 3 * WALK_MAX_CLOSE; p++) open.set(p, { t0: 0, logId: 1 });
    const walk = new SegmentWalk(open);
    walk.start(10);
    let closed = 0;
    expect(walk.step(50, () => closed++)).toBeNull();
    expect(closed).toBe(WALK_MAX_CLOSE);
    const empty = new SegmentWalk(new Map());
    empty.start(42);
    expect(empty.step(50, () => undefined)).toBe(42);
  });
});
