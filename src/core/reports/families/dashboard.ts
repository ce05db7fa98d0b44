/**
 * The dashboard (MyEMS reports/dashboard): energy input and cost by energy category of the spaces a user may
 * see (the privilege's spaces, or the top-level spaces for an unrestricted user), reporting vs base period,
 * and the subtotal of each of those spaces (MyEMS: of the root space's children).
 */
import type { EnergyResult, EnergySeries, EnergyService, PeriodType } from '../../energy/contract';
import type { Store } from '../../store/store';
import { labels, missing, perArea, rate, sum, type Values } from '../common';
import type { Built, KeyFigure } from '../doc';
import type { ReportParams, Span } from '../params';

interface Merged {
  ts: string[];
  series: { id: number; name: string; unit: string; values: Values; cost: Values; kgce: Values; kgco2e: Values }[];
}

const add = (a: Values, b: Values): Values => a.map((x, i) => (x === null ? (b[i] ?? null) : b[i] === null || b[i] === undefined ? x : x + (b[i] as number)));

function merge(results: EnergyResult[], periodType: PeriodType): Merged {
  const first = results.find((r) => r.periods.length);
  const ts = first ? labels(first, periodType) : [];
  const byId = new Map<number, Merged['series'][number]>();
  for (const r of results) {
    for (const s of r.categories as EnergySeries[]) {
      const m = byId.get(s.id);
      if (!m) byId.set(s.id, { id: s.id, name: s.name, unit: s.unit, values: [...s.values], cost: [...s.cost], kgce: [...s.kgce], kgco2e: [...s.kgco2e] });
      else {
        m.values = add(m.values, s.values);
        m.cost = add(m.cost, s.cost);
        m.kgce = add(m.kgce, s.kgce);
        m.kgco2e = add(m.kgco2e, s.kgco2e);
      }
    }
  }
  return { ts, series: [...byId.values()].sort((a, b) => a.id - b.id) };
}

export interface DashboardInput {
  store: Store;
  energy: EnergyService;
  params: ReportParams;
  /** the spaces summed (already checked against the user's privilege) */
  spaces: { id: number; name: string; area: number }[];
  currency: string;
  user: { id: number; name: string };
}

export function buildDashboard(d: DashboardInput): Built {
  const { params } = d;
  const q = (span: Span | null, id: number): EnergyResult => (span ? d.energy.query({ kind: 'spaces', id, start: span.start, end: span.end, periodType: params.periodType }) : { timezone: params.zone, periods: [], categories: [], items: [] });
  const repEach = d.spaces.map((s) => q(params.reporting, s.id));
  const baseEach = d.spaces.map((s) => q(params.base, s.id));
  const rep = merge(repEach, params.periodType);
  const base = merge(baseEach, params.periodType);
  const area = d.spaces.reduce((a, s) => a + (Number(s.area) || 0), 0);
  const b = (id: number) => base.series.find((s) => s.id === id);

  const baseInput = {
    names: base.series.map((s) => s.name),
    units: base.series.map((s) => s.unit),
    timestamps: base.series.map(() => base.ts),
    values: base.series.map((s) => s.values),
    subtotals: base.series.map((s) => sum(s.values)),
    subtotals_in_kgce: base.series.map((s) => sum(s.kgce)),
    subtotals_in_kgco2e: base.series.map((s) => sum(s.kgco2e)),
    total_in_kgce: sum(base.series.map((s) => sum(s.kgce))),
    total_in_kgco2e: sum(base.series.map((s) => sum(s.kgco2e))),
  };
  const rk = sum(rep.series.map((s) => sum(s.kgce)));
  const rc = sum(rep.series.map((s) => sum(s.kgco2e)));
  const reportingInput = {
    names: rep.series.map((s) => s.name),
    energy_category_ids: rep.series.map((s) => s.id),
    units: rep.series.map((s) => s.unit),
    timestamps: rep.series.map(() => rep.ts),
    values: rep.series.map((s) => s.values),
    subtotals: rep.series.map((s) => sum(s.values)),
    subtotals_in_kgce: rep.series.map((s) => sum(s.kgce)),
    subtotals_in_kgco2e: rep.series.map((s) => sum(s.kgco2e)),
    subtotals_per_unit_area: rep.series.map((s) => perArea(sum(s.values), area)),
    increment_rates: rep.series.map((s) => rate(sum(s.values), b(s.id) ? sum(b(s.id)!.values) : null)),
    missing_periods: rep.series.map((s) => missing(s.values)),
    total_in_kgce: rk,
    total_in_kgco2e: rc,
    increment_rate_in_kgce: rate(rk, params.base ? baseInput.total_in_kgce : null),
    increment_rate_in_kgco2e: rate(rc, params.base ? baseInput.total_in_kgco2e : null),
  };
  const baseCost = {
    names: base.series.map((s) => s.name),
    units: base.series.map(() => d.currency),
    timestamps: base.series.map(() => base.ts),
    values: base.series.map((s) => s.cost),
    subtotals: base.series.map((s) => sum(s.cost)),
    total: sum(base.series.map((s) => sum(s.cost))),
  };
  const rt = sum(rep.series.map((s) => sum(s.cost)));
  const reportingCost = {
    names: rep.series.map((s) => s.name),
    energy_category_ids: rep.series.map((s) => s.id),
    units: rep.series.map(() => d.currency),
    timestamps: rep.series.map(() => rep.ts),
    values: rep.series.map((s) => s.cost),
    subtotals: rep.series.map((s) => sum(s.cost)),
    subtotals_per_unit_area: rep.series.map((s) => perArea(sum(s.cost), area)),
    increment_rates: rep.series.map((s) => rate(sum(s.cost), b(s.id) ? sum(b(s.id)!.cost) : null)),
    total: rt,
    total_unit: d.currency,
    total_per_unit_area: perArea(rt, area),
    total_increment_rate: rate(rt, params.base ? baseCost.total : null),
  };
  const childInput = {
    energy_category_names: rep.series.map((s) => s.name),
    units: rep.series.map((s) => s.unit),
    child_space_names_array: rep.series.map(() => d.spaces.map((s) => s.name)),
    subtotals_array: rep.series.map((s) => repEach.map((r) => sum(r.categories.find((c) => c.id === s.id)?.values ?? []))),
  };
  const childCost = {
    energy_category_names: rep.series.map((s) => s.name),
    units: rep.series.map(() => d.currency),
    child_space_names_array: rep.series.map(() => d.spaces.map((s) => s.name)),
    subtotals_array: rep.series.map((s) => repEach.map((r) => sum(r.categories.find((c) => c.id === s.id)?.cost ?? []))),
  };
  const figures: KeyFigure[] = [
    ...rep.series.map((s) => ({ label: s.name, unit: s.unit, value: sum(s.values), base: b(s.id) ? sum(b(s.id)!.values) : undefined, rate: rate(sum(s.values), b(s.id) ? sum(b(s.id)!.values) : null) })),
    { label: 'Cost', unit: d.currency, value: rt, base: params.base ? baseCost.total : undefined, rate: reportingCost.total_increment_rate },
    { label: 'Ton of Carbon Dioxide Emissions', unit: 'kgCO2e', value: rc, base: params.base ? baseInput.total_in_kgco2e : undefined, rate: reportingInput.increment_rate_in_kgco2e },
  ];
  return {
    json: {
      space: { name: d.spaces.map((s) => s.name).join(', '), area, space_ids: d.spaces.map((s) => s.id) },
      base_period_input: baseInput,
      reporting_period_input: reportingInput,
      base_period_cost: baseCost,
      reporting_period_cost: reportingCost,
      child_space_input: childInput,
      child_space_cost: childCost,
      parameters: { names: [], timestamps: [], values: [] },
    },
    doc: {
      title: 'Dashboard',
      subjectLabel: 'User',
      subjectName: d.user.name,
      periodType: params.periodType,
      reporting: { start: params.reporting.startLocal, end: params.reporting.endLocal },
      base: params.base ? { start: params.base.startLocal, end: params.base.endLocal } : null,
      timezone: params.zone,
      figures,
      charts: [{ title: 'Energy input', categories: rep.ts, series: rep.series.map((s) => ({ name: `${s.name} (${s.unit})`, values: s.values })), unit: [...new Set(rep.series.map((s) => s.unit))].join(', '), kind: 'bar', stacked: false }],
      tables: [{ title: 'Spaces', columns: ['Space', ...rep.series.map((s) => `${s.name} (${s.unit})`)], rows: d.spaces.map((sp, i) => [sp.name, ...rep.series.map((s) => sum(repEach[i].categories.find((c) => c.id === s.id)?.values ?? []))]) }],
      notes: [],
    },
  };
}
