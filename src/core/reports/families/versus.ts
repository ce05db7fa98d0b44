/**
 * Saving and plan reports share one shape: a reference series (the baseline, or the uploaded plan) against the
 * actual energy from the pipeline, and saving = reference − actual, per energy category and period. MyEMS
 * reads both from hourly tables (its baseline and plan databases); here the reference is hourly too, so that
 * the saving of a period sums only the hours that have both a reference and an actual value (an hour without
 * data saves nothing, it is counted in `missing_hours`). `values_<reference>` and `values_actual` are sent
 * beside MyEMS's `values_saving`.
 */
import type { EnergyPeriod, EnergyResult } from '../../energy/contract';
import type { Span } from '../params';
import { categoryOf, labels, missing, perArea, query, rate, rates, docHeader, sum, type BuildCtx, type Values } from '../common';
import type { Built, ChartSpec, KeyFigure, TableSpec } from '../doc';
import { subjectJson } from './categories';
import { parametersOf } from '../parameters';

export interface Reference {
  /** 'baseline' or 'plan': the suffix of the extra keys and the label in the workbook */
  key: 'baseline' | 'plan';
  title: string;
  /** the reference value of each hour of `hours` (null where there is none) for a category */
  hourly(ctx: BuildCtx, span: Span, categoryId: number, hours: EnergyPeriod[]): Values;
  /** categories with reference data in the span, beyond the subject's meters' categories */
  categories?(ctx: BuildCtx, span: Span): number[];
}

export interface VersusSeries {
  id: number;
  name: string;
  unit: string;
  kgce: number;
  kgco2e: number;
  reference: Values;
  actual: Values;
  saving: Values;
  /** hours that had a reference but no actual value */
  missingHours: number;
}

export interface VersusSide {
  timestamps: string[];
  series: VersusSeries[];
}

const EMPTY: VersusSide = { timestamps: [], series: [] };

/** index of the period each hour falls in (both lists are in time order) */
function periodIndex(hours: EnergyPeriod[], periods: EnergyPeriod[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const h of hours) {
    while (j + 1 < periods.length && periods[j + 1].start <= h.start) j++;
    out.push(j);
  }
  return out;
}

/** the pipeline answers at most a year of hours per query: longer spans are read in chunks and joined */
const HOURLY_CHUNK_MS = 360 * 86_400_000;

/** The hourly energy of a span of any length (categories only; a category missing from a chunk is null there). */
export function hourlyOf(ctx: BuildCtx, span: Span): Pick<EnergyResult, 'periods' | 'categories'> {
  const periods: EnergyPeriod[] = [];
  const byId = new Map<number, { id: number; name: string; values: (number | null)[] }>();
  for (let s = span.start; s < span.end; s += HOURLY_CHUNK_MS) {
    const r = query(ctx, { ...span, start: s, end: Math.min(span.end, s + HOURLY_CHUNK_MS) }, 'hourly');
    for (const c of r.categories) if (!byId.has(c.id)) byId.set(c.id, { id: c.id, name: c.name, values: new Array(periods.length).fill(null) });
    for (const [id, acc] of byId) {
      const c = r.categories.find((x) => x.id === id);
      acc.values.push(...(c ? c.values : r.periods.map(() => null)));
    }
    periods.push(...r.periods);
  }
  return { periods, categories: [...byId.values()].sort((a, b) => a.id - b.id) as EnergyResult['categories'] };
}

export function versusSide(ctx: BuildCtx, ref: Reference, span: Span | null): VersusSide {
  if (!span) return EMPTY;
  const byPeriod: EnergyResult = query(ctx, span);
  const byHour = hourlyOf(ctx, span);
  const idx = periodIndex(byHour.periods, byPeriod.periods);
  const ids = [...new Set([...byHour.categories.map((c) => c.id), ...(ref.categories?.(ctx, span) ?? [])])].sort((a, b) => a - b);
  const n = byPeriod.periods.length;
  const series = ids.flatMap((id): VersusSeries[] => {
    const cat = categoryOf(ctx.store, id);
    if (!cat) return [];
    const actualH = byHour.categories.find((c) => c.id === id)?.values ?? byHour.periods.map(() => null);
    const refH = ref.hourly(ctx, span, id, byHour.periods);
    const reference: Values = new Array(n).fill(null);
    const actual: Values = byPeriod.categories.find((c) => c.id === id)?.values.slice() ?? new Array(n).fill(null);
    const saving: Values = new Array(n).fill(null);
    let missingHours = 0;
    refH.forEach((r, k) => {
      if (r === null) return;
      const i = idx[k];
      reference[i] = (reference[i] ?? 0) + r;
      const a = actualH[k];
      if (a === null) missingHours++;
      else saving[i] = (saving[i] ?? 0) + (r - a);
    });
    return [{ id, name: cat.name, unit: cat.unit_of_measure, kgce: cat.kgce, kgco2e: cat.kgco2e, reference, actual, saving, missingHours }];
  });
  return { timestamps: labels(byPeriod, ctx.params.periodType), series };
}

const occupants = (ctx: BuildCtx) => ctx.subject.row.number_of_occupants;
const METER_KINDS = new Set(['meters', 'virtualmeters', 'offlinemeters']);

/** The MyEMS answer of a space / equipment / ... saving or plan report. */
function siteJson(ctx: BuildCtx, ref: Reference, rep: VersusSide, base: VersusSide, children?: Record<string, unknown>): Record<string, unknown> {
  const area = ctx.subject.row.area;
  const baseOf = (id: number) => base.series.find((s) => s.id === id);
  const k = ref.key;
  const side = (s: VersusSide) => ({
    names: s.series.map((x) => x.name),
    units: s.series.map((x) => x.unit),
    timestamps: s.series.map(() => s.timestamps),
    values_saving: s.series.map((x) => x.saving),
    [`values_${k}`]: s.series.map((x) => x.reference),
    values_actual: s.series.map((x) => x.actual),
    subtotals_saving: s.series.map((x) => sum(x.saving)),
    [`subtotals_${k}`]: s.series.map((x) => sum(x.reference)),
    subtotals_actual: s.series.map((x) => sum(x.actual)),
    subtotals_in_kgce_saving: s.series.map((x) => sum(x.saving) * x.kgce),
    subtotals_in_kgco2e_saving: s.series.map((x) => sum(x.saving) * x.kgco2e),
    total_in_kgce_saving: sum(s.series.map((x) => sum(x.saving) * x.kgce)),
    total_in_kgco2e_saving: sum(s.series.map((x) => sum(x.saving) * x.kgco2e)),
    missing_periods: s.series.map((x) => missing(x.saving)),
    missing_hours: s.series.map((x) => x.missingHours),
  });
  const b = side(base);
  const r: Record<string, unknown> = {
    ...side(rep),
    energy_category_ids: rep.series.map((x) => x.id),
    rates_saving: rep.series.map((x) => rates(x.saving, baseOf(x.id)?.saving ?? [])),
    increment_rates_saving: rep.series.map((x) => (ctx.params.base ? rateAny(sum(x.saving), baseOf(x.id) ? sum(baseOf(x.id)!.saving) : null) : null)),
  };
  const tk = r.total_in_kgce_saving as number;
  const tc = r.total_in_kgco2e_saving as number;
  r.increment_rate_in_kgce_saving = ctx.params.base ? rateAny(tk, b.total_in_kgce_saving) : null;
  r.increment_rate_in_kgco2e_saving = ctx.params.base ? rateAny(tc, b.total_in_kgco2e_saving) : null;
  if ('area' in ctx.subject.row) {
    r.subtotals_per_unit_area_saving = rep.series.map((x) => perArea(sum(x.saving), area));
    r.total_in_kgce_per_unit_area_saving = perArea(tk, area);
    r.total_in_kgco2e_per_unit_area_saving = perArea(tc, area);
  }
  if ('number_of_occupants' in ctx.subject.row) {
    r.subtotals_per_capita_saving = rep.series.map((x) => perArea(sum(x.saving), occupants(ctx)));
    r.total_in_kgce_per_capita_saving = perArea(tk, occupants(ctx));
    r.total_in_kgco2e_per_capita_saving = perArea(tc, occupants(ctx));
  }
  const json: Record<string, unknown> = { [ctx.subject.info.key]: subjectJson(ctx), base_period: b, reporting_period: r, parameters: parametersOf(ctx, rep.series) };
  if (children) json.child_space = children;
  return json;
}

/** MyEMS's change rate of a saving: against a base that may be negative (a loss), so only 0 has no rate */
const rateAny = (rep: number | null, base: number | null): number | null => (rep === null || base === null || base === 0 ? null : (rep - base) / Math.abs(base));

/** The MyEMS answer of a meter / virtual meter / offline meter saving or plan report (one category). */
function meterJson(ctx: BuildCtx, ref: Reference, rep: VersusSide, base: VersusSide): Record<string, unknown> {
  const row = ctx.subject.row;
  const cat = categoryOf(ctx.store, row.energy_category_id as number);
  const k = ref.key;
  const one = (s: VersusSide) => s.series.find((x) => x.id === cat?.id) ?? null;
  const side = (s: VersusSide) => {
    const x = one(s);
    const saving = x ? sum(x.saving) : 0;
    return {
      total_in_category_saving: saving,
      [`total_in_category_${k}`]: x ? sum(x.reference) : 0,
      total_in_category_actual: x ? sum(x.actual) : 0,
      total_in_kgce_saving: saving * (cat?.kgce ?? 0),
      total_in_kgco2e_saving: saving * (cat?.kgco2e ?? 0),
      timestamps: s.timestamps,
      values_saving: x ? x.saving : s.timestamps.map(() => null),
      [`values_${k}`]: x ? x.reference : s.timestamps.map(() => null),
      values_actual: x ? x.actual : s.timestamps.map(() => null),
      missing_periods: x ? missing(x.saving) : s.timestamps.length,
      missing_hours: x ? x.missingHours : 0,
    };
  };
  const b = side(base);
  const r = side(rep);
  return {
    [ctx.subject.info.key]: {
      id: row.id,
      name: row.name,
      uuid: row.uuid,
      cost_center_id: row.cost_center_id ?? null,
      energy_category_id: row.energy_category_id,
      energy_category_name: cat?.name ?? null,
      unit_of_measure: cat?.unit_of_measure ?? null,
      kgce: cat?.kgce ?? null,
      kgco2e: cat?.kgco2e ?? null,
    },
    base_period: b,
    reporting_period: {
      ...r,
      increment_rate_saving: ctx.params.base ? rateAny(r.total_in_category_saving, b.total_in_category_saving) : null,
      rates_saving: rates(r.values_saving as Values, b.values_saving as Values),
    },
    parameters: parametersOf(ctx, rep.series),
  };
}

/** Child spaces' saving subtotals (spaces only), per category of the reporting period. */
function childSpaces(ctx: BuildCtx, ref: Reference, rep: VersusSide): Record<string, unknown> | undefined {
  if (ctx.subject.info.kind !== 'spaces' || !ctx.params.reporting) return undefined;
  const children = ctx.store.db.prepare('SELECT * FROM spaces WHERE parent_space_id = ? ORDER BY id').all(ctx.subject.id) as Record<string, unknown>[];
  const sides = children.map((c) => versusSide({ ...ctx, subject: { ...ctx.subject, id: c.id as number, row: c } }, ref, ctx.params.reporting));
  const pick = (i: number, f: (x: VersusSeries) => number) => sides.map((s) => {
    const x = s.series.find((y) => y.id === rep.series[i].id);
    return x ? f(x) : 0;
  });
  return {
    energy_category_names: rep.series.map((x) => x.name),
    units: rep.series.map((x) => x.unit),
    child_space_names_array: rep.series.map(() => children.map((c) => c.name)),
    subtotals_saving_array: rep.series.map((_, i) => pick(i, (x) => sum(x.saving))),
    subtotals_in_kgce_saving_array: rep.series.map((_, i) => pick(i, (x) => sum(x.saving) * x.kgce)),
    subtotals_in_kgco2e_saving_array: rep.series.map((_, i) => pick(i, (x) => sum(x.saving) * x.kgco2e)),
  };
}

export function buildVersus(ctx: BuildCtx, ref: Reference): Built {
  const rep = versusSide(ctx, ref, ctx.params.reporting);
  const base = versusSide(ctx, ref, ctx.params.base);
  const isMeter = METER_KINDS.has(ctx.subject.info.kind);
  const json = isMeter ? meterJson(ctx, ref, rep, base) : siteJson(ctx, ref, rep, base, childSpaces(ctx, ref, rep));
  const refLabel = ref.key === 'plan' ? 'Plan' : 'Baseline';
  const figures: KeyFigure[] = rep.series.flatMap((x) => {
    const b = base.series.find((y) => y.id === x.id);
    return [
      { label: `${x.name} ${refLabel}`, unit: x.unit, value: sum(x.reference), base: ctx.params.base ? (b ? sum(b.reference) : null) : undefined, rate: rate(sum(x.reference), b && ctx.params.base ? sum(b.reference) : null) },
      { label: `${x.name} Actual`, unit: x.unit, value: sum(x.actual), base: ctx.params.base ? (b ? sum(b.actual) : null) : undefined, rate: rate(sum(x.actual), b && ctx.params.base ? sum(b.actual) : null) },
      { label: `${x.name} Saving`, unit: x.unit, value: sum(x.saving), base: ctx.params.base ? (b ? sum(b.saving) : null) : undefined, rate: ctx.params.base && b ? rateAny(sum(x.saving), sum(b.saving)) : null },
      { label: `${x.name} Saving`, unit: 'kgCO2e', value: sum(x.saving) * x.kgco2e },
    ];
  });
  const charts: ChartSpec[] = rep.series.map((x) => ({
    title: `${x.name}: ${refLabel} and Actual (${x.unit})`,
    categories: rep.timestamps,
    series: [
      { name: refLabel, values: x.reference },
      { name: 'Actual', values: x.actual },
      { name: 'Saving', values: x.saving },
    ],
    unit: x.unit,
    kind: 'bar',
    stacked: false,
  }));
  const tables: TableSpec[] = rep.series.map((x) => ({
    title: `Reporting Period: ${x.name} (${x.unit})`,
    columns: ['Datetime', refLabel, 'Actual', 'Saving'],
    rows: [...rep.timestamps.map((t, i) => [t, x.reference[i], x.actual[i], x.saving[i]]), ['Subtotal', sum(x.reference), sum(x.actual), sum(x.saving)], ['Missing hours', null, null, x.missingHours]],
  }));
  return {
    json,
    doc: {
      ...docHeader(ctx, ref.title),
      figures,
      charts,
      tables,
      notes: [`Saving = ${refLabel.toLowerCase()} − actual, summed over the hours that have both.`],
    },
  };
}
