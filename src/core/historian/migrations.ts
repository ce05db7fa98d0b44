/**
 * The historian's tables. Version 1 kept one row per sample ordered by point then time (every scan rewrote one
 * page per point: 22-34x the data rate in disk writes); version 2 keeps time-ordered segments (see storage.ts)
 * and converts the samples of an existing store into them.
 */
import { partitionComment } from '../store/pg/db';
import { isPostgres, type Db, type FeatureMigrations } from '../store/store';
import { QUALITIES, SegmentWriter } from './codec';
import { segmentStart } from './segments';

const SEGMENT_DDL = `
  CREATE TABLE sample_segments (
    t0 INTEGER NOT NULL,
    point_id INTEGER NOT NULL,
    n INTEGER NOT NULL,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (t0, point_id)) WITHOUT ROWID;
  CREATE TABLE sample_log (id INTEGER PRIMARY KEY, data BLOB NOT NULL);
  CREATE TABLE sample_ranges (point_id INTEGER PRIMARY KEY, first_t0 INTEGER NOT NULL);`;

/**
 * On PostgreSQL the segments are range-partitioned on t0 by calendar month (UTC): a month's history is one table,
 * its primary-key index stays small, reads of a range touch only its months, and old history can go by dropping a
 * month. The store makes each month's partition before the first row that needs it (store/pg/db.ts).
 */
const PG_SEGMENT_DDL = SEGMENT_DDL.replace(') WITHOUT ROWID;', `) PARTITION BY RANGE (t0);
  COMMENT ON TABLE sample_segments IS '${partitionComment('month')}';`);

/** the v1 rows of every point, in key order, into segments (a store with a year of history takes minutes, once) */
function convertSamples(db: Db): void {
  const insert = db.prepare('INSERT INTO sample_segments (t0, point_id, n, first_ts, last_ts, data) VALUES (?, ?, ?, ?, ?, ?)');
  const range = db.prepare('INSERT INTO sample_ranges (point_id, first_t0) VALUES (?, ?)');
  let seg: SegmentWriter | null = null;
  let point = -1;
  const close = () => {
    if (seg?.n) insert.run(seg.t0, point, seg.n, seg.firstTs, seg.lastTs, seg.w.view());
  };
  // in pages (a connection cannot write while it iterates), keyset by (point, time)
  const page = db.prepare('SELECT point_id, ts, value, text_value, quality FROM samples WHERE (point_id, ts) > (?, ?) ORDER BY point_id, ts LIMIT 8192').raw();
  let after: [number, number] = [-Infinity, -Infinity];
  for (;;) {
    const rows = page.all(...after) as [number, number, number | null, string | null, number][];
    for (const [p, ts, value, text, quality] of rows) {
      const t0 = segmentStart(ts, p);
      if (p !== point || !seg || t0 !== seg.t0) {
        close();
        if (p !== point) range.run(p, t0);
        point = p;
        seg ??= new SegmentWriter(t0);
        seg.restart(t0);
      }
      seg.add(ts, text ?? value, quality < QUALITIES.length ? quality : 1);
    }
    if (rows.length < 8192) break;
    after = [rows[rows.length - 1][0], rows[rows.length - 1][1]];
  }
  close();
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
    {
      version: 2,
      name: 'time-ordered sample segments and a write-ahead log',
      up: (db) => {
        db.exec(isPostgres(db) ? PG_SEGMENT_DDL : SEGMENT_DDL);
        convertSamples(db);
        db.exec('DROP TABLE samples');
      },
    },
  ],
};
