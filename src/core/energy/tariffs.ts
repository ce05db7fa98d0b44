/**
 * Cost: the tariffs bound to the meter's cost center for its energy category, valid at the hour.
 * - time-of-use: the price of the period containing the hour's local start time of day (periods may run past
 *   midnight, e.g. 22:00:00-06:00:00; an end of 23:59:59 closes the day);
 * - block: the hour's energy priced along the blocks by the amount consumed so far in the local billing month
 *   (an hour crossing a block boundary is split; beyond the last block its price applies).
 * valid_from / valid_through are the site's local date and time. An hour no tariff covers has no cost (null).
 */
import { DateTime } from 'luxon';
import type { Db } from '../store/store';
import { FLAG_FLAGGED } from './normalize';

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
  let month = Number.NaN;
  let monthEnd = Number.NaN;
  let consumed = 0;
  let day = Number.NaN;
  let dayEnd = Number.NaN;
  let dayText = '';
  for (let i = 0; i < hours.length; i++) {
    const h = hours[i];
    if ((h.flags & FLAG_FLAGGED) !== 0) continue;
    if (!(h.hour >= day && h.hour < dayEnd)) {
      const dt = DateTime.fromMillis(h.hour, { zone }).startOf('day');
      day = dt.toMillis();
      dayEnd = dt.plus({ days: 1 }).toMillis();
      dayText = dt.toFormat('yyyy-MM-dd');
    }
    const local = DateTime.fromMillis(h.hour, { zone });
    const text = `${dayText}T${local.toFormat('HH:mm:ss')}`;
    const t = tariffs.find((x) => x.from <= text && text < x.through);
    if (!t) continue;
    if (t.type === 'timeofuse') {
      const p = touPrice(t, local.hour * 3600 + local.minute * 60 + local.second);
      out[i] = p ? h.value * p.price : null;
      continue;
    }
    if (!(h.hour >= month && h.hour < monthEnd)) {
      const m = local.startOf('month');
      month = m.toMillis();
      monthEnd = m.plus({ months: 1 }).toMillis();
      consumed = monthBefore(month, h.hour);
    }
    out[i] = blockCost(t.blocks, consumed, h.value);
    consumed += h.value;
  }
  return out;
}
