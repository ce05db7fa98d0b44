/**
 * A report's `parameters` (MyEMS: names, timestamps, values, one list per series): the time-of-use price of
 * each energy category of the report (`TARIFF-<category>`) and the trends of the points associated with the
 * subject over the reporting period, read through the historian. Bounded: at most PARAMETER_SERIES point
 * series of at most PARAMETER_POINTS samples each (min/max-preserving downsampling, as the trend API); a tariff
 * series holds the hours where the price changes (the price holds from its timestamp until the next one), so
 * a year is a few hundred entries, not 8,760. Empty in quick mode, as MyEMS.
 *
 * Associated points, as MyEMS's reports read them: a meter's points; a space's, tenant's, store's or
 * shopfloor's points and the points of its sensors; an equipment's or combined equipment's parameters of
 * type point. Virtual and offline meters have none.
 */
import { LocalClock, loadTariffs } from '../energy/tariffs';
import type { BuildCtx } from './common';

export const PARAMETER_POINTS = 1_000;
export const PARAMETER_SERIES = 30;

export interface Parameters {
  names: string[];
  timestamps: string[][];
  values: (number | string | null)[][];
}

export interface HistorySample {
  ts: number;
  value: number | string | null;
}
/** samples of a point in [start, end], downsampled to at most maxPoints */
export type HistoryReader = (pointId: number, start: number, end: number, maxPoints: number) => HistorySample[];

const tableExists = (ctx: BuildCtx, name: string) => !!ctx.store.db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?").get(name);

interface PointRow {
  id: number;
  name: string;
  units: string | null;
}

/** The points associated with the report's subject, in id order. */
export function associatedPoints(ctx: BuildCtx): PointRow[] {
  const { kind } = ctx.subject.info;
  const id = ctx.subject.id;
  const ids = new Set<number>();
  const add = (sql: string, ...args: unknown[]) => {
    for (const r of ctx.store.db.prepare(sql).all(...args) as { p: number | null }[]) if (typeof r.p === 'number') ids.add(r.p);
  };
  if (kind === 'meters') {
    if (tableExists(ctx, 'rel_meters_points')) add('SELECT target_id AS p FROM rel_meters_points WHERE owner_id = ?', id);
  } else if (kind === 'equipments' || kind === 'combinedequipments') {
    const [table, field] = kind === 'equipments' ? ['equipment_parameters', 'equipment_id'] : ['combined_equipment_parameters', 'combined_equipment_id'];
    if (tableExists(ctx, table)) add(`SELECT point_id AS p FROM ${table} WHERE ${field} = ? AND parameter_type = 'point'`, id);
  } else if (kind === 'spaces' || kind === 'tenants' || kind === 'stores' || kind === 'shopfloors') {
    const own = `rel_${ctx.subject.info.table}_points`;
    const sensors = `rel_${ctx.subject.info.table}_sensors`;
    if (tableExists(ctx, own)) add(`SELECT target_id AS p FROM ${own} WHERE owner_id = ?`, id);
    if (tableExists(ctx, sensors) && tableExists(ctx, 'rel_sensors_points')) add(`SELECT sp.target_id AS p FROM ${sensors} s JOIN rel_sensors_points sp ON sp.owner_id = s.target_id WHERE s.owner_id = ?`, id);
  }
  if (!ids.size) return [];
  const list = [...ids].sort((a, b) => a - b).slice(0, PARAMETER_SERIES);
  return ctx.store.db.prepare(`SELECT id, name, units FROM points WHERE id IN (${list.map(() => '?').join(',')}) ORDER BY id`).all(...list) as PointRow[];
}

/** The price of the category's time-of-use tariffs at each hour where it changes over the reporting period. */
function tariffSeries(ctx: BuildCtx, categoryId: number): { timestamps: string[]; values: number[] } {
  const costCenter = typeof ctx.subject.row.cost_center_id === 'number' ? (ctx.subject.row.cost_center_id as number) : null;
  const tariffs = loadTariffs(ctx.store.db, costCenter, categoryId).filter((t) => t.type === 'timeofuse');
  const timestamps: string[] = [];
  const values: number[] = [];
  if (!tariffs.length) return { timestamps, values };
  const clock = new LocalClock(ctx.params.zone);
  let last: number | null = null;
  for (let h = ctx.params.reporting.start; h < ctx.params.reporting.end; h += 3_600_000) {
    const text = clock.text(h);
    const t = tariffs.find((x) => x.from <= text && text < x.through);
    const sec = Number(text.slice(11, 13)) * 3600 + Number(text.slice(14, 16)) * 60;
    const p = t?.tou.find((q) => (q.start <= q.end ? sec >= q.start && sec < q.end : sec >= q.start || sec < q.end));
    const price = p ? p.price : null;
    if (price !== null && price !== last) {
      timestamps.push(text);
      values.push(price);
    }
    last = price;
  }
  return { timestamps, values };
}

/**
 * The parameters of a report whose series are these energy categories (tariffs only with `tariffs`), and the
 * subject's associated points.
 */
export function parametersOf(ctx: BuildCtx, categories: readonly { id: number; name: string }[], tariffs = true): Parameters {
  const out: Parameters = { names: [], timestamps: [], values: [] };
  if (ctx.params.quickMode) return out;
  if (tariffs) {
    for (const c of categories) {
      const s = tariffSeries(ctx, c.id);
      if (!s.values.length) continue;
      out.names.push(`TARIFF-${c.name}`);
      out.timestamps.push(s.timestamps);
      out.values.push(s.values);
    }
  }
  if (!ctx.history) return out;
  const clock = new LocalClock(ctx.params.zone);
  for (const p of associatedPoints(ctx)) {
    const samples = ctx.history(p.id, ctx.params.reporting.start, ctx.params.reporting.end - 1, PARAMETER_POINTS);
    out.names.push(p.units ? `${p.name} (${p.units})` : p.name);
    out.timestamps.push(samples.map((s) => clock.text(s.ts)));
    out.values.push(samples.map((s) => s.value));
  }
  return out;
}
