/**
 * The historian's write-behind queue of samples: appended by the value bus listener, consumed from the front one
 * transaction at a time. Taking from the front moves an index instead of copying what is left (copying it after
 * every transaction made each one cost as much as the whole backlog, and the next append copy it again to grow: at
 * 50,000 values a second a backlog of a few seconds held the event loop for hundreds of milliseconds); the consumed
 * front is cut off once it is the larger half, so the work per value stays constant.
 */
import type { PointValue } from '../values/bus';

/** the consumed front is cut off beyond this many values (and once it is at least half of the array) */
const COMPACT_AT = 65_536;

export class SampleQueue {
  private items: PointValue[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(v: PointValue): void {
    this.items.push(v);
  }

  /** the oldest `limit` values (all of them for Infinity), still queued until `consume` */
  peek(limit: number): PointValue[] {
    if (this.head === 0 && limit >= this.items.length) return this.items;
    return this.items.slice(this.head, Math.min(this.items.length, this.head + limit));
  }

  /** removes the oldest `n` values */
  consume(n: number): void {
    this.head += Math.min(n, this.length);
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AT && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** keeps only the values that pass (a deleted point's go) */
  filter(keep: (v: PointValue) => boolean): void {
    this.items = this.items.slice(this.head).filter(keep);
    this.head = 0;
  }
}
