/**
 * The alarm service: watches the value bus for limit, state and communication conditions, watches data
 * sources for going offline, takes alarms raised by rules, and runs every alarm through the ISA-18.2
 * state machine. Each transition is stored (alarms + alarm_events), audited when an operator made it, and
 * pushed to live clients.
 */
import type { AuditLog } from '../audit/audit';
import type { Statement } from 'better-sqlite3';
import type { Store } from '../store/store';
import type { Quality, ValueBatch, ValueBus } from '../values/bus';
import { applySample, INACTIVE, tick as tickCondition, type ConditionConfig, type ConditionState } from './condition';
import { performance, type PerformanceReport } from './performance';
import { scanIntervalMs } from '../acquisition/engine';
import { talksToDevice } from '../../shared/protocols';
import { buildPlans, COMM_MIN_ON_DELAY_MS, conditionMessage, type PlanCondition, type PointPlan } from './plan';
import { AlarmRepository, alarmJson, alarmKey, keyOf, rowState, withState, type AlarmRow } from './repository';
import {
  acknowledge,
  activate,
  AlarmTransitionError,
  clear,
  expireShelve,
  isAnnunciated,
  priorityRank,
  setOutOfService,
  setSuppressed,
  shelve,
  stateName,
  unshelve,
  type Priority,
  type Step,
} from './state';

/**
 * How long a data source must stay offline before its alarm activates, by default: one scan interval. The
 * source turns offline at its first failed scan (or at once when the link drops); staying offline for one
 * more interval confirms it, so the alarm comes within two scan intervals of the loss.
 */
export const defaultOfflineDelayMs = (scanIntervalMs: number): number => scanIntervalMs;

export type AlarmFilter = 'active' | 'unacknowledged' | 'shelved' | 'suppressed' | 'outofservice' | 'annunciated' | 'all';
export const ALARM_FILTERS: readonly AlarmFilter[] = ['active', 'unacknowledged', 'shelved', 'suppressed', 'outofservice', 'annunciated', 'all'];

export interface AlarmServiceOptions {
  store: Store;
  bus: ValueBus;
  audit?: AuditLog;
  now?: () => number;
  /** how often delays, shelving expiry and data source status are checked (ms); 0 = never by itself (tests call tick) */
  tickMs?: number;
  /** a data source must be offline this long before its alarm activates (read at every check; default one scan interval) */
  dataSourceOfflineDelayMs?: number | ((scanIntervalMs: number) => number);
  /** live push: {"type":"alarms","changed":[...],"summary":{...}} */
  broadcast?: (msg: object) => void;
  /** called after each stored transition (notifications, messages) */
  onTransition?: (alarm: Record<string, unknown>, action: string) => void;
  log?: (line: string) => void;
}

/**
 * Alarms of these sources are raised, cleared and acknowledged elsewhere and only mirrored here (`site`: an edge
 * site's alarm at the central server, central/remote-alarms.ts); operators here cannot acknowledge them.
 */
export const MIRRORED_SOURCES: ReadonlySet<string> = new Set(['site']);

export interface ExternalAlarm {
  source: string;
  sourceId: number;
  condition: string;
  name: string;
  message: string;
  priority: Priority;
  value?: string | number | null;
}

interface Tracked {
  key: string;
  cfg: ConditionConfig;
  state: ConditionState;
  meta: () => { source: string; sourceId: number; condition: string; name: string; message: string; priority: Priority; limit: number | null };
}

export class AlarmService {
  readonly name = 'alarms';
  private readonly repo: AlarmRepository;
  private readonly now: () => number;
  private plans = new Map<number, PointPlan>();
  /** point id -> point ids whose alarms it suppresses */
  private suppressors = new Map<number, number[]>();
  private readonly tracked = new Map<string, Tracked>();
  /** point id -> its tracked conditions (the hot path: no key strings per value) */
  private byPoint = new Map<number, Tracked[]>();
  private readonly pending = new Set<Tracked>();
  private readonly rows = new Map<string, AlarmRow>();
  private readonly byId = new Map<number, AlarmRow>();
  private dataSourceOnline = new Map<number, boolean>();
  /** data source id -> since when it is online again (its points' comm alarms are released after a grace time) */
  private onlineSince = new Map<number, number>();
  /** data source id -> points whose COMM alarm is suppressed because the data source is offline */
  private dsSuppressed = new Map<number, Set<number>>();
  private timer: NodeJS.Timeout | null = null;
  /**
   * Data source statuses are judged from start() on, not when the service is made: until every feature is composed
   * a status is what the last run left ('offline' at its stop, or the column's default in a fresh store), which
   * acquisition replaces with 'connecting' in its own compose. Judged at construction, that stale 'offline' started
   * the OFFLINE on-delay, and a start-up slower than one scan interval (a fresh --demo seeding its history, a loaded
   * machine) raised a false "OFFLINE" alarm at the first tick.
   */
  private started = false;
  private dataSourcesQuery: Statement | null = null;
  private unsubscribe: (() => void) | null = null;
  private changed = new Map<number, AlarmRow>();
  /** transitions whose listeners run after the batch is stored */
  private transitions: { row: AlarmRow; action: string }[] = [];

  constructor(private readonly opts: AlarmServiceOptions) {
    this.repo = new AlarmRepository(opts.store);
    this.now = opts.now ?? Date.now;
    for (const r of this.repo.all()) {
      this.rows.set(keyOf(r), r);
      this.byId.set(r.id, r);
    }
    this.reload();
  }

  start(): void {
    this.started = true;
    this.opts.store.tx(() => this.refreshDataSources(this.now()));
    this.flush();
    this.unsubscribe = this.opts.bus.subscribe((batch) => this.onValues(batch));
    const ms = this.opts.tickMs ?? 250;
    if (ms > 0) {
      this.timer = setInterval(() => {
        try {
          this.tick();
        } catch (e) {
          this.opts.log?.(`alarms tick: ${(e as Error).message}`);
        }
      }, ms);
      this.timer.unref();
    }
  }

  stop(): void {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Re-reads point limits and alarm settings (after a configuration change); condition states are kept. */
  reload(): void {
    this.plans = buildPlans(this.opts.store);
    this.suppressors = new Map();
    this.byPoint = new Map();
    for (const plan of this.plans.values()) this.plan(plan);
    this.dsSuppressed = new Map();
    for (const row of this.rows.values()) {
      if (row.source !== 'point' || row.condition !== 'COMM' || !rowState(row).suppressed) continue;
      const plan = this.plans.get(row.source_id);
      if (plan) this.markDsSuppressed(plan.dataSourceId, plan.pointId);
    }
    // a point deleted, a limit removed or alarms disabled: its conditions are gone, so are their alarms
    const at = this.now();
    this.opts.store.tx(() => {
      this.dropUnplanned([...this.tracked.keys()].filter((k) => k.startsWith('point:')), at);
      if (this.started) this.refreshDataSources(at);
    });
    this.flush();
  }

  /**
   * Re-plans these points only (created, changed or deleted points): the cost of a change does not grow with
   * the number of points in the plant. Condition states of the others are not touched.
   */
  reloadPoints(ids: Iterable<number>): void {
    const list = [...new Set(ids)];
    if (list.length === 0) return;
    const fresh = buildPlans(this.opts.store, list);
    const keys: string[] = [];
    for (const id of list) {
      const old = this.plans.get(id);
      if (old?.suppressWhen) {
        const rest = (this.suppressors.get(old.suppressWhen.pointId) ?? []).filter((p) => p !== id);
        if (rest.length) this.suppressors.set(old.suppressWhen.pointId, rest);
        else this.suppressors.delete(old.suppressWhen.pointId);
      }
      if (old) for (const c of old.conditions) keys.push(alarmKey('point', id, c.kind));
      for (const set of this.dsSuppressed.values()) set.delete(id);
      this.plans.delete(id);
      this.byPoint.delete(id);
      const plan = fresh.get(id);
      if (!plan) continue;
      this.plans.set(id, plan);
      this.plan(plan);
      const comm = this.rows.get(alarmKey('point', id, 'COMM'));
      if (comm && rowState(comm).suppressed) this.markDsSuppressed(plan.dataSourceId, id);
    }
    const at = this.now();
    this.opts.store.tx(() => this.dropUnplanned(keys, at));
    this.flush();
  }

  /** The points whose plans were made with one of these data sources (a data source changed or went). */
  pointsPlannedWith(dataSourceIds: ReadonlySet<number>): number[] {
    const out: number[] = [];
    for (const plan of this.plans.values()) if (dataSourceIds.has(plan.dataSourceId)) out.push(plan.pointId);
    return out;
  }

  /** Tracks a plan's conditions (keeping the state of those already tracked). */
  private plan(plan: PointPlan): void {
    if (plan.suppressWhen) this.suppressors.set(plan.suppressWhen.pointId, [...(this.suppressors.get(plan.suppressWhen.pointId) ?? []), plan.pointId]);
    this.byPoint.set(
      plan.pointId,
      plan.conditions.map((c) => this.track(plan, c)),
    );
  }

  /** Of these tracked point-condition keys, those no plan wants any more stop being tracked and their alarms clear. */
  private dropUnplanned(keys: string[], at: number): void {
    for (const key of keys) {
      const t = this.tracked.get(key);
      if (!t) continue;
      const [, id, kind] = key.split(':');
      if (this.plans.get(Number(id))?.conditions.some((c) => c.kind === kind)) continue;
      this.tracked.delete(key);
      this.pending.delete(t);
      const row = this.rows.get(key);
      const step = row ? clear(rowState(row), at) : null;
      if (row && step) this.commit({ ...row, cleared_at: at }, step, null);
    }
  }

  /** Clears every alarm of a source that no longer exists (a deleted rule or data source). */
  clearSource(source: string, sourceId: number, at = this.now()): void {
    this.opts.store.tx(() => {
      for (const row of [...this.rows.values()]) {
        if (row.source !== source || row.source_id !== sourceId) continue;
        this.tracked.delete(keyOf(row));
        const step = clear(rowState(row), at);
        if (step) this.commit({ ...row, cleared_at: at }, step, null);
      }
    });
    this.flush();
  }

  private track(plan: PointPlan, c: PlanCondition): Tracked {
    const key = alarmKey('point', plan.pointId, c.kind);
    const existing = this.tracked.get(key);
    const meta = () => ({
      source: 'point',
      sourceId: plan.pointId,
      condition: c.kind,
      name: `${plan.pointName} ${c.kind}`,
      message: conditionMessage(plan, c),
      priority: c.priority,
      limit: c.kind === 'COMM' ? null : c.cfg.limit,
    });
    if (existing) {
      existing.cfg = c.cfg;
      existing.meta = meta;
      return existing;
    }
    const row = this.rows.get(key);
    const t: Tracked = { key, cfg: c.cfg, state: row?.active ? { active: true, pendingSince: null } : INACTIVE, meta };
    this.tracked.set(key, t);
    return t;
  }

  // ------------------------------------------------------------------ inputs

  onValues(batch: ValueBatch): void {
    this.opts.store.tx(() => {
      for (let i = 0; i < batch.length; i++) {
        const id = batch.id(i);
        const list = this.byPoint.get(id);
        if (list) for (const t of list) this.feed(t, batch.value(i), batch.quality(i), batch.ts(i));
        const suppressed = this.suppressors.get(id);
        if (suppressed && batch.isNumber(i)) this.applySuppression(suppressed, batch.num(i), batch.ts(i));
      }
    });
    this.flush();
  }

  private feed(t: Tracked, value: number | string | null, quality: Quality, at: number): void {
    const before = t.state;
    const r = applySample(t.cfg, before, value, quality, at);
    if (r.state === before) return; // the common case: nothing changes
    t.state = r.state;
    if (r.state.pendingSince !== null) this.pending.add(t);
    else if (before.pendingSince !== null) this.pending.delete(t);
    if (r.changed) this.conditionChanged(t, r.changed, at, value);
  }

  private conditionChanged(t: Tracked, change: 'activate' | 'clear', at: number, value: unknown): void {
    const meta = t.meta();
    let row = this.rows.get(t.key);
    if (!row) {
      if (change === 'clear') return;
      row = this.createRow(meta, at);
    }
    row = { ...row, name: meta.name, message: meta.message, priority: meta.priority, limit_value: meta.limit };
    const s = rowState(row);
    const step = change === 'activate' ? activate(s, at) : clear(s, at);
    if (!step) return;
    const v = value === undefined || value === null ? null : String(value);
    row = change === 'activate' ? { ...row, value: v, activated_at: at, cleared_at: null, acked_at: null, acked_by: null, ack_comment: null } : { ...row, cleared_at: at };
    // a point alarm whose data source is offline is suppressed by design (the data source alarm says it all)
    if (row.source === 'point' && t.meta().condition === 'COMM') {
      const plan = this.plans.get(row.source_id);
      const dsOffline = plan ? this.dataSourceOnline.get(plan.dataSourceId) === false : false;
      const sup = setSuppressed(step.next, at, dsOffline, true);
      this.commit(row, step, v);
      if (sup) this.commit(this.rows.get(t.key)!, sup, v);
      if (dsOffline && plan) this.markDsSuppressed(plan.dataSourceId, plan.pointId);
      // the data source is back and this point communicates again: release its comm alarm (to NORM)
      if (change === 'clear' && plan && !dsOffline && this.dsSuppressed.get(plan.dataSourceId)?.has(plan.pointId)) this.releasePointComm(plan.dataSourceId, plan.pointId, at);
      return;
    }
    this.commit(row, step, v);
  }

  private createRow(meta: ReturnType<Tracked['meta']>, at: number): AlarmRow {
    const row = this.repo.create(
      { source: meta.source, source_id: meta.sourceId, condition: meta.condition, name: meta.name, message: meta.message, priority: meta.priority, limit_value: meta.limit },
      at,
    );
    this.rows.set(keyOf(row), row);
    this.byId.set(row.id, row);
    return row;
  }

  private commit(row: AlarmRow, step: Step, value: string | null): AlarmRow {
    let next = { ...withState(row, step.next), last_change_at: step.transition.at };
    if (step.transition.action === 'ack') next = { ...next, acked_at: step.transition.at, acked_by: step.transition.user, ack_comment: step.transition.comment };
    this.repo.save(next);
    this.repo.event(next.id, step.transition, value);
    this.rows.set(keyOf(next), next);
    this.byId.set(next.id, next);
    this.changed.set(next.id, next);
    this.transitions.push({ row: next, action: step.transition.action });
    return next;
  }

  private applySuppression(pointIds: number[], value: number, at: number): void {
    for (const pid of pointIds) {
      const plan = this.plans.get(pid);
      if (!plan?.suppressWhen) continue;
      const on = value === plan.suppressWhen.value;
      for (const c of plan.conditions) {
        if (c.kind === 'COMM') continue;
        const key = alarmKey('point', pid, c.kind);
        let row = this.rows.get(key);
        if (!row && !on) continue;
        row ??= this.createRow(this.tracked.get(key)!.meta(), at);
        const step = setSuppressed(rowState(row), at, on);
        if (step) this.commit(row, step, null);
      }
    }
  }

  /** An alarm raised or cleared by a rule (or any other producer that decides the condition itself). */
  raise(a: ExternalAlarm, active: boolean, at = this.now()): { activated: boolean; alarm: Record<string, unknown> | null } {
    const key = alarmKey(a.source, a.sourceId, a.condition);
    let activated = false;
    this.opts.store.tx(() => {
      let row = this.rows.get(key);
      if (!row) {
        if (!active) return;
        row = this.createRow({ source: a.source, sourceId: a.sourceId, condition: a.condition, name: a.name, message: a.message, priority: a.priority, limit: null }, at);
      }
      const value = a.value === undefined || a.value === null ? null : String(a.value);
      row = { ...row, name: a.name, message: a.message, priority: a.priority };
      const step = active ? activate(rowState(row), at) : clear(rowState(row), at);
      if (!step) {
        // still active: keep the text current (the figure in a rule's message moves)
        if (active && (row.message !== this.rows.get(key)!.message || row.value !== value)) {
          row = { ...row, value };
          this.repo.save(row);
          this.rows.set(key, row);
          this.byId.set(row.id, row);
        }
        return;
      }
      activated = active;
      row = active ? { ...row, value, activated_at: at, cleared_at: null, acked_at: null, acked_by: null, ack_comment: null } : { ...row, cleared_at: at };
      this.commit(row, step, value);
    });
    this.flush();
    const row = this.rows.get(key);
    return { activated, alarm: row ? alarmJson(row) : null };
  }

  // ------------------------------------------------------------------ time

  tick(now = this.now()): void {
    this.opts.store.tx(() => {
      // data sources first: a delay ends on the status as it is now (a source back online, or 'connecting' again
      // after a change, since the last tick withdraws its pending OFFLINE before that could activate)
      this.refreshDataSources(now);
      for (const t of [...this.pending]) {
        const r = tickCondition(t.cfg, t.state, now);
        t.state = r.state;
        if (r.state.pendingSince === null) this.pending.delete(t);
        if (r.changed) this.conditionChanged(t, r.changed, now, this.latestValue(t));
      }
      for (const row of [...this.rows.values()]) {
        if (row.shelved_until === null || row.shelved_until > now) continue;
        const step = expireShelve(rowState(row), now);
        if (step) this.commit(row, step, null);
      }
    });
    this.flush();
  }

  private latestValue(t: Tracked): unknown {
    const m = t.meta();
    return m.source === 'point' ? this.opts.bus.latest(m.sourceId)?.value : undefined;
  }

  private refreshDataSources(now: number): void {
    // prepared once: this runs every tick (250 ms)
    this.dataSourcesQuery ??= this.opts.store.db.prepare('SELECT id, name, protocol, status, connection FROM data_sources');
    const rows = this.dataSourcesQuery.all() as {
      id: number;
      name: string;
      protocol: string;
      status: string | null;
      connection: string | null;
    }[];
    const d = this.opts.dataSourceOfflineDelayMs;
    const online = new Map<number, boolean>();
    for (const ds of rows) {
      const isOnline = ds.status === 'online';
      // simulation, virtual (calculated) and manual (hand-entered) data sources have no device that could be lost
      if (!talksToDevice(ds.protocol)) continue;
      const interval = scanIntervalMs(parseConnection(ds.connection));
      const delay = typeof d === 'function' ? d(interval) : (d ?? defaultOfflineDelayMs(interval));
      online.set(ds.id, isOnline);
      const key = alarmKey('datasource', ds.id, 'OFFLINE');
      let t = this.tracked.get(key);
      if (!t) {
        const row = this.rows.get(key);
        t = {
          key,
          cfg: { kind: 'COMM', limit: 0, deadband: 0, onDelayMs: delay, offDelayMs: 0 },
          state: row?.active ? { active: true, pendingSince: null } : INACTIVE,
          meta: () => ({ source: 'datasource', sourceId: ds.id, condition: 'OFFLINE', name: `${ds.name} OFFLINE`, message: `data source ${ds.name} is offline`, priority: 'HIGH', limit: null }),
        };
        this.tracked.set(key, t);
      }
      t.cfg.onDelayMs = delay;
      const was = this.dataSourceOnline.get(ds.id);
      if (ds.status === 'connecting') {
        // a (re)started source before its first scan: not offline yet; an alarm already active stays as it is
        if (!t.state.active) this.feed(t, null, 'good', now);
        online.set(ds.id, was ?? true);
        continue;
      }
      this.feed(t, null, isOnline ? 'good' : 'comm_fail', now);
      if (!isOnline) {
        this.onlineSince.delete(ds.id);
        if (was !== false) this.suppressPointComm(ds.id, now);
      } else {
        if (was !== true) this.onlineSince.set(ds.id, now);
        this.releaseRecovered(ds.id, now);
      }
    }
    // data sources gone since the last refresh (every tracked OFFLINE condition was made above, for an id of the last
    // refresh): not a walk over every tracked condition, which are thousands with point limits, four times a second
    for (const id of this.dataSourceOnline.keys()) {
      if (online.has(id)) continue;
      const key = alarmKey('datasource', id, 'OFFLINE');
      const t = this.tracked.get(key);
      if (!t) continue;
      this.tracked.delete(key);
      this.pending.delete(t);
      const row = this.rows.get(key);
      const step = row ? clear(rowState(row), now) : null;
      if (row && step) this.commit({ ...row, cleared_at: now }, step, null);
    }
    this.dataSourceOnline = online;
  }

  /**
   * The comm alarms of a data source's points are suppressed by design while the data source itself is
   * offline: its one OFFLINE alarm says it all (a 9-point device outage is one alarm, not ten).
   */
  private suppressPointComm(dataSourceId: number, at: number): void {
    for (const plan of this.plans.values()) {
      if (plan.dataSourceId !== dataSourceId) continue;
      const row = this.rows.get(alarmKey('point', plan.pointId, 'COMM'));
      if (!row) continue;
      const step = setSuppressed(rowState(row), at, true);
      if (step) this.commit(row, step, null);
      this.markDsSuppressed(dataSourceId, plan.pointId);
    }
  }

  private markDsSuppressed(dataSourceId: number, pointId: number): void {
    let set = this.dsSuppressed.get(dataSourceId);
    if (!set) this.dsSuppressed.set(dataSourceId, (set = new Set()));
    set.add(pointId);
  }

  /**
   * The data source is online again: a point whose communication is back leaves suppression at once (to NORM);
   * one still failing a grace time (the comm on-delay) later is its own problem and is annunciated.
   */
  private releaseRecovered(dataSourceId: number, now: number): void {
    const set = this.dsSuppressed.get(dataSourceId);
    if (!set || set.size === 0) return;
    const since = this.onlineSince.get(dataSourceId) ?? now;
    for (const pointId of [...set]) {
      const t = this.tracked.get(alarmKey('point', pointId, 'COMM'));
      if (!t || !t.state.active || now - since >= COMM_MIN_ON_DELAY_MS) this.releasePointComm(dataSourceId, pointId, now);
    }
  }

  private releasePointComm(dataSourceId: number, pointId: number, at: number): void {
    this.dsSuppressed.get(dataSourceId)?.delete(pointId);
    const row = this.rows.get(alarmKey('point', pointId, 'COMM'));
    const step = row ? setSuppressed(rowState(row), at, false, true) : null;
    if (row && step) this.commit(row, step, null);
  }

  // ------------------------------------------------------------------ operator actions

  private mustRow(id: number): AlarmRow {
    const row = this.byId.get(id);
    if (!row) throw new AlarmTransitionError('API.ALARM_NOT_FOUND', `alarm ${id} does not exist`);
    return row;
  }

  private operatorAction(id: number, user: { id: number | null; name: string }, action: string, fn: (row: AlarmRow) => Step | null, details?: unknown): Record<string, unknown> {
    const row = this.mustRow(id);
    let step: Step | null;
    try {
      step = fn(row);
    } catch (e) {
      this.opts.audit?.record({ userId: user.id, userName: user.name, action, target: `alarm:${id}`, result: 'failed', details: { error: (e as Error).message } });
      throw e;
    }
    if (!step) return alarmJson(row);
    const s = step;
    const next = this.opts.store.tx(() => {
      const n = this.commit(row, s, null);
      this.opts.audit?.record({ userId: user.id, userName: user.name, action, target: `alarm:${id} ${row.name}`, oldValue: s.transition.from, newValue: s.transition.to, result: 'ok', details });
      return n;
    });
    this.flush();
    return alarmJson(next);
  }

  acknowledge(id: number, user: { id: number | null; name: string }, comment: string | null = null): Record<string, unknown> {
    const at = this.now();
    const mirrored = this.byId.get(id);
    if (mirrored && MIRRORED_SOURCES.has(mirrored.source)) {
      throw new AlarmTransitionError('API.ALARM_ACKNOWLEDGED_ELSEWHERE', `alarm ${id} (${mirrored.name}) is an edge site's alarm: it is acknowledged at that site, and shows acknowledged here when it is`);
    }
    return this.operatorAction(id, user, 'alarm.ack', (row) => acknowledge(rowState(row), at, user.name, comment), comment ? { comment } : undefined);
  }

  /** Acknowledges many; those that need no acknowledgement are reported, not failed. */
  acknowledgeMany(ids: number[], user: { id: number | null; name: string }, comment: string | null = null): { acknowledged: number[]; skipped: { id: number; reason: string }[] } {
    for (const id of ids) this.mustRow(id);
    const acknowledged: number[] = [];
    const skipped: { id: number; reason: string }[] = [];
    for (const id of ids) {
      if (this.byId.get(id)!.acked === 1) {
        skipped.push({ id, reason: 'already acknowledged' });
        continue;
      }
      if (MIRRORED_SOURCES.has(this.byId.get(id)!.source)) {
        skipped.push({ id, reason: 'acknowledged at its edge site' });
        continue;
      }
      this.acknowledge(id, user, comment);
      acknowledged.push(id);
    }
    return { acknowledged, skipped };
  }

  /** A mirrored alarm acknowledged where it is raised (an edge site): recorded here with who did it there. */
  acknowledgeMirrored(source: string, sourceId: number, condition: string, userName: string, comment: string | null, at = this.now()): void {
    const row = this.rows.get(alarmKey(source, sourceId, condition));
    if (!row || row.acked === 1) return;
    const step = acknowledge(rowState(row), at, userName, comment);
    this.opts.store.tx(() => this.commit(row, step, null));
    this.flush();
  }

  shelve(id: number, user: { id: number | null; name: string }, minutes: number, reason: string): Record<string, unknown> {
    const at = this.now();
    return this.operatorAction(id, user, 'alarm.shelve', (row) => shelve(rowState(row), at, user.name, minutes, reason), { minutes, reason });
  }

  unshelve(id: number, user: { id: number | null; name: string }): Record<string, unknown> {
    const at = this.now();
    return this.operatorAction(id, user, 'alarm.unshelve', (row) => unshelve(rowState(row), at, user.name));
  }

  setOutOfService(id: number, user: { id: number | null; name: string }, outOfService: boolean, comment: string | null = null): Record<string, unknown> {
    const at = this.now();
    return this.operatorAction(id, user, outOfService ? 'alarm.out_of_service' : 'alarm.in_service', (row) => setOutOfService(rowState(row), at, user.name, outOfService, comment), comment ? { comment } : undefined);
  }

  // ------------------------------------------------------------------ queries

  list(filter: AlarmFilter = 'annunciated'): Record<string, unknown>[] {
    const rows = [...this.byId.values()].filter((r) => {
      const s = rowState(r);
      switch (filter) {
        case 'active':
          return s.active;
        case 'unacknowledged':
          return !s.acked;
        case 'shelved':
          return s.shelved !== null;
        case 'suppressed':
          return s.suppressed;
        case 'outofservice':
          return s.outOfService;
        case 'annunciated':
          return isAnnunciated(s);
        case 'all':
          return true;
      }
    });
    rows.sort((a, b) => priorityRank(a.priority) - priorityRank(b.priority) || b.last_change_at - a.last_change_at);
    return rows.map(alarmJson);
  }

  get(id: number): Record<string, unknown> {
    return alarmJson(this.mustRow(id));
  }

  history(id: number): Record<string, unknown>[] {
    this.mustRow(id);
    return this.repo.history(id);
  }

  /**
   * For the status bar: annunciated unacknowledged alarms and the most severe priority among them; `visible`
   * limits them to the alarms one user may see (a privilege-limited user's own).
   */
  summary(visible?: (row: AlarmRow) => boolean): { unacknowledged: number; highestPriority: Priority | null; newest: Record<string, unknown> | null } {
    let n = 0;
    let best: AlarmRow | null = null;
    let newest: AlarmRow | null = null;
    for (const r of this.byId.values()) {
      const s = rowState(r);
      if (s.acked || !isAnnunciated(s)) continue;
      if (visible && !visible(r)) continue;
      n++;
      if (!best || priorityRank(r.priority) < priorityRank(best.priority)) best = r;
      if (!newest || (r.activated_at ?? 0) > (newest.activated_at ?? 0)) newest = r;
    }
    return { unacknowledged: n, highestPriority: (best?.priority as Priority) ?? null, newest: newest ? alarmJson(newest) : null };
  }

  /** Drops alarm transitions older than the retention (days). */
  purgeHistory(retentionDays: number): number {
    return this.repo.purge(this.now() - retentionDays * 86_400_000);
  }

  performance(from: number, to: number, positions = 1): PerformanceReport {
    return performance(this.repo, this.byId, from, to, positions, this.now());
  }

  stateOf(id: number): string {
    return stateName(rowState(this.mustRow(id)));
  }

  private flush(): void {
    if (this.changed.size === 0) return;
    const changed = [...this.changed.values()].map(alarmJson);
    const transitions = this.transitions;
    this.changed = new Map();
    this.transitions = [];
    if (this.opts.broadcast) {
      const s = this.summary();
      try {
        this.opts.broadcast({ type: 'alarms', changed, summary: { unacknowledged_alarms: s.unacknowledged, highest_alarm_priority: s.highestPriority } });
      } catch (e) {
        this.opts.log?.(`alarms broadcast: ${(e as Error).message}`);
      }
    }
    if (this.opts.onTransition) {
      for (const t of transitions) {
        try {
          this.opts.onTransition(alarmJson(t.row), t.action);
        } catch (e) {
          this.opts.log?.(`alarm listener: ${(e as Error).message}`);
        }
      }
    }
  }
}

function parseConnection(text: string | null): Record<string, unknown> {
  try {
    const v = JSON.parse(text ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
