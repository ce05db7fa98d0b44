import type { FeatureMigrations, Store } from '../store/store';

export const auditMigrations: FeatureMigrations = {
  feature: 'audit',
  migrations: [
    {
      version: 1,
      name: 'audit log',
      up: (db) =>
        db.exec(`CREATE TABLE audit_log (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          utc_date_time TEXT NOT NULL,
          user_id INTEGER,
          user_name TEXT NOT NULL,
          action TEXT NOT NULL,
          target TEXT,
          old_value TEXT,
          new_value TEXT,
          result TEXT NOT NULL,
          details TEXT);
          CREATE INDEX ix_audit_log_time ON audit_log(utc_date_time);`),
    },
  ],
};

export interface AuditEntry {
  userId: number | null;
  userName: string;
  /** e.g. 'login', 'login_failed', 'config.create', 'command.send', 'alarm.ack' */
  action: string;
  target?: string | null;
  oldValue?: unknown;
  newValue?: unknown;
  result: 'ok' | 'failed' | 'denied' | string;
  details?: unknown;
}

const text = (v: unknown) => (v === undefined || v === null ? null : typeof v === 'string' ? v : JSON.stringify(v));

/** The audit log of operator actions: logins, configuration changes, commands, acknowledgements. */
export class AuditLog {
  constructor(private readonly store: Store) {}

  record(e: AuditEntry): number {
    const info = this.store.db
      .prepare('INSERT INTO audit_log (utc_date_time, user_id, user_name, action, target, old_value, new_value, result, details) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(new Date().toISOString(), e.userId, e.userName, e.action, e.target ?? null, text(e.oldValue), text(e.newValue), e.result, text(e.details));
    return Number(info.lastInsertRowid);
  }

  query(q: { start?: string; end?: string; action?: string; user?: string; limit?: number }): Record<string, unknown>[] {
    const where: string[] = [];
    const args: unknown[] = [];
    const filter = (clause: string, value: unknown) => {
      where.push(clause);
      args.push(value);
    };
    if (q.start) filter('utc_date_time >= ?', q.start);
    if (q.end) filter('utc_date_time <= ?', q.end);
    if (q.action) filter('action LIKE ?', `${q.action}%`);
    if (q.user) filter('user_name = ?', q.user);
    args.push(Math.min(Math.max(q.limit ?? 1000, 1), 100_000));
    return this.store.db
      .prepare(`SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ?`)
      .all(...args) as Record<string, unknown>[];
  }
}
