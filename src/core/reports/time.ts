/**
 * Local calendar arithmetic in an IANA zone, DST honoured, without a date library: a report's date-times
 * without an offset are the subject's local time; periods (hour, day, ISO week from Monday, month, year)
 * start at local boundaries.
 */
import type { PeriodType } from '../energy/contract';

export interface LocalParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function formatter(zone: string): Intl.DateTimeFormat {
  let f = fmtCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    fmtCache.set(zone, f);
  }
  return f;
}

/** Whether the runtime knows the zone. */
export function isZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The local wall-clock parts of a UTC instant. */
export function partsOf(ms: number, zone: string): LocalParts {
  const p: Record<string, number> = {};
  for (const x of formatter(zone).formatToParts(new Date(ms))) if (x.type !== 'literal') p[x.type] = Number(x.value);
  return { y: p.year, mo: p.month, d: p.day, h: p.hour % 24, mi: p.minute, s: p.second };
}

const wall = (p: LocalParts) => Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);

/**
 * The UTC instant of a local wall-clock time. A time skipped by a spring-forward change maps to the instant
 * after the gap; an ambiguous autumn time to its first (daylight) occurrence.
 */
export function utcOf(p: LocalParts, zone: string): number {
  const target = wall(p);
  let guess = target;
  for (let i = 0; i < 3; i++) {
    const off = wall(partsOf(guess, zone)) - guess;
    const next = target - off;
    if (next === guess) break;
    guess = next;
  }
  // prefer the earlier of two candidates that both show this wall time (autumn overlap)
  const earlier = guess - 3_600_000;
  if (wall(partsOf(earlier, zone)) === target) return earlier;
  if (wall(partsOf(guess, zone)) !== target) {
    // inside a spring-forward gap: the wall time read with the offset before the gap lands after it
    const off = wall(partsOf(guess - 3 * 3_600_000, zone)) - (guess - 3 * 3_600_000);
    return target - off;
  }
  return guess;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** 'YYYY-MM-DDTHH:mm:ss' of an instant in the zone. */
export function localString(ms: number, zone: string): string {
  const p = partsOf(ms, zone);
  return `${pad(p.y, 4)}-${pad(p.mo)}-${pad(p.d)}T${pad(p.h)}:${pad(p.mi)}:${pad(p.s)}`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;

/** Parses MyEMS's '%Y-%m-%dT%H:%M:%S' (also with a Z or ±HH:MM offset, then taken as that instant). */
export function parseLocal(s: string, zone: string): number | null {
  const t = s.trim();
  const withOffset = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?(Z|[+-]\d{2}:\d{2})$/.exec(t);
  if (withOffset) {
    const ms = Date.parse(`${withOffset[1]}${withOffset[2]}`);
    return Number.isFinite(ms) ? ms : null;
  }
  const m = LOCAL.exec(t);
  if (!m) return null;
  const p = { y: +m[1], mo: +m[2], d: +m[3], h: +m[4], mi: +m[5], s: +m[6] };
  if (p.mo < 1 || p.mo > 12 || p.d < 1 || p.d > 31 || p.h > 23 || p.mi > 59 || p.s > 59) return null;
  // reject 2021-02-30 and the like
  const probe = new Date(Date.UTC(p.y, p.mo - 1, p.d));
  if (probe.getUTCMonth() !== p.mo - 1) return null;
  return utcOf(p, zone);
}

/** The start (UTC ms) of the local period containing the instant. */
export function periodStart(ms: number, zone: string, type: PeriodType): number {
  const p = partsOf(ms, zone);
  switch (type) {
    case 'hourly':
      return utcOf({ ...p, mi: 0, s: 0 }, zone);
    case 'daily':
      return utcOf({ ...p, h: 0, mi: 0, s: 0 }, zone);
    case 'weekly': {
      const dow = (new Date(Date.UTC(p.y, p.mo - 1, p.d)).getUTCDay() + 6) % 7; // Monday = 0
      const monday = new Date(Date.UTC(p.y, p.mo - 1, p.d - dow));
      return utcOf({ y: monday.getUTCFullYear(), mo: monday.getUTCMonth() + 1, d: monday.getUTCDate(), h: 0, mi: 0, s: 0 }, zone);
    }
    case 'monthly':
      return utcOf({ y: p.y, mo: p.mo, d: 1, h: 0, mi: 0, s: 0 }, zone);
    case 'yearly':
      return utcOf({ y: p.y, mo: 1, d: 1, h: 0, mi: 0, s: 0 }, zone);
  }
}

/** The start of the local period after the one starting at `start`. */
export function nextPeriod(start: number, zone: string, type: PeriodType): number {
  if (type === 'hourly') return start + 3_600_000;
  const p = partsOf(start, zone);
  const d = new Date(Date.UTC(p.y, p.mo - 1, p.d));
  if (type === 'daily') d.setUTCDate(d.getUTCDate() + 1);
  else if (type === 'weekly') d.setUTCDate(d.getUTCDate() + 7);
  else if (type === 'monthly') d.setUTCMonth(d.getUTCMonth() + 1);
  else d.setUTCFullYear(d.getUTCFullYear() + 1);
  return utcOf({ y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(), h: 0, mi: 0, s: 0 }, zone);
}

/** The first period start at or after the instant. */
export function periodCeil(ms: number, zone: string, type: PeriodType): number {
  const s = periodStart(ms, zone, type);
  return s === ms ? s : nextPeriod(s, zone, type);
}

/** A period's label as MyEMS prints it: hourly 'YYYY-MM-DDTHH:mm:ss', daily/weekly 'YYYY-MM-DD', monthly 'YYYY-MM', yearly 'YYYY'. */
export function periodLabel(local: string, type: PeriodType): string {
  if (type === 'hourly') return local.slice(0, 19);
  if (type === 'daily' || type === 'weekly') return local.slice(0, 10);
  if (type === 'monthly') return local.slice(0, 7);
  return local.slice(0, 4);
}
