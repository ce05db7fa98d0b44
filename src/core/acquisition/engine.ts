/**
 * The acquisition engine: one runner per data source with its own clock and driver, the scaling and quality
 * of every value, virtual points recomputed whenever an input changes, and live reconfiguration.
 */
import type {
  AcquisitionService,
  AcquisitionSinks,
  DataSourceConfig,
  DataSourceDiagnostics,
  DataSourceStatus,
  PointConfig,
  PointValue,
  Quality,
  ReadNowResult,
  WriteOutcome,
} from './contracts';
import { addReading, type Driver, type DriverContext, type RawReading, type Readings } from './drivers/driver';
import { BacnetDriver } from './drivers/bacnet';
import { ModbusDriver } from './drivers/modbus';
import { MqttDriver } from './drivers/mqtt';
import { SimulationDriver } from './drivers/simulation';
import { compileVirtual, type CompiledVirtual } from './virtual';
import { LatestValues } from '../values/latest';
import { QUALITY_INDEX, ValueBatch, ValueBatchBuilder } from '../values/batch';

const DEFAULT_INTERVAL_S = 5;
const MIN_INTERVAL_S = 0.1;
const DEFAULT_MAX_BACKOFF_S = 30;

export type DriverFactory = (protocol: string, ctx: DriverContext) => Driver | null;

const builtInDrivers: DriverFactory = (protocol, ctx) => {
  switch (protocol) {
    case 'modbus-tcp':
    case 'modbus-rtu':
      return new ModbusDriver(protocol, ctx);
    case 'mqtt':
      return new MqttDriver(ctx);
    case 'bacnet-ip':
      return new BacnetDriver(ctx);
    case 'simulation':
      return new SimulationDriver();
    default:
      return null;
  }
};

/** A data source's scan interval in ms, from its connection's interval_in_seconds. */
export function scanIntervalMs(connection: Record<string, unknown>): number {
  const v = connection.interval_in_seconds;
  return Math.max(MIN_INTERVAL_S, typeof v === 'number' && Number.isFinite(v) ? v : DEFAULT_INTERVAL_S) * 1000;
}

const GOOD = QUALITY_INDEX.get('good')!;
const OUT_OF_RANGE = QUALITY_INDEX.get('out_of_range')!;

/**
 * A scan's readings as they come from the driver, scaled into the point's value with its quality judged (limits ->
 * out_of_range) and packed into a value batch. A lost reading (comm_fail, stale) keeps the point's last value; a
 * comm_fail already reported is not repeated every scan.
 */
class ScanValues implements Readings {
  private readonly out: ValueBatchBuilder;

  constructor(
    private readonly points: ReadonlyMap<number, PointConfig>,
    private readonly latest: LatestValues | null,
    private readonly now: number,
  ) {
    this.out = new ValueBatchBuilder(points.size);
  }

  add(pointId: number, raw: number | string | null, quality?: Quality, ts?: number, error?: string): void {
    const p = this.points.get(pointId);
    if (!p) return; // removed while the scan ran
    const t = ts ?? this.now;
    if (quality === 'comm_fail' || quality === 'stale') {
      if (quality === 'comm_fail' && this.latest?.qualityOf(pointId) === 'comm_fail') return;
      this.out.push(pointId, raw ?? this.latest?.get(pointId)?.value ?? null, quality, t);
    } else if (raw === null || error) this.out.push(pointId, null, quality ?? 'bad', t);
    else if (typeof raw === 'string') this.out.push(pointId, raw, quality ?? 'good', t);
    else {
      const value = raw * p.ratio + p.offset_constant;
      if (quality) this.out.push(pointId, value, quality, t);
      else this.out.pushNumber(pointId, value, outOfLimits(p, value) ? OUT_OF_RANGE : GOOD, t);
    }
  }

  finish(): ValueBatch {
    return this.out.finish();
  }
}

/** Scales one raw reading into the point's value (read now, a write's read-back): what a scan makes of it. */
export function toPointValue(p: PointConfig, r: RawReading, now: number): PointValue {
  const one = new ScanValues(new Map([[p.id, p]]), null, now);
  addReading(one, p.id, r);
  return one.finish().at(0);
}

function outOfLimits(p: { low_limit: number | null; high_limit: number | null }, value: number): boolean {
  return (p.high_limit !== null && value > p.high_limit) || (p.low_limit !== null && value < p.low_limit);
}

function qualityByLimits(p: { low_limit: number | null; high_limit: number | null }, value: number): Quality {
  return outOfLimits(p, value) ? 'out_of_range' : 'good';
}

const SEVERITY: Record<Quality, number> = { good: 0, manual: 0, out_of_range: 0, stale: 1, bad: 2, comm_fail: 3 };

/**
 * The next scan's delay at a fixed rate: one interval after the scan that just ran was due (not after it started),
 * so a timer that fired late (a busy event loop, a loaded machine) does not push every later scan back with it.
 * `due` null: a scan that overran its slot is followed at once and the rate restarts from there, with no burst of
 * catch-up scans. Times in ms on one clock (performance.now()).
 */
export function nextScan(due: number, now: number, interval: number): { delay: number; due: number | null } {
  const next = due + interval;
  return next > now ? { delay: next - now, due: next } : { delay: 0, due: null };
}

class SourceRunner {
  driver: Driver | null = null;
  points: PointConfig[] = [];
  /** the same points by id, for the readings of a scan */
  private byId = new Map<number, PointConfig>();
  connected = false;
  private timer: NodeJS.Timeout | null = null;
  private scanning: Promise<void> | null = null;
  private stopped = true;
  private failures = 0;
  lastScanMs: number | null = null;
  /** when the scheduled scan is due (performance.now()); null: when it starts (the first, after a failure or an overrun) */
  private due: number | null = null;
  lastSeen: number | null = null;
  status: DataSourceStatus = 'offline';
  lastError: string | undefined;

  constructor(
    public cfg: DataSourceConfig,
    private readonly engine: Engine,
  ) {}

  get interval(): number {
    return scanIntervalMs(this.cfg.connection);
  }

  private get timeoutMs(): number {
    const t = this.cfg.connection.timeout_ms;
    return typeof t === 'number' && t > 0 ? t : Math.min(1000, Math.max(200, this.interval * 0.8));
  }

  private makeDriver(): Driver | null {
    const ctx: DriverContext = {
      connection: this.cfg.connection,
      timeoutMs: this.timeoutMs,
      log: (line) => this.engine.log(`${this.cfg.name}: ${line}`),
      push: (fill) => this.deliver(fill),
      lost: (reason) => this.onLost(reason),
    };
    return builtInDrivers(this.cfg.protocol, ctx);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.driver = this.makeDriver();
    if (!this.driver) {
      // sparkplug: a remote site's points are fed by the central server's Sparkplug host (central/remote.ts)
      if (this.cfg.protocol !== 'virtual' && this.cfg.protocol !== 'manual' && this.cfg.protocol !== 'sparkplug') this.engine.log(`${this.cfg.name}: protocol ${this.cfg.protocol} has no driver; its points stay unread`);
      return;
    }
    this.driver.plan(this.points);
    // not offline before its first attempt: a slow first connect (a protocol library loading, a loaded machine) raises no alarm
    this.setStatus('connecting');
    this.schedule(0);
  }

  setPoints(points: PointConfig[]): void {
    this.points = points;
    this.byId = new Map(points.map((p) => [p.id, p]));
    this.driver?.plan(points);
  }

  private schedule(ms: number, due: number | null = null): void {
    if (this.stopped) return;
    this.due = due;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.scanning = this.scan().finally(() => {
        this.scanning = null;
      });
    }, ms);
  }

  private async scan(): Promise<void> {
    const driver = this.driver;
    if (!driver || this.stopped) return;
    const t0 = performance.now();
    const due = this.due ?? t0;
    try {
      if (!this.connected) {
        await driver.connect();
        if (this.stopped) return;
        this.connected = true;
        driver.plan(this.points);
        this.engine.log(`${this.cfg.name}: connected`);
      }
      const scan = this.values();
      await driver.read(scan);
      if (this.stopped || driver !== this.driver) return;
      this.failures = 0;
      this.lastError = undefined;
      this.lastSeen = Date.now();
      this.setStatus('online');
      this.engine.emit(scan.finish());
      const now = performance.now();
      this.lastScanMs = now - t0;
      const next = nextScan(due, now, this.interval);
      this.schedule(next.delay, next.due);
    } catch (e) {
      if (this.stopped || driver !== this.driver) return;
      this.lastScanMs = performance.now() - t0;
      this.fail((e as Error).message);
      this.failures++;
      const cap = typeof this.cfg.connection.max_backoff_s === 'number' ? this.cfg.connection.max_backoff_s * 1000 : DEFAULT_MAX_BACKOFF_S * 1000;
      const base = Math.min(cap, Math.max(this.interval, 500) * 2 ** Math.min(this.failures - 1, 10));
      this.schedule(base * (0.8 + Math.random() * 0.4));
    }
  }

  /** The link is gone: every point turns comm_fail at once, and the next scan reconnects. */
  private fail(reason: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    if (this.lastError !== reason || wasConnected) this.engine.log(`${this.cfg.name}: ${reason}`);
    this.lastError = reason;
    void this.driver?.close().catch(() => undefined);
    this.setStatus('offline');
    this.deliver((out) => {
      for (const p of this.points) out.add(p.id, null, 'comm_fail', undefined, reason);
    });
  }

  private onLost(reason: string): void {
    if (!this.connected || this.stopped) return;
    this.fail(reason);
  }

  private setStatus(status: DataSourceStatus): void {
    this.status = status;
    this.engine.sinks.dataSourceStatus(this.cfg.id, status, this.lastSeen);
  }

  /** a scan's values, as the driver reads them (its start's time is theirs unless the device gives one) */
  private values(): ScanValues {
    return new ScanValues(this.byId, this.engine.latestValues, Date.now());
  }

  /** readings outside a scan (pushed by the device, a link lost, a manual value) */
  deliver(fill: (out: Readings) => void): void {
    if (this.stopped) return;
    const scan = this.values();
    fill(scan);
    this.engine.emit(scan.finish());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.scanning?.catch(() => undefined);
    const d = this.driver;
    this.driver = null;
    this.connected = false;
    await d?.close().catch(() => undefined);
  }
}

class Engine implements AcquisitionService {
  private readonly runners = new Map<number, SourceRunner>();
  private readonly points = new Map<number, PointConfig>();
  /** data source id -> its points, so that a change re-plans one data source without looking at the others */
  private readonly bySource = new Map<number, Map<number, PointConfig>>();
  /** packed (values/latest.ts), so that a scan's value objects die young */
  readonly latestValues = new LatestValues();
  private virtuals = new Map<number, CompiledVirtual>();
  private dependents = new Map<number, number[]>();
  private running = false;
  private readonly stopping = new Set<Promise<void>>();

  constructor(
    readonly sinks: AcquisitionSinks,
    readonly log: (line: string) => void,
  ) {}

  configure(dataSources: DataSourceConfig[], points: PointConfig[]): void {
    const keep = new Set(dataSources.map((d) => d.id));
    for (const [id, runner] of this.runners) {
      if (!keep.has(id)) {
        this.runners.delete(id);
        this.track(runner.stop());
      }
    }
    const pointIds = new Set(points.map((p) => p.id));
    for (const id of this.latestValues.keys()) if (!pointIds.has(id)) this.latestValues.delete(id);
    this.points.clear();
    this.bySource.clear();
    for (const p of points) this.addPoint(p);
    this.compileVirtuals();
    for (const ds of dataSources) this.applySource(ds);
    // virtual points whose inputs are already known get a value now
    this.evaluate([...this.virtuals.keys()]);
  }

  update(dataSources: ReadonlyMap<number, DataSourceConfig | null>, points: ReadonlyMap<number, PointConfig | null>): void {
    const touched = new Set<number>();
    let virtualsChanged = false;
    for (const [id, p] of points) {
      const old = this.points.get(id);
      if (old) {
        touched.add(old.data_source_id);
        this.bySource.get(old.data_source_id)?.delete(id);
        this.points.delete(id);
        if (old.is_virtual) virtualsChanged = true;
      }
      if (p) {
        this.addPoint(p);
        touched.add(p.data_source_id);
        if (p.is_virtual) virtualsChanged = true;
      } else {
        this.latestValues.delete(id);
        if (this.dependents.has(id)) virtualsChanged = true;
      }
    }
    for (const [id, ds] of dataSources) {
      if (ds) {
        this.applySource(ds);
        continue;
      }
      const runner = this.runners.get(id);
      if (runner) {
        this.runners.delete(id);
        this.track(runner.stop());
      }
      touched.delete(id);
    }
    for (const id of touched) {
      if (dataSources.has(id)) continue; // applySource planned it already
      this.runners.get(id)?.setPoints(this.pointsOf(id));
    }
    if (virtualsChanged) {
      this.compileVirtuals();
      this.evaluate([...this.virtuals.keys()]);
    }
  }

  private addPoint(p: PointConfig): void {
    this.points.set(p.id, p);
    let mine = this.bySource.get(p.data_source_id);
    if (!mine) this.bySource.set(p.data_source_id, (mine = new Map()));
    mine.set(p.id, p);
  }

  /** The points a data source's driver reads (virtual points are computed, not read). */
  private pointsOf(dataSourceId: number): PointConfig[] {
    return [...(this.bySource.get(dataSourceId)?.values() ?? [])].filter((p) => !p.is_virtual);
  }

  /** A data source added or changed: a new connection or protocol restarts its runner, anything else re-plans it. */
  private applySource(ds: DataSourceConfig): void {
    let runner = this.runners.get(ds.id);
    const changed = runner && (runner.cfg.protocol !== ds.protocol || JSON.stringify(runner.cfg.connection) !== JSON.stringify(ds.connection));
    if (runner && changed) {
      this.track(runner.stop());
      runner = undefined;
    }
    if (!runner) {
      runner = new SourceRunner(ds, this);
      this.runners.set(ds.id, runner);
      runner.setPoints(this.pointsOf(ds.id));
      if (this.running) runner.start();
    } else {
      runner.cfg = ds;
      runner.setPoints(this.pointsOf(ds.id));
    }
  }

  private compileVirtuals(): void {
    this.virtuals = new Map();
    this.dependents = new Map();
    for (const p of this.points.values()) {
      if (!p.is_virtual) continue;
      try {
        const c = compileVirtual(p.address);
        this.virtuals.set(p.id, c);
        for (const input of new Set(c.inputs.values())) {
          const list = this.dependents.get(input) ?? [];
          list.push(p.id);
          this.dependents.set(input, list);
        }
      } catch (e) {
        this.log(`virtual point ${p.name}: ${(e as Error).message}`);
        this.hand(ValueBatch.of([{ point_id: p.id, value: null, quality: 'bad', ts: Date.now() }]));
      }
    }
  }

  private track(p: Promise<void>): void {
    this.stopping.add(p);
    void p.finally(() => this.stopping.delete(p));
  }

  async start(): Promise<void> {
    this.running = true;
    for (const r of this.runners.values()) r.start();
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    await Promise.all([...this.stopping]);
  }

  private hand(batch: ValueBatch): void {
    this.latestValues.setAll(batch);
    if (batch.length) this.sinks.values(batch);
  }

  /** A runner's batch, then the virtual points that depend on it (in a batch of their own). */
  emit(batch: ValueBatch): void {
    if (!batch.length) return;
    this.hand(batch);
    if (!this.dependents.size) return;
    const affected = new Set<number>();
    for (let i = 0; i < batch.length; i++) for (const id of this.dependents.get(batch.id(i)) ?? []) affected.add(id);
    if (affected.size) this.evaluate([...affected]);
  }

  /** Recomputes virtual points (in dependency order, so chains of virtual points settle in one pass). */
  private evaluate(ids: number[]): void {
    const out = new ValueBatchBuilder(ids.length);
    const seen = new Set<number>();
    const queue = [...ids];
    const now = Date.now();
    while (queue.length) {
      const id = queue.shift()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const c = this.virtuals.get(id);
      const p = this.points.get(id);
      if (!c || !p) continue;
      const scope = new Map<string, number>();
      let worst: Quality = 'good';
      let missing = false;
      for (const [name, input] of c.inputs) {
        const v = this.latestValues.get(input);
        if (!v || typeof v.value !== 'number') {
          missing = true;
          break;
        }
        scope.set(name, v.value);
        if (SEVERITY[v.quality] > SEVERITY[worst]) worst = v.quality;
      }
      if (missing) continue;
      let value: number | null = null;
      try {
        value = c.evaluate(scope);
      } catch (e) {
        this.log(`virtual point ${p.name}: ${(e as Error).message}`);
      }
      const quality: Quality = value === null ? 'bad' : SEVERITY[worst] > 0 ? worst : qualityByLimits(p, value);
      // known at once to the virtual points computed from this one, further down the queue
      this.latestValues.set({ point_id: id, value, quality, ts: now });
      out.push(id, value, quality, now);
      for (const d of this.dependents.get(id) ?? []) queue.push(d);
    }
    const batch = out.finish();
    if (batch.length) this.sinks.values(batch);
  }

  private runnerOf(pointId: number): { point: PointConfig; runner: SourceRunner | undefined } {
    const point = this.points.get(pointId);
    if (!point) throw new Error(`point ${pointId} is not configured`);
    return { point, runner: this.runners.get(point.data_source_id) };
  }

  async readNow(pointId: number): Promise<ReadNowResult> {
    const { point, runner } = this.runnerOf(pointId);
    if (point.is_virtual) {
      this.evaluate([pointId]);
      const v = this.latestValues.get(pointId);
      return { raw: null, value: v?.value ?? null, quality: v?.quality ?? 'stale', error: v ? undefined : 'an input of the expression has no value yet' };
    }
    if (!runner?.driver) return { raw: null, value: null, quality: 'comm_fail', error: 'the data source has no running driver' };
    if (!runner.connected) return { raw: null, value: null, quality: 'comm_fail', error: runner.lastError ?? 'not connected' };
    const r = await runner.driver.readOne(point);
    const v = toPointValue(point, r, Date.now());
    return { raw: r.words ?? (typeof r.raw === 'number' ? [r.raw] : r.raw), value: v.value, quality: v.quality, request: r.request, response: r.response, error: r.error };
  }

  async write(pointId: number, value: number, opts: { priority?: number } = {}): Promise<WriteOutcome> {
    const { point, runner } = this.runnerOf(pointId);
    if (point.is_virtual) return { ok: false, error: 'a virtual point cannot be written' };
    if (runner?.cfg.protocol === 'manual') {
      // a value entered by hand: taken as it is, marked manual
      runner.deliver((out) => out.add(point.id, (value - point.offset_constant) / (point.ratio || 1), 'manual'));
      return { ok: true, readback: this.latestValues.get(point.id)?.value ?? null };
    }
    if (!runner?.driver || !runner.connected) return { ok: false, error: runner?.lastError ?? 'the data source is not connected' };
    const raw = (value - point.offset_constant) / (point.ratio || 1);
    const result = await runner.driver.write(point, raw, opts);
    if (!result.ok) return result;
    if (runner.cfg.protocol === 'mqtt') return result;
    const back = await runner.driver.readOne(point);
    const v = toPointValue(point, back, Date.now());
    if (v.quality !== 'bad') runner.deliver((out) => addReading(out, point.id, back));
    return { ok: true, readback: v.value };
  }

  async publish(dataSourceId: number, topic: string, payload: string): Promise<void> {
    const runner = this.runners.get(dataSourceId);
    if (!runner) throw new Error(`data source ${dataSourceId} is not configured`);
    if (!(runner.driver instanceof MqttDriver)) throw new Error(`data source ${runner.cfg.name} is not an MQTT data source`);
    await runner.driver.publish(topic, payload);
  }

  diagnostics(dataSourceId: number): DataSourceDiagnostics | undefined {
    const r = this.runners.get(dataSourceId);
    if (!r) return undefined;
    const s = r.driver?.stats;
    return {
      data_source_id: dataSourceId,
      protocol: r.cfg.protocol,
      status: r.status,
      last_request: s?.lastRequest,
      last_response: s?.lastResponse,
      last_error: r.lastError ?? s?.lastError,
      errors: { ...(s?.errors ?? {}) },
      rtt_ms: s?.rtt() ?? { last: null, p50: null, p95: null },
      requests_per_scan: s?.requestsInLastScan ?? 0,
      requests_total: s?.requestsTotal ?? 0,
      responses_total: s?.responsesTotal ?? 0,
      scan_duration_ms: r.lastScanMs === null ? null : Math.round(r.lastScanMs * 100) / 100,
      points: r.points.length,
    };
  }

  latest(pointId: number): PointValue | undefined {
    return this.latestValues.get(pointId);
  }
}

export function createAcquisitionService(sinks: AcquisitionSinks, log: (msg: string) => void = () => undefined): AcquisitionService {
  return new Engine(sinks, log);
}
