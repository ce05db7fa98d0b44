/**
 * Where samples live. SQLite here (one WITHOUT ROWID table keyed by point and time); the interface is small so
 * that a PostgreSQL/Timescale backend can take its place.
 */
import type { FeatureMigrations, Store } from '../store/store';
import type { PointValue, Quality } from '../values/bus';

export const QUALITIES: Quality[] = ['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual'];
const QUALITY_CODE = new Map(QUALITIES.map((q, i) => [q, i]));
/** samples read per query of a scan */
const SCAN_PAGE = 8192;
/** samples deleted per purge step */
const PURGE_STEP = 5000;

const byKey = (a: PointValue, b: PointValue) => a.point_id - b.point_id || a.ts - b.ts;
function isKeyOrdered(xs: readonly PointValue[]): boolean {
  for (let i = 1; i < xs.length; i++) if (byKey(xs[i - 1], xs[i]) > 0) return false;
  return true;
}

export const historianMigrations: FeatureMigrations = {
  feature: 'historian',
  migrations: [
    {
      version: 1,
      name: 'samples and latest values',
      up: (db) =>
        db.exec(`CREATE TABLE samples (
            point_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            value REAL,
            text_value TEXT,
            quality INTEGER NOT NULL,
            PRIMARY KEY (point_id, ts)) WITHOUT ROWID;
          CREATE TABLE point_latest (
            point_id INTEGER PRIMARY KEY,
            ts INTEGER NOT NULL,
            value REAL,
            text_value TEXT,
            quality INTEGER NOT NULL);`),
    },
  ],
};

export interface Sample {
  ts: number;
  value: number | string | null;
  quality: Quality;
}

export interface SampleStorage {
  /** one transaction: the samples of trended points, and the latest values of points that are not trended */
  write(samples: readonly PointValue[], latest: readonly PointValue[]): void;
  /** the newer of the point's newest sample and its stored latest value */
  latest(pointId: number): PointValue | undefined;
  /** the first and last sample time in [from, to], or null when there is none */
  bounds(pointId: number, from: number, to: number): { first: number; last: number } | null;
  /** the samples in [from, to] in time order, read lazily (a year of 1 s samples never sits in memory at once) */
  scan(pointId: number, from: number, to: number): Iterable<Sample>;
  /** deletes samples older than `before` in small steps, yielding how many each step deleted (the caller may pause between steps) */
  purge(before: number): Iterable<number>;
  forget(pointId: number): void;
}

interface Row {
  ts: number;
  value: number | null;
  text_value: string | null;
  quality: number;
}

const toSample = (r: Row): Sample => ({ ts: r.ts, value: r.text_value ?? r.value, quality: QUALITIES[r.quality] ?? 'bad' });

export function sqliteStorage(store: Store): SampleStorage {
  const db = store.db;
  // one row per statement: a multi-row INSERT (250 rows) needs a statement journal, which spills to a temp file
  // beyond 64 KB and wrote 1.55x the bytes for about the same CPU (docs/historian.md)
  const insert = db.prepare('INSERT OR REPLACE INTO samples (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, ?, ?)');
  const upsert = db.prepare(
    'INSERT INTO point_latest (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, ?, ?) ON CONFLICT(point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, text_value = excluded.text_value, quality = excluded.quality WHERE excluded.ts >= point_latest.ts',
  );
  const args = (v: PointValue) => [v.point_id, v.ts, typeof v.value === 'number' ? v.value : null, typeof v.value === 'string' ? v.value : null, QUALITY_CODE.get(v.quality) ?? 1] as const;
  const insertAll = (samples: readonly PointValue[]) => {
    // in primary-key order (a stable sort, so of two samples with the same key the later still wins): the B-tree
    // is walked left to right and each leaf page is visited once per transaction
    const sorted = isKeyOrdered(samples) ? samples : [...samples].sort(byKey);
    for (const v of sorted) insert.run(v.point_id, v.ts, typeof v.value === 'number' ? v.value : null, typeof v.value === 'string' ? v.value : null, QUALITY_CODE.get(v.quality) ?? 1);
  };
  const write = db.transaction((samples: readonly PointValue[], latest: readonly PointValue[]) => {
    insertAll(samples);
    for (const v of latest) upsert.run(...args(v));
  });
  const getLatest = db.prepare(
    `SELECT ts, value, text_value, quality FROM (
       SELECT ts, value, text_value, quality FROM point_latest WHERE point_id = ?
       UNION ALL
       SELECT * FROM (SELECT ts, value, text_value, quality FROM samples WHERE point_id = ? ORDER BY ts DESC LIMIT 1))
     ORDER BY ts DESC LIMIT 1`,
  );
  const first = db.prepare('SELECT ts FROM samples WHERE point_id = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT 1').pluck();
  const last = db.prepare('SELECT ts FROM samples WHERE point_id = ? AND ts >= ? AND ts <= ? ORDER BY ts DESC LIMIT 1').pluck();
  // pages of raw rows: about twice as fast as row objects from an iterator, and memory bounded by the page
  const getPage = db.prepare(`SELECT ts, value, text_value, quality FROM samples WHERE point_id = ? AND ts >= ? AND ts <= ? ORDER BY ts LIMIT ${SCAN_PAGE}`).raw();
  // the next point id with samples: an index seek per point instead of a DISTINCT over the whole table
  const nextPoint = db.prepare('SELECT point_id FROM samples WHERE point_id > ? ORDER BY point_id LIMIT 1').pluck();
  // a step deletes the oldest PURGE_STEP samples of a point (the bound found by walking the key), the rest in a last step
  const purgeStep = db.prepare(
    `DELETE FROM samples WHERE point_id = ? AND ts < ? AND ts <= (SELECT ts FROM samples WHERE point_id = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ${PURGE_STEP - 1})`,
  );
  const purgeRest = db.prepare('DELETE FROM samples WHERE point_id = ? AND ts < ?');
  const forgetSamples = db.prepare('DELETE FROM samples WHERE point_id = ?');
  const forgetLatest = db.prepare('DELETE FROM point_latest WHERE point_id = ?');
  return {
    write: (samples, latest) => write(samples, latest),
    latest(pointId) {
      const r = getLatest.get(pointId, pointId) as Row | undefined;
      if (!r) return undefined;
      const s = toSample(r);
      return { point_id: pointId, value: s.value, quality: s.quality, ts: s.ts };
    },
    bounds(pointId, from, to) {
      const a = first.get(pointId, from, to) as number | undefined;
      if (a === undefined) return null;
      return { first: a, last: last.get(pointId, from, to) as number };
    },
    *scan(pointId, from, to) {
      let next = from;
      for (;;) {
        const page = getPage.all(pointId, next, to) as [number, number | null, string | null, number][];
        for (const [ts, value, text, quality] of page) yield { ts, value: text ?? value, quality: QUALITIES[quality] ?? 'bad' };
        if (page.length < SCAN_PAGE) return;
        next = page[page.length - 1][0] + 1;
      }
    },
    *purge(before) {
      // point by point and in steps, so every delete walks the primary key and no transaction grows large
      for (let id = nextPoint.get(-1) as number | undefined; id !== undefined; id = nextPoint.get(id) as number | undefined) {
        for (;;) {
          const n = purgeStep.run(id, before, id, before).changes;
          if (n > 0) {
            yield n;
            continue;
          }
          const rest = purgeRest.run(id, before).changes;
          if (rest > 0) yield rest;
          break;
        }
      }
    },
    forget(pointId) {
      db.transaction(() => {
        forgetSamples.run(pointId);
        forgetLatest.run(pointId);
      })();
    },
  };
}

/**
 * Min/max-preserving downsampling in one pass: the time range [first, last] is cut into maxPoints/4 equal buckets
 * and each bucket keeps its first, minimum, maximum and last sample (in time order, without repeats), so peaks
 * survive and the result holds at most maxPoints samples. Memory stays O(maxPoints) whatever the input size.
 */
export class Downsampler {
  private readonly bucketCount: number;
  private readonly width: number;
  private readonly t0: number;
  private readonly raw: Sample[] = [];
  private readonly out: Sample[] = [];
  private bucket = -1;
  private firstS: Sample | null = null;
  private minS: Sample | null = null;
  private maxS: Sample | null = null;
  private lastS: Sample | null = null;
  count = 0;

  constructor(
    first: number,
    last: number,
    private readonly maxPoints: number,
  ) {
    this.bucketCount = Math.max(1, Math.floor(maxPoints / 4));
    this.width = (last - first + 1) / this.bucketCount;
    this.t0 = first;
  }

  add(s: Sample): void {
    this.count++;
    if (this.count <= this.maxPoints) this.raw.push(s);
    const b = Math.min(this.bucketCount - 1, Math.floor((s.ts - this.t0) / this.width));
    if (b !== this.bucket) {
      this.close();
      this.bucket = b;
      this.firstS = s;
    }
    if (typeof s.value === 'number') {
      if (!this.minS || s.value < (this.minS.value as number)) this.minS = s;
      if (!this.maxS || s.value > (this.maxS.value as number)) this.maxS = s;
    }
    this.lastS = s;
  }

  private close(): void {
    if (!this.firstS) return;
    const picks = [...new Set([this.firstS, this.minS, this.maxS, this.lastS])].filter((x): x is Sample => x !== null);
    picks.sort((a, b) => a.ts - b.ts);
    this.out.push(...picks);
    this.firstS = this.minS = this.maxS = this.lastS = null;
  }

  /** the samples as they came when there are at most maxPoints of them, else the downsampled ones */
  result(): { samples: Sample[]; downsampled: boolean } {
    if (this.count <= this.maxPoints) return { samples: this.raw, downsampled: false };
    this.close();
    return { samples: this.out, downsampled: true };
  }
}

export function downsample(samples: readonly Sample[], maxPoints: number): Sample[] {
  if (samples.length === 0) return [];
  const d = new Downsampler(samples[0].ts, samples[samples.length - 1].ts, maxPoints);
  for (const s of samples) d.add(s);
  return d.result().samples;
}
