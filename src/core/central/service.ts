/**
 * The central service: opens the central store (SQLite or PostgreSQL), runs one Sparkplug host per active
 * `sparkplughosts` row, restarts a host when its configuration changes (no server restart), and answers what the
 * routes show: sites with health, metrics with latest values, history. The running hosts' memory is newer than
 * the store (latest values are written every few seconds, counters with the batches), so it wins when present.
 */
import type { Store } from '../store/store';
import { SparkplugHost, type BrokerLostObserver, type HostConfig, type HostObserver, type HostStatus } from './host';
import type { PgCentralStore } from './pg';
import type { CentralStore, HistoryRow, MetricRow, SiteRow } from './storage';

/** partitions ahead, and retention, are checked this often (a server running for weeks keeps some ready) */
const HOURLY_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The retention of the central history, in days: one history serves every host, so the longest setting among the
 * host configurations wins, and a host without one (keep everything) means nothing is removed; null = keep all.
 */
export function effectiveRetentionDays(settings: readonly (number | null)[]): number | null {
  if (!settings.length || settings.some((d) => d === null || d === undefined || !(d > 0))) return null;
  return Math.max(...(settings as number[]));
}

export class CentralService {
  readonly hosts = new Map<number, SparkplugHost>();
  private hourly: NodeJS.Timeout | null = null;
  private pruning: Promise<void> | null = null;
  /** the last retention pass (for the status route) */
  lastRetention: { at: string; days: number; before: string; rows: number; partitions: string[] } | null = null;
  private queue: Promise<void> = Promise.resolve();
  private running = false;
  /** told every message of every host (remote points and alarms, remote.ts) */
  observer: HostObserver | null = null;
  /** told when a host loses its broker (remote.ts: its sites' points go stale) */
  brokerLost: BrokerLostObserver | null = null;

  constructor(
    readonly store: CentralStore,
    private readonly sqlite: Store,
    private readonly log: (line: string) => void,
  ) {}

  private configs(): HostConfig[] {
    return this.sqlite.db.prepare('SELECT * FROM central_hosts WHERE is_active = 1 ORDER BY id').all() as HostConfig[];
  }

  async start(): Promise<void> {
    await this.store.open();
    this.running = true;
    for (const c of this.configs()) await this.startHost(c);
    const pg = this.store.kind === 'postgresql' ? (this.store as PgCentralStore) : null;
    this.hourly = setInterval(() => {
      if (pg) void pg.ensureAhead().catch((e: Error) => this.log(`central store partitions: ${e.message}`));
      void this.applyRetention();
    }, HOURLY_MS);
    void this.applyRetention();
  }

  /** the retention in days the host configurations ask for (see effectiveRetentionDays) */
  retentionDays(): number | null {
    const rows = this.sqlite.db.prepare('SELECT history_retention_days AS d FROM central_hosts').all() as { d: number | null }[];
    return effectiveRetentionDays(rows.map((r) => r.d));
  }

  /** One retention pass (at start, hourly, and when a host configuration changes); one at a time. */
  applyRetention(now = Date.now()): Promise<void> {
    if (this.pruning) return this.pruning;
    this.pruning = (async () => {
      const days = this.retentionDays();
      if (days === null || !this.running) return;
      const before = now - days * DAY_MS;
      try {
        const r = await this.store.prune(before);
        this.lastRetention = { at: new Date(now).toISOString(), days, before: new Date(before).toISOString(), rows: r.rows, partitions: r.partitions };
        if (r.rows || r.partitions.length) this.log(`central history retention (${days} days): removed ${r.partitions.length ? `partitions ${r.partitions.join(', ')}` : `${r.rows} rows`} older than ${new Date(before).toISOString()}`);
      } catch (e) {
        this.log(`central history retention: ${(e as Error).message}`);
      }
    })().finally(() => {
      this.pruning = null;
    });
    return this.pruning;
  }

  private async startHost(c: HostConfig): Promise<void> {
    const host = new SparkplugHost(c, this.store, this.log);
    host.observer = this.observer;
    host.brokerLost = this.brokerLost;
    this.hosts.set(c.id, host);
    try {
      await host.start();
    } catch (e) {
      this.log(`sparkplug host ${c.name}: ${(e as Error).message}`);
    }
  }

  /** A host's configuration was created, changed or deleted: its host restarts with it (in order, one at a time). */
  reload(id: number): Promise<void> {
    this.queue = this.queue.then(async () => {
      if (!this.running) return;
      await this.hosts.get(id)?.stop();
      this.hosts.delete(id);
      const c = this.configs().find((x) => x.id === id);
      if (c) await this.startHost(c);
      // a changed retention takes effect now, not at the next hourly check
      void this.applyRetention();
    });
    return this.queue;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.hourly) clearInterval(this.hourly);
    await this.queue.catch(() => undefined);
    await this.pruning;
    for (const h of this.hosts.values()) await h.stop();
    this.hosts.clear();
    await this.store.close();
  }

  hostStatus(): HostStatus[] {
    return [...this.hosts.values()].map((h) => h.status());
  }

  async sites(): Promise<SiteRow[]> {
    const rows = await this.store.sites();
    for (const r of rows) {
      const host = this.hosts.get(r.host_config_id);
      const live = host?.healthOf(r.id);
      if (live) Object.assign(r, live);
      r.status = r.online ? 'online' : host?.linkDown ? 'unknown' : 'offline';
    }
    return rows;
  }

  async metrics(site: SiteRow): Promise<MetricRow[]> {
    const rows = await this.store.metrics(site.id);
    const host = this.hosts.get(site.host_config_id);
    if (host) {
      for (const m of rows) {
        const l = host.latestOf(m.id);
        if (l && (m.last_ts === null || l.ts >= m.last_ts)) Object.assign(m, { last_num: l.num, last_text: l.text, last_ts: l.ts });
      }
    }
    return rows;
  }

  /** history through the store, after the host has written what it holds for it */
  async history(site: SiteRow, metricId: number, from: number, to: number, limit: number): Promise<HistoryRow[]> {
    await this.hosts.get(site.host_config_id)?.flush();
    return this.store.history(metricId, from, to, limit);
  }
}
