/**
 * Cost: the tariffs bound to the meter's cost center for its energy category, valid at the hour.
 * - time-of-use: the price of the period containing the hour's local start time of day (periods may run past
 *   midnight, e.g. 22:00:00-06:00:00; an end of 23:59:59 closes the day);
 * - block: the hour's energy priced along the blocks by the amount consumed so far in the local billing month
 *   (an hour crossing a block boundary is split; beyond the last block its price applies).
 * valid_from / valid_through are the site's local date and time. An hour no tariff covers has no cost (null).
 */
import type { Db } from '../store/store';
import { FLAG_FLAGGED } from './normalize';
import { startOfLocal, zoneOffset } from './zoneclock';

export interface TouPeriod {
  start: number;
  end: number;
  peak: string;
  price: number;
}
export interface Block {
  start: number;
  end: number;
  price: number;
}
export interface Tariff {
  id: number;
  type: 'timeofuse' | 'block';
  /** local 'YYYY-MM-DDTHH:mm:ss' */
  from: string;
  through: string;
  tou: TouPeriod[];
  blocks: Block[];
}

const seconds = (t: string) => {
  const [h, m, s] = String(t).split(':').map(Number);
  return h * 3600 + (m || 0) * 60 + (s || 0);
};

const parseList = (v: unknown): Record<string, unknown>[] => {
  if (Array.isArray(v)) return v as Record<string, unknown>[];
  if (typeof v !== 'string' || v === '') return [];
  try {
    const l = JSON.parse(v);
    return Array.isArray(l) ? l : [];
  } catch {
    return [];
  }
};

export function loadTariffs(db: Db, costCenterId: number | null, categoryId: number): Tariff[] {
  if (costCenterId === null) return [];
  const rows = db
    .prepare(
      `SELECT t.id, t.tariff_type, t.valid_from, t.valid_through, t.timeofuse, t.block FROM rel_cost_centers_tariffs l JOIN tariffs t ON t.id = l.target_id
       WHERE l.owner_id = ? AND t.energy_category_id = ? ORDER BY t.valid_from, t.id`,
    )
    .all(costCenterId, categoryId) as { id: number; tariff_type: string; valid_from: string; valid_through: string; timeofuse: unknown; block: unknown }[];
  return rows.map((r) => ({
    id: r.id,
    type: r.tariff_type === 'block' ? 'block' : 'timeofuse',
    from: String(r.valid_from).slice(0, 19).replace(' ', 'T'),
    through: String(r.valid_through).slice(0, 19).replace(' ', 'T'),
    tou: parseList(r.timeofuse).map((p) => {
      let end = seconds(String(p.end_time_of_day));
      if (end === 86399) end = 86400;
      return { start: seconds(String(p.start_time_of_day)), end, peak: String(p.peak_type), price: Number(p.price) };
    }),
    blocks: parseList(r.block)
      .map((b) => ({ start: Number(b.start_amount), end: Number(b.end_amount), price: Number(b.price) }))
      .sort((a, b) => a.start - b.start),
  }));
}

export function touPrice(t: Tariff, secondOfDay: number): { price: number; peak: string } | null {
  for (const p of t.tou) {
    const inside = p.start <= p.end ? secondOfDay >= p.start && secondOfDay < p.end : secondOfDay >= p.start || secondOfDay < p.end;
    if (inside) return { price: p.price, peak: p.peak };
  }
  return null;
}

/** the cost of `amount` consumed after `before` was already consumed this month */
export function blockCost(blocks: readonly Block[], before: number, amount: number): number {
  if (!blocks.length || amount === 0) return 0;
  let cost = 0;
  let at = before;
  let left = amount;
  for (let i = 0; i < blocks.length && left > 0; i++) {
    const b = blocks[i];
    const last = i === blocks.length - 1;
    const top = last ? Infinity : b.end;
    if (at >= top) continue;
    const take = Math.min(left, top - at);
    cost += take * b.price;
    at += take;
    left -= take;
  }
  return cost;
}

export interface CostHour {
  hour: number;
  value: number;
  flags: number;
}

/**
 * Prices the hours of one meter (in time order). `monthBefore(monthStart, hour)` answers the clean energy of the
 * meter from the local month's start up to `hour` (block tariffs need it for the first hour of each month seen).
 */
export function priceHours(tariffs: readonly Tariff[], zone: string, hours: readonly CostHour[], monthBefore: (monthStart: number, hour: number) => number): (number | null)[] {
  const out: (number | null)[] = new Array(hours.length).fill(null);
  if (!tariffs.length) return out;
  const clock = new LocalClock(zone);
  let monthKey = '';
  let consumed = 0;
  for (let i = 0; i < hours.length; i++) {
    const h = hours[i];
    if ((h.flags & FLAG_FLAGGED) !== 0) continue;
    const text = clock.text(h.hour);
    const t = tariffs.find((x) => x.from <= text && text < x.through);
    if (!t) continue;
    if (t.type === 'timeofuse') {
      const p = touPrice(t, Number(text.slice(11, 13)) * 3600 + Number(text.slice(14, 16)) * 60 + Number(text.slice(17, 19)));
      out[i] = p ? h.value * p.price : null;
      continue;
    }
    if (text.slice(0, 7) !== monthKey) {
      monthKey = text.slice(0, 7);
      consumed = monthBefore(startOfLocal(h.hour, 'month', zone), h.hour);
    }
    out[i] = blockCost(t.blocks, consumed, h.value);
    consumed += h.value;
  }
  return out;
}

/** Local wall-clock text ('YYYY-MM-DDTHH:mm:ss') of UTC instants in a zone, from the zone's transition table (zoneclock.ts) */
export class LocalClock {
  constructor(private readonly zone: string) {}

  /** the zone's offset in minutes at `ts` */
  offsetAt(ts: number): number {
    return zoneOffset(this.zone, ts);
  }

  text(ts: number): string {
    return new Date(ts + zoneOffset(this.zone, ts) * 60_000).toISOString().slice(0, 19);
  }
}
