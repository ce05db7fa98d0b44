import type { Db, FeatureMigrations, Store } from '../store/store';
import { redact } from './redact';
import { boundedAuditValue as text } from './changes';

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
    // earlier builds wrote passwords (user, SMTP) and connection secrets into new_value in clear
    { version: 2, name: 'redact secrets in existing entries', up: (db) => redactExisting(db) },
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

/** Every value is redacted (passwords, tokens, connection secrets) before it is stored: see redact.ts. */
const safeText = (v: unknown) => text(redact(v));

function redactExisting(db: Db): void {
  const rows = db
    .prepare(
      `SELECT id, old_value, new_value, details FROM audit_log
       WHERE old_value IS NOT NULL OR new_value IS NOT NULL OR details IS NOT NULL`,
    )
    .iterate() as Iterable<{ id: number; old_value: string | null; new_value: string | null; details: string | null }>;
  const update = db.prepare('UPDATE audit_log SET old_value = ?, new_value = ?, details = ? WHERE id = ?');
  const changes: [string | null, string | null, string | null, number][] = [];
  for (const r of rows) {
    const next = [r.old_value, r.new_value, r.details].map((v) => (v === null ? null : (redact(v) as string)));
    if (next[0] !== r.old_value || next[1] !== r.new_value || next[2] !== r.details) changes.push([next[0], next[1], next[2], r.id]);
  }
  for (const c of changes) update.run(...c);
}

/** The audit log of operator actions: logins, configuration changes, commands, acknowledgements. */
export class AuditLog {
  constructor(private readonly store: Store) {}

  record(e: AuditEntry): number {
    const info = this.store.db
      .prepare('INSERT INTO audit_log (utc_date_time, user_id, user_name, action, target, old_value, new_value, result, details) VALUES (?,?,?,?,?,?,?,?,?)')
      .run(new Date().toISOString(), e.userId, e.userName, e.action, e.target ?? null, safeText(e.oldValue), safeText(e.newValue), e.result, safeText(e.details));
    return Number(info.lastInsertRowid);
  }

  /** Newest first. userId: only that user's own entries (what a non-administrator may read); `beforeId`
   * continues a listing after its last row (the CSV export pages with it). */
  query(q: AuditQuery & { limit: number; offset?: number; beforeId?: number }): Record<string, unknown>[] {
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
    if (q.userId !== undefined) filter('user_id = ?', q.userId);
    if (q.beforeId !== undefined) filter('id < ?', q.beforeId);
    args.push(Math.min(Math.max(q.limit, 1), MAX_AUDIT_PAGE), Math.max(q.offset ?? 0, 0));
    return this.store.db
      .prepare(`SELECT * FROM audit_log ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id DESC LIMIT ? OFFSET ?`)
      .all(...args) as Record<string, unknown>[];
  }
}

export interface AuditQuery {
  start?: string;
  end?: string;
  action?: string;
  user?: string;
  userId?: number;
}

/** The most rows one request for the audit log returns; more are read page by page (offset). */
export const MAX_AUDIT_PAGE = 1000;
