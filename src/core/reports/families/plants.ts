/**
 * What the microgrid and energy storage reports share: a plant (microgrid, energy storage power station) names
 * the meters and points of its devices (battery charge/discharge meters, grid buy/sell meters, SOC and power
 * points ...). Energy, cost and carbon come from the energy service (the meters' hourly energy and their
 * tariffs and categories); live values from the value bus, else the historian's stored latest value.
 * Collections are the plants bound to a user (MyEMS: tbl_<plant>_users), details one plant by id or uuid.
 */
import { badRequest, forbidden, notFound } from '../../api/errors';
import type { Principal } from '../../auth/service';
import type { EnergyService, PeriodType } from '../../energy/contract';
import type { SampleStorage } from '../../historian/storage';
import type { Store } from '../../store/store';
import type { PointValue } from '../../values/bus';
import { currencyOf } from '../common';
import { str, type Query } from '../params';
import type { StandaloneDeps } from '../standalone';
import { requireEnergy } from '../subjects';
import { localString, nextPeriod, periodLabel, periodStart } from '../time';

export type Row = Record<string, unknown>;
export type Measure = 'energy' | 'billing' | 'carbon';

/** a device meter of a plant with the name reports show (`Battery 1.Charge`) */
export interface PlantMeter {
  id: number;
  name: string;
  role: 'charge' | 'discharge' | 'other';
}

export interface PlantPoint {
  id: number;
  name: string;
  role: string;
}

export interface PlantKind {
  /** entity key for Access, table, label, the key of its object and of its names in answers */
  entity: string;
  table: string;
  label: string;
  key: string;
  namesKey: string;
  usersTable: string;
  meters(store: Store, id: number): PlantMeter[];
  points(store: Store, id: number): PlantPoint[];
}

const DAY_MS = 86_400_000;

export function plantRow(store: Store, kind: PlantKind, q: Query): Row {
  // the specification document names it <stem>detailsid (energystoragepowerstationdetailsid=1); MyEMS reads id
  const stem = kind.key.replace(/_/g, '');
  const idText = str(q, 'id') ?? str(q, `${stem}id`) ?? str(q, `${stem}detailsid`);
  const uuid = str(q, 'uuid');
  const code = `API.INVALID_${kind.label.toUpperCase().replace(/\W+/g, '_')}`;
  let row: Row | undefined;
  if (idText !== undefined) {
    if (!/^\d+$/.test(idText) || Number(idText) <= 0) throw badRequest(`${code}_ID`, 'id must be a positive integer', 'id');
    row = store.db.prepare(`SELECT * FROM ${kind.table} WHERE id = ?`).get(Number(idText)) as Row | undefined;
  } else if (uuid !== undefined) {
    if (!/^[a-f0-9]{8}-?[a-f0-9]{4}-?[a-f0-9]{4}-?[a-f0-9]{4}-?[a-f0-9]{12}$/i.test(uuid)) throw badRequest(`${code}_UUID`, 'uuid must be a UUID', 'uuid');
    row = store.db.prepare(`SELECT * FROM ${kind.table} WHERE uuid = ?`).get(uuid) as Row | undefined;
  } else {
    throw badRequest(`${code}_ID`, 'id (or uuid) is required', 'id');
  }
  if (!row) throw notFound(`API.${kind.label.toUpperCase().replace(/\W+/g, '_')}_NOT_FOUND`, `${kind.label} not found`);
  return row;
}

/** 403 unless the caller may see the plant (privileges reach plants only where the entity model binds them to spaces). */
export function authorizePlant(deps: StandaloneDeps, p: Principal, kind: PlantKind, id: number): void {
  if (deps.access && !deps.access.canSee(p, kind.entity, id)) throw forbidden('API.FORBIDDEN', `your privilege does not include this ${kind.label.toLowerCase()}`);
}

/** The user a collection report is for: `useruuid` (another user's only for an administrator), else the caller. */
export function reportUser(store: Store, p: Principal, q: Query): number {
  const uuid = str(q, 'useruuid');
  if (uuid === undefined) return p.userId;
  const u = store.db.prepare('SELECT id FROM users WHERE uuid = ?').get(uuid) as { id: number } | undefined;
  if (!u) throw badRequest('API.INVALID_USER_UUID', 'useruuid names no user', 'useruuid');
  if (u.id !== p.userId && !p.isAdmin) throw forbidden('API.FORBIDDEN', "only an administrator may read another user's plants");
  return u.id;
}

/** The plants bound to a user, in id order. */
export function userPlants(store: Store, kind: PlantKind, userId: number): Row[] {
  return store.db.prepare(`SELECT t.* FROM ${kind.usersTable} l JOIN ${kind.table} t ON t.id = l.owner_id WHERE l.target_id = ? ORDER BY t.id`).all(userId) as Row[];
}

export const energyOf = (deps: StandaloneDeps) => requireEnergy<EnergyService>(deps.services);

/** The zone plant reports use: the first device meter's (its space's, else the installation's). */
export function plantZone(energy: EnergyService, store: Store, meters: PlantMeter[]): string {
  if (meters.length) return energy.timezoneOf('meters', meters[0].id);
  const root = store.db.prepare('SELECT id FROM spaces ORDER BY parent_space_id IS NOT NULL, id LIMIT 1').get() as { id: number } | undefined;
  return root ? energy.timezoneOf('spaces', root.id) : 'UTC';
}

export interface Series {
  timestamps: string[];
  values: (number | null)[];
}

/** The sum of the meters' energy / cost / carbon per period over [start, end); a period none of them knows is null. */
export function meterSum(energy: EnergyService, meterIds: number[], start: number, end: number, periodType: PeriodType, measure: Measure): Series {
  let out: Series | null = null;
  for (const id of meterIds) {
    const r = energy.query({ kind: 'meters', id, start, end, periodType });
    const s = r.categories[0];
    const vals = s ? (measure === 'billing' ? s.cost : measure === 'carbon' ? s.kgco2e : s.values) : r.periods.map(() => null);
    if (!out) out = { timestamps: r.periods.map((p) => periodLabel(p.local, periodType)), values: vals.slice() };
    else out.values = out.values.map((v, i) => (v === null ? (vals[i] ?? null) : vals[i] === null || vals[i] === undefined ? v : v + vals[i]!));
  }
  if (out) return out;
  // no meter: the periods alone
  const timestamps: string[] = [];
  for (let t = start; t < end; t = nextPeriod(t, 'UTC', periodType)) timestamps.push(periodLabel(localString(t, 'UTC'), periodType));
  return { timestamps, values: timestamps.map(() => null) };
}

export const total = (s: Series): number | null => (s.values.some((v) => v !== null) ? s.values.reduce<number>((a, v) => a + (v ?? 0), 0) : null);

/** MyEMS's collection windows, ending now: the last 7 local days, this month (daily), this year (monthly). */
export function windows(now: number, zone: string): { key: '7_days' | 'this_month' | 'this_year'; start: number; end: number; periodType: PeriodType }[] {
  const today = periodStart(now, zone, 'daily');
  const end = nextPeriod(today, zone, 'daily');
  return [
    { key: '7_days', start: periodStart(today - 6 * DAY_MS + 12 * 3_600_000, zone, 'daily'), end, periodType: 'daily' },
    { key: 'this_month', start: periodStart(now, zone, 'monthly'), end, periodType: 'daily' },
    { key: 'this_year', start: periodStart(now, zone, 'yearly'), end: nextPeriod(periodStart(now, zone, 'monthly'), zone, 'monthly'), periodType: 'monthly' },
  ];
}

/** a point's latest value: the value bus, else the historian's stored one */
export function latestOf(deps: StandaloneDeps, pointId: number): PointValue | undefined {
  const h = deps.services.get('historian') as { storage: SampleStorage } | undefined;
  return deps.values.latest(pointId) ?? h?.storage.latest(pointId);
}

/** a plant as answers show it */
export function plantJson(store: Store, row: Row): Row {
  const named = (table: string, id: unknown) => (typeof id === 'number' ? ((store.db.prepare(`SELECT id, name, uuid FROM ${table} WHERE id = ?`).get(id) as Row | undefined) ?? null) : null);
  return {
    id: row.id,
    name: row.name,
    uuid: row.uuid,
    address: row.address ?? null,
    postal_code: row.postal_code ?? null,
    latitude: row.latitude ?? null,
    longitude: row.longitude ?? null,
    rated_capacity: row.capacity ?? null,
    contact: named('contacts', row.contact_id),
    cost_center: named('cost_centers', row.cost_center_id),
    description: row.description ?? null,
  };
}

export const currencyOfPlant = (store: Store, row: Row) => currencyOf(store, row.cost_center_id);

/** rows of a device table of a plant */
export const devices = (store: Store, table: string, field: string, id: number): Row[] => store.db.prepare(`SELECT * FROM ${table} WHERE ${field} = ? ORDER BY id`).all(id) as Row[];

/** the meters named by a device row's fields, with the reports' names (`<device>.<Label>`) */
export function deviceMeters(rows: Row[], fields: [string, string, PlantMeter['role']][]): PlantMeter[] {
  const out: PlantMeter[] = [];
  for (const r of rows) for (const [f, label, role] of fields) if (typeof r[f] === 'number') out.push({ id: r[f] as number, name: `${r.name}.${label}`, role });
  return out;
}

export function devicePoints(rows: Row[], fields: [string, string][]): PlantPoint[] {
  const out: PlantPoint[] = [];
  for (const r of rows) for (const [f, role] of fields) if (typeof r[f] === 'number') out.push({ id: r[f] as number, name: `${r.name}.${role}`, role });
  return out;
}

/** A plant total "since ever": this year and the nine before (the longest yearly range the pipeline answers). */
export function allTime(energy: EnergyService, meterIds: number[], zone: string, now: number, measure: Measure): number | null {
  const since = periodStart(Date.UTC(new Date(now).getUTCFullYear() - 9, 6, 1), zone, 'yearly');
  const nextYear = nextPeriod(periodStart(now, zone, 'yearly'), zone, 'yearly');
  return total(meterSum(energy, meterIds, since, nextYear, 'yearly', measure));
}
