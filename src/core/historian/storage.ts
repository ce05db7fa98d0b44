/**
 * Where samples live. SQLite here; the interface is small so that a PostgreSQL/Timescale backend can take its place.
 *
 * Layout (docs/historian.md): each point's samples of one minute are one row of `sample_segments`, keyed by the
 * minute's start and the point, so rows are appended in time order and a write touches only the end of the
 * B-tree (the former one-row-per-sample table ordered by point rewrote one page per point per transaction:
 * 22-34x the data in disk writes). A point's current minute is built in memory; every write transaction first
 * appends its values, encoded, to `sample_log` (the write-ahead log that makes them durable at once), and the
 * log rows are deleted once every minute they hold is stored. After a crash the log is replayed at open.
 */
import { batch, runMany } from '../store/batch';
import type { PgDatabase } from '../store/pg/db';
import { isPostgres, type Store } from '../store/store';
import { ValueBatch } from '../values/batch';
import type { PointValue } from '../values/bus';
import { ByteWriter, QUALITIES, QUALITY_CODE, SegmentWriter, decodeBatch, decodeSegment, encodeBatch, encodeSegment, storedQuality, type Sample } from './codec';
import { SEGMENT_MS, segmentStart } from './segments';
import { SegmentWalk } from './walk';

export { historianMigrations } from './migrations';
export { Downsampler, downsample } from './downsample';
export { QUALITIES, type Sample } from './codec';

/** samples deleted per purge step (about; a step deletes whole segments) */
const PURGE_STEP = 5000;
/** segments looked up per read query (a day of one point) */
const READ_CHUNK = 1440;
/** a pass over the open segments (walk.ts: storing those of points that stopped sending, deleting log rows no segment needs) starts this often or after this many log rows */
const MAINTAIN_MS = 1000;
const MAINTAIN_ROWS = 32;
/**
 * a purge stores at most this many segments per transaction (or raises as many read bounds), and gives the caller
 * a turn after visiting PURGE_VISIT: storing 500 (the walk's slice) was a purge's longest step, 13-30 ms at load 1-5
 */
const MAX_CLOSE = 200;
const PURGE_VISIT = 5000;
/** a forgotten point's minutes are deleted by key up to this many minutes of history, by one pass over the table beyond */
const FORGET_SEEKS = 1_000_000;
/** times are kept within what a Date can hold */
const TIME_LIMIT = 8.64e15;

export interface SampleStorage {
  /**
   * one transaction: the samples of trended points (the value bus's packed batch as the historian queued it, or
   * objects from other writers), and the latest values of points that are not trended
   */
  write(samples: ValueBatch | readonly PointValue[], latest: readonly PointValue[]): void;
  /** the newer of the point's newest sample and its stored latest value */
  latest(pointId: number): PointValue | undefined;
  /** the first and last sample time in [from, to], or null when there is none */
  bounds(pointId: number, from: number, to: number): { first: number; last: number } | null;
  /** the samples in [from, to] in time order, read lazily (a year of 1 s samples never sits in memory at once) */
  scan(pointId: number, from: number, to: number): Iterable<Sample>;
  /** deletes samples older than `before` in small steps, yielding how many each step deleted (the caller may pause between steps) */
  purge(before: number): Iterable<number>;
  forget(pointId: number): void;
  /** stores what is held in memory in its final place (a clean stop); nothing is lost without it, it is only replayed */
  seal(): void;
}

/**
 * the first size of a point's open segment: a minute of 1 s samples of a changing float32 (7 bytes each). Starting
 * at 64 bytes, the points that started together outgrew their buffers in the same second: 5,600 allocations and
 * copies in one transaction held the loop 38-50 ms in the first minute after start
 */
const OPEN_SEGMENT_BYTES = 512;

/** a point's segment being filled, and the first log row holding one of its samples */
class OpenSegment extends SegmentWriter {
  constructor(
    t0: number,
    public logId: number,
  ) {
    super(t0, OPEN_SEGMENT_BYTES);
  }
}

const code = (q: Sample['quality']) => QUALITY_CODE.get(q) ?? 1;
const valueOf = (v: PointValue['value']) => (typeof v === 'number' || typeof v === 'string' ? v : null);

/** the union of two runs of samples in time order; of two with the same time the one from `newer` wins */
function merge(older: readonly Sample[], newer: readonly Sample[]): Sample[] {
  const byTs = new Map<number, Sample>();
  for (const x of older) byTs.set(x.ts, x);
  for (const x of newer) byTs.set(x.ts, x);
  return [...byTs.values()].sort((a, b) => a.ts - b.ts);
}

export function sqliteStorage(store: Store): SampleStorage {
  const db = store.db;
  const B = SEGMENT_MS;
  const insertLog = db.prepare('INSERT INTO sample_log (data) VALUES (?)');
  const deleteLog = db.prepare('DELETE FROM sample_log WHERE id < ?');
  const readLog = db.prepare('SELECT id, data FROM sample_log ORDER BY id').raw();
  const insertSeg = db.prepare('INSERT INTO sample_segments (t0, point_id, n, first_ts, last_ts, data) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const replaceSeg = db.prepare('INSERT OR REPLACE INTO sample_segments (t0, point_id, n, first_ts, last_ts, data) VALUES (?, ?, ?, ?, ?, ?)');
  const getSeg = db.prepare('SELECT data FROM sample_segments WHERE t0 = ? AND point_id = ?').pluck();
  const deleteSeg = db.prepare('DELETE FROM sample_segments WHERE t0 = ? AND point_id = ?');
  // a point's segments in a range of starts: one index seek per minute of the range (its minutes are t0 + k * B)
  const minutes = (dir: 'asc' | 'desc') =>
    dir === 'asc'
      ? `WITH RECURSIVE m(t) AS (SELECT @lo UNION ALL SELECT t + ${B} FROM m WHERE t + ${B} <= @hi)`
      : `WITH RECURSIVE m(t) AS (SELECT @hi UNION ALL SELECT t - ${B} FROM m WHERE t - ${B} >= @lo)`;
  const segsAsc = db.prepare(`${minutes('asc')} SELECT s.t0, s.data FROM m CROSS JOIN sample_segments s ON s.t0 = m.t AND s.point_id = @p`).raw();
  const segsDesc = db.prepare(`${minutes('desc')} SELECT s.t0, s.data FROM m CROSS JOIN sample_segments s ON s.t0 = m.t AND s.point_id = @p`).raw();
  const forgetSegs = db.prepare(`${minutes('asc')} DELETE FROM sample_segments WHERE point_id = @p AND t0 IN (SELECT t FROM m)`);
  const futureSeg = db.prepare('SELECT t0, data FROM sample_segments WHERE t0 > ? AND point_id = ? ORDER BY t0 DESC LIMIT 1').raw();
  const forgetAll = db.prepare('DELETE FROM sample_segments WHERE point_id = ?');
  const oldKeys = db.prepare('SELECT t0, point_id, n FROM sample_segments WHERE t0 <= ? ORDER BY t0, point_id LIMIT 500').raw();
  const cutRows = db.prepare('SELECT t0, point_id, data FROM sample_segments WHERE t0 > ? AND t0 < ? AND (t0, point_id) > (?, ?) ORDER BY t0, point_id LIMIT 500').raw();
  const upsertRange = db.prepare('INSERT INTO sample_ranges (point_id, first_t0) VALUES (?, ?) ON CONFLICT(point_id) DO UPDATE SET first_t0 = excluded.first_t0 WHERE excluded.first_t0 != first_t0');
  const deleteRange = db.prepare('DELETE FROM sample_ranges WHERE point_id = ?');
  const upsertLatest = db.prepare(
    'INSERT INTO point_latest (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, ?, ?) ON CONFLICT(point_id) DO UPDATE SET ts = excluded.ts, value = excluded.value, text_value = excluded.text_value, quality = excluded.quality WHERE excluded.ts >= point_latest.ts',
  );
  const getLatest = db.prepare('SELECT ts, value, text_value, quality FROM point_latest WHERE point_id = ?').raw();
  const forgetLatest = db.prepare('DELETE FROM point_latest WHERE point_id = ?');

  /** the segment each point is filling */
  const open = new Map<number, OpenSegment>();
  /** the earliest stored segment start of each point (reads look no earlier) */
  const firstT0 = new Map<number, number>();
  for (const [p, t] of db.prepare('SELECT point_id, first_t0 FROM sample_ranges').raw().all() as [number, number][]) firstT0.set(p, t);
  /** the latest stored segment start of any point (reads look no later) */
  let maxRowT0 = (db.prepare('SELECT MAX(t0) FROM sample_segments').pluck().get() as number | null) ?? -TIME_LIMIT;
  /** the newest sample time written */
  let maxTs = -TIME_LIMIT;
  let lastLogId = 0;
  let logFloor = 0;
  /** when the last pass over the open segments started, and the last log row then */
  let walkStarted = -Infinity;
  let walkRow = 0;
  /** a failed transaction left the segments in memory out of step: rebuilt from the log before the next write */
  let replayNeeded = false;
  const logWriter = new ByteWriter(64 * 1024);

  const noteRow = (p: number, t0: number) => {
    if (t0 > maxRowT0) maxRowT0 = t0;
    const f = firstT0.get(p);
    if (f === undefined || t0 < f) {
      firstT0.set(p, t0);
      upsertRange.run(p, t0);
    }
  };

  const putSamples = (p: number, t0: number, xs: readonly Sample[]) => {
    if (!xs.length) {
      deleteSeg.run(t0, p);
      return;
    }
    const s = encodeSegment(xs, t0);
    replaceSeg.run(t0, p, s.n, s.firstTs, s.lastTs, s.w.view());
    noteRow(p, t0);
  };

  /**
   * Minutes finished during a write, stored at its end in key order: appended at the end of the B-tree, where
   * inserting them in the order of their points (whose minutes are shifted) split the last pages half-empty.
   * Each is [t0, point, n, firstTs, lastTs, data], insertSeg's arguments: inserted together (one round trip on
   * PostgreSQL), then the minutes that were stored already merged one by one (a point's minute is finished once).
   */
  let finished: [number, number, number, number, number, Buffer][] = [];
  const finish = (p: number, s: SegmentWriter, copy: boolean) => {
    if (s.n) finished.push([s.t0, p, s.n, s.firstTs, s.lastTs, copy ? Buffer.from(s.w.view()) : s.w.view()]);
  };
  const storeFinished = () => {
    if (!finished.length) return;
    const list = finished;
    finished = [];
    list.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const inserted = runMany(insertSeg, list);
    for (let i = 0; i < list.length; i++) {
      const [t0, p, , , , data] = list[i];
      // this minute is stored already (late values, or values replayed from the log): merged, the newer wins
      if (inserted[i] === 0) putSamples(p, t0, merge(decodeSegment(getSeg.get(t0, p) as Buffer, t0), decodeSegment(data, t0)));
      else noteRow(p, t0);
    }
  };

  /** values that do not extend their point's current segment: merged into the segment of their minute */
  const applyLate = (late: PointValue[]) => {
    const groups = new Map<number, Map<number, Sample[]>>();
    for (const v of late) {
      const t0 = segmentStart(v.ts, v.point_id);
      let byT0 = groups.get(v.point_id);
      if (!byT0) groups.set(v.point_id, (byT0 = new Map()));
      let xs = byT0.get(t0);
      if (!xs) byT0.set(t0, (xs = []));
      xs.push({ ts: v.ts, value: valueOf(v.value), quality: v.quality });
    }
    const stored: [number, number, Sample[]][] = [];
    for (const [p, byT0] of groups) {
      for (const [t0, xs] of byT0) {
        const s = open.get(p);
        if (s && s.t0 === t0) {
          const all = merge(decodeSegment(s.w.view(), t0), xs);
          s.restart(t0);
          for (const x of all) s.add(x.ts, x.value, code(x.quality));
        } else stored.push([p, t0, xs]);
      }
    }
    if (!stored.length) return;
    // the stored minutes read together, then written together (a backfill behind live values: one round trip each on PostgreSQL)
    const old = batch(
      db,
      stored.map(([p, t0]) => [getSeg, [t0, p]]),
    ) as Buffer[][];
    const rows = stored.map(([p, t0, xs], i) => {
      const s = encodeSegment(merge(old[i].length ? decodeSegment(old[i][0], t0) : [], xs), t0);
      return [t0, p, s.n, s.firstTs, s.lastTs, s.w.view()];
    });
    runMany(replaceSeg, rows);
    for (const [p, t0] of stored) noteRow(p, t0);
  };

  /** the values of log row `logId` into the segments (in memory for the current minute of each point) */
  const apply = (samples: ValueBatch, logId: number) => {
    let late: PointValue[] | null = null;
    for (let i = 0; i < samples.length; i++) {
      const p = samples.id(i);
      const ts = samples.ts(i);
      const t0 = segmentStart(ts, p);
      let s = open.get(p);
      if (!s) open.set(p, (s = new OpenSegment(t0, logId)));
      else if (t0 > s.t0) {
        finish(p, s, true);
        s.restart(t0);
        s.logId = logId;
      } else if (t0 < s.t0 || ts <= s.lastTs) {
        (late ??= []).push(samples.at(i));
        continue;
      }
      s.add(ts, samples.value(i), storedQuality(samples, i));
      if (ts > maxTs) maxTs = ts;
    }
    storeFinished();
    if (late) applyLate(late);
  };

  /** stores the segments of points that stopped sending a while ago, and deletes the log rows no segment in memory needs: a slice per transaction */
  const walk = new SegmentWalk(open);
  const close = (p: number, s: OpenSegment) => {
    finish(p, s, false);
    open.delete(p);
  };
  const maintain = () => {
    const now = performance.now();
    if (!walk.walking && (now - walkStarted >= MAINTAIN_MS || lastLogId - walkRow >= MAINTAIN_ROWS)) {
      walk.start(lastLogId + 1);
      walkStarted = now;
      walkRow = lastLogId;
    }
    const floor = walk.step(maxTs - 2 * B, close);
    storeFinished();
    if (floor !== null && floor > logFloor) {
      deleteLog.run(floor);
      logFloor = floor;
    }
  };

  const replay = () => {
    open.clear();
    walk.reset();
    finished = [];
    for (const [id, data] of readLog.all() as [number, Buffer][]) {
      apply(decodeBatch(data), id);
      lastLogId = id;
    }
    logFloor = 0;
  };

  const writeTx = db.transaction((samples: ValueBatch, latest: readonly PointValue[]) => {
    if (replayNeeded) replay();
    replayNeeded = false;
    if (samples.length) {
      encodeBatch(logWriter, samples);
      lastLogId = Number(insertLog.run(logWriter.view()).lastInsertRowid);
      apply(samples, lastLogId);
    }
    if (latest.length) runMany(upsertLatest, latest.map((v) => [v.point_id, v.ts, typeof v.value === 'number' ? v.value : null, typeof v.value === 'string' ? v.value : null, code(v.quality)]));
    maintain();
  });

  const sealTx = db.transaction(() => {
    if (replayNeeded) replay();
    replayNeeded = false;
    const latest: unknown[][] = [];
    for (const [p, s] of open) {
      finish(p, s, false);
      if (s.n) latest.push([p, s.lastTs, typeof s.lastValue === 'number' ? s.lastValue : null, typeof s.lastValue === 'string' ? s.lastValue : null, s.lastQuality]);
    }
    storeFinished();
    runMany(upsertLatest, latest);
    open.clear();
    deleteLog.run(Number.MAX_SAFE_INTEGER);
  });

  // values of a crash (or a kill) are in the log: back into memory, as if they had just been written
  db.transaction(replay)();

  const clamp = (t: number) => Math.max(-TIME_LIMIT, Math.min(TIME_LIMIT, t));

  /** the point's segments that may hold samples in [from, to], each decoded (the one in memory merged in), in start order */
  function* segments(p: number, from: number, to: number, dir: 'asc' | 'desc'): Generator<Sample[]> {
    const lo = segmentStart(clamp(from), p);
    const hi = segmentStart(clamp(to), p);
    const s = open.get(p);
    let pending = s && s.n && s.t0 >= lo && s.t0 <= hi ? s : undefined;
    const inMemory = () => decodeSegment(pending!.w.view(), pending!.t0);
    const f = firstT0.get(p);
    const rlo = f === undefined ? Infinity : Math.max(lo, f);
    const rhi = Math.min(hi, segmentStart(maxRowT0, p));
    const asc = dir === 'asc';
    const before = (t0: number) => (asc ? pending!.t0 < t0 : pending!.t0 > t0);
    for (let k = 0; rlo + k * READ_CHUNK * B <= rhi; k++) {
      const a = asc ? rlo + k * READ_CHUNK * B : Math.max(rlo, rhi - (k + 1) * READ_CHUNK * B + B);
      const b = asc ? Math.min(rhi, a + (READ_CHUNK - 1) * B) : rhi - k * READ_CHUNK * B;
      const rows = (asc ? segsAsc : segsDesc).all({ lo: a, hi: b, p }) as [number, Buffer][];
      rows.sort(asc ? (x, y) => x[0] - y[0] : (x, y) => y[0] - x[0]);
      for (const [t0, data] of rows) {
        if (pending && before(t0)) {
          yield inMemory();
          pending = undefined;
        }
        let xs = decodeSegment(data, t0);
        if (pending && pending.t0 === t0) {
          xs = merge(xs, inMemory());
          pending = undefined;
        }
        yield xs;
      }
    }
    if (pending) yield inMemory();
  }

  function* scan(p: number, from: number, to: number): Generator<Sample> {
    for (const xs of segments(p, from, to, 'asc')) for (const x of xs) if (x.ts >= from && x.ts <= to) yield x;
  }

  return {
    write(samples, latest) {
      try {
        writeTx(samples instanceof ValueBatch ? samples : ValueBatch.of(samples), latest);
      } catch (e) {
        replayNeeded = true;
        throw e;
      }
    },
    latest(p) {
      const r = getLatest.get(p) as [number, number | null, string | null, number] | undefined;
      let best: PointValue | undefined = r && { point_id: p, ts: r[0], value: r[2] ?? r[1], quality: QUALITIES[r[3]] ?? 'bad' };
      const consider = (x: Sample | undefined) => {
        if (x && (!best || x.ts >= best.ts)) best = { point_id: p, ts: x.ts, value: x.value, quality: x.quality };
      };
      // stored minutes more than a day ahead of now (a device clock in the future) are few: one pass over them;
      // below that, the point's minutes from the newest down, so that such a clock elsewhere costs nothing here
      const horizon = Date.now() + 86_400_000;
      const future = futureSeg.get(horizon, p) as [number, Buffer] | undefined;
      if (future) consider(decodeSegment(future[1], future[0]).at(-1));
      const s = open.get(p);
      if (s?.n) consider({ ts: s.lastTs, value: s.lastValue, quality: QUALITIES[s.lastQuality] ?? 'bad' });
      for (const xs of segments(p, best ? best.ts : -TIME_LIMIT, horizon, 'desc')) {
        consider(xs.at(-1));
        break;
      }
      return best;
    },
    bounds(p, from, to) {
      let first: number | undefined;
      for (const x of scan(p, from, to)) {
        first = x.ts;
        break;
      }
      if (first === undefined) return null;
      for (const xs of segments(p, from, to, 'desc')) {
        for (let i = xs.length - 1; i >= 0; i--) if (xs[i].ts >= from && xs[i].ts <= to) return { first, last: xs[i].ts };
      }
      return { first, last: first };
    },
    scan,
    *purge(before) {
      // what is still in memory and older than the bound is stored first (live segments are younger), in steps;
      // the caller gets a turn every PURGE_VISIT segments looked at (50,000 points have 50,000 open segments)
      let old: number[] = [];
      const storeOld = () => {
        const list = old;
        old = [];
        db.transaction(() => {
          for (const p of list) {
            const s = open.get(p);
            if (s && s.t0 < before) close(p, s);
          }
          storeFinished();
        })();
      };
      let visited = 0;
      for (const p of [...open.keys()]) {
        const s = open.get(p);
        if (s && s.t0 < before) old.push(p);
        if (old.length >= MAX_CLOSE) {
          storeOld();
          yield 0;
        } else if (++visited % PURGE_VISIT === 0) yield 0;
      }
      if (old.length) storeOld();
      // on PostgreSQL whole months older than the bound go as partitions, with no row-by-row delete
      if (isPostgres(db)) {
        const n = (db as unknown as PgDatabase).dropPartitionsBefore('sample_segments', before - B, 'n');
        if (n) yield n;
      }
      // whole segments older than the bound, a few thousand samples a step
      for (;;) {
        const keys = oldKeys.all(before - B) as [number, number, number][];
        if (!keys.length) break;
        let n = 0;
        let k = 0;
        for (; k < keys.length && (k === 0 || n + keys[k][2] <= PURGE_STEP); k++) n += keys[k][2];
        db.transaction(() => {
          for (let i = 0; i < k; i++) deleteSeg.run(keys[i][0], keys[i][1]);
        })();
        yield n;
      }
      // segments the bound cuts through keep their samples from the bound on
      let todo: [number, number, Sample[]][] = [];
      let n = 0;
      const commit = () => {
        const list = todo;
        db.transaction(() => {
          for (const [t0, p, keep] of list) putSamples(p, t0, keep);
        })();
        todo = [];
      };
      // (read 500 at a time: 50,000 points have 50,000 such segments)
      for (let after: [number, number] = [-Infinity, -Infinity]; ; ) {
        const rows = cutRows.all(before - B, before, ...after) as [number, number, Buffer][];
        for (const [t0, p, data] of rows) {
          const xs = decodeSegment(data, t0);
          const keep = xs.filter((x) => x.ts >= before);
          if (keep.length === xs.length) continue;
          if (n && n + xs.length - keep.length > PURGE_STEP) {
            commit();
            yield n;
            n = 0;
          }
          todo.push([t0, p, keep]);
          n += xs.length - keep.length;
        }
        if (rows.length < 500) break;
        after = [rows[rows.length - 1][0], rows[rows.length - 1][1]];
        if (todo.length) {
          commit();
          yield n;
          n = 0;
        }
      }
      if (todo.length) {
        commit();
        yield n;
      }
      // reads look no earlier than the bound (in steps, a turn for the caller every PURGE_VISIT points)
      let raise: number[] = [];
      const raiseSome = () => {
        const list = raise;
        raise = [];
        db.transaction(() => {
          for (const p of list) {
            const t0 = segmentStart(before, p);
            firstT0.set(p, t0);
            upsertRange.run(p, t0);
          }
        })();
      };
      visited = 0;
      for (const p of [...firstT0.keys()]) {
        const f = firstT0.get(p);
        if (f !== undefined && f < segmentStart(before, p)) raise.push(p);
        if (raise.length >= MAX_CLOSE) {
          raiseSome();
          yield 0;
        } else if (++visited % PURGE_VISIT === 0) yield 0;
      }
      if (raise.length) raiseSome();
    },
    forget(p) {
      db.transaction(() => {
        open.delete(p);
        const f = firstT0.get(p);
        const hi = segmentStart(maxRowT0, p);
        // by key, a seek per minute of its history; beyond two years of minutes (clocks far off) one pass over the table
        if (f !== undefined && (hi - f) / B > FORGET_SEEKS) forgetAll.run(p);
        else if (f !== undefined) for (let a = f; a <= hi; a += READ_CHUNK * B) forgetSegs.run({ lo: a, hi: Math.min(hi, a + (READ_CHUNK - 1) * B), p });
        firstT0.delete(p);
        deleteRange.run(p);
        forgetLatest.run(p);
      })();
    },
    seal() {
      try {
        sealTx();
      } catch (e) {
        replayNeeded = true;
        throw e;
      }
    },
  };
}
