/** Arithmetic and lookups shared by the report builders. */
import type { EnergyResult, EnergySeries, EnergyService, PeriodType, SubjectKind } from '../energy/contract';
import type { Store } from '../store/store';
import type { Query, ReportParams, Span } from './params';
import type { Principal } from '../auth/service';
import type { Subject } from './subjects';
import { periodLabel } from './time';
import type { ReportDoc } from './doc';
import type { HistoryReader } from './parameters';

export interface BuildCtx {
  store: Store;
  energy: EnergyService;
  subject: Subject;
  params: ReportParams;
  currency: string;
  /** the caller and the raw query, for builders that resolve a second subject (comparison) */
  principal?: Principal;
  query?: Query;
  /** the historian's samples of a point, downsampled (the `parameters` of a report) */
  history?: HistoryReader;
}

export type Values = (number | null)[];

/** Sum of the known values (missing values are not 0; their count is reported beside the sum). */
export const sum = (v: Values): number => v.reduce<number>((a, x) => (x === null ? a : a + x), 0);
export const known = (v: Values): number[] => v.filter((x): x is number => x !== null);
export const missing = (v: Values): number => v.reduce<number>((a, x) => (x === null ? a + 1 : a), 0);
export const rate = (rep: number | null | undefined, base: number | null | undefined): number | null =>
  rep === null || rep === undefined || base === null || base === undefined || !(base > 0) ? null : (rep - base) / base;
export const perArea = (v: number | null, area: unknown): number | null => (v === null || typeof area !== 'number' || !(area > 0) ? null : v / area);
export const max = (v: Values): number | null => (known(v).length ? Math.max(...known(v)) : null);
export const min = (v: Values): number | null => (known(v).length ? Math.min(...known(v)) : null);
export const mean = (v: Values): number | null => (known(v).length ? sum(v) / known(v).length : null);
export function median(v: Values): number | null {
  const k = known(v).sort((a, b) => a - b);
  if (!k.length) return null;
  const m = k.length >> 1;
  return k.length % 2 ? k[m] : (k[m - 1] + k[m]) / 2;
}
/** population variance and standard deviation, as MyEMS computes them */
export function variance(v: Values): number | null {
  const k = known(v);
  if (!k.length) return null;
  const m = sum(k) / k.length;
  return k.reduce((a, x) => a + (x - m) ** 2, 0) / k.length;
}
export const stdev = (v: Values): number | null => {
  const x = variance(v);
  return x === null ? null : Math.sqrt(x);
};
/** per-period change against the base period's same index (MyEMS's `rates`) */
export const rates = (rep: Values, base: Values): (number | null)[] => rep.map((x, i) => (x === null || !base[i] ? null : (x - (base[i] as number)) / (base[i] as number)));

const EMPTY: EnergyResult = { timezone: 'UTC', periods: [], categories: [], items: [] };

export function query(ctx: BuildCtx, span: Span | null, periodType?: PeriodType, kind?: SubjectKind, id?: number): EnergyResult {
  if (!span) return EMPTY;
  return ctx.energy.query({ kind: kind ?? ctx.subject.info.kind, id: id ?? ctx.subject.id, start: span.start, end: span.end, periodType: periodType ?? ctx.params.periodType });
}

export const labels = (r: EnergyResult, periodType: PeriodType): string[] => r.periods.map((p) => periodLabel(p.local, periodType));

export const missingHours = (s: EnergySeries | undefined): number => (s ? s.missingHours.reduce((a, x) => a + x, 0) : 0);

/** The currency of the subject's tariffs ('CNY/kWh' -> 'CNY'); the `currency_unit` setting, else CNY. */
export function currencyOf(store: Store, costCenterId: unknown): string {
  const setting = store.db.prepare("SELECT value FROM settings WHERE key = 'currency_unit'").get() as { value: string } | undefined;
  if (setting?.value) return setting.value;
  if (typeof costCenterId === 'number') {
    try {
      const r = store.db
        .prepare('SELECT t.unit_of_price AS u FROM rel_cost_centers_tariffs l JOIN tariffs t ON t.id = l.target_id WHERE l.owner_id = ? ORDER BY t.id LIMIT 1')
        .get(costCenterId) as { u: string } | undefined;
      if (r?.u) return r.u.split('/')[0].trim() || 'CNY';
    } catch {
      // no tariffs table in this build
    }
  }
  return 'CNY';
}

/** The category's kgce / kgco2e factors and unit, by id. */
export function categoryOf(store: Store, id: number): { id: number; name: string; unit_of_measure: string; kgce: number; kgco2e: number } | null {
  return (store.db.prepare('SELECT id, name, unit_of_measure, kgce, kgco2e FROM energy_categories WHERE id = ?').get(id) as never) ?? null;
}

/** the reporting-period span's local strings for documents */
export const spanText = (s: Span | null) => (s ? { start: s.startLocal, end: s.endLocal } : null);

/** The head every report's document starts with: its title, subject, periods and zone. */
export function docHeader(ctx: BuildCtx, title: string): Pick<ReportDoc, 'title' | 'subjectLabel' | 'subjectName' | 'periodType' | 'reporting' | 'base' | 'timezone'> {
  return {
    title: `${ctx.subject.info.label} ${title}`,
    subjectLabel: ctx.subject.info.label,
    subjectName: String(ctx.subject.row.name),
    periodType: ctx.params.periodType,
    reporting: spanText(ctx.params.reporting),
    base: spanText(ctx.params.base),
    timezone: ctx.params.zone,
  };
}
