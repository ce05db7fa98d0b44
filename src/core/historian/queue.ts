/**
 * The historian's write-behind queue of samples: the value bus's packed batches (values/batch.ts) as they came,
 * consumed from the front one transaction at a time. Holding a PointValue object per sample until the next write
 * kept ~10,000 objects a second alive through young-generation collections (promoted, then garbage in the old
 * generation); a batch is a few objects whatever its length. Taking from the front drops whole batches and slices
 * the first one (a view, no copy), so a transaction costs what it takes, never the whole backlog (copying the
 * backlog after every transaction held the event loop for hundreds of milliseconds at 50,000 values a second).
 */
import { ValueBatch, ValueBatchBuilder } from '../values/batch';

export class SampleQueue {
  private batches: ValueBatch[] = [];
  /** where the first batch's values not yet consumed start */
  private head = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(batch: ValueBatch): void {
    if (!batch.length) return;
    this.batches.push(batch);
    this.size += batch.length;
  }

  /**
   * the oldest `limit` values (all of them for Infinity) as one batch, still queued until `consume`: a view of the
   * first batch's arrays when it holds them all, else a copy of the packed values (no object per value)
   */
  peek(limit: number): ValueBatch {
    const want = Math.min(limit, this.size);
    if (!want) return ValueBatch.EMPTY;
    const first = this.batches[0];
    if (first.length - this.head >= want) return first.slice(this.head, this.head + want);
    const out = new ValueBatchBuilder(want);
    let start = this.head;
    for (const b of this.batches) {
      const end = Math.min(b.length, start + want - out.length);
      out.append(b, start, end);
      if (out.length >= want) break;
      start = 0;
    }
    return out.finish();
  }

  /** removes the oldest `n` values */
  consume(n: number): void {
    n = Math.min(n, this.size);
    this.size -= n;
    let gone = 0;
    while (n > 0) {
      const left = this.batches[gone].length - this.head;
      if (left > n) {
        this.head += n;
        break;
      }
      n -= left;
      gone++;
      this.head = 0;
    }
    // a few dozen batches at most in a backlog of seconds: splicing them off is cheap
    if (gone) this.batches.splice(0, gone);
  }

  /** keeps only the values of points that pass (a deleted point's go) */
  filter(keep: (pointId: number) => boolean): void {
    const kept = new ValueBatchBuilder(this.size);
    let start = this.head;
    for (const b of this.batches) {
      for (let i = start; i < b.length; i++) if (keep(b.id(i))) kept.append(b, i, i + 1);
      start = 0;
    }
    this.batches = [];
    this.head = this.size = 0;
    this.push(kept.finish());
  }
}
