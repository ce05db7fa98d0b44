/**
 * The incremental pipeline. Live readings of energy points arrive from the value bus and go through one
 * Normalizer per meter (O(1) per reading); completed hours are written in one batch a second, with their cost
 * and the day's roll-up. Everything else (an imported backfill, a late reading, a configuration change) queues a
 * range of hours of one meter; a background worker recomputes queued ranges from the historian's samples in
 * chunks, giving the event loop a turn after every few milliseconds of work, so acquisition and the API never
 * wait for it.
 */
import type { SampleStorage } from '../historian/storage';
import type { ValueBatch } from '../values/bus';
import { FLAG_ESTIMATED, FLAG_FLAGGED, floorHour, HOUR, Normalizer, type HourValue } from './normalize';
import { loadMeters, meterKey, type MeterInfo } from './meters';
import { METER_KIND, type DayRow, type EnergyStorage, type MeterKind } from './storage';
import { priceHours } from './tariffs';
import { nextPeriod, periodStart, type Zones } from './timezones';
import type { Db } from '../store/store';
import { offlineHours, readOfflineFiles } from './offline';
import { computeVirtual, inputSpan, loadVirtualDefs, type VirtualDef } from './virtual';

/** hours recomputed per step of the worker */
const CHUNK_HOURS = 24 * 7;
/** the worker gives the event loop a turn after this much work */
const SLICE_MS = 15;
/** completed live hours are written this often */
const WRITE_MS = 1000;
/** configuration changes are gathered this long before the pipeline rereads them */
const RELOAD_DEBOUNCE_MS = 200;
/** estimation looks this far beyond its range for the readings around a gap */
export const ESTIMATE_REACH_MS = 7 * 86_400_000;

interface Live {
  n: Normalizer;
  ready: boolean;
  buffer: [number, number][];
}

type Job = { type: 'values' | 'cost' | 'virtual'; key: number; from: number; to: number } | { type: 'seed'; key: number } | { type: 'months'; key: number };

export interface PipelineDeps {
  db: Db;
  storage: EnergyStorage;
  samples: SampleStorage;
  /** writes what the historian holds in memory (before samples are read back) */
  flushHistorian: () => void;
  zones: Zones;
  gapMs: () => number;
  log: (line: string) => void;
}

export class EnergyPipeline {
  meters = new Map<number, MeterInfo>();
  private byPoint = new Map<number, number[]>();
  private live = new Map<number, Live>();
  private pending = new Map<number, HourValue[]>();
  private jobs: Job[] = [];
  private running = false;
  private started = false;
  private timer: NodeJS.Timeout | null = null;
  private waiters: (() => void)[] = [];
  private draining = false;
  private reloadTimer: NodeJS.Timeout | null = null;
  virtuals = new Map<number, VirtualDef>();
  /** meter key -> the virtual meters that read it */
  private dependents = new Map<number, number[]>();
  private offline: Promise<void> | null = null;
  private offlineAgain = false;
  /** hours written since the start (live and recomputed) */
  hoursWritten = 0;

  constructor(private readonly d: PipelineDeps) {}

  start(): void {
    this.started = true;
    this.reload(false);
    // months of meters whose daily roll-ups predate the monthly table (storage migration 3)
    for (const r of this.d.storage.monthRebuilds()) {
      if (this.meters.has(meterKey(r.kind, r.meter_id))) this.queue({ type: 'months', key: meterKey(r.kind, r.meter_id) });
      else this.d.storage.monthsRebuilt(r.kind, r.meter_id);
    }
    this.timer = setInterval(() => void this.drainPending(), WRITE_MS);
  }

  stop(): void {
    this.started = false;
    if (this.timer) clearInterval(this.timer);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.timer = this.reloadTimer = null;
    try {
      this.writePending();
    } catch {
      /* the store may be closing */
    }
  }

  meter(kind: MeterKind, id: number): MeterInfo | undefined {
    return this.meters.get(meterKey(kind, id));
  }

  /** a configuration change: reread it soon (a burst of changes is one reread) */
  reloadSoon(): void {
    if (this.reloadTimer || !this.started) return;
    this.reloadTimer = setTimeout(() => this.reloadNow(), RELOAD_DEBOUNCE_MS);
  }

  private reloadNow(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = null;
    try {
      this.reload();
    } catch (e) {
      this.d.log(`energy: configuration reload failed: ${(e as Error).message}`);
    }
  }

  /**
   * Rereads the configuration; with `diff`, every meter whose values or cost depend on something that changed
   * gets its whole history queued (values) or re-priced (cost).
   */
  reload(diff = true): void {
    this.d.zones.clear();
    const old = this.meters;
    this.meters = loadMeters(this.d.db, this.d.zones, this.d.gapMs());
    this.byPoint.clear();
    for (const [key, m] of this.meters) {
      if (m.pointId === null) continue;
      const list = this.byPoint.get(m.pointId) ?? [];
      list.push(key);
      this.byPoint.set(m.pointId, list);
    }
    const oldVirtuals = this.virtuals;
    this.virtuals = loadVirtualDefs(this.d.db, this.d.log);
    this.dependents.clear();
    for (const v of this.virtuals.values()) {
      for (const x of v.inputs) {
        const list = this.dependents.get(x.key) ?? [];
        if (!list.includes(v.key)) list.push(v.key);
        this.dependents.set(x.key, list);
      }
    }
    if (!diff) return;
    for (const [key, v] of this.virtuals) {
      if (oldVirtuals.get(key)?.sig === v.sig) continue;
      const span = inputSpan(this.d.storage, v);
      if (span) this.queue({ type: 'virtual', key, from: span[0], to: span[1] });
    }
    let offline = false;
    for (const [key, m] of this.meters) {
      const was = old.get(key);
      if (m.kind === METER_KIND.offlinemeters && (!was || was.valueSig !== m.valueSig || was.costSig !== m.costSig)) offline = true;
      // the roll-ups are keyed by local day and month starts: a new zone rebuilds them all
      if (was && was.zone !== m.zone) this.d.storage.clearRollups(m.kind, m.id);
      if (!was || was.valueSig !== m.valueSig) {
        if (m.kind !== METER_KIND.meters) continue;
        this.live.delete(key);
        const range = this.historyRange(m, was);
        if (range) this.queue({ type: 'values', key, from: range[0], to: range[1] });
      } else if (was.costSig !== m.costSig) {
        const b = this.d.storage.bounds(m.kind, m.id);
        if (b) this.queue({ type: 'cost', key, from: b.first, to: b.last + HOUR });
      }
    }
    for (const [key, m] of old) if (!this.meters.has(key)) this.d.storage.forget(m.kind, m.id);
    if (offline) this.offlineFilesChanged();
  }

  /** the hours a meter's history spans: its point's samples and what is stored now */
  private historyRange(m: MeterInfo, was?: MeterInfo): [number, number] | null {
    let from = Infinity;
    let to = -Infinity;
    if (m.pointId !== null) {
      const b = this.d.samples.bounds(m.pointId, 0, 8.64e15);
      if (b) {
        from = floorHour(b.first);
        to = floorHour(b.last) + HOUR;
      }
    }
    const e = this.d.storage.bounds(m.kind, m.id);
    if (e) {
      from = Math.min(from, e.first);
      to = Math.max(to, e.last + HOUR);
    }
    if (!was && !e && m.pointId === null) return null;
    return from < to ? [from, to] : null;
  }

  /** the value bus: readings of energy points feed their meters' normalizers */
  take = (batch: ValueBatch): void => {
    if (!this.started) return;
    for (let i = 0; i < batch.length; i++) {
      const keys = this.byPoint.get(batch.id(i));
      if (!keys || !batch.isNumber(i)) continue;
      const quality = batch.quality(i);
      if (quality !== 'good' && quality !== 'manual') continue;
      const v = { ts: batch.ts(i), value: batch.num(i) };
      for (const key of keys) {
        let s = this.live.get(key);
        if (!s) {
          const m = this.meters.get(key)!;
          s = { n: new Normalizer(m.limits), ready: false, buffer: [] };
          this.live.set(key, s);
          this.queue({ type: 'seed', key });
        }
        if (!s.ready) s.buffer.push([v.ts, v.value]);
        else if (v.ts <= s.n.lastTs) this.late(key, v.ts, v.ts);
        else s.n.push(v.ts, v.value, (h) => this.emit(key, h));
      }
    }
  };

  private emit(key: number, h: HourValue): void {
    let list = this.pending.get(key);
    if (!list) this.pending.set(key, (list = []));
    list.push(h);
  }

  /** samples were written to the historian outside the live stream (an import): recompute what they touch */
  imported(pointId: number, first: number, last: number): void {
    for (const key of this.byPoint.get(pointId) ?? []) {
      const s = this.live.get(key);
      // the live normalizer resumes from storage on the next reading when the import reaches past it
      if (s && s.ready && last >= s.n.lastTs) this.live.delete(key);
      this.late(key, first, last);
    }
  }

  private late(key: number, first: number, last: number): void {
    const gap = this.d.gapMs();
    this.queue({ type: 'values', key, from: floorHour(first - HOUR - gap), to: floorHour(last + gap) + HOUR });
  }

  /** queues a job, merging it with a queued job of the same kind for the same meter */
  queue(job: Job): void {
    const same = this.jobs.find((j) => j.type === job.type && j.key === job.key);
    if (same && 'from' in same && 'from' in job) {
      same.from = Math.min(same.from, job.from);
      same.to = Math.max(same.to, job.to);
    } else if (!same) this.jobs.push(job);
    this.kick();
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    setImmediate(() => void this.work());
  }

  private async work(): Promise<void> {
    try {
      let slice = performance.now();
      while (this.jobs.length && this.started) {
        const job = this.jobs[0];
        try {
          if (this.step(job)) this.jobs.shift();
        } catch (e) {
          this.jobs.shift();
          this.d.log(`energy: ${job.type} of meter ${job.key % 1e12} failed: ${(e as Error).message}`);
        }
        if (performance.now() - slice > SLICE_MS) {
          await new Promise((r) => setImmediate(r));
          slice = performance.now();
        }
      }
    } finally {
      this.running = false;
      if (this.jobs.length && this.started) this.kick();
      else this.wake();
    }
  }

  /** one bounded piece of a job; true when the job is done */
  private step(job: Job): boolean {
    const m = this.meters.get(job.key);
    if (!m) return true;
    if (job.type === 'seed' || job.type === 'months') {
      if (job.type === 'seed') this.seed(job.key, m);
      else this.d.db.transaction(() => this.rebuildMonths(m))();
      return true;
    }
    const to = Math.min(job.to, job.from + CHUNK_HOURS * HOUR);
    if (job.type === 'values') this.recompute(m, job.from, to);
    else if (job.type === 'virtual') this.recomputeVirtual(m, job.from, to);
    else this.d.db.transaction(() => this.recost(m, job.from, to))();
    job.from = to;
    return job.from >= job.to;
  }

  /** the live normalizer picks up where the stored samples end */
  private seed(key: number, m: MeterInfo): void {
    const s = this.live.get(key);
    if (!s || s.ready || m.pointId === null) return;
    this.d.flushHistorian();
    const first = s.buffer.length ? s.buffer[0][0] : Date.now();
    const emit = (h: HourValue) => this.emit(key, h);
    for (const x of this.d.samples.scan(m.pointId, floorHour(first) - HOUR - m.limits.gapMs, first - 1)) {
      if (typeof x.value === 'number' && (x.quality === 'good' || x.quality === 'manual')) s.n.push(x.ts, x.value, emit);
    }
    for (const [ts, v] of s.buffer) s.n.push(ts, v, emit);
    s.buffer = [];
    s.ready = true;
  }

  /** recomputes the hours [from, to) of a meter from its samples */
  recompute(m: MeterInfo, from: number, to: number): void {
    this.d.flushHistorian();
    let hours: HourValue[] = [];
    if (m.pointId !== null) {
      const n = new Normalizer(m.limits);
      const emit = (h: HourValue) => {
        if (h.hour >= from && h.hour < to) hours.push(h);
      };
      // the readings whose intervals reach into [from, to): from a gap's length before to one after
      for (const x of this.d.samples.scan(m.pointId, from - m.limits.gapMs, to + m.limits.gapMs)) {
        if (typeof x.value === 'number' && (x.quality === 'good' || x.quality === 'manual')) n.push(x.ts, x.value, emit);
      }
    } else hours = [];
    this.d.db.transaction(() => {
      this.d.storage.replace(m.kind, m.id, from, to, hours);
      this.recost(m, from, to);
    })();
    this.hoursWritten += hours.length;
    this.changed(m.kind, m.id, from, to);
  }

  /**
   * Explicit estimation: the gaps of a meter in [from, to) filled by linear interpolation between the readings
   * around them (looking up to ESTIMATE_REACH_MS beyond the range for them); only hours without a value are
   * filled, each marked estimated. Answers the hours written.
   */
  estimate(m: MeterInfo, from: number, to: number): number {
    if (m.pointId === null) return 0;
    this.d.flushHistorian();
    const have = new Set(this.d.storage.hours(m.kind, m.id, from, to).map((h) => h.hour));
    const n = new Normalizer(m.limits, true);
    const hours: HourValue[] = [];
    const emit = (h: HourValue) => {
      if (h.hour >= from && h.hour < to && h.flags & FLAG_ESTIMATED && !have.has(h.hour)) hours.push(h);
    };
    for (const x of this.d.samples.scan(m.pointId, from - ESTIMATE_REACH_MS, to + ESTIMATE_REACH_MS)) {
      if (typeof x.value === 'number' && (x.quality === 'good' || x.quality === 'manual')) n.push(x.ts, x.value, emit);
    }
    if (!hours.length) return 0;
    this.d.db.transaction(() => {
      this.d.storage.put(m.kind, m.id, hours);
      this.recost(m, from, to);
    })();
    this.changed(m.kind, m.id, from, to);
    return hours.length;
  }

  /** takes the estimated hours in [from, to) away again */
  unestimate(m: MeterInfo, from: number, to: number): number {
    let n = 0;
    this.d.db.transaction(() => {
      n = this.d.storage.dropEstimates(m.kind, m.id, from, to);
      this.recost(m, from, to);
    })();
    this.changed(m.kind, m.id, from, to);
    return n;
  }

  /** a virtual meter's hours [from, to) from its inputs */
  private recomputeVirtual(m: MeterInfo, from: number, to: number): void {
    const def = this.virtuals.get(meterKey(m.kind, m.id));
    if (!def) return;
    const hours = computeVirtual(this.d.storage, def, from, to);
    this.d.db.transaction(() => {
      this.d.storage.replace(m.kind, m.id, from, to, hours, false);
      this.recost(m, from, to);
    })();
    this.hoursWritten += hours.length;
    this.changed(m.kind, m.id, from, to);
  }

  /** the hours [from, to) of a meter changed: the virtual meters reading it follow */
  changed(kind: MeterKind, id: number, from: number, to: number): void {
    for (const key of this.dependents.get(meterKey(kind, id)) ?? []) this.queue({ type: 'virtual', key, from, to });
  }

  /** the offline-meter files changed: every offline meter's hours are rebuilt from all files (in the background) */
  offlineFilesChanged(): void {
    if (this.offline) {
      this.offlineAgain = true;
      return;
    }
    this.offline = (async () => {
      do {
        this.offlineAgain = false;
        const days = await readOfflineFiles(this.d.db, this.d.log);
        if (!this.started) return;
        for (const m of this.meters.values()) {
          if (m.kind !== METER_KIND.offlinemeters) continue;
          const hours = offlineHours(days.get(m.id) ?? new Map(), m.zone, m.limits.low, m.limits.high);
          const old = this.d.storage.bounds(m.kind, m.id);
          const from = Math.min(old?.first ?? Infinity, hours[0]?.hour ?? Infinity);
          const to = Math.max(old ? old.last + HOUR : -Infinity, hours.length ? hours[hours.length - 1].hour + HOUR : -Infinity);
          if (!(from < to)) continue;
          this.d.db.transaction(() => {
            this.d.storage.replace(m.kind, m.id, from, to, hours, false);
            this.recost(m, from, to);
          })();
          this.hoursWritten += hours.length;
          this.changed(m.kind, m.id, from, to);
          await new Promise((r) => setImmediate(r));
        }
      } while (this.offlineAgain && this.started);
    })()
      .catch((e: Error) => this.d.log(`energy: offline meter files: ${e.message}`))
      .finally(() => {
        this.offline = null;
      });
  }

  /**
   * Prices the stored hours [from, to) (to the month's end for block tariffs) and rebuilds the daily and monthly
   * roll-ups of the local days and months they touch (the days from the hours read once, the months from the days).
   */
  recost(m: MeterInfo, from: number, to: number): void {
    const { storage } = this.d;
    let end = to;
    if (m.tariffs.some((t) => t.type === 'block')) end = Math.max(end, nextPeriod(periodStart(to - 1, 'monthly', m.zone), 'monthly', m.zone));
    const dayFrom = periodStart(from, 'daily', m.zone);
    const dayTo = nextPeriod(periodStart(end - 1, 'daily', m.zone), 'daily', m.zone);
    const rows = storage.hours(m.kind, m.id, dayFrom, dayTo);
    const first = rows.findIndex((r) => r.hour >= from);
    if (first >= 0) {
      let last = rows.length;
      while (last > first && rows[last - 1].hour >= end) last--;
      const priced = rows.slice(first, last);
      const costs = priceHours(m.tariffs, m.zone, priced, (monthStart, hour) => storage.sumClean(m.kind, m.id, monthStart, hour));
      for (let i = 0; i < priced.length; i++) {
        if (priced[i].cost !== costs[i]) {
          storage.setCost(m.kind, m.id, priced[i].hour, costs[i]);
          priced[i].cost = costs[i];
        }
      }
    }
    storage.clearRollups(m.kind, m.id, dayFrom, dayTo);
    // days, walking the rows once
    let r = 0;
    for (let day = dayFrom; day < dayTo; ) {
      const next = nextPeriod(day, 'daily', m.zone);
      const d: DayRow = { day, value: 0, cost: null, known: 0, estimated: 0, flagged: 0 };
      for (; r < rows.length && rows[r].hour < next; r++) {
        const h = rows[r];
        if (h.flags & FLAG_FLAGGED) {
          d.flagged++;
          continue;
        }
        d.known++;
        d.value! += h.value;
        if (h.flags & FLAG_ESTIMATED) d.estimated++;
        if (h.cost !== null) d.cost = (d.cost ?? 0) + h.cost;
      }
      storage.putDay(m.kind, m.id, d);
      day = next;
    }
    for (let month = periodStart(dayFrom, 'monthly', m.zone); month < dayTo; ) {
      const next = nextPeriod(month, 'monthly', m.zone);
      storage.rollMonth(m.kind, m.id, month, next);
      month = next;
    }
  }

  /** rebuilds all monthly roll-ups of a meter from its days (a store from before the monthly table) */
  private rebuildMonths(m: MeterInfo): void {
    const { storage } = this.d;
    const b = storage.dayBounds(m.kind, m.id);
    if (b) {
      for (let month = periodStart(b.first, 'monthly', m.zone); month <= b.last; ) {
        const next = nextPeriod(month, 'monthly', m.zone);
        storage.rollMonth(m.kind, m.id, month, next);
        month = next;
      }
    }
    storage.monthsRebuilt(m.kind, m.id);
  }

  /** writes every completed live hour now (stop, settled) */
  writePending(): void {
    while (this.pending.size) this.writeSlice(Infinity);
  }

  /**
   * The timer's write: transactions of at most SLICE_MS of work with a turn for the event loop between them, so
   * the hour boundary of 10,000 meters never holds up scans or requests for the whole write.
   */
  private async drainPending(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      while (this.pending.size && this.started) {
        this.writeSlice(SLICE_MS);
        if (this.pending.size) await new Promise((r) => setImmediate(r));
      }
    } catch (e) {
      this.d.log(`energy: writing live hours failed: ${(e as Error).message}`);
    } finally {
      this.draining = false;
    }
  }

  /** writes the completed hours of meters, one transaction, until `budgetMs` is spent */
  private writeSlice(budgetMs: number): void {
    const done: [number, HourValue[]][] = [];
    const t0 = performance.now();
    this.d.db.transaction(() => {
      for (const [key, hours] of this.pending) {
        done.push([key, hours]);
        const m = this.meters.get(key);
        if (m && hours.length) {
          this.d.storage.put(m.kind, m.id, hours);
          this.recost(m, hours[0].hour, hours[hours.length - 1].hour + HOUR);
          this.hoursWritten += hours.length;
        }
        if (performance.now() - t0 > budgetMs) break;
      }
    })();
    for (const [key, hours] of done) {
      this.pending.delete(key);
      const m = this.meters.get(key);
      if (m && hours.length) this.changed(m.kind, m.id, hours[0].hour, hours[hours.length - 1].hour + HOUR);
    }
  }

  private wake(): void {
    if (this.jobs.length || this.running) return;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** resolves when every queued job is done and the completed live hours are written */
  async settled(): Promise<void> {
    if (this.reloadTimer) this.reloadNow();
    for (;;) {
      if (!this.started) return;
      while (this.offline) await this.offline;
      if (this.jobs.length || this.running) await new Promise<void>((r) => this.waiters.push(r));
      this.writePending();
      if (!this.jobs.length && !this.running && !this.offline) return;
    }
  }
}
