/**
 * The Reports screen's model: the server's report catalog grouped by subject kind, period presets in local
 * dates, the period checks and the query of a report. What a report shows comes from the server's report
 * document (GET /api/reports/{name}/document: key figures, charts, tables), the same the workbook is drawn from.
 */

import type { PeriodType, ReportDescription, ReportSubjectRef } from '../../../../shared/reports';
export type { PeriodType, ReportDescription, ReportDoc } from '../../../../shared/reports';
export type ReportRef = ReportSubjectRef;

/** The subject kinds to pick from, in the catalog's order ('' is the dashboard's: no subject). */
export function subjectKinds(catalog: readonly ReportDescription[]): { kind: string; label: string }[] {
  const out: { kind: string; label: string }[] = [];
  for (const r of catalog) {
    const kind = r.subject?.kind ?? '';
    if (!out.some((k) => k.kind === kind)) out.push({ kind, label: r.subject?.label ?? 'Your spaces and plants' });
  }
  return out;
}

export const reportsOf = (catalog: readonly ReportDescription[], kind: string) => catalog.filter((r) => (r.subject?.kind ?? '') === kind);

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

export function reportQuery(report: ReportDescription, ids: Record<string, number>, periodType: PeriodType, p: Periods, withBase: boolean): string {
  const q = new URLSearchParams(report.fixed ?? {});
  for (const [k, v] of Object.entries(ids)) q.set(k, String(v));
  if (report.periodTypes.length) {
    if (report.periodTypes.length > 1) q.set('periodtype', periodType);
    q.set('reportingperiodstartdatetime', `${p.reportingStart}T00:00:00`);
    q.set('reportingperiodenddatetime', `${p.reportingEnd}T00:00:00`);
  }
  if (report.base && withBase && p.baseStart && p.baseEnd) {
    q.set('baseperiodstartdatetime', `${p.baseStart}T00:00:00`);
    q.set('baseperiodenddatetime', `${p.baseEnd}T00:00:00`);
  }
  return q.toString();
}

