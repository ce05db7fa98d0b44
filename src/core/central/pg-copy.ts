/**
 * The central history's write path on PostgreSQL: COPY (pg-copy-streams) instead of INSERT … unnest.
 *
 * One shard of a batch is written in one transaction on its own connection:
 * 1. `COPY central_history FROM STDIN` straight into the partitioned table, inside a savepoint (the usual case: live
 *    values, none stored before);
 * 2. if a (metric, ts) was already stored (a store-and-forward replay, a rebirth repeating a value, a batch retried
 *    after a failure whose other shards had committed) the COPY fails with a unique violation: back to the
 *    savepoint, COPY into a per-connection temporary staging table, then `INSERT … SELECT … ON CONFLICT DO NOTHING`:
 *    every (metric, ts) is stored exactly once either way;
 * 3. the shard's latest values with one `UPDATE … FROM unnest(…)` that never moves a metric back in time.
 * Values are sent in COPY's text format (ISO times, shortest round-trip doubles, `\N` for null).
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import type { CentralSample, LatestValue } from './storage';

type CopyFrom = (sql: string) => NodeJS.WritableStream & { rowCount: number };
let copyFromFn: CopyFrom | null = null;
/** pg-copy-streams, loaded with the first PostgreSQL write */
const copyFrom = (): CopyFrom => (copyFromFn ??= (createRequire(import.meta.url)('pg-copy-streams') as { from: CopyFrom }).from);

const COLUMNS = '(metric_id, ts, num, text, historical)';
/** rows per chunk handed to the COPY stream (about 0.5 to 1 MB of text) */
const ROWS_PER_CHUNK = 10_000;
/** rows per latest-value UPDATE statement */
const LATEST_CHUNK = 20_000;

/** COPY text format: backslash, tab, newline and carriage return escaped; null is \N */
function copyText(s: string | null): string {
  if (s === null) return '\\N';
  return /[\\\t\n\r]/.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : s;
}

/** The samples as COPY text lines, in chunks (a generator: the text of a 100,000-row batch is never held whole). */
export function* copyChunks(samples: readonly CentralSample[]): Generator<string> {
  for (let i = 0; i < samples.length; i += ROWS_PER_CHUNK) {
    let out = '';
    const end = Math.min(samples.length, i + ROWS_PER_CHUNK);
    for (let j = i; j < end; j++) {
      const s = samples[j];
      out += `${s.metric_id}\t${new Date(s.ts).toISOString()}\t${s.num === null ? '\\N' : String(s.num)}\t${copyText(s.text)}\t${s.historical ? 't' : 'f'}\n`;
    }
    yield out;
  }
}

async function copyInto(c: PoolClient, table: string, samples: readonly CentralSample[]): Promise<void> {
  const stream = c.query(copyFrom()(`COPY ${table} ${COLUMNS} FROM STDIN`));
  await pipeline(Readable.from(copyChunks(samples)), stream);
}

const isUniqueViolation = (e: unknown) => (e as { code?: string }).code === '23505';

/** Per-shard outcome, for the store's counters: whether the COPY went straight in or through the staging table. */
export type ShardPath = 'direct' | 'staged' | 'none';

/** Writes one shard's samples and latest values on c, inside the caller's transaction. */
export async function writeShard(c: PoolClient, samples: readonly CentralSample[], latest: readonly LatestValue[]): Promise<ShardPath> {
  let path: ShardPath = 'none';
  if (samples.length) {
    await c.query('SAVEPOINT central_copy');
    try {
      await copyInto(c, 'central_history', samples);
      path = 'direct';
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      await c.query('ROLLBACK TO SAVEPOINT central_copy');
      await c.query(`CREATE TEMP TABLE IF NOT EXISTS central_history_stage
        (metric_id BIGINT, ts TIMESTAMPTZ, num DOUBLE PRECISION, text TEXT, historical BOOLEAN) ON COMMIT DELETE ROWS`);
      await copyInto(c, 'central_history_stage', samples);
      await c.query(`INSERT INTO central_history ${COLUMNS} SELECT metric_id, ts, num, text, historical FROM central_history_stage ON CONFLICT DO NOTHING`);
      // the staging rows go at COMMIT (ON COMMIT DELETE ROWS); a ROLLBACK takes them away too
      path = 'staged';
    }
    await c.query('RELEASE SAVEPOINT central_copy');
  }
  for (let i = 0; i < latest.length; i += LATEST_CHUNK) {
    const part = latest.slice(i, i + LATEST_CHUNK);
    await c.query(
      `UPDATE central_metrics m SET last_num = u.v, last_text = u.x, last_ts = u.t
       FROM unnest($1::bigint[], $2::bigint[], $3::float8[], $4::text[]) AS u(id, t, v, x)
       WHERE m.id = u.id AND (m.last_ts IS NULL OR m.last_ts <= u.t)`,
      [part.map((l) => l.metric_id), part.map((l) => l.ts), part.map((l) => l.num), part.map((l) => l.text)],
    );
  }
  return path;
}

/**
 * Splits a batch into n shards by metric id (metric_id mod n): a metric's values always go through the same shard,
 * so its writes stay in order however many connections write in parallel.
 */
export function shardsOf<T extends { metric_id: number }>(rows: readonly T[], n: number): T[][] {
  const out: T[][] = Array.from({ length: n }, () => []);
  if (n === 1) {
    out[0] = rows as T[];
    return out;
  }
  for (const r of rows) out[r.metric_id % n].push(r);
  return out;
}
