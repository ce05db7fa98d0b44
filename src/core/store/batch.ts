/**
 * Bulk statements behind the store's better-sqlite3 API, the same on both stores: on SQLite they loop (each
 * statement costs microseconds there); on PostgreSQL (store/pg) they cost one round trip in all instead of one per
 * row (an INSERT's rows become multi-row INSERTs). Use them where a path runs one statement per row (imports,
 * roll-ups, deletes of many rows), inside the path's transaction. `SWITCHYARD_BULK=off` makes them loop on
 * PostgreSQL too (one round trip per statement, as before they existed: bench/pgstore-bulk.bench.ts compares).
 */
import type Database from 'better-sqlite3';
import type { PgDatabase, PgStatement } from './pg/db';
import { isPostgres, type Db } from './store';

type Statement = Database.Statement<unknown[]>;

const loopOnly = process.env.SWITCHYARD_BULK === 'off';

/** `stmt.run(...row)` for each row, in order; answers each run's `changes`. */
export function runMany(stmt: Statement, rows: readonly unknown[][]): number[] {
  const pg = stmt as unknown as Partial<PgStatement>;
  if (typeof pg.runMany === 'function' && !loopOnly) return pg.runMany(rows);
  return rows.map((args) => stmt.run(...args).changes);
}

/** Several statements with their arguments, in order: each answers what `all()` would if it returns rows, else its `changes`. */
export function batch(db: Db, items: readonly [Statement, unknown[]][]): (unknown[] | number)[] {
  if (isPostgres(db) && !loopOnly) return (db as unknown as PgDatabase).batch(items.map(([stmt, args]) => ({ stmt: stmt as unknown as PgStatement, args })));
  return items.map(([stmt, args]) => (stmt.reader ? stmt.all(...args) : stmt.run(...args).changes));
}
