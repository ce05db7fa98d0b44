/**
 * The historian's periodic pass over its open segments (one per point that sends: 50,000 at 50,000 values a
 * second), which stores the segments of points that stopped sending and finds the oldest log row a segment in
 * memory still needs. One pass over 50,000 entries inside one transaction held the event loop for milliseconds
 * every second; it is walked in slices instead, a slice per write transaction, so the loop gets a turn between
 * them. The walk survives changes to the map (a Map iterator visits entries added after it started and skips deleted
 * ones); the floor it finds is only ever too low (a segment visited early may have moved on to a newer log row since),
 * never too high, so no log row a segment needs is deleted.
 */

/** what the walk needs of an open segment */
export interface WalkedSegment {
  t0: number;
  logId: number;
}

/** segments visited per slice */
export const WALK_SLICE = 5000;
/** segments stored per slice at most (each is an insert), so no transaction grows long */
export const WALK_MAX_CLOSE = 500;

export class SegmentWalk<S extends WalkedSegment> {
  private keys: Iterator<number> | null = null;
  private floor = 0;

  constructor(
    private readonly open: Map<number, S>,
    private readonly slice = WALK_SLICE,
    private readonly maxClose = WALK_MAX_CLOSE,
  ) {}

  get walking(): boolean {
    return this.keys !== null;
  }

  /** starts a pass; `nextLogId` is the floor when no segment needs an older row */
  start(nextLogId: number): void {
    this.keys = this.open.keys();
    this.floor = nextLogId;
  }

  /** forgets the pass under way (the segments were rebuilt) */
  reset(): void {
    this.keys = null;
  }

  /**
   * Visits the next slice: segments that started before `stale` are handed to `close` (which stores them and removes
   * them from the map); returns the oldest log row still needed when the pass is complete, null before.
   */
  step(stale: number, close: (pointId: number, s: S) => void): number | null {
    if (!this.keys) return null;
    let closed = 0;
    for (let visited = 0; visited < this.slice && closed < this.maxClose; visited++) {
      const next = this.keys.next();
      if (next.done) {
        this.keys = null;
        return this.floor;
      }
      const s = this.open.get(next.value);
      if (!s) continue;
      if (s.t0 < stale) {
        close(next.value, s);
        closed++;
      } else if (s.logId < this.floor) this.floor = s.logId;
    }
    return null;
  }
}
