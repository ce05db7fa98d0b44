/**
 * Demand-response dispatch as a client of the control arbiter. Every tick, each running event places (or
 * refreshes) one request per targeted local resource, leased until the event's end; events that ended, were
 * cancelled or opted out lose theirs, and the arbiter hands the point to the next request or to its fallback.
 *
 * - Overlapping events resolve in the arbiter: a higher event priority (OpenADR: 0 is highest) wins; at equal
 *   priority the event (resource) that started last wins.
 * - Signal types are honoured through the resource's configuration (`metadata.signals`): PowerLevel and
 *   DISPATCH_SETPOINT are kW setpoints (scale 1 unless configured); SIMPLE and CurrentLevel need a mapping
 *   (`levels` {"1": 20, ...} or `scale`/`offset`); a PRICE signal is never a setpoint: it feeds the storage
 *   controllers' time-of-use as the price while the event runs.
 * - The battery's SOC limits are a safety constraint above every DR request (control/storage.ts).
 */
import { createHash } from 'node:crypto';
import { PRIORITY } from '../control/arbiter';
import type { ControlHub } from '../control/service';
import type { RuntimeContext } from '../feature';
import { durationMs, endOf, type EventRow, toOperator } from './events';

/** A resource's start offset within randomizeStart: stable for an event and a resource. */
export function randomOffset(eventUuid: string, resourceId: number, spreadMs: number): number {
  const h = createHash('sha256').update(`${eventUuid}:${resourceId}`).digest();
  return (h.readUInt32BE(0) / 0xffffffff) * spreadMs;
}

export interface SignalMapping {
  scale?: number;
  offset?: number;
  levels?: Record<string, number>;
}

export type Mapped = { kind: 'setpoint'; value: number } | { kind: 'price'; price: number } | { kind: 'none'; why: string };

/** What a payload means for a resource: a setpoint, a price, or nothing (unmapped). */
export function mapSignal(type: string, value: number, metadata: Record<string, unknown>): Mapped {
  if (type === 'PRICE') return { kind: 'price', price: value };
  const signals = (metadata.signals ?? {}) as Record<string, SignalMapping | undefined>;
  const m = signals[type];
  if (m?.levels) {
    const v = m.levels[String(value)];
    return typeof v === 'number' && Number.isFinite(v) ? { kind: 'setpoint', value: v } : { kind: 'none', why: `no level ${value} in the resource's ${type} mapping` };
  }
  if (m && (m.scale !== undefined || m.offset !== undefined)) return { kind: 'setpoint', value: value * (m.scale ?? 1) + (m.offset ?? 0) };
  if (type === 'PowerLevel' || type === 'DISPATCH_SETPOINT') return { kind: 'setpoint', value };
  return { kind: 'none', why: `the resource has no mapping for ${type} signals (metadata.signals.${type}: {"levels":{...}} or {"scale":...})` };
}

interface Interval {
  id?: number;
  intervalPeriod?: { start?: string; duration?: string };
  payloads?: { type?: unknown; values?: unknown[] }[];
}

/**
 * When each of an event's intervals holds (OpenADR: each from its own intervalPeriod.start, else where the previous
 * one ended, the first at the event's start; lasting its own duration, else an equal share of the event's), cut at
 * the event's end.
 */
export function intervalTimes(o: { interval_period: { start: string; duration: string }; intervals: unknown[] }): { start: number; end: number }[] {
  const start = Date.parse(o.interval_period.start);
  const total = durationMs(o.interval_period.duration) ?? 0;
  const end = start + total;
  const list = o.intervals as Interval[];
  let at = start;
  return list.map((iv) => {
    const s = iv.intervalPeriod?.start ? Date.parse(iv.intervalPeriod.start) : at;
    const e = Math.min(end, s + (durationMs(iv.intervalPeriod?.duration) ?? total / list.length));
    at = e;
    return { start: s, end: e };
  });
}

/**
 * The signal in force at `now`: the interval holding at `now` (intervalTimes), each dispatched at its time; an event
 * without intervals holds its one payload throughout.
 */
export function currentSignal(o: { interval_period: { start: string; duration: string }; intervals: unknown[]; payload: { type: string; value: unknown } }, now: number): { type: string; value: number; end: number } | null {
  const start = Date.parse(o.interval_period.start);
  const end = start + (durationMs(o.interval_period.duration) ?? 0);
  if (now < start || now >= end) return null;
  const list = o.intervals as Interval[];
  if (!list.length) return typeof o.payload.value === 'number' ? { type: o.payload.type, value: o.payload.value, end } : null;
  const times = intervalTimes(o);
  const i = times.findIndex((t) => now >= t.start && now < t.end);
  if (i < 0) return null;
  const p = (list[i].payloads ?? []).find((x) => typeof x.type === 'string' && typeof x.values?.[0] === 'number');
  return p ? { type: p.type as string, value: p.values![0] as number, end: times[i].end } : null;
}

/**
 * The signal a resource follows at `now` when its start is delayed by `offset` (its share of randomizeStart): the
 * event's whole profile shifted by the offset for it (every interval keeps its length and order, as OpenADR applies
 * randomizeStart to each interval's start), cut at the event's end.
 */
export function resourceSignal(o: Parameters<typeof currentSignal>[0], offset: number, now: number): { type: string; value: number; end: number } | null {
  const signal = currentSignal(o, now - offset);
  if (!signal) return null;
  const end = Math.min(Date.parse(o.interval_period.start) + (durationMs(o.interval_period.duration) ?? 0), signal.end + offset);
  return now < end ? { ...signal, end } : null;
}

interface ResourceRow {
  id: number;
  point_id: number | null;
  metadata: string;
}

export class DrDispatch {
  private readonly warned = new Set<string>();

  constructor(private readonly ctx: RuntimeContext) {}

  private hub(): ControlHub | undefined {
    return this.ctx.services.get('control') as ControlHub | undefined;
  }

  /** Places, refreshes and withdraws the requests of every running event; answers the points it touched. */
  sync(now = Date.now()): void {
    const hub = this.hub();
    if (!hub || !this.ctx.store.db.open) return;
    const keep = new Set<string>();
    const events = this.ctx.store.db.prepare("SELECT * FROM dr_events WHERE status = 'active'").all() as EventRow[];
    for (const e of events) {
      const o = toOperator(e);
      const start = Date.parse(o.interval_period.start);
      const spread = durationMs(o.interval_period.randomizeStart ?? '') ?? 0;
      const dispatched: Record<string, number | string> = {};
      for (const rid of o.target_resources) {
        if (o.opt_outs.includes(rid)) continue;
        const r = this.ctx.store.db.prepare('SELECT id, point_id, metadata FROM dr_resources WHERE id = ?').get(rid) as ResourceRow | undefined;
        if (!r?.point_id) continue;
        // randomizeStart delays each resource by its own offset, the same on every tick; the request is leased until
        // the resource's current interval ends: the next interval replaces it at its time
        const offset = spread ? randomOffset(e.uuid, rid, spread) : 0;
        const signal = resourceSignal(o, offset, now);
        if (!signal) continue;
        const begins = start + offset;
        const end = Math.min(endOf(e), signal.end);
        let metadata: Record<string, unknown>;
        try {
          metadata = JSON.parse(r.metadata) as Record<string, unknown>;
        } catch {
          metadata = {};
        }
        const owner = `dr:${e.uuid}:${rid}`;
        const m = mapSignal(signal.type, signal.value, metadata);
        const reason = `DR event ${e.name} (${signal.type} ${signal.value})`;
        if (m.kind === 'setpoint') {
          keep.add(owner);
          hub.arbiter.upsert({ pointId: r.point_id, value: m.value, priority: PRIORITY.dr - Math.min(99, e.priority), source: 'dr', owner, actor: { userId: null, name: `demand response event ${e.name}` }, reason, start: begins, expires: end });
          dispatched[r.point_id] = m.value;
        } else if (m.kind === 'price') {
          keep.add(owner);
          hub.storage.setPrice(r.point_id, owner, { price: m.price, expires: end, reason });
          dispatched[r.point_id] = `price ${m.price}`;
        } else if (!this.warned.has(owner)) {
          this.warned.add(owner);
          this.ctx.log(`dr: event ${e.name} is not dispatched to resource ${rid}: ${m.why}`);
        }
      }
      const text = JSON.stringify(dispatched);
      if (text !== '{}') this.ctx.store.db.prepare('UPDATE dr_events SET dispatch = ? WHERE id = ? AND dispatch != ?').run(text, e.id, text);
    }
    hub.arbiter.withdrawExcept('dr:', keep);
    hub.storage.clearPricesExcept('dr:', keep);
  }

  /** Syncs and lets the arbiter act at once (a change made by an operator shows without waiting for the cycle). */
  async apply(): Promise<void> {
    this.sync();
    await this.hub()?.arbiter.cycle();
  }
}
