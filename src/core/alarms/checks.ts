/**
 * The fault detection and diagnosis (FDD) checks a rule can run, by fdd_code. Each check reads the rule's
 * expression (JSON), looks at the plant, and answers findings: one per diagnosed object, active or not, with
 * the values its message template may use. docs/alarms.md documents every code.
 */
import { DEVICE_PROTOCOLS } from '../../shared/protocols';
import { DateTime } from 'luxon';
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import type { CounterMarks } from './counters';
import { HOUR_MS, hourStart } from './counters';

export interface Finding {
  /** the diagnosed object's id (space, meter, point, gateway, data source) */
  objectId: number;
  objectName: string;
  active: boolean;
  /** named substitutions for the message template ($name) */
  vars: Record<string, string | number | null>;
  /** positional substitutions for MyEMS's %s templates */
  args: (string | number | null)[];
  value: number | null;
}

export interface CheckContext {
  store: Store;
  bus: ValueBus;
  counters: CounterMarks;
  now: number;
}

export interface Check {
  code: string;
  category: string;
  /** the entity the diagnosed objects (Finding.objectId) are: whose privilege a rule's alarm follows */
  subject: 'spaces' | 'meters' | 'points' | 'gateways' | 'datasources';
  title: string;
  /** checks the expression, returns a message naming the problem or null */
  validate(expr: Record<string, unknown>, store: Store): string | null;
  run(expr: Record<string, unknown>, ctx: CheckContext): Finding[];
}

type Row = Record<string, unknown>;

const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : null);
const optId = (expr: Row, key: string, table: string, store: Store): string | null => {
  if (expr[key] === undefined || expr[key] === null) return null;
  const id = num(expr[key]);
  if (id === null || !Number.isSafeInteger(id)) return `expression.${key} must be an integer id`;
  return store.db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) ? null : `expression.${key}: ${table.replace(/_/g, ' ').replace(/s$/, '')} ${id} does not exist`;
};
const reqId = (expr: Row, key: string, table: string, store: Store): string | null =>
  expr[key] === undefined || expr[key] === null ? `expression.${key} is required` : optId(expr, key, table, store);
const optNum = (expr: Row, key: string, min = -Infinity): string | null =>
  expr[key] === undefined || expr[key] === null ? null : num(expr[key]) === null || num(expr[key])! < min ? `expression.${key} must be a number${min > -Infinity ? ` >= ${min}` : ''}` : null;
const round = (v: number) => Math.round(v * 1000) / 1000;

/** The start of the current hour, day or month in a time zone (IANA name; the server's own when not given or unknown). */
export function periodStart(period: string, now: number, zone?: string | null): number {
  if (period === 'hour') return hourStart(now);
  let t = DateTime.fromMillis(now, zone ? { zone } : {});
  if (!t.isValid) t = DateTime.fromMillis(now);
  return t.startOf(period === 'month' ? 'month' : 'day').toMillis();
}

/** The IANA zone of a space (spaces.timezone_id -> timezones.iana_name), or null. */
function spaceZone(store: Store, spaceId: number): string | null {
  try {
    const r = store.db.prepare('SELECT t.iana_name AS zone FROM spaces s JOIN timezones t ON t.id = s.timezone_id WHERE s.id = ?').get(spaceId) as { zone: string | null } | undefined;
    return r?.zone ?? null;
  } catch {
    return null;
  }
}

/** The space and its descendants. */
function spaceTree(store: Store, root: number): number[] {
  const rows = store.db.prepare('SELECT id, parent_space_id FROM spaces').all() as { id: number; parent_space_id: number | null }[];
  const out = [root];
  for (let i = 0; i < out.length; i++) for (const r of rows) if (r.parent_space_id === out[i] && !out.includes(r.id)) out.push(r.id);
  return out;
}

/** The energy counter points of a meter (its bound points of type ENERGY_VALUE). */
function meterEnergyPoints(store: Store, meterId: number): number[] {
  const has = store.db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='rel_meters_points'").get();
  if (!has) return [];
  return (
    store.db.prepare("SELECT p.id FROM rel_meters_points l JOIN points p ON p.id = l.target_id WHERE l.owner_id = ? AND p.object_type = 'ENERGY_VALUE'").all(meterId) as { id: number }[]
  ).map((r) => r.id);
}

function meterConsumption(ctx: CheckContext, meterId: number, from: number, to: number): number | null {
  let total: number | null = null;
  for (const pid of meterEnergyPoints(ctx.store, meterId)) {
    const c = ctx.counters.consumption(pid, from, to);
    if (c !== null) total = (total ?? 0) + c;
  }
  return total;
}

const minutesAgo = (iso: unknown, now: number) => (typeof iso === 'string' && iso ? (now - Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`)) / 60_000 : Infinity);

export const CHECKS: Check[] = [
  {
    code: 'SPACE01',
    subject: 'spaces',
    category: 'SPACE',
    title: 'Space energy consumption over limit',
    validate: (e, store) => {
      const id = reqId(e, 'space_id', 'spaces', store);
      if (id) return id;
      if (num(e.high_limit) === null) return 'expression.high_limit is required and must be a number';
      if (e.period !== undefined && !['hour', 'day', 'month'].includes(String(e.period))) return "expression.period must be 'hour', 'day' or 'month'";
      return null;
    },
    run: (e, ctx) => {
      const spaceId = num(e.space_id)!;
      const limit = num(e.high_limit)!;
      const period = String(e.period ?? 'month');
      const space = ctx.store.db.prepare('SELECT id, name FROM spaces WHERE id = ?').get(spaceId) as Row | undefined;
      if (!space) return [];
      const from = periodStart(period, ctx.now, spaceZone(ctx.store, spaceId));
      const spaces = spaceTree(ctx.store, spaceId);
      const has = ctx.store.db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='rel_spaces_meters'").get();
      const meters = has
        ? [...new Set((ctx.store.db.prepare(`SELECT target_id FROM rel_spaces_meters WHERE owner_id IN (${spaces.map(() => '?').join(',')})`).all(...spaces) as { target_id: number }[]).map((r) => r.target_id))]
        : [];
      let total = 0;
      for (const m of meters) total += meterConsumption(ctx, m, from, ctx.now + 1) ?? 0;
      total = round(total);
      const excess = round(Math.max(0, total - limit));
      return [
        {
          objectId: spaceId,
          objectName: String(space.name),
          active: total > limit,
          value: total,
          vars: { space_name: String(space.name), consumption: total, high_limit: limit, excess, period },
          args: [String(space.name), total, excess],
        },
      ];
    },
  },
  {
    code: 'METER01',
    subject: 'meters',
    category: 'METER',
    title: 'Meter hourly consumption outside its hourly limits',
    validate: (e, store) => optId(e, 'meter_id', 'meters', store),
    run: (e, ctx) => {
      const id = num(e.meter_id);
      const meters = (
        id !== null
          ? ctx.store.db.prepare('SELECT id, name, hourly_low_limit, hourly_high_limit FROM meters WHERE id = ?').all(id)
          : ctx.store.db.prepare('SELECT id, name, hourly_low_limit, hourly_high_limit FROM meters').all()
      ) as { id: number; name: string; hourly_low_limit: number | null; hourly_high_limit: number | null }[];
      const to = hourStart(ctx.now);
      const from = to - HOUR_MS;
      const out: Finding[] = [];
      for (const m of meters) {
        const c = meterConsumption(ctx, m.id, from, to);
        if (c === null) continue; // no readings for the last hour: that is a communication matter, not a consumption one
        const low = m.hourly_low_limit ?? 0;
        const high = m.hourly_high_limit ?? Infinity;
        const value = round(c);
        const active = value < low || value > high;
        out.push({
          objectId: m.id,
          objectName: m.name,
          active,
          value,
          vars: { meter_name: m.name, consumption: value, hourly_low_limit: low, hourly_high_limit: high, hour: new Date(from).toISOString() },
          args: [m.name, value, value > high ? high : low],
        });
      }
      return out;
    },
  },
  {
    code: 'REALTIME01',
    subject: 'points',
    category: 'REALTIME',
    title: 'Point value over limit',
    validate: (e, store) => reqId(e, 'point_id', 'points', store) ?? optNum(e, 'high_limit') ?? optNum(e, 'low_limit'),
    run: (e, ctx) => {
      const id = num(e.point_id)!;
      const p = ctx.store.db.prepare('SELECT id, name, units, high_limit, low_limit FROM points WHERE id = ?').get(id) as Row | undefined;
      if (!p) return [];
      const high = num(e.high_limit) ?? num(p.high_limit);
      const low = num(e.low_limit) ?? num(p.low_limit);
      const v = ctx.bus.latest(id);
      const value = v && v.quality !== 'comm_fail' && v.quality !== 'bad' ? num(v.value) : null;
      if (value === null) return [];
      const active = (high !== null && value > high) || (low !== null && value < low);
      return [
        {
          objectId: id,
          objectName: String(p.name),
          active,
          value,
          vars: { point_name: String(p.name), value, units: String(p.units ?? ''), high_limit: high, low_limit: low },
          args: [String(p.name), value, high !== null && value > high ? high : low],
        },
      ];
    },
  },
  {
    code: 'SYSTEM01',
    subject: 'gateways',
    category: 'SYSTEM',
    title: 'Gateway offline',
    validate: (e, store) => optId(e, 'gateway_id', 'gateways', store) ?? optNum(e, 'minutes', 0),
    run: (e, ctx) => {
      const minutes = num(e.minutes) ?? 10;
      const id = num(e.gateway_id);
      const rows = (id !== null ? ctx.store.db.prepare('SELECT id, name, last_seen_datetime FROM gateways WHERE id = ?').all(id) : ctx.store.db.prepare('SELECT id, name, last_seen_datetime FROM gateways').all()) as Row[];
      return rows.map((g) => {
        const ago = minutesAgo(g.last_seen_datetime, ctx.now);
        return {
          objectId: g.id as number,
          objectName: String(g.name),
          active: ago > minutes,
          value: Number.isFinite(ago) ? round(ago) : null,
          vars: { gateway_name: String(g.name), last_seen: (g.last_seen_datetime as string) ?? 'never', minutes },
          args: [String(g.name), (g.last_seen_datetime as string) ?? 'never'],
        };
      });
    },
  },
  {
    code: 'SYSTEM02',
    subject: 'datasources',
    category: 'SYSTEM',
    title: 'Data source offline',
    validate: (e, store) => optId(e, 'data_source_id', 'data_sources', store) ?? optNum(e, 'minutes', 0),
    run: (e, ctx) => {
      const minutes = num(e.minutes) ?? 5;
      const id = num(e.data_source_id);
      // simulation, virtual and manual data sources have no device to lose
      const sql = `SELECT id, name, status, last_seen_datetime FROM data_sources WHERE protocol IN (${DEVICE_PROTOCOLS.map((p) => `'${p}'`).join(', ')})`;
      const rows = (id !== null ? ctx.store.db.prepare(`${sql} AND id = ?`).all(id) : ctx.store.db.prepare(sql).all()) as Row[];
      return rows.map((d) => {
        const ago = minutesAgo(d.last_seen_datetime, ctx.now);
        return {
          objectId: d.id as number,
          objectName: String(d.name),
          active: d.status !== 'online' && ago > minutes,
          value: Number.isFinite(ago) ? round(ago) : null,
          vars: { data_source_name: String(d.name), status: String(d.status ?? 'offline'), last_seen: (d.last_seen_datetime as string) ?? 'never', minutes },
          args: [String(d.name), (d.last_seen_datetime as string) ?? 'never'],
        };
      });
    },
  },
];

export const checkByCode = new Map(CHECKS.map((c) => [c.code, c]));
