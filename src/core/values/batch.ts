/**
 * A batch of point values, packed: point ids, values, times and qualities in typed arrays instead of an object per
 * value. At 10,000 points a second the object-per-value form made ~10,000 objects a second (and the drivers' per-scan
 * Map and reading objects as many again) that lived for a scan or until the historian's next write: long enough to
 * survive young-generation collections, so V8 grew the young generation to its maximum and promoted them to the old
 * one. A packed batch is a handful of objects whatever its length (the arrays' contents live outside the JS heap).
 *
 * Listeners read it by index (`id(i)`, `value(i)`, `quality(i)`, `ts(i)`; `num(i)` for a number without a check);
 * `at(i)` builds a PointValue for the few places that keep one. A batch is never changed after it is built.
 */
import type { Quality } from '../../shared/live';

export interface PointValue {
  point_id: number;
  value: number | string | null;
  quality: Quality;
  /** source timestamp, epoch milliseconds */
  ts: number;
}

export const QUALITY_LIST: readonly Quality[] = ['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual'];
export const QUALITY_INDEX: ReadonlyMap<string, number> = new Map(QUALITY_LIST.map((q, i) => [q, i]));
/** a quality outside the six (never from the product's own code): kept as given in a side map */
const ODD = 255;

/** a longer copy of a typed array (the rest zeros) */
export function grown<T extends Float64Array | Uint8Array>(a: T, length: number): T {
  const b = (a instanceof Float64Array ? new Float64Array(length) : new Uint8Array(length)) as T;
  b.set(a);
  return b;
}

const NO_F64 = new Float64Array(0);
const NO_U8 = new Uint8Array(0);

/** kind of a value */
export const NUMBER = 0;
export const NULL = 1;
export const TEXT = 2;

export class ValueBatch {
  static readonly EMPTY = new ValueBatch(0, new Float64Array(0), new Float64Array(0), new Float64Array(0), new Uint8Array(0), new Uint8Array(0), null, null);

  constructor(
    readonly length: number,
    private readonly ids: Float64Array,
    private readonly nums: Float64Array,
    private readonly times: Float64Array,
    private readonly quals: Uint8Array,
    private readonly kinds: Uint8Array,
    /** index -> text value (few points have one) */
    private readonly texts: ReadonlyMap<number, string> | null,
    /** index -> a quality outside the six */
    private readonly odd: ReadonlyMap<number, Quality> | null,
  ) {}

  /** a batch of the values given (publishers outside acquisition, tests) */
  static of(values: Iterable<PointValue>): ValueBatch {
    const b = new ValueBatchBuilder();
    for (const v of values) b.push(v.point_id, v.value, v.quality, v.ts);
    return b.finish();
  }

  /** one batch of several, in order */
  static concat(batches: readonly ValueBatch[]): ValueBatch {
    if (batches.length === 1) return batches[0];
    const b = new ValueBatchBuilder(batches.reduce((n, x) => n + x.length, 0));
    for (const x of batches) b.append(x, 0, x.length);
    return b.finish();
  }

  id(i: number): number {
    return this.ids[i];
  }

  ts(i: number): number {
    return this.times[i];
  }

  quality(i: number): Quality {
    const q = this.quals[i];
    return q === ODD ? this.odd!.get(i)! : QUALITY_LIST[q];
  }

  /** the quality as an index into QUALITY_LIST (ODD, 255, for one outside the six) */
  qualityCode(i: number): number {
    return this.quals[i];
  }

  kind(i: number): number {
    return this.kinds[i];
  }

  isNumber(i: number): boolean {
    return this.kinds[i] === NUMBER;
  }

  /** the value as a number (meaningful when isNumber(i)) */
  num(i: number): number {
    return this.nums[i];
  }

  value(i: number): number | string | null {
    const k = this.kinds[i];
    return k === NUMBER ? this.nums[i] : k === TEXT ? this.texts!.get(i)! : null;
  }

  /** the value at `i` as an object (a new one each call) */
  at(i: number): PointValue {
    return { point_id: this.ids[i], value: this.value(i), quality: this.quality(i), ts: this.times[i] };
  }

  /** every value as an object (tests, rare paths) */
  toArray(): PointValue[] {
    const out: PointValue[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.at(i));
    return out;
  }

  /** the values [start, end) (shares the arrays) */
  slice(start: number, end = this.length): ValueBatch {
    start = Math.max(0, Math.min(start, this.length));
    end = Math.max(start, Math.min(end, this.length));
    if (start === 0 && end === this.length) return this;
    if (this.texts || this.odd) {
      const b = new ValueBatchBuilder(end - start);
      b.append(this, start, end);
      return b.finish();
    }
    const sub = <T extends Float64Array | Uint8Array>(a: T) => a.subarray(start, end) as T;
    return new ValueBatch(end - start, sub(this.ids), sub(this.nums), sub(this.times), sub(this.quals), sub(this.kinds), null, null);
  }
}

/** Builds a batch value by value; `finish()` hands it over and starts a new one. */
export class ValueBatchBuilder {
  private n = 0;

  private capacity = 0;
  private ids = NO_F64;
  private nums = NO_F64;
  private times = NO_F64;
  private quals = NO_U8;
  private kinds = NO_U8;
  private texts: Map<number, string> | null = null;
  private odd: Map<number, Quality> | null = null;

  /** `size`: the length expected (the arrays are made at the first value, and again after each finish) */
  constructor(private size = 64) {}

  get length(): number {
    return this.n;
  }

  push(id: number, value: number | string | null, quality: Quality, ts: number): void {
    const i = this.n;
    if (i === this.capacity) this.grow();
    this.n++;
    this.ids[i] = id;
    this.times[i] = ts;
    if (typeof value === 'number') {
      this.nums[i] = value;
      this.kinds[i] = NUMBER;
    } else if (typeof value === 'string') {
      (this.texts ??= new Map()).set(i, value);
      this.kinds[i] = TEXT;
    } else this.kinds[i] = NULL;
    const q = QUALITY_INDEX.get(quality);
    if (q !== undefined) this.quals[i] = q;
    else {
      this.quals[i] = ODD;
      (this.odd ??= new Map()).set(i, quality);
    }
  }

  /** a number with a quality index (QUALITY_INDEX): the hot path of a scan, no lookups */
  pushNumber(id: number, value: number, qualityCode: number, ts: number): void {
    const i = this.n;
    if (i === this.capacity) this.grow();
    this.n++;
    this.ids[i] = id;
    this.times[i] = ts;
    this.nums[i] = value;
    this.kinds[i] = NUMBER;
    this.quals[i] = qualityCode;
  }

  /** values [start, end) of another batch */
  append(b: ValueBatch, start: number, end: number): void {
    for (let i = start; i < end; i++) {
      if (b.isNumber(i) && b.qualityCode(i) !== ODD) this.pushNumber(b.id(i), b.num(i), b.qualityCode(i), b.ts(i));
      else this.push(b.id(i), b.value(i), b.quality(i), b.ts(i));
    }
  }

  /** the batch built so far; the builder starts empty again */
  finish(): ValueBatch {
    if (this.n === 0) return ValueBatch.EMPTY;
    const n = this.n;
    const sub = <T extends Float64Array | Uint8Array>(a: T) => (n === a.length ? a : (a.subarray(0, n) as T));
    const batch = new ValueBatch(n, sub(this.ids), sub(this.nums), sub(this.times), sub(this.quals), sub(this.kinds), this.texts, this.odd);
    // the next batch is likely as long as this one
    this.size = Math.max(this.size, n);
    this.n = this.capacity = 0;
    this.texts = this.odd = null;
    this.ids = this.nums = this.times = NO_F64;
    this.quals = this.kinds = NO_U8;
    return batch;
  }

  private grow(): void {
    const capacity = Math.max(this.size, this.capacity * 2, 1);
    this.ids = grown(this.ids, capacity);
    this.nums = grown(this.nums, capacity);
    this.times = grown(this.times, capacity);
    this.quals = grown(this.quals, capacity);
    this.kinds = grown(this.kinds, capacity);
    this.capacity = capacity;
  }
}
