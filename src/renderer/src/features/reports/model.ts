/**
 * The Reports screen's model: which report families each subject kind has (MyEMS path names), period presets
 * in local dates, and a MyEMS report answer turned into what the screen shows (key figures with the change
 * against the base period, series per category or item, the period table).
 */

export type SubjectKind = 'meters' | 'virtualmeters' | 'offlinemeters' | 'spaces' | 'equipments' | 'combinedequipments' | 'tenants' | 'stores' | 'shopfloors';

export interface SubjectDef {
  kind: SubjectKind;
  label: string;
  /** MyEMS report path stem and id parameter stem: space -> spaceenergycategory?spaceid= */
  stem: string;
  families: { name: string; label: string }[];
}

const SITE = [
  { name: 'energycategory', label: 'Energy by category' },
  { name: 'energyitem', label: 'Energy by item' },
  { name: 'cost', label: 'Cost' },
  { name: 'carbon', label: 'Carbon' },
  { name: 'load', label: 'Load' },
  { name: 'statistics', label: 'Statistics' },
];
const METER = [
  { name: 'energy', label: 'Energy' },
  { name: 'cost', label: 'Cost' },
  { name: 'carbon', label: 'Carbon' },
];

export const SUBJECTS: SubjectDef[] = [
  { kind: 'spaces', label: 'Space', stem: 'space', families: SITE },
  { kind: 'meters', label: 'Meter', stem: 'meter', families: METER },
  { kind: 'virtualmeters', label: 'Virtual meter', stem: 'virtualmeter', families: METER },
  { kind: 'offlinemeters', label: 'Offline meter', stem: 'offlinemeter', families: METER },
  { kind: 'equipments', label: 'Equipment', stem: 'equipment', families: SITE },
  { kind: 'combinedequipments', label: 'Combined equipment', stem: 'combinedequipment', families: SITE },
  { kind: 'tenants', label: 'Tenant', stem: 'tenant', families: SITE },
  { kind: 'stores', label: 'Store', stem: 'store', families: SITE },
  { kind: 'shopfloors', label: 'Shopfloor', stem: 'shopfloor', families: SITE },
];

export type PeriodType = 'hourly' | 'daily' | 'weekly' | 'monthly' | 'yearly';

export interface Periods {
  reportingStart: string;
  reportingEnd: string;
  baseStart: string;
  baseEnd: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const ymd = (d: Date) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** Presets in local dates; end dates are exclusive (the day after the last day shown). */
export function preset(name: 'thismonth' | 'lastmonth' | 'thisyear' | 'lastyear', today = new Date()): Periods & { periodType: PeriodType } {
  const y = today.getFullYear();
  const m = today.getMonth();
  switch (name) {
    case 'thismonth':
      return { reportingStart: ymd(new Date(y, m, 1)), reportingEnd: ymd(new Date(y, m + 1, 1)), baseStart: ymd(new Date(y, m - 1, 1)), baseEnd: ymd(new Date(y, m, 1)), periodType: 'daily' };
    case 'lastmonth':
      return { reportingStart: ymd(new Date(y, m - 1, 1)), reportingEnd: ymd(new Date(y, m, 1)), baseStart: ymd(new Date(y, m - 2, 1)), baseEnd: ymd(new Date(y, m - 1, 1)), periodType: 'daily' };
    case 'thisyear':
      return { reportingStart: `${y}-01-01`, reportingEnd: `${y + 1}-01-01`, baseStart: `${y - 1}-01-01`, baseEnd: `${y}-01-01`, periodType: 'monthly' };
    case 'lastyear':
      return { reportingStart: `${y - 1}-01-01`, reportingEnd: `${y}-01-01`, baseStart: `${y - 2}-01-01`, baseEnd: `${y - 1}-01-01`, periodType: 'monthly' };
  }
}

/** The server's longest period per period type (days), checked before asking (see docs/reports.md). */
export const PERIOD_LIMIT_DAYS: Record<PeriodType, number> = { hourly: 31, daily: 1_096, weekly: 1_830, monthly: 3_500, yearly: 2_900 };

/** A message naming what is wrong with the chosen periods, or null. */
export function periodProblem(periodType: PeriodType, p: Periods, withBase: boolean): string | null {
  const days = (a: string, b: string) => (Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000;
  const spans: [string, string, string][] = [['reporting', p.reportingStart, p.reportingEnd]];
  if (withBase && (p.baseStart || p.baseEnd)) spans.push(['base', p.baseStart, p.baseEnd]);
  for (const [name, a, b] of spans) {
    if (!a || !b || !Number.isFinite(days(a, b))) return `choose the ${name} period's start and end dates`;
    if (days(a, b) <= 0) return `the ${name} period must end after it starts`;
    if (days(a, b) > PERIOD_LIMIT_DAYS[periodType]) return `the ${name} period may span at most ${PERIOD_LIMIT_DAYS[periodType]} days with ${periodType} periods; choose a coarser period type or a shorter period`;
  }
  return null;
}

export function reportQuery(subject: SubjectDef, id: number, periodType: PeriodType, p: Periods, withBase: boolean): string {
  const q = new URLSearchParams({ [`${subject.stem}id`]: String(id), periodtype: periodType, reportingperiodstartdatetime: `${p.reportingStart}T00:00:00`, reportingperiodenddatetime: `${p.reportingEnd}T00:00:00` });
  if (withBase && p.baseStart && p.baseEnd) {
    q.set('baseperiodstartdatetime', `${p.baseStart}T00:00:00`);
    q.set('baseperiodenddatetime', `${p.baseEnd}T00:00:00`);
  }
  return q.toString();
}

export interface Figure {
  label: string;
  unit: string;
  value: number | null;
  base: number | null;
  rate: number | null;
  missing: number;
}

export interface View {
  figures: Figure[];
  timestamps: string[];
  series: { name: string; unit: string; values: (number | null)[] }[];
  stacked: boolean;
  chartTitle: string;
}

type J = Record<string, unknown>;
const arr = <T>(x: unknown): T[] => (Array.isArray(x) ? (x as T[]) : []);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** A MyEMS report answer as the screen shows it. */
export function viewOf(family: string, json: J): View {
  const rp = (json.reporting_period ?? {}) as J;
  const bp = (json.base_period ?? {}) as J;
  // meter reports: one series, scalar totals
  if (!Array.isArray(rp.names)) {
    const meter = (json.meter ?? json.virtual_meter ?? json.offline_meter ?? {}) as J;
    const unit = family === 'cost' ? String(rp.total_unit ?? '') : family === 'carbon' ? 'kgCO2e' : String(meter.unit_of_measure ?? '');
    const name = family === 'energy' ? String(meter.energy_category_name ?? 'Energy') : family === 'cost' ? 'Cost' : 'Carbon';
    const figures: Figure[] = [{ label: name, unit, value: num(rp.total_in_category), base: num(bp.total_in_category), rate: num(rp.increment_rate), missing: Number(rp.missing_periods ?? 0) }];
    if (family === 'energy') figures.push({ label: 'Carbon dioxide emissions', unit: 'kgCO2e', value: num(rp.total_in_kgco2e), base: num(bp.total_in_kgco2e), rate: null, missing: Number(rp.missing_periods ?? 0) });
    return { figures, timestamps: arr<string>(rp.timestamps), series: [{ name, unit, values: arr<number | null>(rp.values) }], stacked: false, chartTitle: `${name} (${unit})` };
  }
  const names = arr<string>(rp.names);
  const units = arr<string>(rp.units);
  const timestamps = arr<string[]>(rp.timestamps)[0] ?? [];
  if (family === 'load') {
    return {
      figures: names.flatMap((n, i) => [
        { label: `${n} average load`, unit: units[i], value: num(arr(rp.averages)[i]), base: num(arr(bp.averages)[i]), rate: num(arr(rp.averages_increment_rate)[i]), missing: 0 },
        { label: `${n} maximum load`, unit: units[i], value: num(arr(rp.maximums)[i]), base: num(arr(bp.maximums)[i]), rate: num(arr(rp.maximums_increment_rate)[i]), missing: 0 },
      ]),
      timestamps,
      series: names.flatMap((n, i) => [
        { name: `${n} average`, unit: units[i], values: arr<(number | null)[]>(rp.sub_averages)[i] ?? [] },
        { name: `${n} maximum`, unit: units[i], values: arr<(number | null)[]>(rp.sub_maximums)[i] ?? [] },
      ]),
      stacked: false,
      chartTitle: 'Load',
    };
  }
  const baseNames = arr<string>(bp.names);
  const figures: Figure[] = names.map((n, i) => {
    const j = baseNames.indexOf(n);
    if (family === 'statistics') return { label: `${n} mean`, unit: units[i], value: num(arr(rp.means)[i]), base: j < 0 ? null : num(arr(bp.means)[j]), rate: num(arr(rp.means_increment_rate)[i]), missing: Number(arr(rp.missing_periods)[i] ?? 0) };
    return { label: n, unit: units[i], value: num(arr(rp.subtotals)[i]), base: j < 0 ? null : num(arr(bp.subtotals)[j]), rate: num(arr(rp.increment_rates)[i]), missing: Number(arr(rp.missing_periods)[i] ?? 0) };
  });
  if (family === 'energycategory' && rp.total_in_kgco2e !== undefined) {
    figures.push({ label: 'Carbon dioxide emissions', unit: 'kgCO2e', value: num(rp.total_in_kgco2e), base: num(bp.total_in_kgco2e), rate: num(rp.increment_rate_in_kgco2e), missing: 0 });
  }
  if ((family === 'cost' || family === 'carbon') && rp.total !== undefined) {
    figures.push({ label: 'Total', unit: String(rp.total_unit ?? ''), value: num(rp.total), base: num(bp.total), rate: num(rp.total_increment_rate), missing: 0 });
  }
  return {
    figures,
    timestamps,
    series: names.map((n, i) => ({ name: n, unit: units[i] ?? '', values: arr<(number | null)[]>(rp.values)[i] ?? [] })),
    stacked: family !== 'statistics',
    chartTitle: family === 'cost' ? 'Cost' : family === 'carbon' ? 'Carbon dioxide emissions' : family === 'energyitem' ? 'Energy by item' : 'Energy by category',
  };
}
