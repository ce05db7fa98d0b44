/**
 * Meter reports (meter, virtual meter, offline meter): energy, cost and carbon of the meter's one energy
 * category in MyEMS's meterenergy / metercost / metercarbon shape; trend (hourly energy of the reporting
 * period) and realtime (latest point values and today's hourly energy).
 */
import type { PointValue } from '../../values/bus';
import { categoryOf, labels, missing, missingHours, query, rate, docHeader, sum, type BuildCtx, type Values } from '../common';
import type { Built, KeyFigure, ReportDoc } from '../doc';
import { periodStart, nextPeriod } from '../time';
import { parametersOf } from '../parameters';
import { PEAK_TYPES, peakSplits, peakTable } from '../peaks';

export type MeterFamily = 'energy' | 'cost' | 'carbon';

function meterJson(ctx: BuildCtx) {
  const r = ctx.subject.row;
  const c = categoryOf(ctx.store, r.energy_category_id as number);
  return {
    id: r.id,
    name: r.name,
    uuid: r.uuid,
    cost_center_id: r.cost_center_id ?? null,
    energy_category_id: r.energy_category_id,
    energy_category_name: c?.name ?? null,
    unit_of_measure: c?.unit_of_measure ?? null,
    kgce: c?.kgce ?? null,
    kgco2e: c?.kgco2e ?? null,
  };
}

function doc(ctx: BuildCtx, title: string, partial: Partial<ReportDoc>): ReportDoc {
  return {
    ...docHeader(ctx, title),
    figures: [],
    charts: [],
    tables: [],
    notes: [],
    ...partial,
  };
}

export function buildMeter(ctx: BuildCtx, family: MeterFamily): Built {
  const { params } = ctx;
  const meter = meterJson(ctx);
  const repR = query(ctx, params.reporting);
  const baseR = query(ctx, params.base);
  const pick = (r: typeof repR): { values: Values; kgce: Values; kgco2e: Values; missingHours: number } => {
    const s = r.categories[0];
    if (!s) return { values: r.periods.map(() => null), kgce: [], kgco2e: [], missingHours: r.periods.reduce((a, p) => a + p.hours, 0) };
    return { values: family === 'cost' ? s.cost : family === 'carbon' ? s.kgco2e : s.values, kgce: s.kgce, kgco2e: s.kgco2e, missingHours: missingHours(s) };
  };
  const rep = pick(repR);
  const base = pick(baseR);
  const unit = family === 'cost' ? ctx.currency : family === 'carbon' ? 'kgCO2e' : (meter.unit_of_measure ?? '');
  const repTotal = sum(rep.values);
  const baseTotal = sum(base.values);
  const ts = labels(repR, params.periodType);
  const cat = repR.categories[0];
  const peak = cat ? peakSplits(ctx, params.reporting, 'categories', family === 'cost' ? 'cost' : family === 'carbon' ? 'kgco2e' : 'values', params.periodType === 'hourly' ? repR : undefined).get(cat.id) : undefined;
  const categoryList = meter.energy_category_id ? [{ id: meter.energy_category_id as number, name: String(meter.energy_category_name ?? '') }] : [];
  const basePeriod: Record<string, unknown> = { total_in_category: baseTotal, timestamps: labels(baseR, params.periodType), values: base.values, missing_periods: missing(base.values), missing_hours: params.base ? base.missingHours : 0 };
  const reporting: Record<string, unknown> = {
    increment_rate: rate(repTotal, params.base ? baseTotal : null),
    total_in_category: repTotal,
    ...Object.fromEntries(PEAK_TYPES.map((t) => [t, peak?.[t] ?? 0])),
    timestamps: ts,
    values: rep.values,
    missing_periods: missing(rep.values),
    missing_hours: rep.missingHours,
  };
  if (family === 'energy') {
    Object.assign(basePeriod, { total_in_kgce: sum(base.kgce), total_in_kgco2e: sum(base.kgco2e) });
    Object.assign(reporting, { total_in_kgce: sum(rep.kgce), total_in_kgco2e: sum(rep.kgco2e) });
  } else {
    reporting.total_unit = unit;
  }
  const label = family === 'energy' ? String(meter.energy_category_name ?? 'Energy') : family === 'cost' ? 'Cost' : 'Carbon Dioxide Emissions';
  const figures: KeyFigure[] = [{ label, unit, value: repTotal, base: params.base ? baseTotal : undefined, rate: reporting.increment_rate as number | null, missing: missing(rep.values) }];
  if (family === 'energy') {
    figures.push({ label: 'Ton of Standard Coal', unit: 'kgce', value: sum(rep.kgce), base: params.base ? sum(base.kgce) : undefined, rate: rate(sum(rep.kgce), params.base ? sum(base.kgce) : null) });
    figures.push({ label: 'Ton of Carbon Dioxide Emissions', unit: 'kgCO2e', value: sum(rep.kgco2e), base: params.base ? sum(base.kgco2e) : undefined, rate: rate(sum(rep.kgco2e), params.base ? sum(base.kgco2e) : null) });
  }
  return {
    json: { [ctx.subject.info.key]: meter, base_period: basePeriod, reporting_period: reporting, parameters: parametersOf(ctx, categoryList) },
    doc: doc(ctx, family === 'energy' ? 'Energy' : family === 'cost' ? 'Cost' : 'Carbon', {
      figures,
      charts: [{ title: `${label} (${unit})`, categories: ts, series: [{ name: label, values: rep.values }], unit, kind: 'bar', stacked: false }],
      tables: [{ title: 'Reporting Period', columns: ['Datetime', `${label} (${unit})`], rows: [...ts.map((t, k) => [t, rep.values[k]]), ['Total', repTotal], ['Missing periods', missing(rep.values)]] }, ...(cat ? [peakTable([label], [unit], [cat.id], new Map([[cat.id, peak!]]))] : [])],
    }),
  };
}

/** The hourly energy of the reporting period (MyEMS metertrend shows the meter's points; here its hourly energy). */
export function buildMeterTrend(ctx: BuildCtx): Built {
  const meter = meterJson(ctx);
  const r = query(ctx, ctx.params.reporting, 'hourly');
  const s = r.categories[0];
  const values = s ? s.values : r.periods.map(() => null);
  const ts = labels(r, 'hourly');
  const name = `${meter.energy_category_name ?? 'Energy'} (${meter.unit_of_measure ?? ''})`;
  return {
    json: { [ctx.subject.info.key]: meter, reporting_period: { names: [name], timestamps: [ts], values: [values], missing_periods: [missing(values)] }, parameters: parametersOf(ctx, [], false) },
    doc: doc(ctx, 'Trend', {
      periodType: 'hourly',
      charts: [{ title: name, categories: ts, series: [{ name, values }], unit: meter.unit_of_measure ?? '', kind: 'line', stacked: false }],
      tables: [{ title: 'Hourly energy', columns: ['Datetime', name], rows: ts.map((t, k) => [t, values[k]]) }],
    }),
  };
}

/** Latest values of the meter's points and today's hourly energy (MyEMS meterrealtime). */
export function buildMeterRealtime(ctx: BuildCtx, latest: (pointId: number) => PointValue | undefined, now: number): Built {
  const meter = meterJson(ctx);
  const zone = ctx.params.zone;
  const dayStart = periodStart(now, zone, 'daily');
  const span = { start: dayStart, end: nextPeriod(dayStart, zone, 'daily'), startLocal: '', endLocal: '' };
  const r = query(ctx, span, 'hourly');
  const values = r.categories[0]?.values ?? r.periods.map(() => null);
  const ts = labels(r, 'hourly');
  let points: { id: number; name: string; units: string | null }[] = [];
  try {
    points = ctx.store.db.prepare('SELECT p.id, p.name, p.units FROM rel_meters_points l JOIN points p ON p.id = l.target_id WHERE l.owner_id = ? ORDER BY p.id').all(ctx.subject.id) as typeof points;
  } catch {
    points = [];
  }
  if (ctx.subject.info.kind !== 'meters') points = [];
  const pv = points.map((p) => latest(p.id));
  return {
    json: {
      [ctx.subject.info.key]: meter,
      energy_value: { name: `${meter.energy_category_name ?? 'Energy'} (${meter.unit_of_measure ?? ''})`, timestamps: ts, values, total: sum(values), missing_periods: missing(values) },
      parameters: {
        names: points.map((p) => (p.units ? `${p.name} (${p.units})` : p.name)),
        timestamps: pv.map((v) => (v ? [new Date(v.ts).toISOString().slice(0, 19)] : [])),
        values: pv.map((v) => (v ? [v.value] : [])),
        qualities: pv.map((v) => v?.quality ?? null),
      },
    },
    doc: doc(ctx, 'Realtime', {
      periodType: 'hourly',
      charts: [{ title: 'Today', categories: ts, series: [{ name: String(meter.energy_category_name ?? 'Energy'), values }], unit: meter.unit_of_measure ?? '', kind: 'bar', stacked: false }],
      tables: [{ title: 'Points', columns: ['Point', 'Value', 'Quality'], rows: points.map((p, i) => [p.name, typeof pv[i]?.value === 'number' ? (pv[i]!.value as number) : pv[i]?.value == null ? null : String(pv[i]!.value), pv[i]?.quality ?? null]) }],
    }),
  };
}
