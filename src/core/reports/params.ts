/**
 * MyEMS report query parameters: periodtype, base and reporting periods (local date-times of the subject's
 * zone), quickmode and language. Bad values are a 400 naming the parameter; a period too long for its
 * period type is a 400 stating the limit (a report never becomes a slow request that stalls the server).
 */
import { badRequest } from '../api/errors';
import { PERIOD_TYPES, type PeriodType } from '../energy/contract';
import { localString, parseLocal, periodCeil, periodStart } from './time';

export type Query = Record<string, string | undefined>;

export interface Span {
  /** UTC ms, aligned down to the local period start */
  start: number;
  /** UTC ms, exclusive, aligned up to the next local period start */
  end: number;
  /** what the caller asked for, as local strings */
  startLocal: string;
  endLocal: string;
}

export interface ReportParams {
  periodType: PeriodType;
  base: Span | null;
  reporting: Span;
  quickMode: boolean;
  language: string;
  zone: string;
}

const DAY = 86_400_000;
/** The longest reporting (and base) period per period type, in days. */
export const PERIOD_LIMIT_DAYS: Record<PeriodType, number> = { hourly: 31, daily: 1_096, weekly: 1_830, monthly: 3_500, yearly: 2_900 };

const LANGUAGES = ['en', 'zh_CN', 'zh_TW', 'de', 'fr', 'es', 'ru', 'ar', 'vi', 'th', 'tr', 'ms', 'id', 'pt', 'sv', 'ko', 'ja', 'it', 'pl'];

const TRUE = ['true', 't', 'on', 'yes', 'y', '1'];
const FALSE = ['false', 'f', 'off', 'no', 'n', '0', ''];

export function str(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined || v === null) return undefined;
  const t = String(v).trim();
  return t.length ? t : undefined;
}

export function parseBool(q: Query, name: string): boolean {
  const v = str(q, name);
  if (v === undefined) return false;
  const l = v.toLowerCase();
  if (TRUE.includes(l)) return true;
  if (FALSE.includes(l)) return false;
  throw badRequest(`API.INVALID_${name.toUpperCase()}`, `${name} must be true or false`, name);
}

export function parsePeriodType(q: Query, required = true, fallback: PeriodType = 'daily'): PeriodType {
  const v = str(q, 'periodtype');
  if (v === undefined) {
    if (!required) return fallback;
    throw badRequest('API.INVALID_PERIOD_TYPE', `periodtype is required: one of ${PERIOD_TYPES.join(', ')}`, 'periodtype');
  }
  if (!PERIOD_TYPES.includes(v as PeriodType)) throw badRequest('API.INVALID_PERIOD_TYPE', `periodtype must be one of ${PERIOD_TYPES.join(', ')}`, 'periodtype');
  return v as PeriodType;
}

const code = (name: string) => {
  const m = /^(base|reporting)period(start|end)datetime$/.exec(name);
  return m ? `API.INVALID_${m[1].toUpperCase()}_PERIOD_${m[2].toUpperCase()}_DATETIME` : `API.INVALID_${name.toUpperCase()}`;
};

function instant(q: Query, name: string, zone: string, required: boolean): number | null {
  const v = str(q, name);
  if (v === undefined) {
    if (required) throw badRequest(code(name), `${name} is required, e.g. 2024-01-01T00:00:00 (local time of the subject)`, name);
    return null;
  }
  const ms = parseLocal(v, zone);
  if (ms === null) throw badRequest(code(name), `${name} must be a date-time like 2024-01-01T00:00:00, got ${JSON.stringify(v).slice(0, 60)}`, name);
  return ms;
}

/** A [start, end) pair of parameters aligned to the period type, checked against the limit. */
export function parseSpan(q: Query, prefix: 'base' | 'reporting', zone: string, periodType: PeriodType, required: boolean): Span | null {
  const sName = `${prefix}periodstartdatetime`;
  const eName = `${prefix}periodenddatetime`;
  const s = instant(q, sName, zone, required);
  const e = instant(q, eName, zone, required);
  if (s === null && e === null) return null;
  if (s === null) throw badRequest(code(sName), `${sName} is required when ${eName} is given`, sName);
  if (e === null) throw badRequest(code(eName), `${eName} is required when ${sName} is given`, eName);
  if (e <= s) throw badRequest(code(eName), `${eName} must be after ${sName}`, eName);
  const limit = PERIOD_LIMIT_DAYS[periodType];
  if (e - s > limit * DAY + 2 * 3_600_000) {
    throw badRequest('API.PERIOD_TOO_LONG', `the ${prefix} period may span at most ${limit} days with periodtype=${periodType}; choose a coarser period type or a shorter period`, eName, { limit_days: limit });
  }
  return { start: periodStart(s, zone, periodType), end: periodCeil(e, zone, periodType), startLocal: localString(s, zone), endLocal: localString(e, zone) };
}

export function parseLanguage(q: Query): string {
  const v = str(q, 'language');
  if (v === undefined) return 'en';
  if (!LANGUAGES.includes(v)) throw badRequest('API.INVALID_LANGUAGE', `language must be one of ${LANGUAGES.join(', ')}`, 'language');
  return v;
}

/** All of a periodic report's parameters; the zone is the subject's. */
export function parseReportParams(q: Query, zone: string, opts: { periodTypeRequired?: boolean; fallbackPeriodType?: PeriodType } = {}): ReportParams {
  const periodType = parsePeriodType(q, opts.periodTypeRequired ?? true, opts.fallbackPeriodType);
  const reporting = parseSpan(q, 'reporting', zone, periodType, true)!;
  const base = parseSpan(q, 'base', zone, periodType, false);
  return { periodType, base, reporting, quickMode: parseBool(q, 'quickmode'), language: parseLanguage(q), zone };
}
