/**
 * The central store: what the Sparkplug host ingests (sites = edge nodes with their health, their devices, the
 * metric catalog with latest values, and the history of every metric). One asynchronous interface with two
 * backends: SQLite in the installation's own store (the default, this file) and PostgreSQL (`--database`,
 * pg.ts) with a time-partitioned history.
 */
import type { FeatureMigrations, Store } from '../store/store';

export interface SiteHealth {
  online: boolean;
  bd_seq: number | null;
  /** ms since the epoch, null when never */
  last_birth: number | null;
  last_death: number | null;
  last_seen: number | null;
  seq_gaps: number;
  rebirths: number;
  values_received: number;
}

export interface SiteRow extends SiteHealth {
  id: number;
  host_config_id: number;
  group_id: string;
  edge_node_id: string;
  devices: number;
  devices_online: number;
  /** online, offline (dead or not born since the server started), unknown (its host has lost the broker); set by the service */
  status?: 'online' | 'offline' | 'unknown';
}

export interface DeviceState {
  device_id: string;
  online: boolean;
  last_birth: number | null;
  last_death: number | null;
}

export interface MetricDef {
  /** '' for the edge node's own metrics */
  device_id: string;
  name: string;
  alias: number | null;
  datatype: string;
  unit: string | null;
}

export interface MetricRow extends MetricDef {
  id: number;
  site_id: number;
  last_num: number | null;
  last_text: string | null;
  last_ts: number | null;
}

export interface CentralSample {
  metric_id: number;
  ts: number;
  num: number | null;
  text: string | null;
  historical: boolean;
}

export interface HistoryRow {
  ts: number;
  num: number | null;
  text: string | null;
  historical: boolean;
}

export interface LatestValue {
  metric_id: number;
  ts: number;
  num: number | null;
  text: string | null;
}

export interface CentralStore {
  readonly kind: 'sqlite' | 'postgresql';
  /** applies pending migrations (and, on PostgreSQL, creates the history partitions around now) */
  open(): Promise<void>;
  close(): Promise<void>;
  /** the site of (host configuration, group, edge node), created on first sight */
  site(hostConfigId: number, group: string, node: string): Promise<number>;
  saveHealth(siteId: number, h: SiteHealth): Promise<void>;
  saveDevice(siteId: number, d: DeviceState): Promise<void>;
  /** upserts the metrics a birth declares; answers their ids by `device_id + '\0' + name` */
  defineMetrics(siteId: number, defs: readonly MetricDef[]): Promise<Map<string, number>>;
  /** one transaction: history rows (a repeated metric+time is kept once) and newer latest values */
  write(samples: readonly CentralSample[], latest: readonly LatestValue[]): Promise<void>;
  sites(): Promise<SiteRow[]>;
  devices(siteId: number): Promise<DeviceState[]>;
  metrics(siteId: number): Promise<MetricRow[]>;
  /** history of one metric in [from, to], oldest first, at most `limit` rows */
  history(metricId: number, from: number, to: number, limit: number): Promise<HistoryRow[]>;
  /**
   * Retention: removes history older than `before` (ms) and, from then on, writes nothing older. SQLite deletes the
   * rows in slices; PostgreSQL detaches and drops each partition that lies wholly before `before`.
   */
  prune(before: number): Promise<PruneResult>;
}

export interface PruneResult {
  /** rows deleted (SQLite) */
  rows: number;
  /** partitions dropped (PostgreSQL) */
  partitions: string[];
}

/** SQLite retention: rows deleted per transaction, the event loop free between two */
const PRUNE_SLICE = 5_000;

export const metricKey = (device: string, name: string) => `${device}\0${name}`;

export const centralSqliteMigrations: FeatureMigrations = {
  feature: 'central',
  migrations: [
    {
      version: 1,
      name: 'sites, devices, metric catalog and history',
      up: (db) =>
        db.exec(`CREATE TABLE central_sites (
            id INTEGER PRIMARY KEY,
            host_config_id INTEGER NOT NULL,
            group_id TEXT NOT NULL,
            edge_node_id TEXT NOT NULL,
            online INTEGER NOT NULL DEFAULT 0,
            bd_seq INTEGER,
            last_birth INTEGER,
            last_death INTEGER,
            last_seen INTEGER,
            seq_gaps INTEGER NOT NULL DEFAULT 0,
            rebirths INTEGER NOT NULL DEFAULT 0,
            values_received INTEGER NOT NULL DEFAULT 0,
            UNIQUE (host_config_id, group_id, edge_node_id));
          CREATE TABLE central_devices (
            site_id INTEGER NOT NULL REFERENCES central_sites(id) ON DELETE CASCADE,
            device_id TEXT NOT NULL,
            online INTEGER NOT NULL DEFAULT 0,
            last_birth INTEGER,
            last_death INTEGER,
            PRIMARY KEY (site_id, device_id)) WITHOUT ROWID;
          CREATE TABLE central_metrics (
            id INTEGER PRIMARY KEY,
            site_id INTEGER NOT NULL REFERENCES central_sites(id) ON DELETE CASCADE,
            device_id TEXT NOT NULL,
            name TEXT NOT NULL,
            alias INTEGER,
            datatype TEXT NOT NULL,
            unit TEXT,
            last_num REAL,
            last_text TEXT,
            last_ts INTEGER,
            UNIQUE (site_id, device_id, name));
          CREATE TABLE central_history (
            metric_id INTEGER NOT NULL,
            ts INTEGER NOT NULL,
            num REAL,
            text TEXT,
            historical INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (metric_id, ts)) WITHOUT ROWID;`),
    },
  ],
};

type Raw = Record<string, unknown>;
const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function siteFromRow(r: Raw): SiteRow {
  return {
    id: Number(r.id),
    host_config_id: Number(r.host_config_id),
    group_id: String(r.group_id),
    edge_node_id: String(r.edge_node_id),
    online: Boolean(r.online),
    bd_seq: n(r.bd_seq),
    last_birth: n(r.last_birth),
    last_death: n(r.last_death),
    last_seen: n(r.last_seen),
    seq_gaps: Number(r.seq_gaps),
    rebirths: Number(r.rebirths),
    values_received: Number(r.values_received),
    devices: Number(r.devices ?? 0),
    devices_online: Number(r.devices_online ?? 0),
  };
}

export function metricFromRow(r: Raw): MetricRow {
  return {
    id: Number(r.id),
    site_id: Number(r.site_id),
    device_id: String(r.device_id),
    name: String(r.name),
    alias: n(r.alias),
    datatype: String(r.datatype),
    unit: (r.unit as string | null) ?? null,
    last_num: n(r.last_num),
    last_text: (r.last_text as string | null) ?? null,
    last_ts: n(r.last_ts),
  };
}

export const deviceFromRow = (r: Raw): DeviceState => ({ device_id: String(r.device_id), online: Boolean(r.online), last_birth: n(r.last_birth), last_death: n(r.last_death) });

/** The site list with device counts; the same SQL on both backends. */
export const SITES_SQL = `SELECT s.*, (SELECT COUNT(*) FROM central_devices d WHERE d.site_id = s.id) AS devices,
  (SELECT COUNT(*) FROM central_devices d WHERE d.site_id = s.id AND d.online = 1) AS devices_online
  FROM central_sites s ORDER BY s.group_id, s.edge_node_id, s.id`;

/** The SQLite backend: the central tables in the installation's own store (migrations with the other features'). */
export function sqliteCentralStore(store: Store): CentralStore {
  const db = store.db;
  const q = {
    findSite: db.prepare('SELECT id FROM central_sites WHERE host_config_id = ? AND group_id = ? AND edge_node_id = ?').pluck(),
    addSite: db.prepare('INSERT INTO central_sites (host_config_id, group_id, edge_node_id) VALUES (?, ?, ?)'),
    health: db.prepare(`UPDATE central_sites SET online = @online, bd_seq = @bd_seq, last_birth = @last_birth, last_death = @last_death,
      last_seen = @last_seen, seq_gaps = @seq_gaps, rebirths = @rebirths, values_received = @values_received WHERE id = @id`),
    device: db.prepare(`INSERT INTO central_devices (site_id, device_id, online, last_birth, last_death) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (site_id, device_id) DO UPDATE SET online = excluded.online, last_birth = excluded.last_birth, last_death = excluded.last_death`),
    metric: db.prepare(`INSERT INTO central_metrics (site_id, device_id, name, alias, datatype, unit) VALUES (?, ?, ?, ?, ?, ?)
      ON CONFLICT (site_id, device_id, name) DO UPDATE SET alias = excluded.alias, datatype = excluded.datatype, unit = excluded.unit RETURNING id`).pluck(),
    sample: db.prepare('INSERT OR IGNORE INTO central_history (metric_id, ts, num, text, historical) VALUES (?, ?, ?, ?, ?)'),
    latest: db.prepare('UPDATE central_metrics SET last_num = ?, last_text = ?, last_ts = ? WHERE id = ? AND (last_ts IS NULL OR last_ts <= ?)'),
    sites: db.prepare(SITES_SQL),
    devices: db.prepare('SELECT * FROM central_devices WHERE site_id = ? ORDER BY device_id'),
    metrics: db.prepare('SELECT * FROM central_metrics WHERE site_id = ? ORDER BY device_id, name'),
    history: db.prepare('SELECT ts, num, text, historical FROM central_history WHERE metric_id = ? AND ts BETWEEN ? AND ? ORDER BY ts LIMIT ?'),
    // retention walks the metrics present in the history by the primary key (metric_id, ts): one seek each
    nextMetric: db.prepare('SELECT metric_id FROM central_history WHERE metric_id > ? ORDER BY metric_id LIMIT 1').pluck(),
    sliceEnd: db.prepare('SELECT ts FROM central_history WHERE metric_id = ? AND ts < ? ORDER BY ts LIMIT 1 OFFSET ?').pluck(),
    deleteBefore: db.prepare('DELETE FROM central_history WHERE metric_id = ? AND ts < ?'),
  };
  let keepFrom = -Infinity;
  return {
    kind: 'sqlite',
    async open() {
      // the migrations ran with every other feature's when the store was opened
    },
    async close() {
      // the store is closed by the runtime
    },
    async site(hostConfigId, group, node) {
      return store.tx(() => (q.findSite.get(hostConfigId, group, node) as number | undefined) ?? Number(q.addSite.run(hostConfigId, group, node).lastInsertRowid));
    },
    async saveHealth(id, h) {
      q.health.run({ ...h, online: h.online ? 1 : 0, id });
    },
    async saveDevice(siteId, d) {
      q.device.run(siteId, d.device_id, d.online ? 1 : 0, d.last_birth, d.last_death);
    },
    async defineMetrics(siteId, defs) {
      const ids = new Map<string, number>();
      store.tx(() => {
        for (const d of defs) ids.set(metricKey(d.device_id, d.name), q.metric.get(siteId, d.device_id, d.name, d.alias, d.datatype, d.unit) as number);
      });
      return ids;
    },
    async write(samples, latest) {
      store.tx(() => {
        for (const s of samples) if (s.ts >= keepFrom) q.sample.run(s.metric_id, s.ts, s.num, s.text, s.historical ? 1 : 0);
        for (const l of latest) q.latest.run(l.num, l.text, l.ts, l.metric_id, l.ts);
      });
    },
    async sites() {
      return (q.sites.all() as Raw[]).map(siteFromRow);
    },
    async devices(siteId) {
      return (q.devices.all(siteId) as Raw[]).map(deviceFromRow);
    },
    async metrics(siteId) {
      return (q.metrics.all(siteId) as Raw[]).map(metricFromRow);
    },
    async history(metricId, from, to, limit) {
      return (q.history.all(metricId, from, to, limit) as Raw[]).map((r) => ({ ts: Number(r.ts), num: n(r.num), text: (r.text as string | null) ?? null, historical: Boolean(r.historical) }));
    },
    async prune(before) {
      keepFrom = Math.max(keepFrom, before);
      let rows = 0;
      let budget = PRUNE_SLICE;
      for (let metric = q.nextMetric.get(-1) as number | undefined; metric !== undefined; metric = q.nextMetric.get(metric) as number | undefined) {
        // a metric with a long past is deleted in slices of PRUNE_SLICE rows, each its own transaction
        for (;;) {
          const end = q.sliceEnd.get(metric, before, budget - 1) as number | undefined;
          const deleted = Number(q.deleteBefore.run(metric, end === undefined ? before : end + 1).changes);
          rows += deleted;
          budget -= deleted;
          if (budget <= 0) {
            budget = PRUNE_SLICE;
            await new Promise<void>((resolve) => setImmediate(resolve));
          }
          if (end === undefined) break;
        }
      }
      return { rows, partitions: [] };
    },
  };
}
