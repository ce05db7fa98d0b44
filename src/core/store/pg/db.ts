/**
 * The part of better-sqlite3's Database API that Switchyard's features use, on PostgreSQL: prepare (run / get /
 * all / iterate, pluck, raw), exec, transaction (nested through savepoints), inTransaction, pragma, close.
 * Statements are translated once (translate.ts) and run synchronously through the worker bridge (bridge.ts).
 * Errors keep the shape the API maps: a unique, foreign-key, not-null or check violation carries better-sqlite3's
 * `SQLITE_CONSTRAINT_*` code, so the routes answer the same 400 as on SQLite.
 */
import { PgFailure, SyncPg, type PgResult } from './bridge';
import { createPartition, dropPartitionsBefore, KnownPartitions, listPartitions, runSync, type PartitionWidth, type SyncRunner } from './partitions';
import { changesOf, planRows } from './rows';
import { translate, type Translated } from './translate';

const CONSTRAINT: Record<string, [string, string]> = {
  '23505': ['SQLITE_CONSTRAINT_UNIQUE', 'UNIQUE constraint failed'],
  '23503': ['SQLITE_CONSTRAINT_FOREIGNKEY', 'FOREIGN KEY constraint failed'],
  '23502': ['SQLITE_CONSTRAINT_NOTNULL', 'NOT NULL constraint failed'],
  '23514': ['SQLITE_CONSTRAINT_CHECK', 'CHECK constraint failed'],
};

const BYTEA = 17;

interface TableInfo {
  columns: string[];
  pk: string[];
  identity: boolean;
  /** a table partitioned by range on a millisecond-time column, its partitions made on demand (see ensurePartition) */
  partition?: { column: string; width: PartitionWidth };
}

/** what a migration writes on a range-partitioned table for PgDatabase to make its partitions on demand */
export const partitionComment = (width: PartitionWidth) => `switchyard: partitions by ${width}`;

export class PgStatement {
  private pluckMode = false;
  private rawMode = false;
  readonly reader: boolean;

  constructor(
    private readonly db: PgDatabase,
    readonly source: string,
    readonly tr: Translated,
  ) {
    this.reader = /^\s*(SELECT|WITH|VALUES|PRAGMA)\b/i.test(source) || !!tr.insert?.returning || /\bRETURNING\b/i.test(source);
  }

  pluck(on = true): this {
    this.pluckMode = on;
    if (on) this.rawMode = false;
    return this;
  }

  raw(on = true): this {
    this.rawMode = on;
    if (on) this.pluckMode = false;
    return this;
  }

  run(...args: unknown[]): { changes: number; lastInsertRowid: number } {
    const r = this.db.execute(this.tr, args);
    return { changes: r.rowCount, lastInsertRowid: r.lastInsertRowid };
  }

  get(...args: unknown[]): unknown {
    const r = this.db.execute(this.tr, args);
    return r.rows.length ? this.shape(r.result, r.rows[0]) : undefined;
  }

  all(...args: unknown[]): unknown[] {
    const r = this.db.execute(this.tr, args);
    return r.rows.map((row) => this.shape(r.result, row));
  }

  iterate(...args: unknown[]): IterableIterator<unknown> {
    return this.all(...args)[Symbol.iterator]();
  }

  /** run() once per row of arguments, in order, in one round trip (src/core/store/batch.ts); each run's changes */
  runMany(rows: readonly unknown[][]): number[] {
    return this.db.runMany(this.tr, rows);
  }

  /** what all() answers, from a result of a batch */
  rowsOf(result: PgResult): unknown[] {
    return result.rows.map((row) => this.shape(result, row));
  }

  private shape(result: PgResult, row: unknown[]): unknown {
    for (let i = 0; i < result.fields.length; i++) {
      if (result.fields[i].type === BYTEA && row[i] instanceof Uint8Array && !Buffer.isBuffer(row[i])) {
        const u = row[i] as Uint8Array;
        row[i] = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
      }
    }
    if (this.pluckMode) return row[0];
    if (this.rawMode) return row;
    const o: Record<string, unknown> = {};
    for (let i = 0; i < result.fields.length; i++) o[result.fields[i].name] = row[i];
    return o;
  }
}

export class PgDatabase {
  private readonly conn: SyncPg;
  private readonly cache = new Map<string, Translated>();
  private readonly tables = new Map<string, TableInfo>();
  /** foreign keys to tables not created yet: added when their target appears */
  private readonly pendingFks: { table: string; target: string; sql: string }[] = [];
  /** partitions known to exist, per partitioned table (partitions.ts) */
  private readonly partitions = new Map<string, KnownPartitions>();
  /** how partitions.ts runs its statements here */
  private readonly runner: SyncRunner = {
    rows: (sql, params) => this.conn.query(sql, params).rows,
    inTransaction: (fn) => this.transaction(fn)(),
  };
  /** answers of SELECTs from SQLite's catalog alone (translate.ts `catalog`), until the next DDL or rollback */
  private readonly catalog = new Map<string, PgResult>();
  /** tables whose identity is behind ids an insert chose (identityCatchUp) */
  private readonly staleIdentity = new Set<string>();
  private depth = 0;
  readonly name: string;
  readonly dialect = 'postgres';

  constructor(url: string) {
    this.conn = new SyncPg(url);
    this.name = url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
    this.conn.query('SELECT 1', []);
  }

  get open(): boolean {
    return this.conn.open;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare(sql: string): PgStatement {
    const pragma = /^\s*PRAGMA\s+table_info\s*\(\s*"?(\w+)"?\s*\)\s*;?\s*$/i.exec(sql);
    if (pragma) {
      const q = `SELECT ordinal_position - 1 AS cid, column_name::text AS name, data_type::text AS type, (is_nullable = 'NO')::int AS notnull,
        column_default AS dflt_value, 0 AS pk FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '${pragma[1].toLowerCase()}' ORDER BY ordinal_position`;
      return new PgStatement(this, sql, { sql: q, params: [], ddl: false });
    }
    if (/^\s*PRAGMA\b/i.test(sql)) return new PgStatement(this, sql, { sql: 'SELECT 1 WHERE false', params: [], ddl: false });
    let tr = this.cache.get(sql);
    if (!tr) {
      tr = translate(sql);
      if (this.cache.size > 5000) this.cache.clear();
      this.cache.set(sql, tr);
    }
    return new PgStatement(this, sql, tr);
  }

  exec(sql: string): this {
    for (const stmt of splitStatements(sql)) {
      if (/^\s*PRAGMA\b/i.test(stmt)) continue;
      this.execute(translate(stmt), []);
    }
    return this;
  }

  pragma(_source: string, _opts?: { simple?: boolean }): unknown {
    return [];
  }

  /** better-sqlite3's transaction(): the returned function runs fn in a transaction, a savepoint when nested. */
  transaction<F extends (...args: never[]) => unknown>(fn: F): F & { deferred: F; immediate: F; exclusive: F } {
    const wrapped = ((...args: never[]) => {
      const outer = this.depth === 0;
      const sp = `sy_sp_${this.depth}`;
      this.raw(outer ? 'BEGIN' : `SAVEPOINT ${sp}`);
      this.depth++;
      try {
        const r = fn(...args);
        this.depth--;
        this.raw(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${sp}`);
        return r;
      } catch (e) {
        this.depth--;
        // partitions made inside the transaction were undone with it
        for (const k of this.partitions.values()) k.forget();
        // and so were its tables' changes
        this.tables.clear();
        this.catalog.clear();
        try {
          this.raw(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${sp}`);
          if (!outer) this.raw(`RELEASE SAVEPOINT ${sp}`);
        } catch {
          /* the connection is gone: the original error says why */
        }
        throw e;
      }
    }) as F & { deferred: F; immediate: F; exclusive: F };
    wrapped.deferred = wrapped.immediate = wrapped.exclusive = wrapped;
    return wrapped;
  }

  close(): this {
    this.conn.close();
    return this;
  }

  private raw(sql: string): void {
    this.conn.query(sql, []);
  }

  /** A translated statement with better-sqlite3's arguments (positional values and/or one object of named) bound. */
  private bind(tr: Translated, args: unknown[], returnId: boolean): { sql: string; values: unknown[]; returnsId: boolean; before: string | null } {
    const named = args.length && isBindObject(args[0]) ? (args[0] as Record<string, unknown>) : null;
    const positional = named ? args.slice(1) : args;
    const values = tr.params.map((p) => bindValue('pos' in p ? positional[p.pos] : named?.[p.name]));
    let sql = tr.sql.includes('::__T') ? tr.sql.replace(/::__T(\d+)/g, (_m, n: string) => castFor(values[Number(n) - 1])) : tr.sql;
    let returnsId = false;
    if (tr.insert) {
      const info = this.table(tr.insert.table);
      if (tr.insert.orReplace && info) sql += this.replaceClause(tr, info);
      if (returnId && !tr.insert.returning && info?.columns.includes('id')) {
        sql += ' RETURNING id';
        returnsId = true;
      }
    }
    if (tr.createTable) sql = this.deferForeignKeys(tr.createTable, sql);
    const before = tr.insert ? this.identityCatchUp(tr) : null;
    if (tr.insert) this.partitionFor(tr, values);
    return { sql, values, returnsId, before };
  }

  /** INSERT OR REPLACE: on a conflict on the primary key, every inserted column but the key updated */
  private replaceClause(tr: Translated, info: TableInfo): string {
    const update = tr.insert!.columns.filter((c) => !info.pk.includes(c));
    return ` ON CONFLICT (${info.pk.join(', ')}) DO ${update.length ? `UPDATE SET ${update.map((c) => `${c} = EXCLUDED.${c}`).join(', ')}` : 'NOTHING'}`;
  }

  /** the partition an insert's row goes to, made if missing (its partition column a plain parameter) */
  private partitionFor(tr: Translated, values: unknown[]): void {
    const part = this.table(tr.insert!.table)?.partition;
    const at = part ? tr.insert!.valueParams[tr.insert!.columns.indexOf(part.column)] : undefined;
    if (part && at !== undefined && at !== null && typeof values[at] === 'number') this.ensurePartition(tr.insert!.table, part.width, values[at] as number);
  }

  /**
   * An insert that chose its own ids leaves the identity behind (SQLite's rowid moves past them by itself): the
   * table is noted, and the identity moved past them before the next insert that lets it choose.
   */
  private identityCatchUp(tr: Translated): string | null {
    const table = tr.insert!.table;
    if (tr.insert!.columns.includes('id')) {
      if (this.table(table)?.identity) this.staleIdentity.add(table);
    } else if (this.staleIdentity.delete(table)) {
      return `SELECT setval(pg_get_serial_sequence('${table}', 'id'), GREATEST((SELECT MAX(id) FROM ${table}), 1))`;
    }
    return null;
  }

  /** Runs one translated statement with better-sqlite3's arguments (positional values and/or one object of named). */
  execute(tr: Translated, args: unknown[]): { result: PgResult; rows: unknown[][]; rowCount: number; lastInsertRowid: number } {
    const { sql, values, returnsId, before } = this.bind(tr, args, true);
    if (before) this.raw(before);
    const key = tr.catalog ? `${sql}\0${JSON.stringify(values)}` : '';
    const known = key ? this.catalog.get(key) : undefined;
    if (known) return { result: known, rows: known.rows.map((r) => r.slice()), rowCount: known.rowCount, lastInsertRowid: 0 };
    let result: PgResult;
    try {
      result = this.conn.query(sql, values);
    } catch (e) {
      throw sqliteShaped(e, sql);
    }
    if (key) {
      if (this.catalog.size > 1000) this.catalog.clear();
      this.catalog.set(key, { ...result, rows: result.rows.map((r) => r.slice()) });
    }
    if (tr.ddl || /^\s*COMMENT\s/i.test(tr.sql)) this.afterDdl(tr);
    let lastInsertRowid = 0;
    if (returnsId) {
      const last = result.rows[result.rows.length - 1];
      if (last) lastInsertRowid = Number(last[0]);
      return { result: { ...result, rows: [], fields: [] }, rows: [], rowCount: result.rowCount, lastInsertRowid };
    }
    return { result, rows: result.rows, rowCount: result.rowCount, lastInsertRowid };
  }

  /**
   * One statement once per row of arguments, in order, in one round trip: an INSERT of one VALUES tuple as
   * multi-row INSERTs (rows.ts), anything else one statement per row sent together. Answers each row's changes
   * (lastInsertRowid is not available). Like run() in a loop, the rows before a failing one have run: call it in a
   * transaction for all or nothing.
   */
  runMany(tr: Translated, rows: readonly unknown[][]): number[] {
    if (!rows.length) return [];
    const bound = rows.map((args) => this.bind(tr, args, false));
    const info = tr.insert ? this.table(tr.insert.table) : undefined;
    const plan = tr.insert ? planRows(tr, bound.map((b) => b.values), info?.pk ?? [], tr.insert.orReplace && info ? this.replaceClause(tr, info) : '') : null;
    const items = plan ? plan.chunks.map((c) => ({ sql: c.sql, params: c.params })) : bound.map((b) => ({ sql: b.sql, params: b.values }));
    const before = bound.find((b) => b.before)?.before;
    if (before) this.raw(before);
    const results = this.batchItems(items);
    if (tr.ddl) this.afterDdl(tr);
    if (!plan) return results.slice(0, bound.length).map((r) => r.rowCount);
    return changesOf(
      plan,
      bound.map((b) => b.values),
      results.map((r) => r.rows),
    );
  }

  /**
   * Several prepared statements, each with its arguments, run in order in one round trip: each answers what all()
   * would (a statement that returns rows) or its changes. Statements before a failing one have run.
   */
  batch(items: readonly { stmt: PgStatement; args: unknown[] }[]): (unknown[] | number)[] {
    const bound = items.map((it) => this.bind(it.stmt.tr, it.args, false));
    const sent: { sql: string; params: unknown[]; own?: true }[] = [];
    for (const b of bound) {
      if (b.before) sent.push({ sql: b.before, params: [] });
      sent.push({ sql: b.sql, params: b.values, own: true });
    }
    const results = this.batchItems(sent).filter((_, i) => sent[i].own);
    for (const it of items) if (it.stmt.tr.ddl) this.afterDdl(it.stmt.tr);
    return results.map((r, i) => (items[i].stmt.reader ? items[i].stmt.rowsOf(r) : r.rowCount));
  }

  private batchItems(items: { sql: string; params: unknown[] }[]): PgResult[] {
    try {
      return this.conn.batch(items);
    } catch (e) {
      throw sqliteShaped(e, items[(e as PgFailure).index ?? 0]?.sql ?? '');
    }
  }

  /**
   * The partition of a range-partitioned table that holds time t (UTC day, ISO week or calendar month), made if
   * missing (partitions.ts: safe against another server making it at the same time).
   */
  private ensurePartition(table: string, width: PartitionWidth, t: number): void {
    if (!Number.isFinite(t)) return;
    let known = this.partitions.get(table);
    if (!known || known.scheme.width !== width) this.partitions.set(table, (known = new KnownPartitions({ table, width, key: 'ms' })));
    if (!known.loaded) known.load(runSync(listPartitions(known.scheme), this.runner));
    for (const from of known.missing([t], (x) => x)) {
      runSync(createPartition(known.scheme, from), this.runner);
      known.add(from);
      this.catalog.clear();
    }
  }

  /**
   * Retention on a range-partitioned table (partitions.ts): drops (detaches, then drops) every partition whose whole
   * range ends at or before `before`, which costs no row-by-row delete and gives the space back at once; another
   * server dropping the same partitions at the same time is no error. Returns how many rows those this call dropped
   * held, or the sum of `sumColumn` when given (e.g. the samples of the historian's segments).
   */
  dropPartitionsBefore(table: string, before: number, sumColumn?: string): number {
    const width = this.table(table)?.partition?.width;
    if (!width) throw new Error(`${table} is not a table partitioned by time`);
    const { rows } = runSync(dropPartitionsBefore({ table, width, key: 'ms' }, before, sumColumn ? `SUM(${sumColumn})` : 'COUNT(*)'), this.runner);
    // looked up again before the next row (another server may have dropped some meanwhile)
    this.partitions.get(table)?.forget();
    this.catalog.clear();
    return rows;
  }

  /** a table's columns, primary key, identity and partitioning (one catalog query, cached until a DDL changes it) */
  private table(name: string): TableInfo | undefined {
    let t = this.tables.get(name);
    if (t) return t;
    const r = this.conn.query(
      `SELECT a.attname::text, a.attidentity <> '' AS ident, COALESCE(a.attnum = ANY(i.indkey), false) AS pk, pa.attname::text, obj_description(p.partrelid, 'pg_class')
         FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary
         LEFT JOIN pg_partitioned_table p ON p.partrelid = c.oid AND p.partstrat = 'r' AND p.partnatts = 1
         LEFT JOIN pg_attribute pa ON pa.attrelid = p.partrelid AND pa.attnum = p.partattrs[0]
        WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [name],
    );
    if (!r.rows.length) return undefined;
    t = { columns: r.rows.map((x) => x[0] as string), pk: r.rows.filter((x) => x[2]).map((x) => x[0] as string), identity: r.rows.some((x) => x[0] === 'id' && x[1]) };
    const [, , , column, comment] = r.rows[0];
    const width = /partitions by (day|week|month)/.exec(String(comment ?? ''))?.[1] as PartitionWidth | undefined;
    if (column && width) t.partition = { column: column as string, width };
    this.tables.set(name, t);
    return t;
  }

  /** what a DDL statement (or a table's comment) changed in the cached table facts: its table's, or all for other kinds */
  private forgetTables(sql: string): void {
    this.catalog.clear();
    const m = /^\s*(?:(?:CREATE|ALTER|DROP)\s+(?:UNLOGGED\s+|TEMP(?:ORARY)?\s+)?TABLE\s+(?:IF\s+(?:NOT\s+)?EXISTS\s+)?|COMMENT\s+ON\s+TABLE\s+)"?(\w+)\b/i.exec(sql);
    if (m && !/^\s*DROP\b[^;]*,/i.test(sql)) this.tables.delete(m[1].toLowerCase());
    else if (!/^\s*(?:CREATE|DROP)\s+(?:UNIQUE\s+)?INDEX\b/i.test(sql)) this.tables.clear();
  }

  private afterDdl(tr: Translated): void {
    this.forgetTables(tr.sql);
    if (tr.createTable) {
      for (let i = this.pendingFks.length - 1; i >= 0; i--) {
        const fk = this.pendingFks[i];
        if (fk.target !== tr.createTable && fk.table !== tr.createTable) continue;
        if (!this.table(fk.target) || !this.table(fk.table)) continue;
        this.raw(fk.sql);
        this.pendingFks.splice(i, 1);
      }
    }
  }

  /**
   * SQLite accepts a REFERENCES to a table that does not exist yet (entity tables are created in declaration
   * order); PostgreSQL does not. Such a column is created without its constraint, which is added as soon as the
   * target table exists.
   */
  private deferForeignKeys(table: string, sql: string): string {
    return sql.replace(/(\n|,\s*)(\w+)(\s+[A-Z ]+?)\s+REFERENCES\s+(\w+)\s*\((\w+)\)((?:\s+ON\s+(?:DELETE|UPDATE)\s+(?:CASCADE|SET NULL|NO ACTION|RESTRICT|SET DEFAULT))*)/gi, (m, lead, col, type, target, tcol, actions) => {
      if (target.toLowerCase() === table || this.table(target.toLowerCase())) return m;
      this.pendingFks.push({ table, target: target.toLowerCase(), sql: `ALTER TABLE ${table} ADD FOREIGN KEY (${col}) REFERENCES ${target}(${tcol})${actions}` });
      return `${lead}${col}${type}`;
    });
  }
}

function isBindObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date);
}

/** the type of a parameter PostgreSQL cannot infer, from the value bound */
function castFor(v: unknown): string {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? '::bigint' : '::float8';
  if (typeof v === 'bigint') return '::bigint';
  if (v instanceof Uint8Array) return '::bytea';
  return '::text';
}

function bindValue(v: unknown): unknown {
  if (v === undefined) return null;
  if (typeof v === 'bigint') return v.toString();
  // SQLite orders ±Infinity before/after every number; PostgreSQL's bigint has no infinity: its extremes do the same
  if (v === -Infinity) return '-9223372036854775808';
  if (v === Infinity) return '9223372036854775807';
  if (typeof v === 'boolean') throw new TypeError('SQLite3 can only bind numbers, strings, bigints, buffers, and null');
  return v;
}

function sqliteShaped(e: unknown, sql: string): Error {
  if (!(e instanceof PgFailure)) return e as Error;
  const c = e.sqlstate ? CONSTRAINT[e.sqlstate] : undefined;
  if (c) {
    e.code = c[0];
    e.message = `${c[1]}: ${e.table ?? ''}${e.constraint ? ` (${e.constraint})` : ''}${e.detail ? ` ${e.detail}` : ''}`;
  } else {
    e.message = `${e.message} [PostgreSQL ${e.sqlstate ?? ''}] in: ${sql.slice(0, 400)}`;
  }
  return e;
}

/** Splits a script on top-level semicolons (outside quotes, comments and BEGIN...END bodies). */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1);
      const j = end < 0 ? sql.length : end + 1;
      cur += sql.slice(i, j);
      i = j;
      continue;
    }
    if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
      continue;
    }
    if (c === ';') {
      if (cur.trim()) out.push(cur);
      cur = '';
      i++;
      continue;
    }
    cur += c;
    i++;
  }
  if (cur.trim()) out.push(cur);
  return out;
}
