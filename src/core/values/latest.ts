/**
 * The newest value of every point, packed: a slot per point in typed arrays (value, time, quality) instead of the
 * PointValue object each scan makes. Holding those objects for a whole scan interval kept 10,000 of them alive
 * across young-generation collections, so V8 promoted (and then pretenured) every value of every scan into the
 * old generation: ~1.6 MB/s of old-space garbage at 10,000 points a second, ~100 MB of heap between two full
 * collections. With the values packed here, a scan's objects die young. `get` builds a PointValue on demand.
 */
import { grown, NULL, NUMBER, QUALITY_INDEX, QUALITY_LIST, TEXT, type PointValue, type ValueBatch } from './batch';
import type { Quality } from '../../shared/live';

/**
 * Point ids find their slot in a typed array indexed by id (ids are the store's row ids: small and dense), up to
 * DENSE_IDS and to DENSE_SPREAD times the ids held (so a few large ids never make a large table); other ids in a
 * Map. Adding 10,000 new keys to a Map took 4-7 ms warm and 15-18 ms cold: the first scan after start, in one turn.
 */
const DENSE_IDS = 1 << 20;
const DENSE_SPREAD = 16;

export class LatestValues {
  /** point id -> slot + 1 (0: none), for ids in [0, DENSE_IDS) */
  private dense = new Int32Array(0);
  /** point id -> slot, for the other ids */
  private readonly sparse = new Map<number, number>();
  /** slot -> point id (NaN: free) */
  private ids = new Float64Array(256);
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
    return this.used - this.freeSlots.length;
  }

  /** the point's slot, or -1 */
  private find(pointId: number): number {
    if (pointId >= 0 && pointId < this.dense.length && this.dense[pointId] > 0) return this.dense[pointId] - 1;
    // (an id may be in the Map though the table has since grown past it)
    const s = this.sparse.size ? this.sparse.get(pointId) : undefined;
    return s === undefined ? -1 : s;
  }

  set(v: PointValue): void {
    this.store(v.point_id, v.value, v.quality, v.ts);
  }

  /** the value at `i` of a batch */
  setAt(b: ValueBatch, i: number): void {
    if (!b.isNumber(i) || b.qualityCode(i) >= QUALITY_LIST.length) {
      this.store(b.id(i), b.value(i), b.quality(i), b.ts(i));
      return;
    }
    const s = this.slot(b.id(i));
    this.num[s] = b.num(i);
    if (this.kind[s] === TEXT) this.texts.delete(s);
    this.kind[s] = NUMBER;
    this.time[s] = b.ts(i);
    this.quality[s] = b.qualityCode(i);
    if (this.odd.size) this.odd.delete(s);
  }

  /** every value of a batch */
  setAll(b: ValueBatch): void {
    for (let i = 0; i < b.length; i++) this.setAt(b, i);
  }

  /** the point's slot, made when it has none */
  private slot(pointId: number): number {
    const found = this.find(pointId);
    if (found >= 0) return found;
    const s = this.freeSlots.pop() ?? this.used++;
    if (s >= this.num.length) this.grow();
    this.ids[s] = pointId;
    if (pointId >= 0 && Number.isInteger(pointId) && (pointId < this.dense.length || pointId < Math.min(DENSE_IDS, 1024 + DENSE_SPREAD * this.size))) {
      if (pointId >= this.dense.length) {
        const d = new Int32Array(Math.min(DENSE_IDS, Math.max(1024, this.dense.length * 2, 2 ** Math.ceil(Math.log2(pointId + 1)))));
        d.set(this.dense);
        this.dense = d;
      }
      this.dense[pointId] = s + 1;
    } else this.sparse.set(pointId, s);
    return s;
  }

  private store(pointId: number, value: number | string | null, quality: Quality, ts: number): void {
    const s = this.slot(pointId);
    if (typeof value === 'number') {
      this.num[s] = value;
      this.kind[s] = NUMBER;
    } else if (typeof value === 'string') {
      this.texts.set(s, value);
      this.kind[s] = TEXT;
    } else this.kind[s] = NULL;
    if (this.kind[s] !== TEXT) this.texts.delete(s);
    this.time[s] = ts;
    const q = QUALITY_INDEX.get(quality);
    if (q === undefined) this.odd.set(s, quality);
    else {
      this.quality[s] = q;
      if (this.odd.size) this.odd.delete(s);
    }
  }

  /** the newest value, as a new object (callers may keep it) */
  get(pointId: number): PointValue | undefined {
    const s = this.find(pointId);
    if (s < 0) return undefined;
    const k = this.kind[s];
    return { point_id: pointId, value: k === NUMBER ? this.num[s] : k === TEXT ? this.texts.get(s)! : null, quality: this.qualityAt(s), ts: this.time[s] };
  }

  /** the newest value's quality, without building the value */
  qualityOf(pointId: number): Quality | undefined {
    const s = this.find(pointId);
    return s < 0 ? undefined : this.qualityAt(s);
  }

  has(pointId: number): boolean {
    return this.find(pointId) >= 0;
  }

  delete(pointId: number): void {
    const s = this.find(pointId);
    if (s < 0) return;
    if (pointId >= 0 && pointId < this.dense.length && this.dense[pointId] > 0) this.dense[pointId] = 0;
    else this.sparse.delete(pointId);
    this.ids[s] = NaN;
    this.texts.delete(s);
    this.odd.delete(s);
    this.freeSlots.push(s);
  }

  /** forgets every value, keeping the arrays for the next ones */
  clear(): void {
    for (let s = 0; s < this.used; s++) {
      const id = this.ids[s];
      if (id >= 0 && id < this.dense.length) this.dense[id] = 0;
      this.ids[s] = NaN;
    }
    this.sparse.clear();
    this.texts.clear();
    this.odd.clear();
    this.freeSlots.length = 0;
    this.used = 0;
  }

  /** the point ids held (in slot order) */
  *keys(): IterableIterator<number> {
    for (let s = 0; s < this.used; s++) if (!Number.isNaN(this.ids[s])) yield this.ids[s];
  }

  private qualityAt(s: number): Quality {
    return (this.odd.size && this.odd.get(s)) || QUALITY_LIST[this.quality[s]];
  }

  private grow(): void {
    const n = this.num.length * 2;
    this.num = grown(this.num, n);
    this.time = grown(this.time, n);
    this.quality = grown(this.quality, n);
    this.kind = grown(this.kind, n);
    this.ids = grown(this.ids, n);
  }
}
