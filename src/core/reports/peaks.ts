/**
 * The peak-type split of a report (MyEMS `toppeak`/`onpeak`/`midpeak`/`offpeak`, plus `deep` for the valley
 * type this product's tariffs also have): each hour of the reporting period is given the peak type of the
 * time-of-use tariff that the subject's cost center has for the series' energy category at that local hour,
 * and the hour's value (energy, cost or carbon) is added to that type. Hours without a value, without a
 * time-of-use tariff (none valid, or a block tariff) or outside every tariff period count in no type, so the
 * types may sum to less than the total. An hourly report's hours are typed one by one; longer periods are typed
 * from the energy service's sums by local time of day (one SQL aggregate per meter and offset span, no hourly read).
 */
import type { EnergyResult, EnergySeries } from '../energy/contract';
import { LocalClock, loadTariffs, touPrice, type Tariff } from '../energy/tariffs';
import { fromLocal, zoneOffset } from '../energy/zoneclock';
import type { BuildCtx } from './common';
import type { Span } from './params';

export const PEAK_TYPES = ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep'] as const;
export type PeakType = (typeof PEAK_TYPES)[number];
export type PeakSplit = Record<PeakType, number>;

export type PeakSource = 'values' | 'cost' | 'kgco2e';
export type PeakSeriesKind = 'categories' | 'items';

const empty = (): PeakSplit => ({ toppeak: 0, onpeak: 0, midpeak: 0, offpeak: 0, deep: 0 });

/** the energy category of a series: its own id for categories, the item's category for items */
function categoryIdOf(ctx: BuildCtx, kind: PeakSeriesKind, id: number): number | null {
  if (kind === 'categories') return id;
  const r = ctx.store.db.prepare('SELECT energy_category_id AS c FROM energy_items WHERE id = ?').get(id) as { c: number } | undefined;
  return r?.c ?? null;
}

function hasTimeOfUse(ctx: BuildCtx, costCenter: number): boolean {
  return !!ctx.store.db.prepare("SELECT 1 FROM rel_cost_centers_tariffs l JOIN tariffs t ON t.id = l.target_id WHERE l.owner_id = ? AND t.tariff_type = 'timeofuse' LIMIT 1").get(costCenter);
}

/** The peak type of a UTC hour for a category's tariffs, or null. */
export function peakTypeAt(tariffs: readonly Tariff[], clock: LocalClock, hour: number): PeakType | null {
  const text = clock.text(hour);
  const t = tariffs.find((x) => x.type === 'timeofuse' && x.from <= text && text < x.through);
  if (!t) return null;
  const p = touPrice(t, Number(text.slice(11, 13)) * 3600 + Number(text.slice(14, 16)) * 60 + Number(text.slice(17, 19)));
  return p && (PEAK_TYPES as readonly string[]).includes(p.peak) ? (p.peak as PeakType) : null;
}

/**
 * The split per series id of the span (the reporting period) for the subject's series of `kind`, summing
 * `source` values. Series the span has no hour of get zeros. `hourly`: the span's hourly result when the
 * report already has it (an hourly report), so it is not asked for twice.
 */
export function peakSplits(ctx: BuildCtx, span: Span | null, kind: PeakSeriesKind, source: PeakSource, hourly?: EnergyResult): Map<number, PeakSplit> {
  const out = new Map<number, PeakSplit>();
  if (!span) return out;
  const costCenter = typeof ctx.subject.row.cost_center_id === 'number' ? (ctx.subject.row.cost_center_id as number) : null;
  // without a time-of-use tariff on the cost center no hour has a type: the hourly read is skipped
  if (costCenter === null || !hasTimeOfUse(ctx, costCenter)) return out;
  const clock = new LocalClock(ctx.params.zone);
  const tariffsOf = new Map<number, Tariff[]>();
  const tariffs = (seriesId: number) => {
    let t = tariffsOf.get(seriesId);
    if (!t) {
      const c = categoryIdOf(ctx, kind, seriesId);
      tariffsOf.set(seriesId, (t = c === null ? [] : loadTariffs(ctx.store.db, costCenter, c)));
    }
    return t;
  };
  if (hourly) {
    for (const series of hourly[kind] as EnergySeries[]) {
      let split = out.get(series.id);
      if (!split) out.set(series.id, (split = empty()));
      const t = tariffs(series.id);
      if (!t.length) continue;
      const v = source === 'cost' ? series.cost : source === 'kgco2e' ? series.kgco2e : series.values;
      hourly.periods.forEach((p, i) => {
        const x = v[i];
        if (x === null || x === undefined) return;
        const type = peakTypeAt(t, clock, p.start);
        if (type) split[type] += x;
      });
    }
    return out;
  }
  // any other period type: the span's hours summed by local time of day in SQL (energy service), in spans of one
  // offset cut where a tariff of the cost center starts or ends; the type of a time of day is then the span's tariff's
  const zone = ctx.params.zone;
  const cuts: number[] = [];
  for (const r of ctx.store.db.prepare('SELECT t.valid_from AS f, t.valid_through AS t FROM rel_cost_centers_tariffs l JOIN tariffs t ON t.id = l.target_id WHERE l.owner_id = ?').all(costCenter) as { f: string; t: string }[]) {
    for (const text of [r.f, r.t]) {
      const local = Date.parse(`${String(text).slice(0, 19).replace(' ', 'T')}Z`);
      if (Number.isFinite(local)) cuts.push(fromLocal(zone, local, zoneOffset(zone, local)));
    }
  }
  const sums = ctx.energy.timeOfDay({ kind: ctx.subject.info.kind, id: ctx.subject.id, start: span.start, end: span.end, cuts });
  const factors = new Map((ctx.store.db.prepare('SELECT id, kgco2e FROM energy_categories').all() as { id: number; kgco2e: number }[]).map((c) => [c.id, c.kgco2e]));
  for (const series of sums[kind]) {
    const split = empty();
    out.set(series.id, split);
    const t = tariffs(series.id);
    if (!t.length) continue;
    const factor = source === 'kgco2e' ? (factors.get(categoryIdOf(ctx, kind, series.id) ?? -1) ?? 0) : 1;
    sums.spans.forEach((s, k) => {
      const text = clock.text(s.start);
      const tariff = t.find((x) => x.type === 'timeofuse' && x.from <= text && text < x.through);
      if (!tariff) return;
      for (const [tod, sum] of series.sums[k]) {
        const p = touPrice(tariff, Math.floor(tod / 1000));
        if (!p || !(PEAK_TYPES as readonly string[]).includes(p.peak)) continue;
        split[p.peak as PeakType] += (source === 'cost' ? sum.cost : sum.value) * factor;
      }
    });
  }
  return out;
}

/** MyEMS's per-series arrays (`toppeaks`, `onpeaks`, ...) for the series ids in order. */
export function peakArrays(splits: Map<number, PeakSplit>, ids: readonly number[]): Record<`${PeakType}s`, number[]> {
  const o = {} as Record<`${PeakType}s`, number[]>;
  for (const t of PEAK_TYPES) o[`${t}s`] = ids.map((id) => splits.get(id)?.[t] ?? 0);
  return o;
}

/** The workbook's table of the split. */
export function peakTable(names: readonly string[], units: readonly string[], ids: readonly number[], splits: Map<number, PeakSplit>) {
  return {
    title: 'By peak type (time-of-use tariff)',
    columns: ['Peak type', ...names.map((n, i) => `${n} (${units[i]})`)],
    rows: PEAK_TYPES.map((t) => [t, ...ids.map((id) => splits.get(id)?.[t] ?? 0)]),
  };
}
