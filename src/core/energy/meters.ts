/**
 * The energy view of the configuration: for each meter its energy point, limits, register range, cost center,
 * category and zone, with a signature per concern so that a configuration change recomputes only what it
 * affects (values when the point, limits or range change; cost when tariffs, cost center or zone change).
 */
import { parseRegisterFormat } from '../acquisition/modbus/codec';
import type { Db } from '../store/store';
import type { MeterLimits } from './normalize';
import { loadTariffs, type Tariff } from './tariffs';
import { METER_KIND, type MeterKind } from './storage';
import type { Zones } from './timezones';

export interface MeterInfo {
  kind: MeterKind;
  id: number;
  name: string;
  categoryId: number;
  itemId: number | null;
  costCenterId: number | null;
  isCounted: boolean;
  /** the bound ENERGY_VALUE point (meters only) */
  pointId: number | null;
  limits: MeterLimits;
  zone: string;
  tariffs: Tariff[];
  /** what the hourly values depend on */
  valueSig: string;
  /** what the cost and the daily roll-ups depend on */
  costSig: string;
}

const UNSIGNED_RANGE: Record<string, number> = { uint16: 2 ** 16, uint32: 2 ** 32, uint64: 2 ** 64 };

/** the register's range in engineering units, from the Modbus format and the point's ratio */
export function registerRange(address: unknown, ratio: number | null): number | null {
  let a: Record<string, unknown>;
  try {
    a = typeof address === 'string' ? JSON.parse(address) : (address as Record<string, unknown>);
  } catch {
    return null;
  }
  if (!a || typeof a !== 'object') return null;
  if (typeof a.register_max === 'number' && a.register_max > 0) return a.register_max * (ratio || 1);
  if (a.format === undefined && a.data_format === undefined) return null;
  try {
    const { type } = parseRegisterFormat(a);
    const range = UNSIGNED_RANGE[type];
    return range ? range * Math.abs(ratio || 1) : null;
  } catch {
    return null;
  }
}

interface Row {
  id: number;
  name: string;
  energy_category_id: number;
  energy_item_id: number | null;
  cost_center_id: number | null;
  is_counted: number;
  hourly_low_limit: number | null;
  hourly_high_limit: number | null;
}

const TABLES: [string, MeterKind, 'meters' | 'offlinemeters' | 'virtualmeters'][] = [
  ['meters', METER_KIND.meters, 'meters'],
  ['offline_meters', METER_KIND.offlinemeters, 'offlinemeters'],
  ['virtual_meters', METER_KIND.virtualmeters, 'virtualmeters'],
];

export const meterKey = (kind: MeterKind, id: number) => kind * 1e12 + id;

export function loadMeters(db: Db, zones: Zones, gapMs: number): Map<number, MeterInfo> {
  const out = new Map<number, MeterInfo>();
  const points = db.prepare(
    `SELECT l.owner_id AS meter_id, p.id AS point_id, p.address, p.ratio FROM rel_meters_points l JOIN points p ON p.id = l.target_id
     WHERE p.object_type = 'ENERGY_VALUE' ORDER BY l.owner_id, p.id`,
  ).all() as { meter_id: number; point_id: number; address: unknown; ratio: number | null }[];
  const pointOf = new Map<number, (typeof points)[number]>();
  for (const p of points) if (!pointOf.has(p.meter_id)) pointOf.set(p.meter_id, p);
  const tariffMemo = new Map<string, Tariff[]>();
  for (const [table, kind, subject] of TABLES) {
    const rows = db.prepare(`SELECT id, name, energy_category_id, energy_item_id, cost_center_id, is_counted, hourly_low_limit, hourly_high_limit FROM ${table}`).all() as Row[];
    for (const r of rows) {
      const p = kind === METER_KIND.meters ? pointOf.get(r.id) : undefined;
      const limits: MeterLimits = {
        low: r.hourly_low_limit ?? 0,
        high: r.hourly_high_limit ?? Infinity,
        wrap: p ? registerRange(p.address, p.ratio) : null,
        gapMs,
      };
      const tk = `${r.cost_center_id}:${r.energy_category_id}`;
      let tariffs = tariffMemo.get(tk);
      if (!tariffs) tariffMemo.set(tk, (tariffs = loadTariffs(db, r.cost_center_id, r.energy_category_id)));
      const zone = zones.of(subject, r.id);
      out.set(meterKey(kind, r.id), {
        kind,
        id: r.id,
        name: r.name,
        categoryId: r.energy_category_id,
        itemId: r.energy_item_id,
        costCenterId: r.cost_center_id,
        isCounted: r.is_counted !== 0,
        pointId: p?.point_id ?? null,
        limits,
        zone,
        tariffs,
        valueSig: JSON.stringify([p?.point_id ?? null, limits.low, limits.high, limits.wrap, gapMs]),
        costSig: JSON.stringify([zone, tariffs]),
      });
    }
  }
  return out;
}
