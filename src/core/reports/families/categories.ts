/**
 * Energy category, energy item, cost and carbon reports of a space, equipment, combined equipment, tenant,
 * store or shopfloor (one builder for every subject kind; MyEMS has one file per path). Values of periods
 * without data are null; subtotals sum what is known and `missing_periods` / `missing_hours` say how much is
 * not (MyEMS shows gaps as zeros).
 */
import type { EnergyResult, EnergySeries } from '../../energy/contract';
import { labels, missing, missingHours, perArea, query, rate, rates, docHeader, sum, type BuildCtx, type Values } from '../common';
import type { Built, ChartSpec, KeyFigure, TableSpec } from '../doc';
import { parametersOf } from '../parameters';
import { peakArrays, peakSplits, peakTable } from '../peaks';

export type CategoryFamily = 'energycategory' | 'energyitem' | 'cost' | 'carbon';

const TITLES: Record<CategoryFamily, string> = { energycategory: 'Energy Category Data', energyitem: 'Energy Item Data', cost: 'Cost', carbon: 'Carbon Dioxide Emissions' };

/** The subject as MyEMS's answers show it. */
export function subjectJson(ctx: BuildCtx): Record<string, unknown> {
  const r = ctx.subject.row;
  const o: Record<string, unknown> = { id: r.id, name: r.name, uuid: r.uuid };
  for (const k of ['area', 'number_of_occupants', 'cost_center_id']) if (k in r) o[k] = r[k] ?? null;
  return o;
}

const seriesOf = (r: EnergyResult, family: CategoryFamily): EnergySeries[] => (family === 'energyitem' ? r.items : r.categories);
const valuesOf = (s: EnergySeries, family: CategoryFamily): Values => (family === 'cost' ? s.cost : family === 'carbon' ? s.kgco2e : s.values);

interface Side {
  names: string[];
  ids: number[];
  units: string[];
  timestamps: string[][];
  values: Values[];
  subtotals: number[];
  kgce: number[];
  kgco2e: number[];
  missingPeriods: number[];
  missingHours: number[];
}

function side(ctx: BuildCtx, r: EnergyResult, family: CategoryFamily): Side {
  const ts = labels(r, ctx.params.periodType);
  const list = seriesOf(r, family);
  const unit = (s: EnergySeries) => (family === 'cost' ? ctx.currency : family === 'carbon' ? 'kgCO2e' : s.unit);
  return {
    names: list.map((s) => s.name),
    ids: list.map((s) => s.id),
    units: list.map(unit),
    timestamps: list.map(() => ts),
    values: list.map((s) => valuesOf(s, family)),
    subtotals: list.map((s) => sum(valuesOf(s, family))),
    kgce: list.map((s) => sum(s.kgce)),
    kgco2e: list.map((s) => sum(s.kgco2e)),
    missingPeriods: list.map((s) => missing(valuesOf(s, family))),
    missingHours: list.map((s) => missingHours(s)),
  };
}

/** Subtotal per child space of the reporting period (spaces only), per series name. */
function childSpaces(ctx: BuildCtx, family: CategoryFamily, rep: Side) {
  if (ctx.subject.info.kind !== 'spaces') return undefined;
  const children = ctx.store.db.prepare('SELECT id, name FROM spaces WHERE parent_space_id = ? ORDER BY id').all(ctx.subject.id) as { id: number; name: string }[];
  // a child's subtotal does not depend on how the span is cut into periods: ask for the fewest periods
  const results = children.map((c) => seriesOf(query(ctx, ctx.params.reporting, 'yearly', 'spaces', c.id), family));
  const bySeries = rep.ids.map((id) => results.map((list) => {
    const s = list.find((x) => x.id === id);
    return s ? sum(valuesOf(s, family)) : 0;
  }));
  const out: Record<string, unknown> = {
    energy_category_names: rep.names,
    units: rep.units,
    child_space_names_array: rep.ids.map(() => children.map((c) => c.name)),
    subtotals_array: bySeries,
  };
  if (family === 'energycategory') {
    out.subtotals_in_kgce_array = rep.ids.map((id) => results.map((list) => sum(list.find((x) => x.id === id)?.kgce ?? [])));
    out.subtotals_in_kgco2e_array = rep.ids.map((id) => results.map((list) => sum(list.find((x) => x.id === id)?.kgco2e ?? [])));
  }
  if (family === 'cost') out.total_unit = ctx.currency;
  return out;
}

export function buildCategories(ctx: BuildCtx, family: CategoryFamily): Built {
  const { params } = ctx;
  const repR = query(ctx, params.reporting);
  const baseR = query(ctx, params.base);
  const rep = side(ctx, repR, family);
  const peaks = peakSplits(ctx, params.reporting, family === 'energyitem' ? 'items' : 'categories', family === 'cost' ? 'cost' : family === 'carbon' ? 'kgco2e' : 'values', params.periodType === 'hourly' ? repR : undefined);
  const base = side(ctx, baseR, family);
  const area = ctx.subject.row.area;
  const baseSub = (i: number) => {
    const j = base.ids.indexOf(rep.ids[i]);
    return j < 0 ? null : base.subtotals[j];
  };
  const baseVals = (i: number) => {
    const j = base.ids.indexOf(rep.ids[i]);
    return j < 0 ? [] : base.values[j];
  };
  const basePeriod: Record<string, unknown> = { names: base.names, units: base.units, timestamps: base.timestamps, values: base.values, subtotals: base.subtotals, missing_periods: base.missingPeriods, missing_hours: base.missingHours };
  const reporting: Record<string, unknown> = {
    names: rep.names,
    [family === 'energyitem' ? 'energy_item_ids' : 'energy_category_ids']: rep.ids,
    units: rep.units,
    timestamps: rep.timestamps,
    values: rep.values,
    rates: rep.values.map((v, i) => rates(v, baseVals(i))),
    subtotals: rep.subtotals,
    increment_rates: rep.subtotals.map((s, i) => rate(s, baseSub(i))),
    ...peakArrays(peaks, rep.ids),
    missing_periods: rep.missingPeriods,
    missing_hours: rep.missingHours,
  };
  const figures: KeyFigure[] = [];
  if ('area' in ctx.subject.row) reporting.subtotals_per_unit_area = rep.subtotals.map((s) => perArea(s, area));
  if (family === 'energycategory') {
    const bk = sum(base.kgce);
    const bc = sum(base.kgco2e);
    const rk = sum(rep.kgce);
    const rc = sum(rep.kgco2e);
    Object.assign(basePeriod, { subtotals_in_kgce: base.kgce, subtotals_in_kgco2e: base.kgco2e, total_in_kgce: bk, total_in_kgco2e: bc });
    Object.assign(reporting, {
      subtotals_in_kgce: rep.kgce,
      subtotals_in_kgco2e: rep.kgco2e,
      total_in_kgce: rk,
      total_in_kgco2e: rc,
      increment_rate_in_kgce: rate(rk, params.base ? bk : null),
      increment_rate_in_kgco2e: rate(rc, params.base ? bc : null),
    });
    if ('area' in ctx.subject.row) Object.assign(reporting, { total_in_kgce_per_unit_area: perArea(rk, area), total_in_kgco2e_per_unit_area: perArea(rc, area) });
    rep.names.forEach((n, i) => figures.push({ label: n, unit: rep.units[i], value: rep.subtotals[i], base: params.base ? baseSub(i) : undefined, rate: rate(rep.subtotals[i], baseSub(i)), missing: rep.missingPeriods[i] }));
    figures.push({ label: 'Ton of Standard Coal', unit: 'kgce', value: rk, base: params.base ? bk : undefined, rate: rate(rk, params.base ? bk : null) });
    figures.push({ label: 'Ton of Carbon Dioxide Emissions', unit: 'kgCO2e', value: rc, base: params.base ? bc : undefined, rate: rate(rc, params.base ? bc : null) });
  } else if (family === 'energyitem') {
    rep.names.forEach((n, i) => figures.push({ label: n, unit: rep.units[i], value: rep.subtotals[i], base: params.base ? baseSub(i) : undefined, rate: rate(rep.subtotals[i], baseSub(i)), missing: rep.missingPeriods[i] }));
  } else {
    const bt = sum(base.subtotals);
    const rt = sum(rep.subtotals);
    const unit = family === 'cost' ? ctx.currency : 'kgCO2e';
    Object.assign(basePeriod, { total: bt });
    Object.assign(reporting, { total: rt, total_unit: unit, total_increment_rate: rate(rt, params.base ? bt : null) });
    if ('area' in ctx.subject.row) reporting.total_per_unit_area = perArea(rt, area);
    rep.names.forEach((n, i) => figures.push({ label: n, unit, value: rep.subtotals[i], base: params.base ? baseSub(i) : undefined, rate: rate(rep.subtotals[i], baseSub(i)), missing: rep.missingPeriods[i] }));
    figures.push({ label: 'Total', unit, value: rt, base: params.base ? bt : undefined, rate: rate(rt, params.base ? bt : null) });
  }
  const json: Record<string, unknown> = {
    [ctx.subject.info.key]: subjectJson(ctx),
    base_period: basePeriod,
    reporting_period: reporting,
    parameters: parametersOf(ctx, repR.categories),
  };
  const child = childSpaces(ctx, family, rep);
  if (child) json.child_space = child;

  const ts = labels(repR, params.periodType);
  const chartUnit = family === 'cost' ? ctx.currency : family === 'carbon' ? 'kgCO2e' : [...new Set(rep.units)].join(', ');
  const charts: ChartSpec[] = [{ title: `${TITLES[family]} (${chartUnit})`, categories: ts, series: rep.names.map((n, i) => ({ name: n, values: rep.values[i] })), unit: chartUnit, kind: 'bar', stacked: family === 'cost' || family === 'carbon' }];
  const tables: TableSpec[] = [
    {
      title: 'Reporting Period',
      columns: ['Datetime', ...rep.names.map((n, i) => `${n} (${rep.units[i]})`)],
      rows: [...ts.map((t, k) => [t, ...rep.values.map((v) => v[k])]), ['Subtotal', ...rep.subtotals], ['Missing periods', ...rep.missingPeriods]],
    },
  ];
  tables.push(peakTable(rep.names, rep.units, rep.ids, peaks));
  if (params.base) {
    const bts = labels(baseR, params.periodType);
    tables.push({ title: 'Base Period', columns: ['Datetime', ...base.names.map((n, i) => `${n} (${base.units[i]})`)], rows: [...bts.map((t, k) => [t, ...base.values.map((v) => v[k])]), ['Subtotal', ...base.subtotals]] });
  }
  return {
    json,
    doc: {
      ...docHeader(ctx, TITLES[family]),
      figures,
      charts,
      tables,
      notes: rep.missingPeriods.some((m) => m > 0) ? ['Periods without data are empty cells, not zeros; subtotals sum the known periods.'] : [],
    },
  };
}
