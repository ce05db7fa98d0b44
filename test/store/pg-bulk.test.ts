/**
 * Bulk statements (src/core/store/batch.ts) on both stores: runMany and batch answer the same changes, rows and
 * errors on PostgreSQL as a loop of run()/all() answers on SQLite, and leave the same rows behind; on PostgreSQL
 * they cost one round trip (counted by the bridge), not one per row.
 */
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batch, runMany } from '../../src/core/store/batch';
import { pgRoundTrips } from '../../src/core/store/pg/bridge';
import { partitionComment, PgDatabase } from '../../src/core/store/pg/db';
import type { Db } from '../../src/core/store/store';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';

const SCHEMA = `CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, v REAL, data BLOB);
  CREATE TABLE counts (k TEXT NOT NULL PRIMARY KEY, n INTEGER NOT NULL, note TEXT);
  CREATE TABLE hourly (kind TEXT NOT NULL, meter_id INTEGER NOT NULL, hour INTEGER NOT NULL, value REAL, PRIMARY KEY (kind, meter_id, hour)) WITHOUT ROWID;`;

/** rows of every table, in key order */
const dump = (db: Db) => ({
  items: db.prepare('SELECT id, name, v, data FROM items ORDER BY id').all(),
  counts: db.prepare('SELECT k, n, note FROM counts ORDER BY k').all(),
  hourly: db.prepare('SELECT kind, meter_id, hour, value FROM hourly ORDER BY kind, meter_id, hour').all(),
});

/** the same bulk work on either store, answering what each call answered */
function work(db: Db): unknown[] {
  const out: unknown[] = [];
  // 12,000 rows of 3 parameters: more than one multi-row statement
  const add = db.prepare('INSERT INTO items (name, v, data) VALUES (?, ?, ?)');
  const many = Array.from({ length: 12_000 }, (_, i) => [`n${i}`, i / 4, i % 1000 === 0 ? Buffer.from([i % 256, 1, 2]) : null]);
  out.push(db.transaction(() => runMany(add, many))().reduce((a, b) => a + b, 0));
  // ids chosen by the caller, then one chosen by the store: after them
  out.push(runMany(db.prepare('INSERT INTO items (id, name) VALUES (?, ?)'), [[20_000, 'x'], [20_005, 'y']]));
  out.push(add.run('after', 1, null).lastInsertRowid);
  // DO NOTHING: a key already there and one sent twice are skipped
  out.push(runMany(db.prepare('INSERT OR IGNORE INTO counts (k, n) VALUES (?, ?)'), [['a', 1], ['b', 2], ['a', 3], ['c', 4]]));
  out.push(runMany(db.prepare('INSERT INTO counts (k, n) VALUES (?, ?) ON CONFLICT DO NOTHING'), [['c', 9], ['d', 5]]));
  // an upsert that reads the existing row, one key several times, and a WHERE that skips some
  const bump = db.prepare('INSERT INTO counts (k, n, note) VALUES (?, ?, ?) ON CONFLICT(k) DO UPDATE SET n = n + excluded.n, note = excluded.note WHERE n < 100');
  out.push(runMany(bump, [['a', 10, 'x'], ['a', 100, 'y'], ['a', 1, 'z'], ['e', 7, null], ['b', 1, 'w'], ['e', 1, 'v']]));
  // INSERT OR REPLACE with repeated keys: the last wins
  const put = db.prepare('INSERT OR REPLACE INTO hourly (kind, meter_id, hour, value) VALUES (?, ?, ?, ?)');
  out.push(runMany(put, Array.from({ length: 300 }, (_, i) => ['e', i % 3, (i % 50) * 3_600_000, i])));
  // not an INSERT: one statement per row, still together
  out.push(runMany(db.prepare('DELETE FROM items WHERE name = ?'), [['n1'], ['n2'], ['none'], ['n3']]));
  out.push(runMany(db.prepare('UPDATE counts SET n = n * 2 WHERE k = ?'), [['a'], ['b']]));
  // different statements in order, reads seeing the writes before them
  out.push(
    batch(db, [
      [db.prepare('SELECT k, n FROM counts WHERE n > ? ORDER BY k'), [3]],
      [db.prepare('DELETE FROM counts WHERE k = ?'), ['b']],
      [db.prepare('SELECT COUNT(*) FROM counts').pluck(), []],
      [db.prepare('DELETE FROM hourly WHERE meter_id = ? RETURNING hour').pluck(), [2]],
    ]).map((r) => (Array.isArray(r) && r.length > 5 ? r.length : r)),
  );
  // a failing row: the transaction leaves nothing; the error is the one the API maps to a 400
  try {
    db.transaction(() => runMany(add, [['fresh1', 0, null], ['n5', 0, null]]))();
    out.push('no error');
  } catch (e) {
    out.push((e as { code?: string }).code);
  }
  out.push(db.prepare("SELECT COUNT(*) FROM items WHERE name = 'fresh1'").pluck().get());
  out.push(runMany(add, []));
  return out;
}

describe('bulk statements on SQLite', () => {
  it('loop over run() and all()', () => {
    const db = new Database(':memory:');
    db.exec(SCHEMA);
    const out = work(db);
    expect(out[0]).toBe(12_000);
    expect(out[3]).toEqual([1, 1, 0, 1]);
    expect(dump(db).counts.find((c) => (c as { k: string }).k === 'a')).toMatchObject({ n: 2 * 111 });
    db.close();
  });
});

describe.runIf(hasPostgres())('bulk statements on PostgreSQL', () => {
  let peer: PostgresPeer;
  let pg: PgDatabase;
  beforeAll(async () => {
    peer = await startPostgres();
    pg = new PgDatabase(peer.url);
  }, 120_000);
  afterAll(async () => {
    pg?.close();
    await peer?.stop();
  });

  it('answer and leave behind what SQLite does', () => {
    const lite = new Database(':memory:');
    lite.exec(SCHEMA);
    const db = pg as unknown as Db;
    db.exec(SCHEMA);
    expect(work(db)).toEqual(work(lite));
    expect(dump(db)).toEqual(dump(lite));
    lite.close();
  });

  it('cost one round trip for many rows', () => {
    pg.exec('CREATE TABLE rt (k INTEGER PRIMARY KEY, v REAL)');
    const stmt = pg.prepare('INSERT INTO rt (k, v) VALUES (?, ?) ON CONFLICT DO NOTHING');
    stmt.run(0, 0);
    const before = pgRoundTrips.count;
    expect(stmt.runMany(Array.from({ length: 50_000 }, (_, i) => [i, i / 2])).filter((c) => c === 1)).toHaveLength(49_999);
    expect(pgRoundTrips.count - before).toBe(1);
    const del = pg.prepare('DELETE FROM rt WHERE k = ?');
    const again = pgRoundTrips.count;
    expect(del.runMany(Array.from({ length: 1000 }, (_, i) => [i * 2]))).toEqual(new Array(1000).fill(1));
    expect(pgRoundTrips.count - again).toBe(1);
    expect(pg.prepare('SELECT COUNT(*) FROM rt').pluck().get()).toBe(49_000);
  });

  it('make the partitions their rows need', () => {
    pg.exec(`CREATE TABLE psegs (t0 INTEGER NOT NULL, p INTEGER NOT NULL, v REAL, PRIMARY KEY (t0, p)) PARTITION BY RANGE (t0);
      COMMENT ON TABLE psegs IS '${partitionComment('month')}'`);
    const rows = [Date.UTC(2025, 11, 31), Date.UTC(2026, 0, 15), Date.UTC(2026, 2, 1)].map((t, i) => [t, 1, i]);
    expect(pg.prepare('INSERT INTO psegs (t0, p, v) VALUES (?, ?, ?)').runMany(rows)).toEqual([1, 1, 1]);
    const parts = pg.prepare("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'psegs'::regclass ORDER BY 1").pluck().all();
    expect(parts).toEqual(['psegs_p202512', 'psegs_p202601', 'psegs_p202603']);
  });

  it('answer a catalog lookup from memory until a DDL or a rollback changes the catalog', () => {
    const has = pg.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck();
    expect(has.get('later')).toBeUndefined();
    const before = pgRoundTrips.count;
    expect(has.get('later')).toBeUndefined();
    expect(pgRoundTrips.count).toBe(before);
    expect(() =>
      pg.transaction(() => {
        pg.exec('CREATE TABLE later (k INTEGER PRIMARY KEY)');
        expect(has.get('later')).toBe(1);
        throw new Error('undone');
      })(),
    ).toThrow('undone');
    expect(has.get('later')).toBeUndefined();
    pg.exec('CREATE TABLE later (k INTEGER PRIMARY KEY)');
    expect(has.get('later')).toBe(1);
    pg.exec('DROP TABLE later');
    expect(has.get('later')).toBeUndefined();
  });
});
