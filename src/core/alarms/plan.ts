/**
 * What to watch on each point: its limit, state and communication conditions, built from the point's
 * limits (points.high_limit/low_limit/higher_limit/lower_limit) and its optional alarm settings
 * (point_alarm_settings: deadband, delays, priorities, digital alarm value, suppression by design).
 */
import type { Store } from '../store/store';
import type { ConditionConfig, ConditionKind } from './condition';
import { PRIORITIES, type Priority } from './state';

export interface PlanCondition {
  kind: ConditionKind;
  cfg: ConditionConfig;
  priority: Priority;
}

export interface PointPlan {
  pointId: number;
  pointName: string;
  units: string;
  dataSourceId: number;
  conditions: PlanCondition[];
  /** suppressed by design while this other point has this value (e.g. a breaker open, a pump off) */
  suppressWhen: { pointId: number; value: number } | null;
}

interface PointRow {
  id: number;
  name: string;
  units: string | null;
  object_type: string;
  data_source_id: number;
  high_limit: number | null;
  low_limit: number | null;
  higher_limit: number | null;
  lower_limit: number | null;
  /** the remote site of a `sparkplug` data source's point, else null */
  site: string | null;
}

export interface SettingsRow {
  point_id: number;
  is_enabled: number;
  deadband: number | null;
  on_delay_seconds: number | null;
  off_delay_seconds: number | null;
  high_priority: string | null;
  higher_priority: string | null;
  low_priority: string | null;
  lower_priority: string | null;
  comm_priority: string | null;
  is_comm_alarm_enabled: number | null;
  digital_alarm_value: number | null;
  digital_priority: string | null;
  suppress_point_id: number | null;
  suppress_value: number | null;
}

/** A point's comm_fail becomes an alarm only after this long (its data source going offline suppresses it first). */
export const COMM_MIN_ON_DELAY_MS = 5_000;

const prio = (v: string | null | undefined, dflt: Priority): Priority => (PRIORITIES.includes(v as Priority) ? (v as Priority) : dflt);

/** The plans of every point, or of the points with these ids (a configuration change re-plans only those). */
export function buildPlans(store: Store, only?: readonly number[]): Map<number, PointPlan> {
  // a remote site's point (central/remote.ts) is named with its site in its alarms: `<site> / <device>/<metric>`
  const columns = "SELECT id, name, units, object_type, data_source_id, high_limit, low_limit, higher_limit, lower_limit, (SELECT d.name FROM data_sources d WHERE d.id = points.data_source_id AND d.protocol = 'sparkplug') AS site FROM points";
  const hasSettings = store.db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='point_alarm_settings'").get();
  const settings = new Map<number, SettingsRow>();
  let points: PointRow[];
  if (only) {
    points = [];
    for (let i = 0; i < only.length; i += 500) {
      const ids = only.slice(i, i + 500);
      const marks = ids.map(() => '?').join(',');
      points.push(...(store.db.prepare(`${columns} WHERE id IN (${marks})`).all(...ids) as PointRow[]));
      if (hasSettings) for (const s of store.db.prepare(`SELECT * FROM point_alarm_settings WHERE point_id IN (${marks})`).all(...ids) as SettingsRow[]) settings.set(s.point_id, s);
    }
  } else {
    points = store.db.prepare(columns).all() as PointRow[];
    if (hasSettings) for (const s of store.db.prepare('SELECT * FROM point_alarm_settings').all() as SettingsRow[]) settings.set(s.point_id, s);
  }
  const plans = new Map<number, PointPlan>();
  for (const p of points) {
    const s = settings.get(p.id);
    if (s && s.is_enabled === 0) continue;
    const deadband = Math.max(0, s?.deadband ?? 0);
    const onDelayMs = Math.max(0, (s?.on_delay_seconds ?? 0) * 1000);
    const offDelayMs = Math.max(0, (s?.off_delay_seconds ?? 0) * 1000);
    const conditions: PlanCondition[] = [];
    const limit = (kind: ConditionKind, value: number | null, priority: Priority) => {
      if (value === null || value === undefined || !Number.isFinite(value)) return;
      conditions.push({ kind, priority, cfg: { kind, limit: value, deadband, onDelayMs, offDelayMs } });
    };
    if (p.object_type !== 'TEXT_VALUE' && p.object_type !== 'ENERGY_VALUE') {
      limit('HIHI', p.higher_limit, prio(s?.higher_priority, 'HIGH'));
      limit('HI', p.high_limit, prio(s?.high_priority, 'MEDIUM'));
      limit('LO', p.low_limit, prio(s?.low_priority, 'MEDIUM'));
      limit('LOLO', p.lower_limit, prio(s?.lower_priority, 'HIGH'));
    }
    if (s?.digital_alarm_value !== null && s?.digital_alarm_value !== undefined) {
      conditions.push({ kind: 'STATE', priority: prio(s.digital_priority, 'MEDIUM'), cfg: { kind: 'STATE', limit: s.digital_alarm_value, deadband: 0, onDelayMs, offDelayMs } });
    }
    if (s?.is_comm_alarm_enabled !== 0) {
      conditions.push({
        kind: 'COMM',
        priority: prio(s?.comm_priority, 'MEDIUM'),
        cfg: { kind: 'COMM', limit: 0, deadband: 0, onDelayMs: Math.max(onDelayMs, COMM_MIN_ON_DELAY_MS), offDelayMs },
      });
    }
    if (conditions.length === 0) continue;
    plans.set(p.id, {
      pointId: p.id,
      pointName: p.site ? `${p.site} / ${p.name}` : p.name,
      units: p.units ?? '',
      dataSourceId: p.data_source_id,
      conditions,
      suppressWhen: s?.suppress_point_id ? { pointId: s.suppress_point_id, value: s.suppress_value ?? 0 } : null,
    });
  }
  return plans;
}

const KIND_TEXT: Record<ConditionKind, string> = {
  HIHI: 'above its higher limit',
  HI: 'above its high limit',
  LO: 'below its low limit',
  LOLO: 'below its lower limit',
  STATE: 'in its alarm state',
  COMM: 'not communicating',
};

export function conditionMessage(plan: PointPlan, c: PlanCondition): string {
  const lim = c.kind === 'COMM' ? '' : c.kind === 'STATE' ? ` (${c.cfg.limit})` : ` (${c.cfg.limit}${plan.units ? ' ' + plan.units : ''})`;
  return `${plan.pointName} is ${KIND_TEXT[c.kind]}${lim}`;
}
