/**
 * The newest value of every point, packed: a slot per point in typed arrays (value, time, quality) instead of the
 * PointValue object each scan makes. Holding those objects for a whole scan interval kept 10,000 of them alive
 * across young-generation collections, so V8 promoted (and then pretenured) every value of every scan into the
 * old generation: ~1.6 MB/s of old-space garbage at 10,000 points a second, ~100 MB of heap between two full
 * collections. With the values packed here, a scan's objects die young. `get` builds a PointValue on demand.
 */
import type { PointValue, Quality } from './bus';

const QUALITY_LIST: readonly Quality[] = ['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual'];
const QUALITY_INDEX = new Map<string, number>(QUALITY_LIST.map((q, i) => [q, i]));
/** kind of a slot's value */
const NUMBER = 0;
const NULL = 1;
const TEXT = 2;

export class LatestValues {
  /** point id -> slot */
  private readonly slots = new Map<number, number>();
  private readonly freeSlots: number[] = [];
  private used = 0;
  private num = new Float64Array(256);
  private time = new Float64Array(256);
  private quality = new Uint8Array(256);
  private kind = new Uint8Array(256);
  /** the text values (few points have one) */
  private readonly texts = new Map<number, string>();
  /** a quality outside the six (never from the product's own code; kept as given) */
  private readonly odd = new Map<number, Quality>();

  get size(): number {
    return this.slots.size;
  }

  set(v: PointValue): void {
    let s = this.slots.get(v.point_id);
    if (s === undefined) {
      s = this.freeSlots.pop() ?? this.used++;
      if (s >= this.num.length) this.grow();
      this.slots.set(v.point_id, s);
    }
    const value = v.value;
    if (typeof value === 'number') {
      this.num[s] = value;
      this.kind[s] = NUMBER;
    } else if (typeof value === 'string') {
      this.texts.set(s, value);
      this.kind[s] = TEXT;
    } else this.kind[s] = NULL;
    if (this.kind[s] !== TEXT) this.texts.delete(s);
    this.time[s] = v.ts;
    const q = QUALITY_INDEX.get(v.quality);
    if (q === undefined) this.odd.set(s, v.quality);
    else {
      this.quality[s] = q;
      if (this.odd.size) this.odd.delete(s);
    }
  }

  /** the newest value, as a new object (callers may keep it) */
  get(pointId: number): PointValue | undefined {
    const s = this.slots.get(pointId);
    if (s === undefined) return undefined;
    const k = this.kind[s];
    return { point_id: pointId, value: k === NUMBER ? this.num[s] : k === TEXT ? this.texts.get(s)! : null, quality: this.qualityAt(s), ts: this.time[s] };
  }

  /** the newest value's quality, without building the value */
  qualityOf(pointId: number): Quality | undefined {
    const s = this.slots.get(pointId);
    return s === undefined ? undefined : this.qualityAt(s);
  }

  has(pointId: number): boolean {
    return this.slots.has(pointId);
  }

  delete(pointId: number): void {
    const s = this.slots.get(pointId);
    if (s === undefined) return;
    this.slots.delete(pointId);
    this.texts.delete(s);
    this.odd.delete(s);
    this.freeSlots.push(s);
  }

  keys(): IterableIterator<number> {
    return this.slots.keys();
  }

  private qualityAt(s: number): Quality {
    return (this.odd.size && this.odd.get(s)) || QUALITY_LIST[this.quality[s]];
  }

  private grow(): void {
    const n = this.num.length * 2;
    const f64 = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const u8 = (a: Uint8Array) => {
      const b = new Uint8Array(n);
      b.set(a);
      return b;
    };
    this.num = f64(this.num);
    this.time = f64(this.time);
    this.quality = u8(this.quality);
    this.kind = u8(this.kind);
  }
}
