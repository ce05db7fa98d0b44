/**
 * Statistics report (mean, median, minimum, maximum, standard deviation, variance of the period values per
 * energy category) of any subject kind, in MyEMS's spacestatistics shape. Periods without data are left out
 * of the statistics (never counted as 0).
 */
import { known, labels, max, mean, median, min, missing, perArea, query, rate, docHeader, stdev, sum, variance, type BuildCtx, type Values } from '../common';
import type { Built, KeyFigure } from '../doc';
import { subjectJson } from './categories';
import { parametersOf } from '../parameters';

const STATS = [
  ['means', mean],
  ['medians', median],
  ['minimums', min],
  ['maximums', max],
  ['stdevs', stdev],
  ['variances', variance],
] as const;

export function buildStatistics(ctx: BuildCtx): Built {
  const { params } = ctx;
  const repR = query(ctx, params.reporting);
  const baseR = query(ctx, params.base);
  const area = ctx.subject.row.area;
  const sideOf = (r: typeof repR) => {
    const ts = labels(r, params.periodType);
    const o: Record<string, unknown[]> = {
      names: r.categories.map((s) => s.name),
      units: r.categories.map((s) => s.unit),
      timestamps: r.categories.map(() => ts),
      values: r.categories.map((s) => s.values),
      subtotals: r.categories.map((s) => sum(s.values)),
      missing_periods: r.categories.map((s) => missing(s.values)),
    };
    for (const [k, f] of STATS) o[k] = r.categories.map((s) => f(s.values));
    return o;
  };
  const base = sideOf(baseR);
  const rep = sideOf(repR) as Record<string, unknown[]>;
  rep.energy_category_ids = repR.categories.map((s) => s.id);
  const baseIdx = (id: number) => baseR.categories.findIndex((s) => s.id === id);
  for (const [k] of STATS) {
    const vals = rep[k] as (number | null)[];
    if ('area' in ctx.subject.row) rep[`${k}_per_unit_area`] = vals.map((v) => perArea(v, area));
    rep[`${k}_increment_rate`] = vals.map((v, i) => {
      const j = baseIdx(repR.categories[i].id);
      return j < 0 ? null : rate(v, (base[k] as (number | null)[])[j]);
    });
  }
  const figures: KeyFigure[] = [];
  repR.categories.forEach((s, i) => {
    for (const [k, label] of [['means', 'Mean'], ['medians', 'Median'], ['minimums', 'Minimum'], ['maximums', 'Maximum'], ['stdevs', 'Stdev'], ['variances', 'Variance']] as const) {
      figures.push({ label: `${s.name} ${label}`, unit: s.unit, value: (rep[k] as (number | null)[])[i], rate: (rep[`${k}_increment_rate`] as (number | null)[])[i] });
    }
  });
  const ts = labels(repR, params.periodType);
  const names = repR.categories.map((s) => s.name);
  const values = repR.categories.map((s) => s.values) as Values[];
  return {
    json: { [ctx.subject.info.key]: subjectJson(ctx), base_period: base, reporting_period: rep, parameters: parametersOf(ctx, repR.categories) },
    doc: {
      ...docHeader(ctx, 'Statistics'),
      figures,
      charts: [{ title: 'Reporting Period Consumption', categories: ts, series: names.map((n, i) => ({ name: n, values: values[i] })), unit: [...new Set(repR.categories.map((s) => s.unit))].join(', '), kind: 'line', stacked: false }],
      tables: [
        { title: 'Statistics', columns: ['Energy category', 'Mean', 'Median', 'Minimum', 'Maximum', 'Stdev', 'Variance', 'Known periods'], rows: repR.categories.map((s, i) => [s.name, ...STATS.map(([k]) => (rep[k] as (number | null)[])[i]), known(s.values).length]) },
        { title: 'Reporting Period', columns: ['Datetime', ...names], rows: ts.map((t, k) => [t, ...values.map((v) => v[k])]) },
      ],
      notes: [],
    },
  };
}
