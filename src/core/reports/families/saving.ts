/**
 * Saving reports (meter, virtual/offline meter, space, equipment, combined equipment, tenant, store, shopfloor):
 * saving = baseline − actual. MyEMS reads the baseline from a separate baseline database filled by its
 * enterprise baseline service; this product has none, so the baseline is demand response's "10 of 10" method
 * (dr/performance.ts) applied to the pipeline's hourly energy: for each local hour of day, the mean energy of
 * that hour over the 10 most recent days with data before the period (looking back at most 30 days). The
 * base and the reporting period each get the baseline of the days before them.
 */
import type { EnergyPeriod, EnergyResult } from '../../energy/contract';
import type { Span } from '../params';
import { query, type BuildCtx, type Values } from '../common';
import type { Built } from '../doc';
import { periodStart } from '../time';
import { buildVersus, type Reference } from './versus';

const DAY_MS = 86_400_000;
export const BASELINE_DAYS = 10;
export const BASELINE_LOOKBACK_DAYS = 30;

/** the hourly energy of the look-back window before a span, queried once per span and report */
const lookbacks = new WeakMap<BuildCtx, Map<number, EnergyResult>>();
function lookback(ctx: BuildCtx, span: Span): EnergyResult {
  let m = lookbacks.get(ctx);
  if (!m) lookbacks.set(ctx, (m = new Map()));
  let r = m.get(span.start);
  if (!r) {
    const end = periodStart(span.start, ctx.params.zone, 'daily');
    const start = periodStart(end - BASELINE_LOOKBACK_DAYS * DAY_MS, ctx.params.zone, 'daily');
    r = query(ctx, { start, end, startLocal: '', endLocal: '' }, 'hourly');
    m.set(span.start, r);
  }
  return r;
}

/** local hour of day ('00'..'23') -> baseline energy of that hour, from the days before the span */
export function baselineProfile(r: EnergyResult, categoryId: number): Map<string, number> {
  const s = r.categories.find((c) => c.id === categoryId);
  const profile = new Map<string, number>();
  if (!s) return profile;
  // local date -> hour of day -> known values (a 25-hour day has one hour twice)
  const days = new Map<string, Map<string, number[]>>();
  r.periods.forEach((p, k) => {
    const v = s.values[k];
    if (v === null) return;
    const date = p.local.slice(0, 10);
    let d = days.get(date);
    if (!d) days.set(date, (d = new Map()));
    const hh = p.local.slice(11, 13);
    d.set(hh, [...(d.get(hh) ?? []), v]);
  });
  const chosen = [...days.keys()].sort().reverse().slice(0, BASELINE_DAYS);
  const acc = new Map<string, number[]>();
  for (const date of chosen) for (const [hh, vs] of days.get(date)!) acc.set(hh, [...(acc.get(hh) ?? []), ...vs]);
  for (const [hh, vs] of acc) profile.set(hh, vs.reduce((a, b) => a + b, 0) / vs.length);
  return profile;
}

export const baseline: Reference = {
  key: 'baseline',
  title: 'Saving',
  hourly(ctx: BuildCtx, span: Span, categoryId: number, hours: EnergyPeriod[]): Values {
    const profile = baselineProfile(lookback(ctx, span), categoryId);
    return hours.map((h) => profile.get(h.local.slice(11, 13)) ?? null);
  },
};

export const buildSaving = (ctx: BuildCtx): Built => buildVersus(ctx, baseline);
