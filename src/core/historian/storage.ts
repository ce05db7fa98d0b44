/**
 * Where samples live. SQLite here (one WITHOUT ROWID table keyed by point and time); the interface is small so
 * that a PostgreSQL/Timescale backend can take its place.
 */
import type { FeatureMigrations, Store } from '../store/store';
import type { PointValue, Quality } from '../values/bus';

export const QUALITIES: Quality[] = ['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual'];
const QUALITY_CODE = new Map(QUALITIES.map((q, i) => [q, i]));

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
  /** one transaction: the samples of trended points, and the latest value of every point in the batch */
  write(samples: readonly PointValue[], latest: readonly PointValue[]): void;
  latest(pointId: number): PointValue | undefined;
  range(pointId: number, from: number, to: number): Sample[];
  count(pointId: number, from: number, to: number): number;
  /** deletes samples older than `before`; returns how many */
  purge(before: number): number;
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
  const insert = db.prepare('INSERT OR REPLACE INTO samples (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, ?, ?)');
  const upsert = db.prepare(
    'INSERT INTO point_latest (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, ?, ?) ON CONFLICT(point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, text_value = excluded.text_value, quality = excluded.quality',
  );
  const args = (v: PointValue) => [v.point_id, v.ts, typeof v.value === 'number' ? v.value : null, typeof v.value === 'string' ? v.value : null, QUALITY_CODE.get(v.quality) ?? 1] as const;
  const write = db.transaction((samples: readonly PointValue[], latest: readonly PointValue[]) => {
    for (const v of samples) insert.run(...args(v));
    for (const v of latest) upsert.run(...args(v));
  });
  const getLatest = db.prepare('SELECT ts, value, text_value, quality FROM point_latest WHERE point_id = ?');
  const getRange = db.prepare('SELECT ts, value, text_value, quality FROM samples WHERE point_id = ? AND ts >= ? AND ts <= ? ORDER BY ts');
  const getCount = db.prepare('SELECT COUNT(*) AS n FROM samples WHERE point_id = ? AND ts >= ? AND ts <= ?');
  const pointIds = db.prepare('SELECT DISTINCT point_id FROM samples');
  const purgePoint = db.prepare('DELETE FROM samples WHERE point_id = ? AND ts < ?');
  return {
    write: (samples, latest) => write(samples, latest),
    latest(pointId) {
      const r = getLatest.get(pointId) as Row | undefined;
      if (!r) return undefined;
      const s = toSample(r);
      return { point_id: pointId, value: s.value, quality: s.quality, ts: s.ts };
    },
    range: (pointId, from, to) => (getRange.all(pointId, from, to) as Row[]).map(toSample),
    count: (pointId, from, to) => (getCount.get(pointId, from, to) as { n: number }).n,
    purge(before) {
      // point by point, so every delete walks the primary key and no transaction grows large
      let total = 0;
      for (const { point_id } of pointIds.all() as { point_id: number }[]) total += purgePoint.run(point_id, before).changes;
      return total;
    },
    forget(pointId) {
      db.prepare('DELETE FROM samples WHERE point_id = ?').run(pointId);
      db.prepare('DELETE FROM point_latest WHERE point_id = ?').run(pointId);
    },
  };
}

/**
 * Min/max-preserving downsampling: the time range is cut into buckets and each bucket keeps its first, minimum,
 * maximum and last sample (in time order, without repeats), so peaks survive and the count stays within maxPoints.
 */
export function downsample(samples: Sample[], maxPoints: number): Sample[] {
  if (samples.length <= maxPoints) return samples;
  const bucketCount = Math.max(1, Math.floor(maxPoints / 4));
  const t0 = samples[0].ts;
  const span = samples[samples.length - 1].ts - t0 + 1;
  const out: Sample[] = [];
  let i = 0;
  for (let b = 0; b < bucketCount && i < samples.length; b++) {
    const end = t0 + Math.ceil(((b + 1) * span) / bucketCount);
    const start = i;
    let min = -1;
    let max = -1;
    while (i < samples.length && samples[i].ts < end) {
      const v = samples[i].value;
      if (typeof v === 'number') {
        if (min < 0 || v < (samples[min].value as number)) min = i;
        if (max < 0 || v > (samples[max].value as number)) max = i;
      }
      i++;
    }
    if (i === start) continue;
    const picks = new Set([start, min, max, i - 1].filter((k) => k >= 0));
    for (const k of [...picks].sort((a, c) => a - c)) out.push(samples[k]);
  }
  return out;
}
