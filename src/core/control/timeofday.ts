/**
 * Local time of day in a site's zone (luxon, DST honoured), working calendars, and the price of a time-of-use
 * tariff at an instant. Times of day are MyEMS's 'HH:MM:SS' with an inclusive end (a period 17:00:00-20:59:59
 * covers 17:00 to the end of 20:59).
 */
import { DateTime } from 'luxon';
import type { Store } from '../store/store';

export interface LocalTime {
  /** yyyy-MM-dd in the zone */
  date: string;
  /** seconds since local midnight (wall clock) */
  seconds: number;
  /** yyyy-MM-ddTHH:mm:ss in the zone */
  iso: string;
  zone: string;
}

export function localTime(now: number, zone: string): LocalTime {
  const t = DateTime.fromMillis(now, { zone });
  const z = t.isValid ? t : DateTime.fromMillis(now);
  return { date: z.toFormat('yyyy-LL-dd'), seconds: z.hour * 3600 + z.minute * 60 + z.second, iso: z.toFormat("yyyy-LL-dd'T'HH:mm:ss"), zone: z.zoneName ?? zone };
}

const parsed = new Map<string, number>();
/** 'HH:MM:SS' -> seconds since midnight (memoised: the control cycle asks for the same few times every second) */
export const secondsOf = (hms: string): number => {
  let v = parsed.get(hms);
  if (v === undefined) {
    const [h, m, s] = hms.split(':').map(Number);
    v = h * 3600 + m * 60 + (s || 0);
    if (parsed.size < 10_000) parsed.set(hms, v);
  }
  return v;
};

/** Whether a local time of day lies in [start, end] (end inclusive to the second, as MyEMS writes 23:59:59). */
export const inPeriod = (seconds: number, start: string, end: string): boolean => seconds >= secondsOf(start) && seconds < secondsOf(end) + 1;

/** The IANA zone of a timezones row; else the site's (the first top-level space's); else this computer's. */
export function zoneOf(store: Store, timezoneId: number | null): string {
  if (timezoneId !== null) {
    const r = store.db.prepare('SELECT iana_name, name FROM timezones WHERE id = ?').get(timezoneId) as { iana_name: string | null; name: string } | undefined;
    const z = r?.iana_name || r?.name;
    if (z && DateTime.local().setZone(z).isValid) return z;
  }
  const site = store.db.prepare('SELECT t.iana_name AS zone FROM spaces s JOIN timezones t ON t.id = s.timezone_id WHERE s.parent_space_id IS NULL ORDER BY s.id LIMIT 1').get() as { zone: string | null } | undefined;
  if (site?.zone && DateTime.local().setZone(site.zone).isValid) return site.zone;
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Non-working days of a calendar (local dates). */
export function nonWorkingDays(store: Store, calendarId: number): Set<string> {
  return new Set((store.db.prepare('SELECT date_local FROM non_working_days WHERE working_calendar_id = ?').all(calendarId) as { date_local: string }[]).map((r) => String(r.date_local).slice(0, 10)));
}

export interface TariffPeriod {
  start_time_of_day: string;
  end_time_of_day: string;
  peak_type: string;
  price: number;
}

export interface Tariff {
  id: number;
  name: string;
  unit: string;
  validFrom: string;
  validThrough: string;
  periods: TariffPeriod[];
}

/** A time-of-use tariff from the registry's tariffs table (null when it is not time-of-use). */
export function loadTariff(store: Store, tariffId: number): Tariff | null {
  const r = store.db.prepare('SELECT id, name, tariff_type, unit_of_price, valid_from, valid_through, timeofuse FROM tariffs WHERE id = ?').get(tariffId) as
    | { id: number; name: string; tariff_type: string; unit_of_price: string; valid_from: string; valid_through: string; timeofuse: string | null }
    | undefined;
  if (!r || r.tariff_type !== 'timeofuse') return null;
  let periods: TariffPeriod[];
  try {
    periods = (JSON.parse(r.timeofuse ?? '[]') as TariffPeriod[]).map((p) => ({ ...p, price: Number(p.price) }));
  } catch {
    periods = [];
  }
  return { id: r.id, name: r.name, unit: r.unit_of_price, validFrom: r.valid_from, validThrough: r.valid_through, periods };
}

/** The tariff's period at a local time, or null (outside its validity or its periods). */
export function tariffPeriodAt(t: Tariff, local: LocalTime): TariffPeriod | null {
  if (local.iso < t.validFrom.slice(0, 19) || local.iso >= t.validThrough.slice(0, 19)) return null;
  return t.periods.find((p) => inPeriod(local.seconds, p.start_time_of_day, p.end_time_of_day)) ?? null;
}
