/**
 * The central store on PostgreSQL (`--database postgres://...`): the same tables as storage.ts's SQLite ones, with
 * the history as a declaratively range-partitioned table (one partition per UTC day or ISO week, created ahead of
 * time and on demand for late or historical values) keyed by (metric_id, ts) in every partition. Migrations are
 * versioned like the SQLite ones, in the database's own `schema_migrations` (feature `central`), under an advisory
 * lock so that several servers starting at once migrate once; a database from a newer build is refused untouched.
 */
import { createRequire } from 'node:module';
import type { Pool } from 'pg';
import { createPartition, dropPartitionsBefore, inPoolTransaction, KnownPartitions, listPartitions, partitionName as nameOf, rangeOf, runAsync, type PartitionScheme } from '../store/pg/partitions';
import { StoreVersionError } from '../store/store';
import { shardsOf, writeShard } from './pg-copy';
import { type CentralSample, type CentralStore, type DeviceState, type HistoryRow, type LatestValue, type MetricDef, type PruneResult, type SiteHealth, deviceFromRow, metricFromRow, metricKey, siteFromRow, SITES_SQL } from './storage';

export type PartitionWidth = 'day' | 'week';
const DAY = 86_400_000;
/** partitions kept ready ahead of now (and one behind, for values that arrive a little late) */
const AHEAD = 3;
/** parallel write connections by default (each batch is split by metric id, one transaction per shard) */
const WRITERS = 4;
/** a batch smaller than this many rows per connection uses fewer connections (a few values: one transaction) */
const MIN_SHARD_ROWS = 2_000;
/** arbitrary advisory lock key of the central schema's migrations */
const MIGRATION_LOCK = 0x5357_4354;

interface PgMigration {
  version: number;
  name: string;
  sql: (width: PartitionWidth) => string;
}

export const centralPgMigrations: PgMigration[] = [
  {
    version: 1,
    name: 'sites, devices, metric catalog and partitioned history',
    sql: (width) => `
      CREATE TABLE central_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO central_meta (key, value) VALUES ('partition_width', '${width}');
      CREATE TABLE central_sites (
        id BIGSERIAL PRIMARY KEY,
        host_config_id BIGINT NOT NULL,
        group_id TEXT NOT NULL,
        edge_node_id TEXT NOT NULL,
        online SMALLINT NOT NULL DEFAULT 0,
        bd_seq BIGINT,
        last_birth BIGINT,
        last_death BIGINT,
        last_seen BIGINT,
        seq_gaps BIGINT NOT NULL DEFAULT 0,
        rebirths BIGINT NOT NULL DEFAULT 0,
        values_received BIGINT NOT NULL DEFAULT 0,
        UNIQUE (host_config_id, group_id, edge_node_id));
      CREATE TABLE central_devices (
        site_id BIGINT NOT NULL REFERENCES central_sites(id) ON DELETE CASCADE,
        device_id TEXT NOT NULL,
        online SMALLINT NOT NULL DEFAULT 0,
        last_birth BIGINT,
        last_death BIGINT,
        PRIMARY KEY (site_id, device_id));
      CREATE TABLE central_metrics (
        id BIGSERIAL PRIMARY KEY,
        site_id BIGINT NOT NULL REFERENCES central_sites(id) ON DELETE CASCADE,
        device_id TEXT NOT NULL,
        name TEXT NOT NULL,
        alias BIGINT,
        datatype TEXT NOT NULL,
        unit TEXT,
        last_num DOUBLE PRECISION,
        last_text TEXT,
        last_ts BIGINT,
        UNIQUE (site_id, device_id, name));
      CREATE TABLE central_history (
        metric_id BIGINT NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        num DOUBLE PRECISION,
        text TEXT,
        historical BOOLEAN NOT NULL DEFAULT false,
        PRIMARY KEY (metric_id, ts)) PARTITION BY RANGE (ts);`,
  },
];

const scheme = (width: PartitionWidth): PartitionScheme => ({ table: 'central_history', width, key: 'timestamptz' });

/** The start (ms, UTC) of the partition holding ts: midnight UTC, or Monday midnight UTC for weeks. */
export const partitionStart = (ts: number, width: PartitionWidth): number => rangeOf(ts, width).from;
/** central_history_pYYYYMMDD (the day, or the Monday of the week) */
export const partitionName = (start: number) => nameOf(scheme('day'), start);

/** `postgres://user:secret@host/db` -> `postgres://user:***@host/db`, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}

export interface PgCentralOptions {
  url: string;
  /** the partition width of a new database (an existing one keeps its own) */
  partition?: PartitionWidth;
  /** parallel write connections (default 4); the pool has two more for the API's reads and the catalog */
  writers?: number;
  log?: (line: string) => void;
}

export class PgCentralStore implements CentralStore {
  readonly kind = 'postgresql' as const;
  private readonly pool: Pool;
  private width: PartitionWidth;
  /** the history's partitions known to exist (store/pg/partitions.ts) */
  private partitions = new KnownPartitions(scheme('day'));
  /** this process's partition work (creations, retention), one at a time; across servers partitions.ts locks */
  private creating: Promise<void> = Promise.resolve();
  private readonly writers: number;
  /** shards written straight by COPY, and those that met an already stored (metric, ts) and went through staging */
  readonly copies = { direct: 0, staged: 0 };
  /** retention: nothing older is written (see prune) */
  private keepFrom = -Infinity;

  constructor(private readonly opts: PgCentralOptions) {
    this.width = opts.partition ?? 'day';
    // pg is loaded here, when a PostgreSQL central store is configured, not at every start-up (seconds on a busy machine)
    const pg = createRequire(import.meta.url)('pg') as typeof import('pg');
    this.writers = Math.max(1, Math.floor(opts.writers ?? WRITERS));
    this.pool = new pg.Pool({ connectionString: opts.url, max: this.writers + 2, connectionTimeoutMillis: 10_000, application_name: 'switchyard-central' });
    // an idle connection the server dropped is replaced on next use; it must not crash the process
    this.pool.on('error', (e) => opts.log?.(`central store (PostgreSQL): ${e.message}`));
  }

  get partitionWidth(): PartitionWidth {
    return this.width;
  }

  async open(): Promise<void> {
    const c = await this.pool.connect().catch((e: Error) => {
      throw new Error(`cannot reach the central database ${redactUrl(this.opts.url)}: ${e.message}`);
    });
    await inPoolTransaction(c, async () => {
      await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await c.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        feature TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (feature, version))`);
      const { rows } = await c.query<{ v: number | null }>("SELECT MAX(version) AS v FROM schema_migrations WHERE feature = 'central'");
      const from = rows[0]?.v ?? 0;
      const known = Math.max(...centralPgMigrations.map((m) => m.version));
      if (from > known) {
        throw new StoreVersionError(`The central database was written by a newer Switchyard (schema "central" is at version ${from}, this build knows up to ${known}). It was not changed.`);
      }
      for (const m of centralPgMigrations) {
        if (m.version <= from) continue;
        await c.query(m.sql(this.width));
        await c.query('INSERT INTO schema_migrations (feature, version, name, applied_at) VALUES ($1, $2, $3, $4)', ['central', m.version, m.name, new Date().toISOString()]);
      }
    });
    const meta = await this.pool.query<{ value: string }>("SELECT value FROM central_meta WHERE key = 'partition_width'");
    this.width = meta.rows[0]?.value === 'week' ? 'week' : 'day';
    this.partitions = new KnownPartitions(scheme(this.width));
    await this.ensureAhead();
  }

  async close(): Promise<void> {
    await this.creating.catch(() => undefined);
    await this.pool.end();
  }

  /** The partitions from one before now to AHEAD after it; called at open and by the host's hourly tick. */
  async ensureAhead(now = Date.now()): Promise<void> {
    const step = this.width === 'day' ? DAY : 7 * DAY;
    const times: number[] = [];
    for (let i = -1; i <= AHEAD; i++) times.push(now + i * step);
    await this.ensure(times, (t) => t);
  }

  /** Partition lower bounds that exist now, as the catalog says (for tests and the documentation's claims). */
  async partitionStarts(): Promise<number[]> {
    this.partitions.load(await runAsync(listPartitions(this.partitions.scheme), this.pool));
    return this.partitions.starts();
  }

  /** Runs fn after this process's partition work so far; a failure of one does not stop the next. */
  private queued<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.creating.catch(() => undefined).then(fn);
    this.creating = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** Makes the partitions the times fall in that do not exist yet (another server making them too is fine). */
  private ensure<T>(items: readonly T[], timeOf: (x: T) => number): Promise<void> {
    if (this.partitions.loaded && !this.partitions.missing(items, timeOf).length) return Promise.resolve();
    return this.queued(async () => {
      if (!this.partitions.loaded) this.partitions.load(await runAsync(listPartitions(this.partitions.scheme), this.pool));
      for (const from of this.partitions.missing(items, timeOf)) {
        await runAsync(createPartition(this.partitions.scheme, from), this.pool);
        this.partitions.add(from);
      }
    });
  }

  async site(hostConfigId: number, group: string, node: string): Promise<number> {
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO central_sites (host_config_id, group_id, edge_node_id) VALUES ($1, $2, $3)
       ON CONFLICT (host_config_id, group_id, edge_node_id) DO UPDATE SET group_id = excluded.group_id RETURNING id`,
      [hostConfigId, group, node],
    );
    return Number(rows[0].id);
  }

  async saveHealth(id: number, h: SiteHealth): Promise<void> {
    await this.pool.query(
      `UPDATE central_sites SET online = $2, bd_seq = $3, last_birth = $4, last_death = $5, last_seen = $6, seq_gaps = $7, rebirths = $8, values_received = $9 WHERE id = $1`,
      [id, h.online ? 1 : 0, h.bd_seq, h.last_birth, h.last_death, h.last_seen, h.seq_gaps, h.rebirths, h.values_received],
    );
  }

  async saveDevice(siteId: number, d: DeviceState): Promise<void> {
    await this.pool.query(
      `INSERT INTO central_devices (site_id, device_id, online, last_birth, last_death) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (site_id, device_id) DO UPDATE SET online = excluded.online, last_birth = excluded.last_birth, last_death = excluded.last_death`,
      [siteId, d.device_id, d.online ? 1 : 0, d.last_birth, d.last_death],
    );
  }

  async defineMetrics(siteId: number, defs: readonly MetricDef[]): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    if (!defs.length) return ids;
    const { rows } = await this.pool.query<{ id: string; device_id: string; name: string }>(
      `INSERT INTO central_metrics (site_id, device_id, name, alias, datatype, unit)
       SELECT $1, d, nm, a, dt, un FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[]) AS u(d, nm, a, dt, un)
       ON CONFLICT (site_id, device_id, name) DO UPDATE SET alias = excluded.alias, datatype = excluded.datatype, unit = excluded.unit
       RETURNING id, device_id, name`,
      [siteId, defs.map((d) => d.device_id), defs.map((d) => d.name), defs.map((d) => d.alias), defs.map((d) => d.datatype), defs.map((d) => d.unit)],
    );
    for (const r of rows) ids.set(metricKey(r.device_id, r.name), Number(r.id));
    return ids;
  }

  /**
   * One batch: split by metric id into `writers` shards written in parallel, each in its own transaction by COPY
   * (pg-copy.ts). A failure fails the batch, which the host retries whole: shards that had committed are then
   * found already stored and kept once (COPY falls back to staging + ON CONFLICT DO NOTHING).
   */
  async write(samples: readonly CentralSample[], latest: readonly LatestValue[]): Promise<void> {
    if (!samples.length && !latest.length) return;
    if (this.keepFrom > -Infinity) samples = samples.filter((s) => s.ts >= this.keepFrom);
    if (!samples.length && !latest.length) return;
    if (samples.length) await this.ensure(samples, (s) => s.ts);
    const n = Math.min(this.writers, Math.max(1, Math.ceil((samples.length + latest.length) / MIN_SHARD_ROWS)));
    const sampleShards = shardsOf(samples, n);
    const latestShards = shardsOf(latest, n);
    const results = await Promise.allSettled(
      sampleShards.map(async (part, i) => {
        if (!part.length && !latestShards[i].length) return;
        const c = await this.pool.connect();
        await inPoolTransaction(c, async () => {
          const path = await writeShard(c, part, latestShards[i]);
          if (path !== 'none') this.copies[path]++;
        });
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Retention: each partition lying wholly before `before` is detached and dropped (store/pg/partitions.ts: one
   * short transaction each, after this process's pending creations; another server dropping them at the same time
   * is no error); a partition that straddles `before` is kept until it is wholly past (history is kept up to one
   * partition width beyond the retention). Values older than `before` are no longer written, so a late replay does
   * not bring a dropped partition back.
   */
  async prune(before: number): Promise<PruneResult> {
    this.keepFrom = Math.max(this.keepFrom, before);
    const { dropped } = await this.queued(async () => {
      try {
        return await runAsync(dropPartitionsBefore(this.partitions.scheme, before), this.pool);
      } finally {
        // looked up again before the next write (another server may have dropped some too)
        this.partitions.forget();
      }
    });
    return { rows: 0, partitions: dropped.map((p) => p.name) };
  }

  async sites() {
    return (await this.pool.query(SITES_SQL)).rows.map(siteFromRow);
  }

  async devices(siteId: number) {
    return (await this.pool.query('SELECT * FROM central_devices WHERE site_id = $1 ORDER BY device_id', [siteId])).rows.map(deviceFromRow);
  }

  async metrics(siteId: number) {
    return (await this.pool.query('SELECT * FROM central_metrics WHERE site_id = $1 ORDER BY device_id, name', [siteId])).rows.map(metricFromRow);
  }

  async history(metricId: number, from: number, to: number, limit: number): Promise<HistoryRow[]> {
    const { rows } = await this.pool.query<{ ms: string; num: number | null; text: string | null; historical: boolean }>(
      `SELECT round(extract(epoch FROM ts) * 1000)::bigint AS ms, num, text, historical FROM central_history
       WHERE metric_id = $1 AND ts BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0) ORDER BY ts LIMIT $4`,
      [metricId, from, to, limit],
    );
    return rows.map((r) => ({ ts: Number(r.ms), num: r.num, text: r.text, historical: r.historical }));
  }
}

/** `switchyard migrate --database URL`: brings the central database to this build's schema (and its partitions ahead), nothing else. */
export async function migrateCentralDatabase(opts: { url: string; partition?: PartitionWidth }): Promise<void> {
  const store = new PgCentralStore({ url: opts.url, partition: opts.partition, writers: 1 });
  try {
    await store.open();
  } finally {
    await store.close();
  }
}
