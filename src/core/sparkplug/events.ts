/**
 * The node's event metrics: alarm transitions (raise, ack, clear, shelve...), hourly meter energy, demand-response
 * events and the audit log, gathered from their tables after a durable cursor per node (so nothing is missed
 * across an outage or a restart, and nothing is sent twice once committed). Each one is a String metric whose
 * value is a JSON document (the shapes are in docs/sparkplug.md), timestamped with when it happened.
 * A node that starts for the first time begins at the present: it does not replay the whole history.
 */
import type { Store } from '../store/store';
import type { NodeState, StoredNodeValue } from './outbox';

export const EVENT_METRICS = {
  alarm: 'Alarms/Event',
  energy: 'Energy/Hourly',
  dr: 'Demand Response/Event',
  audit: 'Audit/Entry',
} as const;

/** How far back hourly energy is compared with what was sent (late readings and recomputed hours). */
export const ENERGY_WINDOW_MS = 48 * 3_600_000;
const BATCH = 2000;

export interface Gathered {
  values: StoredNodeValue[];
  /** persists the new cursors and energy marks (run in the same transaction as the outbox append, or after the publish) */
  commit: () => void;
}

const METER_TABLES: [number, string][] = [
  [0, 'meters'],
  [1, 'offline_meters'],
  [2, 'virtual_meters'],
];

export class EventSource {
  constructor(private readonly store: Store) {}

  /** Cursors at the present, for a node that has none yet. */
  initial(state: NodeState): Partial<NodeState> {
    const max = (sql: string) => {
      try {
        return (this.store.db.prepare(sql).pluck().get() as number | string | null) ?? null;
      } catch {
        return null;
      }
    };
    const out: Partial<NodeState> = {};
    if (state.alarm_cursor === null) out.alarm_cursor = (max('SELECT MAX(id) FROM alarm_events') as number | null) ?? 0;
    if (state.audit_cursor === null) out.audit_cursor = (max('SELECT MAX(id) FROM audit_log') as number | null) ?? 0;
    if (state.dr_cursor === null) {
      const r = this.safeGet<{ m: string; id: number }>('SELECT modified_at AS m, id FROM dr_events ORDER BY modified_at DESC, id DESC LIMIT 1');
      out.dr_cursor = r ? `${r.m}|${r.id}` : '|0';
    }
    return out;
  }

  private safeAll<T>(sql: string, ...args: unknown[]): T[] {
    try {
      return this.store.db.prepare(sql).all(...args) as T[];
    } catch {
      return [];
    }
  }

  private safeGet<T>(sql: string, ...args: unknown[]): T | undefined {
    try {
      return this.store.db.prepare(sql).get(...args) as T | undefined;
    } catch {
      return undefined;
    }
  }

  gather(nodeId: number, state: NodeState, setCursors: (c: Partial<NodeState>) => void, withEnergy: boolean): Gathered {
    const values: StoredNodeValue[] = [];
    const cursors: Partial<NodeState> = {};
    const push = (name: string, doc: unknown, ts: number) => values.push([name, 'String', JSON.stringify(doc), ts]);

    const alarms = this.safeAll<Record<string, unknown> & { id: number; at: number }>(
      `SELECT e.id, e.alarm_id, e.at, e.action, e.from_state, e.to_state, e.user_name, e.comment, e.value, a.name, a.priority, a.source, a.source_id, a.condition, a.message
       FROM alarm_events e JOIN alarms a ON a.id = e.alarm_id WHERE e.id > ? ORDER BY e.id LIMIT ${BATCH}`,
      state.alarm_cursor ?? 0,
    );
    for (const a of alarms) {
      push(EVENT_METRICS.alarm, { event_id: a.id, alarm_id: a.alarm_id, name: a.name, priority: a.priority, source: a.source, source_id: a.source_id, condition: a.condition, message: a.message, action: a.action, from_state: a.from_state, to_state: a.to_state, user: a.user_name, comment: a.comment, value: a.value, utc_date_time: new Date(a.at).toISOString() }, a.at);
      cursors.alarm_cursor = a.id;
    }

    const audit = this.safeAll<Record<string, unknown> & { id: number; utc_date_time: string }>(`SELECT * FROM audit_log WHERE id > ? ORDER BY id LIMIT ${BATCH}`, state.audit_cursor ?? 0);
    for (const e of audit) {
      const parse = (v: unknown) => {
        if (typeof v !== 'string') return v ?? null;
        try {
          return JSON.parse(v) as unknown;
        } catch {
          return v;
        }
      };
      push(EVENT_METRICS.audit, { id: e.id, utc_date_time: e.utc_date_time, user_id: e.user_id, user: e.user_name, action: e.action, target: e.target, old_value: parse(e.old_value), new_value: parse(e.new_value), result: e.result, details: parse(e.details) }, Date.parse(e.utc_date_time) || Date.now());
      cursors.audit_cursor = e.id;
    }

    const [drAt, drId] = (state.dr_cursor ?? '|0').split('|');
    const dr = this.safeAll<Record<string, unknown> & { id: number; modified_at: string }>(
      `SELECT id, uuid, name, program_id, priority, status, intervals, payload, modified_at, created_at FROM dr_events
       WHERE modified_at > ? OR (modified_at = ? AND id > ?) ORDER BY modified_at, id LIMIT ${BATCH}`,
      drAt,
      drAt,
      Number(drId) || 0,
    );
    for (const e of dr) {
      let intervals: unknown = [];
      try {
        intervals = JSON.parse(String(e.intervals));
      } catch {
        // kept as an empty list
      }
      push(EVENT_METRICS.dr, { id: e.id, uuid: e.uuid, name: e.name, program_id: e.program_id, priority: e.priority, status: e.status, intervals, created_at: e.created_at, modified_at: e.modified_at }, Date.parse(e.modified_at) || Date.now());
      cursors.dr_cursor = `${e.modified_at}|${e.id}`;
    }

    const marks: [number, number, number, number][] = [];
    if (withEnergy) {
      const since = Math.floor((Date.now() - ENERGY_WINDOW_MS) / 3_600_000) * 3_600_000;
      for (const [kind, table] of METER_TABLES) {
        const rows = this.safeAll<{ meter_id: number; hour: number; value: number; flags: number; name: string }>(
          `SELECT h.meter_id, h.hour, h.value, h.flags, m.name FROM energy_hourly h JOIN ${table} m ON m.id = h.meter_id
           LEFT JOIN sparkplug_energy_sent s ON s.node_id = ? AND s.meter_id = ? * 1000000000000 + h.meter_id AND s.hour = h.hour
           WHERE h.kind = ? AND h.hour >= ? AND (s.value IS NULL OR s.value != h.value) ORDER BY h.hour, h.meter_id LIMIT ${BATCH}`,
          nodeId,
          kind,
          kind,
          since,
        );
        for (const r of rows) {
          push(EVENT_METRICS.energy, { meter_type: table, meter_id: r.meter_id, meter: r.name, hour: new Date(r.hour).toISOString(), value: r.value, estimated: (r.flags & 1) === 1, flagged: (r.flags & 2) === 2 }, r.hour);
          marks.push([nodeId, kind * 1e12 + r.meter_id, r.hour, r.value]);
        }
      }
    }

    return {
      values,
      commit: () => {
        if (Object.keys(cursors).length) setCursors(cursors);
        if (marks.length) {
          const up = this.store.db.prepare('INSERT INTO sparkplug_energy_sent (node_id, meter_id, hour, value) VALUES (?, ?, ?, ?) ON CONFLICT (node_id, meter_id, hour) DO UPDATE SET value = excluded.value');
          for (const m of marks) up.run(...m);
          this.store.db.prepare('DELETE FROM sparkplug_energy_sent WHERE node_id = ? AND hour < ?').run(nodeId, Date.now() - ENERGY_WINDOW_MS - 3_600_000);
        }
      },
    };
  }
}
