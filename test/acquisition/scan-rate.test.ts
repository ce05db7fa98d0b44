/**
 * Scans keep their rate when timers fire late: the next scan is due one interval after the last one was due, not
 * after it started. (The acquisition bench showed the old rule losing ~10 % of the scans at 1 s on a loaded machine:
 * every late timer pushed all later scans back.) Pure schedule arithmetic: no timers, no tick counts.
 */
import { describe, expect, it } from 'vitest';
import { nextScan } from '../../src/core/acquisition/engine';

describe('scan schedule at a fixed rate', () => {
  it('schedules the next scan one interval after this one was due', () => {
    // due at 1,000 ms, finished at 1,300 ms: next at 2,000 ms
    expect(nextScan(1000, 1300, 1000)).toEqual({ delay: 700, due: 2000 });
  });

  it('does not let a late timer push the later scans back', () => {
    // every timer fires 150 ms late and every scan takes 400 ms: ten scans still take ten intervals
    let due = 0;
    const starts: number[] = [];
    for (let k = 0; k < 10; k++) {
      const start = due + 150;
      starts.push(start);
      const next = nextScan(due, start + 400, 1000);
      expect(next.due).not.toBeNull();
      due = next.due!;
    }
    expect(starts).toEqual([150, 1150, 2150, 3150, 4150, 5150, 6150, 7150, 8150, 9150]);
    expect(due).toBe(10_000);
  });

  it('follows an overrun at once, without catch-up scans', () => {
    // due at 1,000 ms and finished at 3,500 ms (slots 2,000 and 3,000 missed): next now, rate restarting there
    expect(nextScan(1000, 3500, 1000)).toEqual({ delay: 0, due: null });
    // finishing exactly at the next slot also starts at once
    expect(nextScan(1000, 2000, 1000)).toEqual({ delay: 0, due: null });
  });
});
