/**
 * What an event delivered, against a baseline from the historian.
 *
 * Baseline ("10 of 10"): the average power of the measured point over the event's window (same local
 * time of day) on each of the last 10 eligible days (days with data in the window, not the event's own day,
 * without another DR event overlapping that window), slot by slot (15 minutes). Day-of adjustment: the ratio of
 * the actual average to the baseline average over the 2 hours before the event, capped to 0.8 … 1.2.
 * Delivered kW per slot = adjusted baseline − actual; delivered kWh = the sum of delivered kW × slot hours.
 */
import type { SampleStorage } from '../historian/storage';
import type { Store } from '../store/store';
import { durationMs, type EventRow } from './events';

const SLOT_MS = 15 * 60_000;
const DAY_MS = 86_400_000;
const DAYS = 10;
const LOOKBACK_DAYS = 30;
const ADJUSTMENT_WINDOW_MS = 2 * 3_600_000;
export const ADJUSTMENT_CAP = 0.2;

export interface ResourcePerformance {
  resource_id: string;
  point_id: number;
  baseline_days: number;
  adjustment: number | null;
  baseline_kw: number | null;
  actual_kw: number | null;
  delivered_kw: number | null;
  delivered_kwh: number | null;
  slots: { start: string; baseline_kw: number | null; actual_kw: number | null }[];
}

/** the mean of the point's numeric samples in [from, to), read through the historian */
function average(history: SampleStorage, pointId: number, from: number, to: number): number | null {
  let sum = 0;
  let n = 0;
  for (const s of history.scan(pointId, from, to - 1)) {
    if (typeof s.value !== 'number') continue;
    sum += s.value;
    n++;
  }
  return n ? sum / n : null;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null);

export function resourcePerformance(store: Store, history: SampleStorage, e: EventRow, resourceId: string, pointId: number): ResourcePerformance {
  const ip = JSON.parse(e.interval_period) as { start: string; duration: string };
  const start = Date.parse(ip.start);
  const end = start + (durationMs(ip.duration) ?? 0);
  const others = (store.db.prepare('SELECT interval_period FROM dr_events WHERE id != ? AND status != ?').all(e.id, 'draft') as { interval_period: string }[]).map((r) => {
    const p = JSON.parse(r.interval_period) as { start: string; duration: string };
    const s = Date.parse(p.start);
    return [s, s + (durationMs(p.duration) ?? 0)] as const;
  });
  const days: number[] = [];
  for (let d = 1; d <= LOOKBACK_DAYS && days.length < DAYS; d++) {
    const s = start - d * DAY_MS;
    const t = end - d * DAY_MS;
    if (others.some(([a, b]) => a < t && b > s)) continue;
    if (average(history, pointId, s, t) === null) continue;
    days.push(d);
  }
  const slots: ResourcePerformance['slots'] = [];
  for (let s = start; s < end; s += SLOT_MS) {
    const baseline = mean(days.map((d) => average(history, pointId, s - d * DAY_MS, Math.min(s + SLOT_MS, end) - d * DAY_MS)).filter((v): v is number => v !== null));
    slots.push({ start: new Date(s).toISOString(), baseline_kw: baseline, actual_kw: average(history, pointId, s, Math.min(s + SLOT_MS, end)) });
  }
  // day-of adjustment from the two hours before the event
  const before = average(history, pointId, start - ADJUSTMENT_WINDOW_MS, start);
  const beforeBaseline = mean(days.map((d) => average(history, pointId, start - ADJUSTMENT_WINDOW_MS - d * DAY_MS, start - d * DAY_MS)).filter((v): v is number => v !== null));
  let adjustment: number | null = null;
  if (before !== null && beforeBaseline) adjustment = Math.max(1 - ADJUSTMENT_CAP, Math.min(1 + ADJUSTMENT_CAP, before / beforeBaseline));
  const factor = adjustment ?? 1;
  let kwh = 0;
  const delivered: number[] = [];
  for (const slot of slots) {
    if (slot.baseline_kw === null || slot.actual_kw === null) continue;
    slot.baseline_kw *= factor;
    const d = slot.baseline_kw - slot.actual_kw;
    delivered.push(d);
    kwh += (d * Math.min(SLOT_MS, end - Date.parse(slot.start))) / 3_600_000;
  }
  return {
    resource_id: resourceId,
    point_id: pointId,
    baseline_days: days.length,
    adjustment,
    baseline_kw: mean(slots.map((s) => s.baseline_kw).filter((v): v is number => v !== null)),
    actual_kw: mean(slots.map((s) => s.actual_kw).filter((v): v is number => v !== null)),
    delivered_kw: mean(delivered),
    delivered_kwh: delivered.length ? kwh : null,
    slots,
  };
}
