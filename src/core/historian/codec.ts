/**
 * The byte format of stored samples (a segment of one point, or a log batch of many points).
 *
 * A sample is `[time delta][tag][value]`: the time as a zigzag varint of the difference to the previous sample
 * (to the segment's start for the first), a tag byte holding the quality index (low 3 bits) and how the value is
 * kept (bits 3-5), then the value: nothing (null, or the same value as the previous sample of the stream), a
 * zigzag varint (integers within +-2^51), 4 bytes (a number a float32 holds exactly), 8 bytes (any other number)
 * or a varint length and UTF-8 (text). A log batch puts the point id, as a zigzag varint of the difference to the
 * previous sample's, before each sample. One second apart, a sample is 3 to 11 bytes.
 */
import { QUALITY_LIST, type ValueBatch, ValueBatchBuilder } from '../values/batch';
import type { Quality } from '../values/bus';

export const QUALITIES: Quality[] = ['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual'];
export const QUALITY_CODE = new Map(QUALITIES.map((q, i) => [q, i]));
/** a value batch's quality index (values/batch.ts, 0-254, 255 for one outside the six) -> the stored code ('bad' for any other) */
const FROM_BATCH = Uint8Array.from({ length: 256 }, (_, i) => QUALITY_CODE.get(QUALITY_LIST[i]) ?? 1);

/** the stored quality code of a batch's value `i` (the two orders are each other's to keep, not assumed equal) */
export function storedQuality(values: ValueBatch, i: number): number {
  return FROM_BATCH[values.qualityCode(i)];
}

export interface Sample {
  ts: number;
  value: number | string | null;
  quality: Quality;
}

const KIND_NULL = 0;
const KIND_SAME = 1;
const KIND_INT = 2;
const KIND_F32 = 3;
const KIND_F64 = 4;
const KIND_TEXT = 5;
const INT_LIMIT = 2 ** 51;
/** no value compares equal to this: the first sample of a stream never reads "same as previous" */
const NONE = Symbol('none');

/** A growable byte buffer with the encoders above; `reset()` keeps its memory for the next use. */
export class ByteWriter {
  buf: Buffer;
  len = 0;

  constructor(capacity = 64) {
    // not from Buffer's shared 8 KB pool: one small live buffer there keeps its whole slab alive
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  reset(): void {
    this.len = 0;
  }

  /** the bytes written so far (a view, valid until the next write) */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafeSlow(Math.max(this.buf.length * 2, this.len + n));
    // set, not Buffer#copy: copy's first thousands of calls ran cold (26 ms for 10,000 at once)
    next.set(this.buf);
    this.buf = next;
  }

  varint(u: number): void {
    this.ensure(8);
    while (u >= 0x80) {
      this.buf[this.len++] = (u % 0x80) | 0x80;
      u = Math.floor(u / 0x80);
    }
    this.buf[this.len++] = u;
  }

  zigzag(n: number): void {
    this.varint(n >= 0 ? n * 2 : -n * 2 - 1);
  }

  /** one sample; `prevTs` and `prevValue` are the previous sample's of the same stream */
  sample(ts: number, value: number | string | null, quality: number, prevTs: number, prevValue: unknown): void {
    this.zigzag(ts - prevTs);
    this.ensure(9);
    if (value === null) {
      this.buf[this.len++] = quality | (KIND_NULL << 3);
    } else if (Object.is(value, prevValue)) {
      this.buf[this.len++] = quality | (KIND_SAME << 3);
    } else if (typeof value === 'number') {
      if (Number.isInteger(value) && Math.abs(value) < INT_LIMIT && !Object.is(value, -0)) {
        this.buf[this.len++] = quality | (KIND_INT << 3);
        this.zigzag(value);
      } else if (Math.fround(value) === value) {
        this.buf[this.len++] = quality | (KIND_F32 << 3);
        this.buf.writeFloatLE(value, this.len);
        this.len += 4;
      } else {
        this.buf[this.len++] = quality | (KIND_F64 << 3);
        this.buf.writeDoubleLE(value, this.len);
        this.len += 8;
      }
    } else {
      this.buf[this.len++] = quality | (KIND_TEXT << 3);
      const n = Buffer.byteLength(value);
      this.varint(n);
      this.ensure(n);
      this.buf.write(value, this.len, 'utf8');
      this.len += n;
    }
  }
}

/** Reads what ByteWriter wrote. */
class ByteReader {
  pos = 0;
  private readonly buf: Buffer;
  constructor(data: Uint8Array) {
    this.buf = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): number {
    let r = 0;
    let m = 1;
    let b: number;
    do {
      b = this.buf[this.pos++];
      r += (b & 0x7f) * m;
      m *= 0x80;
    } while (b & 0x80);
    return r;
  }

  zigzag(): number {
    const u = this.varint();
    return u % 2 ? -(u + 1) / 2 : u / 2;
  }

  /** the tag and value of a sample (after its time) */
  value(prev: number | string | null): [number | string | null, Quality] {
    const tag = this.buf[this.pos++];
    const quality = QUALITIES[tag & 7] ?? 'bad';
    const buf = this.buf;
    switch (tag >> 3) {
      case KIND_NULL:
        return [null, quality];
      case KIND_SAME:
        return [prev, quality];
      case KIND_INT:
        return [this.zigzag(), quality];
      case KIND_F32: {
        const v = buf.readFloatLE(this.pos);
        this.pos += 4;
        return [v, quality];
      }
      case KIND_F64: {
        const v = buf.readDoubleLE(this.pos);
        this.pos += 8;
        return [v, quality];
      }
      default: {
        const n = this.varint();
        const v = buf.toString('utf8', this.pos, this.pos + n);
        this.pos += n;
        return [v, quality];
      }
    }
  }
}

/** Appends samples of one point to a segment, remembering what the next sample is encoded against. */
export class SegmentWriter {
  readonly w: ByteWriter;
  n = 0;
  firstTs = 0;
  lastTs = 0;
  lastValue: number | string | null = null;
  lastQuality = 0;
  private prevValue: unknown = NONE;

  /** `capacity`: the buffer's first size in bytes (it grows as needed, and `restart` keeps it) */
  constructor(
    public t0: number,
    capacity = 64,
  ) {
    this.w = new ByteWriter(capacity);
  }

  /** starts over at another segment start, keeping the buffer */
  restart(t0: number): void {
    this.t0 = t0;
    this.w.reset();
    this.n = 0;
    this.prevValue = NONE;
  }

  add(ts: number, value: number | string | null, quality: number): void {
    this.w.sample(ts, value, quality, this.n ? this.lastTs : this.t0, this.prevValue);
    if (this.n === 0) this.firstTs = ts;
    this.n++;
    this.lastTs = ts;
    this.lastValue = value;
    this.lastQuality = quality;
    this.prevValue = value;
  }
}

/** the samples of a segment that starts at t0, in the order written (time order) */
export function decodeSegment(data: Uint8Array, t0: number): Sample[] {
  const r = new ByteReader(data);
  const out: Sample[] = [];
  let ts = t0;
  let value: number | string | null = null;
  while (!r.done) {
    ts += r.zigzag();
    let quality: Quality;
    [value, quality] = r.value(value);
    out.push({ ts, value, quality });
  }
  return out;
}

/** encodes samples of one point (in time order, distinct times) as a segment starting at t0 */
export function encodeSegment(samples: readonly Sample[], t0: number): SegmentWriter {
  const s = new SegmentWriter(t0);
  for (const x of samples) s.add(x.ts, x.value, QUALITY_CODE.get(x.quality) ?? 1);
  return s;
}

/** a batch of values of any points, in the order given (the write-ahead log) */
export function encodeBatch(w: ByteWriter, values: ValueBatch): void {
  w.reset();
  let point = 0;
  let ts = 0;
  for (let i = 0; i < values.length; i++) {
    const id = values.id(i);
    const t = values.ts(i);
    w.zigzag(id - point);
    w.sample(t, values.value(i), storedQuality(values, i), ts, NONE);
    point = id;
    ts = t;
  }
}

export function decodeBatch(data: Uint8Array): ValueBatch {
  const r = new ByteReader(data);
  const out = new ValueBatchBuilder();
  let point = 0;
  let ts = 0;
  while (!r.done) {
    point += r.zigzag();
    ts += r.zigzag();
    const [value, quality] = r.value(null);
    out.push(point, value, quality, ts);
  }
  return out.finish();
}
