import type { FeatureMigrations, Store } from '../store/store';
import { NORMAL, stateName, type AlarmState, type Transition } from './state';

export const alarmMigrations: FeatureMigrations = {
  feature: 'alarms',
  migrations: [
    {
      version: 1,
      name: 'alarms, alarm events, counter marks',
      up: (db) =>
        db.exec(`
        CREATE TABLE alarms (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          source TEXT NOT NULL,
          source_id INTEGER NOT NULL,
          condition TEXT NOT NULL,
          name TEXT NOT NULL,
          message TEXT,
          priority TEXT NOT NULL,
          active INTEGER NOT NULL DEFAULT 0,
          acked INTEGER NOT NULL DEFAULT 1,
          shelved_until INTEGER,
          shelved_reason TEXT,
          shelved_by TEXT,
          suppressed INTEGER NOT NULL DEFAULT 0,
          out_of_service INTEGER NOT NULL DEFAULT 0,
          value TEXT,
          limit_value REAL,
          activated_at INTEGER,
          cleared_at INTEGER,
          acked_at INTEGER,
          acked_by TEXT,
          ack_comment TEXT,
          last_change_at INTEGER NOT NULL,
          UNIQUE(source, source_id, condition));
        CREATE TABLE alarm_events (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          alarm_id INTEGER NOT NULL REFERENCES alarms(id) ON DELETE CASCADE,
          at INTEGER NOT NULL,
          action TEXT NOT NULL,
          from_state TEXT NOT NULL,
          to_state TEXT NOT NULL,
          user_name TEXT NOT NULL,
          comment TEXT,
          value TEXT);
        CREATE INDEX ix_alarm_events_alarm ON alarm_events(alarm_id, at);
        CREATE INDEX ix_alarm_events_at ON alarm_events(at);
        CREATE TABLE alarm_counter_marks (
          point_id INTEGER NOT NULL,
          hour_start INTEGER NOT NULL,
          first_value REAL NOT NULL,
          last_value REAL NOT NULL,
          PRIMARY KEY(point_id, hour_start));`),
    },
  ],
};

export interface AlarmRow {
  id: number;
  source: string;
  source_id: number;
  condition: string;
  name: string;
  message: string | null;
  priority: string;
  active: number;
  acked: number;
  shelved_until: number | null;
  shelved_reason: string | null;
  shelved_by: string | null;
  suppressed: number;
  out_of_service: number;
  value: string | null;
  limit_value: number | null;
  activated_at: number | null;
  cleared_at: number | null;
  acked_at: number | null;
  acked_by: string | null;
  ack_comment: string | null;
  last_change_at: number;
}

export const alarmKey = (source: string, sourceId: number, condition: string) => `${source}:${sourceId}:${condition}`;
export const keyOf = (r: Pick<AlarmRow, 'source' | 'source_id' | 'condition'>) => alarmKey(r.source, r.source_id, r.condition);

export function rowState(r: AlarmRow): AlarmState {
  return {
    active: r.active === 1,
    acked: r.acked === 1,
    shelved: r.shelved_until !== null ? { until: r.shelved_until, reason: r.shelved_reason ?? '', user: r.shelved_by ?? '' } : null,
    suppressed: r.suppressed === 1,
    outOfService: r.out_of_service === 1,
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The API shape of an alarm. */
export function alarmJson(r: AlarmRow): Record<string, unknown> {
  const s = rowState(r);
  return {
    id: r.id,
    source: r.source,
    source_id: r.source_id,
    point_id: r.source === 'point' ? r.source_id : null,
    condition: r.condition,
    name: r.name,
    message: r.message,
    priority: r.priority,
    state: stateName(s),
    active: s.active,
    acknowledged: s.acked,
    shelved: s.shelved !== null,
    shelved_until: iso(r.shelved_until),
    shelved_reason: r.shelved_reason,
    shelved_by: r.shelved_by,
    suppressed: s.suppressed,
    out_of_service: s.outOfService,
    value: r.value,
    limit: r.limit_value,
    activated_datetime: iso(r.activated_at),
    cleared_datetime: iso(r.cleared_at),
    acknowledged_datetime: iso(r.acked_at),
    acknowledged_by: r.acked_by,
    ack_comment: r.ack_comment,
    last_change_datetime: iso(r.last_change_at),
  };
}

/** Alarm rows and their transitions in SQLite; every transition is one event row. */
export class AlarmRepository {
  private readonly insertAlarm;
  private readonly updateAlarm;
  private readonly insertEvent;

  constructor(private readonly store: Store) {
    const db = store.db;
    this.insertAlarm = db.prepare(
      `INSERT INTO alarms (source, source_id, condition, name, message, priority, active, acked, suppressed, out_of_service, limit_value, last_change_at)
       VALUES (@source, @source_id, @condition, @name, @message, @priority, 0, 1, 0, 0, @limit_value, @last_change_at)`,
    );
    this.updateAlarm = db.prepare(
      `UPDATE alarms SET name=@name, message=@message, priority=@priority, active=@active, acked=@acked, shelved_until=@shelved_until,
       shelved_reason=@shelved_reason, shelved_by=@shelved_by, suppressed=@suppressed, out_of_service=@out_of_service, value=@value,
       limit_value=@limit_value, activated_at=@activated_at, cleared_at=@cleared_at, acked_at=@acked_at, acked_by=@acked_by,
       ack_comment=@ack_comment, last_change_at=@last_change_at WHERE id=@id`,
    );
    this.insertEvent = db.prepare('INSERT INTO alarm_events (alarm_id, at, action, from_state, to_state, user_name, comment, value) VALUES (?,?,?,?,?,?,?,?)');
  }

  all(): AlarmRow[] {
    return this.store.db.prepare('SELECT * FROM alarms').all() as AlarmRow[];
  }

  create(a: { source: string; source_id: number; condition: string; name: string; message: string | null; priority: string; limit_value: number | null }, at: number): AlarmRow {
    const info = this.insertAlarm.run({ ...a, last_change_at: at });
    return {
      id: Number(info.lastInsertRowid),
      ...a,
      ...NORMAL_COLUMNS,
      last_change_at: at,
    };
  }

  save(r: AlarmRow): void {
    this.updateAlarm.run(r);
  }

  event(alarmId: number, t: Transition, value: string | null): void {
    this.insertEvent.run(alarmId, t.at, t.action, t.from, t.to, t.user, t.comment, value);
  }

  history(alarmId: number, limit = 1000): Record<string, unknown>[] {
    const rows = this.store.db.prepare('SELECT * FROM alarm_events WHERE alarm_id = ? ORDER BY id DESC LIMIT ?').all(alarmId, limit) as {
      id: number;
      at: number;
      action: string;
      from_state: string;
      to_state: string;
      user_name: string;
      comment: string | null;
      value: string | null;
    }[];
    return rows.map((e) => ({
      id: e.id,
      alarm_id: alarmId,
      utc_date_time: new Date(e.at).toISOString(),
      action: e.action,
      from_state: e.from_state,
      to_state: e.to_state,
      user_name: e.user_name,
      comment: e.comment,
      value: e.value,
    }));
  }

  /** Drops transitions older than `before` (retention); the alarms themselves stay. */
  purge(before: number): number {
    return this.store.db.prepare('DELETE FROM alarm_events WHERE at < ?').run(before).changes;
  }

  events(from: number, to: number): { alarm_id: number; at: number; action: string; user_name: string }[] {
    return this.store.db.prepare('SELECT alarm_id, at, action, user_name FROM alarm_events WHERE at >= ? AND at < ? ORDER BY at, id').all(from, to) as {
      alarm_id: number;
      at: number;
      action: string;
      user_name: string;
    }[];
  }
}

const NORMAL_COLUMNS = {
  active: NORMAL.active ? 1 : 0,
  acked: 1,
  shelved_until: null,
  shelved_reason: null,
  shelved_by: null,
  suppressed: 0,
  out_of_service: 0,
  value: null,
  activated_at: null,
  cleared_at: null,
  acked_at: null,
  acked_by: null,
  ack_comment: null,
};

/** Writes a state back onto a row (the columns that mirror AlarmState). */
export function withState(r: AlarmRow, s: AlarmState): AlarmRow {
  return {
    ...r,
    active: s.active ? 1 : 0,
    acked: s.acked ? 1 : 0,
    shelved_until: s.shelved?.until ?? null,
    shelved_reason: s.shelved?.reason ?? null,
    shelved_by: s.shelved?.user ?? null,
    suppressed: s.suppressed ? 1 : 0,
    out_of_service: s.outOfService ? 1 : 0,
  };
}
