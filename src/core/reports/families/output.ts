/**
 * Output, income and efficiency of spaces, equipment and combined equipment: the same builders as energy
 * category and cost, over the pipeline's output direction (meters bound with is_output). Efficiency is
 * output / input per period and cumulatively, for each pair of output and input category.
 */
import type { EnergyService } from '../../energy/contract';
import { labels, query, rate, docHeader, sum, type BuildCtx, type Values } from '../common';
import type { Built } from '../doc';
import { buildCategories, subjectJson } from './categories';
import { parametersOf } from '../parameters';

/** the context whose energy queries read the output direction */
const outputCtx = (ctx: BuildCtx): BuildCtx => {
  const energy: EnergyService = { ...ctx.energy, query: (q) => ctx.energy.query({ ...q, direction: 'output' }), timeOfDay: (q) => ctx.energy.timeOfDay({ ...q, direction: 'output' }), timezoneOf: (k, i) => ctx.energy.timezoneOf(k, i), settled: () => ctx.energy.settled() };
  return { ...ctx, energy };
};

export function buildOutput(ctx: BuildCtx, family: 'output' | 'income'): Built {
  const b = buildCategories(outputCtx(ctx), family === 'output' ? 'energycategory' : 'cost');
  b.doc.title = `${ctx.subject.info.label} ${family === 'output' ? 'Output' : 'Income'}`;
  if (b.doc.charts[0]) b.doc.charts[0].title = family === 'output' ? 'Output' : `Income (${ctx.currency})`;
  return b;
}

const ratio = (a: Values, b: Values): Values => a.map((x, i) => (x === null || b[i] === null || !(b[i]! > 0) ? null : x / b[i]!));

export function buildEfficiency(ctx: BuildCtx): Built {
  const { params } = ctx;
  const side = (span: typeof params.base) => {
    const input = query(ctx, span);
    const output = query(outputCtx(ctx), span);
    const pairs = output.categories.flatMap((o) => input.categories.map((i) => ({ o, i })));
    return {
      ts: labels(input, params.periodType),
      names: pairs.map(({ o, i }) => `${o.name}/${i.name}`),
      units: pairs.map(({ o, i }) => `${o.unit}/${i.unit}`),
      values: pairs.map(({ o, i }) => ratio(o.values, i.values)),
      cumulations: pairs.map(({ o, i }) => (sum(i.values) > 0 ? sum(o.values) / sum(i.values) : null)),
    };
  };
  const rep = side(params.reporting);
  const base = side(params.base);
  const json = {
    [ctx.subject.info.key]: subjectJson(ctx),
    base_period_efficiency: { names: base.names, units: base.units, timestamps: base.names.map(() => base.ts), values: base.values, cumulations: base.cumulations },
    reporting_period_efficiency: {
      names: rep.names,
      units: rep.units,
      timestamps: rep.names.map(() => rep.ts),
      values: rep.values,
      cumulations: rep.cumulations,
      increment_rates: rep.cumulations.map((c, k) => rate(c, base.cumulations[base.names.indexOf(rep.names[k])] ?? null)),
    },
    parameters: parametersOf(ctx, [], false),
  };
  return {
    json,
    doc: {
      ...docHeader(ctx, 'Efficiency'),
      figures: rep.names.map((n, k) => ({ label: n, unit: rep.units[k], value: rep.cumulations[k], rate: json.reporting_period_efficiency.increment_rates[k] })),
      charts: [{ title: 'Efficiency', categories: rep.ts, series: rep.names.map((n, k) => ({ name: n, values: rep.values[k] })), unit: '', kind: 'line', stacked: false }],
      tables: [{ title: 'Reporting Period', columns: ['Datetime', ...rep.names], rows: rep.ts.map((t, j) => [t, ...rep.values.map((v) => v[j])]) }],
      notes: [],
    },
  };
}
