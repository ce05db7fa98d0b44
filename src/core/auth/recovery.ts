import Database from 'better-sqlite3';
import fs from 'node:fs';
import path from 'node:path';
import { PgDatabase } from '../store/pg/db';
import { STORE_FILE, storeDatabase } from '../store/store';
import { redact } from '../audit/redact';
import { checkPasswordPolicy, hashPasswordSync, newSecret } from './passwords';

/**
 * Recovery from the machine itself (whoever can read the data directory owns the installation anyway):
 * `switchyard unlock` and `switchyard reset-password`. They work on a running server's store too (SQLite WAL),
 * and each leaves an audit entry by the user "cli".
 */
export interface RecoveryResult {
  users: string[];
  /** the new password, when one was generated */
  password?: string;
}

/** The store: PostgreSQL when a database URL is given (`--database`, SWITCHYARD_DATABASE), else SQLite in dataDir. */
function openExisting(dataDir: string, database?: string): Database.Database {
  const url = storeDatabase(database);
  if (url) return new PgDatabase(url) as unknown as Database.Database;
  const file = path.join(dataDir, STORE_FILE);
  if (!fs.existsSync(file)) throw new Error(`no Switchyard store in ${dataDir}`);
  const db = new Database(file, { fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

interface AdminRow {
  id: number;
  name: string;
  is_admin: number;
}

/** The named user, or every administrator when no name is given. */
function targets(db: Database.Database, user: string | undefined): AdminRow[] {
  const rows = user
    ? (db.prepare('SELECT id, name, is_admin FROM users WHERE name = ?').all(user) as AdminRow[])
    : (db.prepare('SELECT id, name, is_admin FROM users WHERE is_admin = 1 ORDER BY id').all() as AdminRow[]);
  if (!rows.length) throw new Error(user ? `no user named ${user}` : 'the store has no administrator');
  return rows;
}

function audit(db: Database.Database, action: string, userId: number, details: unknown): void {
  db.prepare('INSERT INTO audit_log (utc_date_time, user_id, user_name, action, target, old_value, new_value, result, details) VALUES (?,?,?,?,?,?,?,?,?)').run(
    new Date().toISOString(),
    null,
    'cli',
    action,
    `users:${userId}`,
    null,
    null,
    'ok',
    JSON.stringify(redact(details)),
  );
}

const hasColumn = (db: Database.Database, table: string, column: string) => (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).some((c) => c.name === column);

/** Ends failed-login locks (and an expired account) of a user, or of every administrator. */
export function unlockUsers(dataDir: string, user?: string, database?: string): RecoveryResult {
  const db = openExisting(dataDir, database);
  try {
    const rows = targets(db, user);
    const lockCol = hasColumn(db, 'users', 'locked_until_datetime_utc') ? ', locked_until_datetime_utc = NULL' : '';
    db.transaction(() => {
      for (const r of rows) {
        // an administrator whose account expired is the same lock-out: the machine's owner lifts it
        const expiry = r.is_admin ? ', account_expiration_datetime = NULL' : '';
        db.prepare(`UPDATE users SET failed_login_count = 0, is_locked = 0${lockCol}${expiry} WHERE id = ?`).run(r.id);
        audit(db, 'user.unlock', r.id, { via: 'command line', user: r.name });
      }
    })();
    return { users: rows.map((r) => r.name) };
  } finally {
    db.close();
  }
}

/**
 * Sets a new password for a user (default: the first administrator), unlocks it and ends its sessions. Without
 * a password one is generated and returned (printed once by the CLI).
 */
export function resetPasswordOffline(dataDir: string, opts: { user?: string; password?: string; database?: string } = {}): RecoveryResult {
  const db = openExisting(dataDir, opts.database);
  try {
    const [row] = targets(db, opts.user);
    const password = opts.password ?? `${newSecret().slice(0, 24)}`;
    const problem = checkPasswordPolicy(password, row.name);
    if (problem) throw new Error(problem);
    const lockCol = hasColumn(db, 'users', 'locked_until_datetime_utc') ? ', locked_until_datetime_utc = NULL' : '';
    db.transaction(() => {
      db.prepare(`UPDATE users SET password = ?, failed_login_count = 0, is_locked = 0${lockCol} WHERE id = ?`).run(hashPasswordSync(password), row.id);
      db.prepare('DELETE FROM sessions WHERE user_id = ?').run(row.id);
      audit(db, 'user.reset_password', row.id, { via: 'command line', user: row.name });
    })();
    return { users: [row.name], ...(opts.password ? {} : { password }) };
  } finally {
    db.close();
  }
}
