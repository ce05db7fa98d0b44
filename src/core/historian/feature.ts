/**
 * The historian in the runtime: takes every value batch from the value bus into a write-behind queue, writes
 * the samples of trended points and the latest value of the other points in batched transactions (a trended
 * point's latest value is its newest sample: one row per value, not two), answers the latest and trend endpoints,
 * and enforces the retention setting.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../api/errors';
import { idParam, principalOf } from '../api/server';
import { registerRetentionSetting } from '../api/retention-setting';
import type { Feature, RuntimeContext } from '../feature';
import { SampleQueue } from './queue';
import { type ValueBatch, ValueBatchBuilder } from '../values/batch';
import { LatestValues } from '../values/latest';
import { Downsampler, historianMigrations, sqliteStorage, type SampleStorage } from './storage';

/** Flush the queue this often... */
export const FLUSH_MS = 250;
/** ...or as soon as it holds this many values... */
const FLUSH_ROWS = 5000;
/** ...in transactions sized to hold the event loop about this long (measured rows per ms of the last ones)... */
const SLICE_TARGET_MS = 5;
/** ...kept within these many samples, starting at the smallest (the first transactions run cold code: 36-48 ms for 5,000) */
const SLICE_MIN_ROWS = 1000;
const SLICE_MAX_ROWS = 25_000;
const PURGE_EVERY_MS = 3_600_000;
/** a purge gives the event loop a turn after this much work */
const PURGE_SLICE_MS = 10;
/** the largest maxpoints a trend accepts */
export const MAX_TREND_SAMPLES = 100_000;
/** a trend without maxpoints answers at most this many samples (about a screen's width; downsampled beyond) */
export const DEFAULT_TREND_POINTS = 2_000;
/** after a failed write the values wait for the next flush, up to this many; beyond, the oldest are dropped */
const MAX_QUEUED_ON_FAILURE = 200_000;
const DEFAULT_RETENTION_DAYS = 365;
const RETENTION_KEY = 'historian.retention_days';
/** more created or changed points than this in one transaction re-read the trended set in one query */
const BULK_TREND_LOOKUP = 200;

export class Historian {
  private readonly samples = new SampleQueue();
  /** the newest value of each other point, packed (values/latest.ts) */
  private readonly latest = new LatestValues();
  private trended = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private draining = false;
  private running = false;
  private firstPurge: NodeJS.Timeout | null = null;
  private purging: Promise<number> | null = null;
  /** samples per transaction of the timer's flush, adapted to how fast the last ones were written */
  private sliceRows = SLICE_MIN_ROWS;
  /** samples written since the start */
  written = 0;
  /** samples given up after failed writes */
  dropped = 0;

  constructor(
    readonly storage: SampleStorage,
    private readonly loadTrended: () => number[],
    private readonly isTrended: (pointId: number) => boolean,
    private readonly retentionDays: () => number,
    private readonly log: (line: string) => void,
  ) {}

  refreshTrended(): void {
    this.trended = new Set(this.loadTrended());
  }

  /** a created or changed point: one lookup, so importing thousands of points stays linear */
  pointChanged(pointId: number): void {
    if (this.isTrended(pointId)) this.trended.add(pointId);
    else this.trended.delete(pointId);
  }

  /** Value bus listener: queues, never touches the disk on the hot path. */
  take = (batch: ValueBatch): void => {
    let trended = 0;
    for (let i = 0; i < batch.length; i++) {
      if (this.trended.has(batch.id(i))) trended++;
      else this.latest.setAt(batch, i);
    }
    if (trended === batch.length) this.samples.push(batch);
    else if (trended) {
      const mine = new ValueBatchBuilder(trended);
      for (let i = 0; i < batch.length; i++) if (this.trended.has(batch.id(i))) mine.append(batch, i, i + 1);
      this.samples.push(mine.finish());
    }
    // not setImmediate: from a socket's callback (a device's answer completing a scan) that would run the first
    // transaction in the same turn of the loop as the scan's listeners, before any timer; a timer lets due ones go first
    if (this.samples.length >= FLUSH_ROWS && !this.draining && this.running) setTimeout(() => void this.drain(), 0);
  };

  /** Writes everything queued now, in one transaction (stop, and before a trend is read). */
  flush(): void {
    this.writeSome(Infinity);
  }

  /**
   * The timer's flush: transactions of about SLICE_TARGET_MS each with a turn for the event loop between them,
   * so 10,000 or 50,000 values a second never hold up requests and the live stream for the whole write.
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.running && (this.samples.length || this.latest.size)) {
        const n = Math.min(this.sliceRows, this.samples.length);
        // the CPU time of the transaction, not the wall time: on a busy machine the wall time is mostly other
        // processes' turns, and sizing by it made many small transactions (each costs a few pages of WAL)
        const c0 = process.cpuUsage();
        if (!this.writeSome(this.sliceRows)) break;
        const c = process.cpuUsage(c0);
        const ms = (c.user + c.system) / 1000;
        // a transaction costs about its row count; aim the next one at SLICE_TARGET_MS (only from slices worth
        // measuring): down at once when it ran long, up halfway, so one cheap commit does not double the next
        if (n >= SLICE_MIN_ROWS && ms > 0) {
          const aim = Math.round((n / ms) * SLICE_TARGET_MS);
          const next = aim < this.sliceRows ? aim : Math.round((this.sliceRows + aim) / 2);
          this.sliceRows = Math.max(SLICE_MIN_ROWS, Math.min(SLICE_MAX_ROWS, next));
        }
        // the next slice in a later turn of the timers, not setImmediate: from a timer (the flush interval), that ran
        // it in the same turn of the loop after the other due timers (a scan's publish), one hold of both slices
        if (this.samples.length) await new Promise((r) => setTimeout(r, 0));
      }
    } finally {
      this.draining = false;
    }
  }

  /** Writes up to `limit` of the oldest queued samples and all queued latest values in one transaction; false when that failed. */
  private writeSome(limit: number): boolean {
    if (!this.samples.length && !this.latest.size) return true;
    const samples = this.samples.peek(limit);
    const latest = [...this.latest.keys()].map((id) => this.latest.get(id)!);
    this.latest.clear();
    try {
      this.storage.write(samples, latest);
    } catch (e) {
      // keep them for the next flush (disk full, database busy); beyond a bound the oldest go
      for (const v of latest) if (!this.latest.has(v.point_id)) this.latest.set(v);
      const drop = Math.max(0, this.samples.length - MAX_QUEUED_ON_FAILURE);
      if (drop) {
        this.samples.consume(drop);
        this.dropped += drop;
      }
      this.log(`historian: ${samples.length} samples could not be written (${(e as Error).message}); ${drop ? `${drop} dropped, ` : ''}retrying`);
      return false;
    }
    this.samples.consume(samples.length);
    this.written += samples.length;
    return true;
  }

  /** a deleted point: its queued values, samples and latest value go */
  forget(pointId: number): void {
    this.trended.delete(pointId);
    this.samples.filter((id) => id !== pointId);
    this.latest.delete(pointId);
    this.storage.forget(pointId);
  }

  /**
   * Deletes samples older than the retention, in steps with a pause for the event loop every PURGE_SLICE_MS, so
   * that a large purge never holds up scans, flushes or requests. Stops early when the historian stops.
   */
  async purge(): Promise<number> {
    // one purge at a time; one asked for during another runs after it (with the retention as it is then)
    while (this.purging) await this.purging.catch(() => 0);
    this.purging = (async () => {
      const before = Date.now() - this.retentionDays() * 86_400_000;
      let total = 0;
      let slice = performance.now();
      for (const n of this.storage.purge(before)) {
        total += n;
        if (performance.now() - slice > PURGE_SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          if (!this.running) break;
          slice = performance.now();
        }
      }
      if (total) this.log(`historian: purged ${total} samples older than ${new Date(before).toISOString()}`);
      return total;
    })().finally(() => {
      this.purging = null;
    });
    return this.purging;
  }

  private scheduledPurge(): void {
    this.purge().catch((e: Error) => this.log(`historian: purge failed: ${e.message}`));
  }

  start(): void {
    this.running = true;
    this.refreshTrended();
    this.timer = setInterval(() => void this.drain(), FLUSH_MS);
    this.purgeTimer = setInterval(() => this.scheduledPurge(), PURGE_EVERY_MS);
    // the first purge a little after start, so it does not hold up the first scans
    this.firstPurge = setTimeout(() => this.scheduledPurge(), 10_000);
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    if (this.firstPurge) clearTimeout(this.firstPurge);
    this.timer = this.purgeTimer = this.firstPurge = null;
    this.flush();
    try {
      this.storage.seal();
    } catch (e) {
      // nothing is lost: the write-ahead log is replayed at the next start
      this.log(`historian: could not seal the current segments (${(e as Error).message}); they are replayed at the next start`);
    }
  }
}

const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * ISO 8601 date or date and time, with or without a zone; without one it is UTC (MyEMS sends
 * 'YYYY-MM-DDTHH:MM:SS'). Strict: 2026-02-30 or 24:00 are refused, not rolled over.
 */
export function parseTime(text: unknown, field: string): number {
  const fail = (why: string) => badRequest(`API.INVALID_${field.toUpperCase()}`, `${field} ${why}`, field);
  if (typeof text !== 'string' || text.trim() === '') throw fail('must be an ISO 8601 date and time, e.g. 2026-11-21T08:00:00');
  const s = text.trim();
  const m = ISO_8601.exec(s);
  if (!m) throw fail(`"${s.slice(0, 40)}" is not an ISO 8601 date and time, e.g. 2026-11-21T08:00:00`);
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0));
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const d = new Date(local);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour || d.getUTCMinutes() !== minute || second > 59) {
    throw fail(`"${s}" is not a valid date and time`);
  }
  const zone = m[8]?.toUpperCase();
  if (!zone || zone === 'Z') return local;
  const zm = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone)!;
  const offset = (Number(zm[2]) * 60 + Number(zm[3] ?? 0)) * (zm[1] === '+' ? 1 : -1);
  if (Number(zm[2]) > 14 || Number(zm[3] ?? 0) > 59) throw fail(`"${s}" has an invalid zone offset`);
  return local - offset * 60_000;
}

const iso = (ts: number) => new Date(ts).toISOString();

function registerHistorianRoutes(app: FastifyInstance, ctx: RuntimeContext, historian: Historian): void {
  const { store, registry, values, settings } = ctx;
  const points = registry.get('points');

  app.get('/api/points/:id/latest', async (req) => {
    principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    registry.mustRow(store, points, id);
    const v = values.latest(id) ?? historian.storage.latest(id);
    if (!v) return { point_id: id, value: null, quality: 'stale', utc_date_time: null };
    return { point_id: id, value: v.value, quality: v.quality, utc_date_time: iso(v.ts) };
  });

  app.get('/api/points/:id/trend', async (req) => {
    principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    registry.mustRow(store, points, id);
    const q = req.query as Record<string, string | undefined>;
    const end = q.enddatetime === undefined ? Date.now() : parseTime(q.enddatetime, 'enddatetime');
    const start = q.startdatetime === undefined ? end - 3_600_000 : parseTime(q.startdatetime, 'startdatetime');
    if (end < start) throw badRequest('API.INVALID_ENDDATETIME', 'enddatetime must not be before startdatetime', 'enddatetime');
    let maxPoints: number | null = null;
    if (q.maxpoints !== undefined) {
      maxPoints = Number(q.maxpoints);
      if (!Number.isInteger(maxPoints) || maxPoints < 4 || maxPoints > MAX_TREND_SAMPLES) {
        throw badRequest('API.INVALID_MAXPOINTS', `maxpoints must be an integer from 4 to ${MAX_TREND_SAMPLES}`, 'maxpoints');
      }
    }
    historian.flush();
    const bounds = historian.storage.bounds(id, start, end);
    if (!bounds) return { point_id: id, downsampled: false, values: [] };
    const sampler = new Downsampler(bounds.first, bounds.last, maxPoints ?? DEFAULT_TREND_POINTS);
    for (const s of historian.storage.scan(id, start, end)) sampler.add(s);
    const { samples, downsampled } = sampler.result();
    return { point_id: id, downsampled, values: samples.map((s) => ({ utc_date_time: iso(s.ts), value: s.value, quality: s.quality })) };
  });

  registerRetentionSetting(app, ctx, {
    name: 'historian',
    key: RETENTION_KEY,
    days: () => Number(settings.get(RETENTION_KEY) ?? DEFAULT_RETENTION_DAYS),
    read: 'signed-in',
    purge: () => historian.purge(),
  });
}

export const historianFeature: Feature = {
  name: 'historian',
  migrations: [historianMigrations],
  compose(ctx) {
    const storage = sqliteStorage(ctx.store);
    const trendedQuery = ctx.store.db.prepare('SELECT id FROM points WHERE is_trend = 1').pluck();
    const trendOf = ctx.store.db.prepare('SELECT is_trend FROM points WHERE id = ?').pluck();
    const historian = new Historian(
      storage,
      () => trendedQuery.all() as number[],
      (id) => trendOf.get(id) === 1,
      () => Number(ctx.settings.get(RETENTION_KEY) ?? DEFAULT_RETENTION_DAYS),
      ctx.log,
    );
    ctx.services.set('historian', historian);
    registerHistorianRoutes(ctx.app, ctx, historian);
    let unsubscribe: (() => void) | null = null;
    let unwatch: (() => void) | null = null;
    return [
      {
        name: 'historian',
        start() {
          historian.start();
          unsubscribe = ctx.values.subscribe(historian.take);
          const offDeletes = ctx.registry.onChange((entity, op, id) => {
            if (entity === 'points' && op === 'delete') historian.forget(id);
          });
          // created and changed points once per transaction: an import of 100,000 points is one query, not one each
          const offChanges = ctx.registry.onChanges((changes) => {
            const ids = changes.filter((c) => c.entity === 'points' && c.op !== 'delete').map((c) => c.id);
            if (ids.length > BULK_TREND_LOOKUP) historian.refreshTrended();
            else for (const id of ids) historian.pointChanged(id);
          });
          unwatch = () => {
            offDeletes();
            offChanges();
          };
        },
        stop() {
          unsubscribe?.();
          unwatch?.();
          historian.stop();
        },
      },
    ];
  },
};
