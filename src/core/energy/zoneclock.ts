/**
 * Local calendar arithmetic without a time-zone library call per hour. Each zone's UTC offsets are read once per
 * UTC year (luxon's IANAZone, i.e. Intl, sampled daily, each change narrowed to the millisecond by bisection) into a
 * table of transitions; an offset is then a lookup in that table. Local period starts and steps follow luxon's
 * rules exactly (its `fixOffset`: a local time that does not exist moves forward by the gap; an ambiguous one keeps
 * the offset of the instant it was derived from), so the results are luxon's `startOf`/`plus` to the millisecond,
 * only about a hundred times faster.
 */
import { IANAZone } from 'luxon';

const DAY = 86_400_000;
const MIN = 60_000;

interface YearTable {
  from: number;
  to: number;
  /** transition instants in [from, to), ascending */
  at: number[];
  /** off[0]: the offset (minutes) at `from`; off[k + 1]: the offset from at[k] */
  off: number[];
}

class ZoneTable {
  private readonly zone: IANAZone;
  private readonly years = new Map<number, YearTable>();
  private last: YearTable | null = null;

  constructor(name: string) {
    this.zone = IANAZone.create(name);
  }

  offset(ts: number): number {
    if (!Number.isFinite(ts) || !this.zone.isValid) return NaN;
    let y = this.last;
    if (!y || ts < y.from || ts >= y.to) {
      const year = new Date(ts).getUTCFullYear();
      y = this.tableOf(year);
      this.last = y;
    }
    const at = y.at;
    let k = 0;
    while (k < at.length && at[k] <= ts) k++;
    return y.off[k];
  }

  tableOf(year: number): YearTable {
    return this.years.get(year) ?? this.build(year);
  }

  private build(year: number): YearTable {
    const from = Date.UTC(year, 0, 1);
    const to = Date.UTC(year + 1, 0, 1);
    const z = this.zone;
    const at: number[] = [];
    const off = [z.offset(from)];
    let lo = from;
    let current = off[0];
    for (let t = from + DAY; lo < to - 1; t += DAY) {
      const sample = Math.min(t, to - 1);
      // each change in (lo, sample]: bisect to the first millisecond with another offset (luxon reads whole seconds)
      while (z.offset(sample) !== current) {
        let a = lo;
        let b = sample;
        while (b - a > 1) {
          const mid = Math.floor((a + b) / 2);
          if (z.offset(mid) === current) a = mid;
          else b = mid;
        }
        at.push(b);
        off.push((current = z.offset(b)));
        lo = b;
      }
      lo = sample;
    }
    const t = { from, to, at, off };
    this.years.set(year, t);
    return t;
  }
}

const tables = new Map<string, ZoneTable>();

function table(zone: string): ZoneTable {
  let t = tables.get(zone);
  if (!t) tables.set(zone, (t = new ZoneTable(zone)));
  return t;
}

/** the instants in [from, to) at which the zone's offset changes, with the offset (minutes) from then */
export function transitions(zone: string, from: number, to: number): [number, number][] {
  const out: [number, number][] = [];
  const t = table(zone);
  for (let year = new Date(from).getUTCFullYear(); Date.UTC(year, 0, 1) < to; year++) {
    t.offset(Date.UTC(year, 0, 1));
    const y = t.tableOf(year);
    y.at.forEach((at, k) => {
      if (at >= from && at < to) out.push([at, y.off[k + 1]]);
    });
  }
  return out;
}

/** the zone's UTC offset in minutes at `ts` */
export function zoneOffset(zone: string, ts: number): number {
  return table(zone).offset(ts);
}

/**
 * The UTC instant of a local wall time (`local`: the wall time's fields as if it were UTC), guessing the offset `o`
 * first, as luxon does: a wall time that does not exist (spring forward) moves forward by the gap; one that exists
 * twice (fall back) keeps the guessed offset when it fits.
 */
export function fromLocal(zone: string, local: number, o: number): number {
  const t = table(zone);
  let utc = local - o * MIN;
  const o2 = t.offset(utc);
  if (o === o2) return utc;
  utc -= (o2 - o) * MIN;
  const o3 = t.offset(utc);
  if (o2 === o3) return utc;
  return local - Math.min(o2, o3) * MIN;
}

export type CalendarUnit = 'day' | 'week' | 'month' | 'year';

/** the local wall time (as a UTC-based ms value) at which the local `unit` containing the wall time `local` starts */
function truncate(local: number, unit: CalendarUnit): number {
  const days = Math.floor(local / DAY);
  if (unit === 'day') return days * DAY;
  // ISO weeks start on Monday; 1970-01-01 was a Thursday
  if (unit === 'week') return (days - ((days + 3) % 7 + 7) % 7) * DAY;
  const d = new Date(days * DAY);
  return unit === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) : Date.UTC(d.getUTCFullYear(), 0, 1);
}

/** the first instant of the local `unit` (day, ISO week, month, year) containing `ts` (luxon's startOf) */
export function startOfLocal(ts: number, unit: CalendarUnit, zone: string): number {
  const o = zoneOffset(zone, ts);
  return fromLocal(zone, truncate(ts + o * MIN, unit), o);
}

/** `ts` plus one local `unit` (luxon's plus: the wall time moved by the unit, then placed in the zone) */
export function plusLocal(ts: number, unit: CalendarUnit, zone: string): number {
  const o = zoneOffset(zone, ts);
  const local = ts + o * MIN;
  let next: number;
  if (unit === 'day') next = local + DAY;
  else if (unit === 'week') next = local + 7 * DAY;
  else {
    const d = new Date(local);
    const y = d.getUTCFullYear() + (unit === 'year' ? 1 : 0);
    const m = d.getUTCMonth() + (unit === 'month' ? 1 : 0);
    // the day of month is clamped to the target month's length (Jan 31 + 1 month = Feb 28/29)
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    next = Date.UTC(y, m, Math.min(d.getUTCDate(), last)) + (local - Math.floor(local / DAY) * DAY);
  }
  return fromLocal(zone, next, o);
}

/** local wall-clock text 'YYYY-MM-DDTHH:mm:ss' of `ts` */
export function localClockText(ts: number, zone: string): string {
  return new Date(ts + zoneOffset(zone, ts) * MIN).toISOString().slice(0, 19);
}
