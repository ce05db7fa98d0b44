/**
 * The central service: opens the central store (SQLite or PostgreSQL), runs one Sparkplug host per active
 * `sparkplughosts` row, restarts a host when its configuration changes (no server restart), and answers what the
 * routes show: sites with health, metrics with latest values, history. The running hosts' memory is newer than
 * the store (latest values are written every few seconds, counters with the batches), so it wins when present.
 */
import type { Store } from '../store/store';
import { SparkplugHost, type HostConfig, type HostObserver, type HostStatus } from './host';
import type { PgCentralStore } from './pg';
import type { CentralStore, HistoryRow, MetricRow, SiteRow } from './storage';

/** partitions ahead are checked this often (a server running for weeks keeps some ready) */
const AHEAD_EVERY_MS = 3_600_000;

export class CentralService {
  readonly hosts = new Map<number, SparkplugHost>();
  private aheadTimer: NodeJS.Timeout | null = null;
  private queue: Promise<void> = Promise.resolve();
  private running = false;
  /** told every message of every host (remote points and alarms, remote.ts) */
  observer: HostObserver | null = null;

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
    if (pg) this.aheadTimer = setInterval(() => void pg.ensureAhead().catch((e: Error) => this.log(`central store partitions: ${e.message}`)), AHEAD_EVERY_MS);
  }

  private async startHost(c: HostConfig): Promise<void> {
    const host = new SparkplugHost(c, this.store, this.log);
    host.observer = this.observer;
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
    });
    return this.queue;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.aheadTimer) clearInterval(this.aheadTimer);
    await this.queue.catch(() => undefined);
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
      const live = this.hosts.get(r.host_config_id)?.healthOf(r.id);
      if (live) Object.assign(r, live);
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
