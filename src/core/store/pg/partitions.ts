/**
 * Time partitions on PostgreSQL, one mechanism for every range-partitioned table: the historian's segments (whole
 * store, synchronous bridge, a millisecond key, month partitions) and the central history (its own asynchronous
 * pool, a timestamptz key, day or week partitions).
 *
 * - A partition is made before the first row that needs it (`CREATE TABLE IF NOT EXISTS … PARTITION OF`); there is
 *   no default partition, so a new range never has to be split out of one.
 * - Partitions are listed from the catalog (their bounds, whatever their names).
 * - Retention detaches and drops every partition whose whole range ends at or before the cut-off, one short
 *   transaction each.
 * - Several servers on one database: making and dropping a table's partitions take a transaction-level advisory
 *   lock of that table first, and then look again: a partition another server made meanwhile is not made twice
 *   (no "already exists"), one it dropped is not dropped again (no "does not exist"), and nobody fails.
 *
 * The statements are written once, as generators of steps (`Steps`); `runSync` runs them on the synchronous
 * connection (store/pg/db.ts), `runAsync` on a `pg` pool (central/pg.ts).
 */
import type { Pool, PoolClient } from 'pg';

export type PartitionWidth = 'day' | 'week' | 'month';
/** how the partition column holds time: milliseconds since the epoch (BIGINT) or timestamptz */
export type PartitionKey = 'ms' | 'timestamptz';

export interface PartitionScheme {
  table: string;
  width: PartitionWidth;
  key: PartitionKey;
}

/** one partition: its table and its range [from, to) in milliseconds */
export interface Partition {
  name: string;
  from: number;
  to: number;
}

const DAY = 86_400_000;
/** the first key of Switchyard's advisory locks on partitions (the second is the table's name hashed) */
const LOCK_SPACE = 0x5359_5054;

/** The range [from, to) of the partition holding t: a UTC day, an ISO week (from Monday 00:00 UTC) or a UTC month. */
export function rangeOf(t: number, width: PartitionWidth): { from: number; to: number } {
  const day = Math.floor(t / DAY) * DAY;
  if (width === 'day') return { from: day, to: day + DAY };
  if (width === 'week') {
    const from = day - ((new Date(day).getUTCDay() + 6) % 7) * DAY; // Monday = 0
    return { from, to: from + 7 * DAY };
  }
  const d = new Date(t);
  return { from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
}

/** `<table>_pYYYYMMDD` (days, weeks) or `<table>_pYYYYMM` (months); `_pm…` before 1970. */
export function partitionName(s: PartitionScheme, from: number): string {
  const iso = new Date(from).toISOString();
  const suffix = s.width === 'month' ? iso.slice(0, 7).replace('-', '') : iso.slice(0, 10).replace(/-/g, '');
  return `${s.table}_p${from < 0 ? 'm' : ''}${suffix.replace(/^[+-]/, '')}`;
}

/** a statement with its parameters (rows come back as arrays), or a nested list of steps run in one transaction */
export type Step = { sql: string; params?: unknown[] } | { tx: Steps<unknown> };
export type Steps<T> = Generator<Step, T, unknown>;

function* query(sql: string, params: unknown[] = []): Steps<unknown[][]> {
  return (yield { sql, params }) as unknown[][];
}

function* inTransaction<T>(steps: Steps<T>): Steps<T> {
  return (yield { tx: steps }) as T;
}

/** serialises, across servers, whoever makes or drops this table's partitions (held to the end of the transaction) */
const lock = (table: string) => query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_SPACE, table]);

const bound = (s: PartitionScheme, t: number) => (s.key === 'ms' ? String(t) : `'${new Date(t).toISOString()}'`);

/** a bound as the catalog prints it, in milliseconds: `'1764547200000'`, or `'2026-12-01 01:00:00+01'` in the session's time zone */
const boundMs = (s: PartitionScheme, col: string) =>
  s.key === 'ms' ? `CASE WHEN ${col} ~ '^-?[0-9]+$' THEN ${col}::float8 END` : `CASE WHEN ${col} ~ '^[0-9]' THEN (extract(epoch FROM ${col}::timestamptz) * 1000)::float8 END`;

/** The table's partitions (ranges of this scheme only: a DEFAULT or MINVALUE partition someone added is left alone), by range. */
export function* listPartitions(s: PartitionScheme): Steps<Partition[]> {
  const rows = yield* query(
    `SELECT name, ${boundMs(s, 'b[1]')}, ${boundMs(s, 'b[2]')} FROM (
       SELECT c.relname::text AS name, regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''?([^'')]*)''?\\) TO \\(''?([^'')]*)''?\\)') AS b
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass) p`,
    [s.table],
  );
  return rows
    .filter((r) => r[1] !== null && r[2] !== null)
    .map((r) => ({ name: r[0] as string, from: Number(r[1]), to: Number(r[2]) }))
    .sort((a, b) => a.from - b.from);
}

/** Makes the partition starting at `from` (a range start of the scheme) unless it exists; in its own transaction (a savepoint when nested). */
export function* createPartition(s: PartitionScheme, from: number): Steps<void> {
  const { to } = rangeOf(from, s.width);
  yield* inTransaction(
    (function* () {
      yield* lock(s.table);
      yield* query(`CREATE TABLE IF NOT EXISTS ${partitionName(s, from)} PARTITION OF ${s.table} FOR VALUES FROM (${bound(s, from)}) TO (${bound(s, to)})`);
    })(),
  );
}

/**
 * Retention: detaches and drops every partition whose whole range ends at or before `before`, one transaction each.
 * Returns those this call dropped (one another server dropped first is not among them) and, when `tally` is given
 * (an aggregate such as `COUNT(*)` or `SUM(n)`), its total over them (a scan of each: leave it out for huge tables).
 */
export function* dropPartitionsBefore(s: PartitionScheme, before: number, tally?: string): Steps<{ dropped: Partition[]; rows: number }> {
  const dropped: Partition[] = [];
  let rows = 0;
  for (const p of yield* listPartitions(s)) {
    if (p.to > before) continue;
    const held = yield* inTransaction(
      (function* (): Steps<number | null> {
        yield* lock(s.table);
        // still ours to drop? (another server may have dropped it while we waited for the lock)
        const [still] = yield* query('SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1) AND inhparent = $2::regclass', [p.name, s.table]);
        if (!still) return null;
        const n = tally ? (yield* query(`SELECT COALESCE(${tally}, 0)::float8 FROM ${p.name}`))[0][0] : 0;
        yield* query(`ALTER TABLE ${s.table} DETACH PARTITION ${p.name}`);
        yield* query(`DROP TABLE ${p.name}`);
        return Number(n);
      })(),
    );
    if (held === null) continue;
    dropped.push(p);
    rows += held;
  }
  return { dropped, rows };
}

/** What runSync needs of a synchronous connection (PgDatabase). */
export interface SyncRunner {
  rows(sql: string, params: unknown[]): unknown[][];
  /** runs fn in a transaction (a savepoint when one is open), committed when fn returns, rolled back when it throws */
  inTransaction<T>(fn: () => T): T;
}

/** Runs steps on a synchronous connection. */
export function runSync<T>(steps: Steps<T>, db: SyncRunner): T {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    next = steps.next('tx' in step ? db.inTransaction(() => runSync(step.tx, db)) : db.rows(step.sql, step.params ?? []));
  }
  return next.value;
}

/** Runs fn in one transaction on connection c of a pool, then releases c: COMMIT when fn returns, ROLLBACK when it throws. */
export async function inPoolTransaction<T>(c: PoolClient, fn: () => Promise<T>): Promise<T> {
  try {
    await c.query('BEGIN');
    const r = await fn();
    await c.query('COMMIT');
    return r;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

/** Runs steps on a pg pool, each transaction on one connection of it (`client`: the one of the transaction running). */
export async function runAsync<T>(steps: Steps<T>, pool: Pool, client?: PoolClient): Promise<T> {
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    let result: unknown;
    if ('tx' in step) {
      if (client) throw new Error('partitions: a transaction inside a transaction is not used on a pool');
      const c = await pool.connect();
      result = await inPoolTransaction(c, () => runAsync(step.tx, pool, c));
    } else {
      result = (await (client ?? pool).query({ text: step.sql, values: step.params ?? [], rowMode: 'array' })).rows;
    }
    next = steps.next(result);
  }
  return next.value;
}

/**
 * The partitions of one table known to exist, to make the missing ones before rows need them: loaded from the
 * catalog on first use, forgotten when a transaction that may have made some rolls back.
 */
export class KnownPartitions {
  private known: Set<number> | null = null;

  constructor(readonly scheme: PartitionScheme) {}

  get loaded(): boolean {
    return this.known !== null;
  }

  load(parts: readonly Partition[]): void {
    this.known = new Set(parts.map((p) => p.from));
  }

  forget(): void {
    this.known = null;
  }

  /** the range starts the items' times fall in that are not known to exist (call load first) */
  missing<T>(items: readonly T[], timeOf: (x: T) => number): number[] {
    const out = new Set<number>();
    // a batch's times mostly fall in one partition: two comparisons per item while they stay in the last one seen
    let lo = Infinity;
    let hi = -Infinity;
    for (const x of items) {
      const t = timeOf(x);
      if ((t >= lo && t < hi) || !Number.isFinite(t)) continue;
      const { from, to } = rangeOf(t, this.scheme.width);
      if (this.known?.has(from)) [lo, hi] = [from, to];
      else out.add(from);
    }
    return [...out].sort((a, b) => a - b);
  }

  add(from: number): void {
    this.known?.add(from);
  }

  delete(from: number): void {
    this.known?.delete(from);
  }

  starts(): number[] {
    return [...(this.known ?? [])].sort((a, b) => a - b);
  }
}
