import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { decodeBatch, decodeSegment, ByteWriter, encodeBatch, encodeSegment } from '../../src/core/historian/codec';
import { SEGMENT_MS, segmentStart } from '../../src/core/historian/segments';
import { historianMigrations, sqliteStorage } from '../../src/core/historian/storage';
import { WALK_MAX_CLOSE, WALK_SLICE } from '../../src/core/historian/walk';
import { migrate, type Store } from '../../src/core/store/store';
import type { PointValue } from '../../src/core/values/bus';
import { ValueBatch } from '../../src/core/values/batch';

function withDb(fn: (db: Database.Database, reopen: () => Database.Database) => void): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-seg-'));
  const file = path.join(dir, 'h.db');
  const dbs: Database.Database[] = [];
  const open = () => {
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    dbs.push(db);
    return db;
  };
  try {
    const db = open();
    migrate(db, [historianMigrations]);
    fn(db, open);
  } finally {
    for (const db of dbs) if (db.open) db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
const storageOf = (db: Database.Database) => sqliteStorage({ db } as unknown as Store);
const pv = (point_id: number, ts: number, value: PointValue['value'], quality: PointValue['quality'] = 'good'): PointValue => ({ point_id, ts, value, quality });

describe('sample codec', () => {
  it('round-trips integers, float32 and float64 numbers, -0, NaN, repeats, nulls, text and every quality', () => {
    const values = [0, 1, -1, 2 ** 50, -(2 ** 50), 2 ** 60, 0.5, 0.1, -0, NaN, Infinity, 3.25, 3.25, null, 'é ✓', 'é ✓', '', 1e-300];
    const qualities = ['good', 'bad', 'stale', 'comm_fail', 'out_of_range', 'manual'] as const;
    const t0 = 1_700_000_000_000;
    const samples = values.map((value, i) => ({ ts: t0 + i * 997, value, quality: qualities[i % 6] }));
    const seg = encodeSegment(samples, t0);
    expect(decodeSegment(seg.w.view(), t0)).toEqual(samples);
    expect(Object.is(decodeSegment(seg.w.view(), t0)[8].value, -0)).toBe(true);
    const batch = samples.map((s, i) => ({ point_id: [5, 1, 70_000][i % 3], ...s }));
    const w = new ByteWriter(4);
    encodeBatch(w, ValueBatch.of(batch));
    expect(decodeBatch(w.view()).toArray()).toEqual(batch);
  });

  it('keeps a second-apart float32 sample in 7 bytes and a repeated value in 3', () => {
    const t0 = 0;
    const seg = encodeSegment([{ ts: 1000, value: 1.5, quality: 'good' }, { ts: 2000, value: 1.5, quality: 'good' }], t0);
    // 1000 ms: 2-byte varint; tag; 4 bytes; then 2 + 1
    expect(seg.w.len).toBe(7 + 3);
  });
});

describe('segment storage', () => {
  it('spreads the minute boundaries of consecutive points over the minute', () => {
    const ends = new Set(Array.from({ length: 1000 }, (_, p) => Math.floor((segmentStart(0, p + 1) + SEGMENT_MS) / 1000)));
    expect(ends.size).toBeGreaterThan(55); // almost every second of the minute
  });

  it('answers values still in memory, stored ones and late ones alike; the later write of a time wins', () =>
    withDb((db) => {
      const s = storageOf(db);
      const t = Date.parse('2026-11-01T00:00:00Z');
      // 5 minutes of 3 points at 1 s, written a scan at a time
      for (let i = 0; i < 300; i++) s.write([1, 2, 3].map((p) => pv(p, t + i * 1000, p * 1000 + i)), []);
      const stored = db.prepare('SELECT COUNT(*) FROM sample_segments').pluck().get() as number;
      expect(stored).toBeGreaterThanOrEqual(3 * 4); // the finished minutes are rows, the current one is in memory
      expect([...s.scan(2, t, t + 299_000)].map((x) => x.value)).toEqual(Array.from({ length: 300 }, (_, i) => 2000 + i));
      // late: a rewrite of a stored minute, a rewrite in the current minute, a missing second filled, out of order
      s.write([pv(2, t + 5000, 'late'), pv(2, t + 298_000, -1, 'bad'), pv(2, t + 299_500, 7), pv(2, t + 299_200, 6)], []);
      const got = [...s.scan(2, t, t + 300_000)];
      expect(got).toHaveLength(302);
      expect(got.find((x) => x.ts === t + 5000)).toEqual({ ts: t + 5000, value: 'late', quality: 'good' });
      expect(got.find((x) => x.ts === t + 298_000)).toEqual({ ts: t + 298_000, value: -1, quality: 'bad' });
      expect(got.slice(-3).map((x) => x.value)).toEqual([2299, 6, 7]);
      expect(got.map((x) => x.ts)).toEqual([...got.map((x) => x.ts)].sort((a, b) => a - b));
      expect(s.latest(2)).toMatchObject({ ts: t + 299_500, value: 7 });
      expect(s.bounds(2, t + 1, t + 299_300)).toEqual({ first: t + 1000, last: t + 299_200 });
    }));

  it('after a crash, replays the write-ahead log: nothing written is lost, the log shrinks as minutes are stored', () =>
    withDb((db, reopen) => {
      const s = storageOf(db);
      const t = Date.parse('2026-11-01T00:00:00Z');
      for (let i = 0; i < 200; i++) s.write([pv(1, t + i * 1000, i), pv(2, t + i * 1000, -i)], []);
      s.write([pv(1, t + 10_000, 'late')], []);
      // the log holds only what is not stored yet (about the current minute), not all 200 scans
      const logRows = db.prepare('SELECT COUNT(*) FROM sample_log').pluck().get() as number;
      expect(logRows).toBeLessThan(150);
      expect(logRows).toBeGreaterThan(0);
      // "crash": no seal; another connection opens the file as the next start would
      const again = storageOf(reopen());
      const want = Array.from({ length: 200 }, (_, i) => (i === 10 ? 'late' : i));
      expect([...again.scan(1, 0, t + 300_000)].map((x) => x.value)).toEqual(want);
      expect([...again.scan(2, 0, t + 300_000)].map((x) => x.value)).toEqual(Array.from({ length: 200 }, (_, i) => -i));
      // a clean stop stores everything and empties the log
      again.seal();
      expect(db.prepare('SELECT COUNT(*) FROM sample_log').pluck().get()).toBe(0);
      expect([...storageOf(reopen()).scan(1, 0, t + 300_000)].map((x) => x.value)).toEqual(want);
      expect(storageOf(reopen()).latest(2)).toMatchObject({ ts: t + 199_000, value: -199 });
    }));

  it('a failed write keeps the segments in memory consistent with what was committed', () =>
    withDb((db) => {
      const s = storageOf(db);
      const t = Date.parse('2026-11-01T00:00:00Z');
      for (let i = 0; i < 90; i++) s.write([pv(1, t + i * 1000, i)], []);
      db.exec('CREATE TRIGGER fail BEFORE INSERT ON sample_log BEGIN SELECT RAISE(ABORT, \'disk full\'); END');
      expect(() => s.write([pv(1, t + 90_000, 90), pv(1, t + 10_000, 'lost')], [])).toThrow(/disk full/);
      db.exec('DROP TRIGGER fail');
      s.write([pv(1, t + 91_000, 91)], []);
      const values = [...s.scan(1, 0, t + 100_000)].map((x) => x.value);
      expect(values).toEqual([...Array.from({ length: 90 }, (_, i) => i), 91]);
    }));

  it('forgets a point: its stored and in-memory samples, and its latest value', () =>
    withDb((db) => {
      const s = storageOf(db);
      const t = Date.parse('2026-11-01T00:00:00Z');
      for (let i = 0; i < 150; i++) s.write([pv(1, t + i * 1000, i), pv(2, t + i * 1000, i)], []);
      s.forget(1);
      expect([...s.scan(1, 0, t + 200_000)]).toEqual([]);
      expect(s.latest(1)).toBeUndefined();
      expect(db.prepare('SELECT COUNT(*) FROM sample_segments WHERE point_id = 1').pluck().get()).toBe(0);
      expect([...s.scan(2, 0, t + 200_000)]).toHaveLength(150);
      // a point whose history spans 56 years (a device clock at zero): forgotten in one pass, not a seek a minute
      s.write([pv(3, 1000, 1), pv(3, t, 2), pv(3, t + 120_000, 3)], []);
      s.write([pv(2, t + 400_000, 1)], []);
      expect([...s.scan(3, 0, 2000)].map((x) => x.value)).toEqual([1]);
      expect([...s.scan(3, t - 1000, t + 200_000)].map((x) => x.value)).toEqual([2, 3]);
      s.forget(3);
      expect([...s.scan(3, 0, t + 200_000)]).toEqual([]);
      expect(db.prepare('SELECT COUNT(*) FROM sample_segments WHERE point_id = 3').pluck().get()).toBe(0);
    }));

  it('walks the open segments in slices over several transactions and still stores every segment that is due', () =>
    withDb((db) => {
      const s = storageOf(db);
      const t = Date.parse('2026-11-01T00:00:00Z');
      const points = WALK_SLICE + 1000;
      // one value of every point, then only point 1 sends: three minutes on, every other point's minute is due
      s.write(Array.from({ length: points }, (_, i) => pv(i + 1, t, i + 1)), []);
      const stored = () => db.prepare('SELECT COUNT(*) FROM sample_segments WHERE point_id != 1').pluck().get() as number;
      s.write([pv(1, t + 180_000, 0)], []);
      // one transaction stores at most a slice's worth, never the whole map at once
      expect(stored()).toBeLessThanOrEqual(WALK_MAX_CLOSE);
      let writes = 1;
      for (; stored() < points - 1 && writes < 1000; writes++) s.write([pv(1, t + 180_000 + writes * 1000, writes)], []);
      expect(stored()).toBe(points - 1);
      // it took several transactions (at least one per WALK_MAX_CLOSE segments stored)
      expect(writes).toBeGreaterThanOrEqual(Math.ceil((points - 1) / WALK_MAX_CLOSE));
      // every value is where it was written, and the log holds only what point 1's current minute needs
      for (const p of [2, 777, WALK_SLICE, points]) expect([...s.scan(p, t, t + 600_000)]).toEqual([{ ts: t, value: p, quality: 'good' }]);
      for (let i = 0; i < 40; i++) s.write([pv(1, t + 180_000 + (writes + i) * 1000, i)], []);
      expect(db.prepare('SELECT COUNT(*) FROM sample_log').pluck().get()).toBeLessThan(100);
    }));
});
