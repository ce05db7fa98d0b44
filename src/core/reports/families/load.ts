/**
 * Load report (MyEMS spaceload shape) of any subject kind: per period the average hourly load (energy of the
 * period / its known hours) and the maximum hourly value; over the whole period the average, maximum and
 * load factor (average / maximum). Read from the pipeline's hourly values, in chunks of at most 31 days.
 */
import type { EnergyResult, EnergySeries } from '../../energy/contract';
import type { Span } from '../params';
import { labels, perArea, query, rate, rates, docHeader, type BuildCtx } from '../common';
import type { Built, KeyFigure } from '../doc';
import { subjectJson } from './categories';
import { parametersOf } from '../parameters';

const CHUNK = 31 * 86_400_000;

interface Load {
  id: number;
  name: string;
  unit: string;
  subAverages: (number | null)[];
  subMaximums: (number | null)[];
  average: number | null;
  maximum: number | null;
  factor: number | null;
}

/** hourly values of every category over the span, by category id, with their UTC hour starts */
function hourly(ctx: BuildCtx, span: Span): Map<number, { name: string; unit: string; t: number[]; v: (number | null)[] }> {
  const out = new Map<number, { name: string; unit: string; t: number[]; v: (number | null)[] }>();
  for (let s = span.start; s < span.end; s += CHUNK) {
    const e = Math.min(span.end, s + CHUNK);
    const r = ctx.energy.query({ kind: ctx.subject.info.kind, id: ctx.subject.id, start: s, end: e, periodType: 'hourly' });
    for (const c of r.categories) {
      let o = out.get(c.id);
      if (!o) out.set(c.id, (o = { name: c.name, unit: c.unit, t: [], v: [] }));
      o.t.push(...r.periods.map((p) => p.start));
      o.v.push(...c.values);
    }
  }
  return out;
}

function loads(ctx: BuildCtx, span: Span | null, periodic: EnergyResult): Load[] {
  if (!span) return [];
  const hours = hourly(ctx, span);
  const starts = periodic.periods.map((p) => p.start);
  return periodic.categories.map((c: EnergySeries) => {
    const h = hours.get(c.id) ?? { t: [], v: [] };
    const sumK = starts.map(() => 0);
    const cnt = starts.map(() => 0);
    const mx = starts.map((): number | null => null);
    let k = 0;
    let totalSum = 0;
    let totalCnt = 0;
    let maximum: number | null = null;
    for (let i = 0; i < h.t.length; i++) {
      while (k + 1 < starts.length && h.t[i] >= starts[k + 1]) k++;
      const v = h.v[i];
      if (v === null) continue;
      sumK[k] += v;
      cnt[k]++;
      mx[k] = mx[k] === null || v > mx[k]! ? v : mx[k];
      totalSum += v;
      totalCnt++;
      maximum = maximum === null || v > maximum ? v : maximum;
    }
    const average = totalCnt ? totalSum / totalCnt : null;
    return {
      id: c.id,
      name: c.name,
      unit: `${c.unit}/h`,
      subAverages: sumK.map((s, i) => (cnt[i] ? s / cnt[i] : null)),
      subMaximums: mx,
      average,
      maximum,
      factor: average !== null && maximum !== null && maximum > 0 ? average / maximum : null,
    };
  });
}

export function buildLoad(ctx: BuildCtx): Built {
  const { params } = ctx;
  const repR = query(ctx, params.reporting);
  const baseR = query(ctx, params.base);
  const rep = loads(ctx, params.reporting, repR);
  const base = loads(ctx, params.base, baseR);
  const row = ctx.subject.row;
  const b = (id: number) => base.find((x) => x.id === id);
  const ts = labels(repR, params.periodType);
  const bts = labels(baseR, params.periodType);
  const reporting: Record<string, unknown> = {
    names: rep.map((x) => x.name),
    energy_category_ids: rep.map((x) => x.id),
    units: rep.map((x) => x.unit),
    timestamps: rep.map(() => ts),
    sub_averages: rep.map((x) => x.subAverages),
    sub_maximums: rep.map((x) => x.subMaximums),
    rates_of_sub_maximums: rep.map((x) => rates(x.subMaximums, b(x.id)?.subMaximums ?? [])),
    averages: rep.map((x) => x.average),
    averages_per_unit_area: rep.map((x) => perArea(x.average, row.area)),
    averages_per_capita: rep.map((x) => perArea(x.average, row.number_of_occupants)),
    averages_increment_rate: rep.map((x) => rate(x.average, b(x.id)?.average)),
    maximums: rep.map((x) => x.maximum),
    maximums_per_unit_area: rep.map((x) => perArea(x.maximum, row.area)),
    maximums_per_capita: rep.map((x) => perArea(x.maximum, row.number_of_occupants)),
    maximums_increment_rate: rep.map((x) => rate(x.maximum, b(x.id)?.maximum)),
    factors: rep.map((x) => x.factor),
    factors_increment_rate: rep.map((x) => rate(x.factor, b(x.id)?.factor)),
  };
  const basePeriod = {
    names: base.map((x) => x.name),
    units: base.map((x) => x.unit),
    timestamps: base.map(() => bts),
    sub_averages: base.map((x) => x.subAverages),
    sub_maximums: base.map((x) => x.subMaximums),
    averages: base.map((x) => x.average),
    maximums: base.map((x) => x.maximum),
    factors: base.map((x) => x.factor),
  };
  const figures: KeyFigure[] = rep.flatMap((x) => [
    { label: `${x.name} Average Load`, unit: x.unit, value: x.average, base: b(x.id)?.average, rate: rate(x.average, b(x.id)?.average) },
    { label: `${x.name} Maximum Load`, unit: x.unit, value: x.maximum, base: b(x.id)?.maximum, rate: rate(x.maximum, b(x.id)?.maximum) },
    { label: `${x.name} Load Factor`, unit: '', value: x.factor, base: b(x.id)?.factor, rate: rate(x.factor, b(x.id)?.factor) },
  ]);
  return {
    json: { [ctx.subject.info.key]: subjectJson(ctx), base_period: basePeriod, reporting_period: reporting, parameters: parametersOf(ctx, repR.categories) },
    doc: {
      ...docHeader(ctx, 'Load'),
      figures,
      charts: rep.map((x) => ({ title: `${x.name} load (${x.unit})`, categories: ts, series: [{ name: 'Average', values: x.subAverages }, { name: 'Maximum', values: x.subMaximums }], unit: x.unit, kind: 'line' as const, stacked: false })),
      tables: [{ title: 'Reporting Period', columns: ['Datetime', ...rep.flatMap((x) => [`${x.name} average (${x.unit})`, `${x.name} maximum (${x.unit})`])], rows: ts.map((t, k) => [t, ...rep.flatMap((x) => [x.subAverages[k], x.subMaximums[k]])]) }],
      notes: [],
    },
  };
}
