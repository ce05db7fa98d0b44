import { randomUUID } from 'node:crypto';
import type { FeatureMigrations, Store } from '../store/store';
import { ApiError, badRequest, unauthorized } from '../api/errors';
import type { AuditLog } from '../audit/audit';
import { checkPasswordPolicy, hashPassword, newSecret, secretHash, verifyPassword } from './passwords';

export const authMigrations: FeatureMigrations = {
  feature: 'auth',
  migrations: [
    {
      version: 1,
      name: 'sessions',
      up: (db) =>
        db.exec(`CREATE TABLE sessions (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          token_hash TEXT NOT NULL UNIQUE,
          user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
          created_at TEXT NOT NULL,
          expires_at TEXT NOT NULL)`),
    },
  ],
};

/** Who is calling: resolved from User-UUID + Token, or from API-Key. */
export interface Principal {
  userId: number;
  userName: string;
  isAdmin: boolean;
  isReadOnly: boolean;
  /** space ids the user may see (with their sub-spaces); null = all */
  spaces: number[] | null;
  via: 'session' | 'apikey';
}

interface UserRow {
  id: number;
  uuid: string;
  name: string;
  display_name: string;
  email: string;
  is_admin: number;
  is_read_only: number;
  privilege_id: number | null;
  password: string | null;
  account_expiration_datetime: string | null;
  password_expiration_datetime: string | null;
  failed_login_count: number;
  is_locked: number;
}

export const MAX_FAILED_LOGINS = 5;
export const SESSION_HOURS = 8;

/** MyEMS datetimes carry no zone; Switchyard reads them as UTC. */
const utcMillis = (s: string | null) => (s ? Date.parse(/Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`) : NaN);

export class AuthService {
  constructor(
    private readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  async login(body: unknown, remote: string): Promise<Record<string, unknown>> {
    const data = (body as { data?: Record<string, unknown> } | null)?.data;
    if (!data || typeof data !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"name" or "email","password"}}', 'data');
    const { name, email, password } = data as { name?: unknown; email?: unknown; password?: unknown };
    if (typeof password !== 'string' || password.length === 0) throw badRequest('API.INVALID_PASSWORD', 'password is required', 'password');
    if (typeof name !== 'string' && typeof email !== 'string') throw badRequest('API.INVALID_USER_NAME', 'name or email is required', 'name');
    const who = typeof name === 'string' ? name : (email as string);
    const user = (typeof name === 'string'
      ? this.store.db.prepare('SELECT * FROM users WHERE name = ?').get(name)
      : this.store.db.prepare('SELECT * FROM users WHERE lower(email) = lower(?)').get(email)) as UserRow | undefined;
    const ok = await verifyPassword(password, user?.password);
    const fail = (description: string, message: string, status = 400) => {
      this.audit.record({ userId: user?.id ?? null, userName: who, action: 'login_failed', result: 'failed', details: { reason: description, remote } });
      return new ApiError(status, status === 401 ? 'API.UNAUTHORIZED' : 'API.BAD_REQUEST', description, message);
    };
    if (!user) throw fail('API.USER_NOT_FOUND', 'unknown user name or wrong password', 401);
    if (user.is_locked) throw fail('API.USER_ACCOUNT_HAS_BEEN_LOCKED', 'this account is locked after repeated failed logins; an administrator can unlock it');
    if (!ok) {
      const failures = user.failed_login_count + 1;
      const lock = failures >= MAX_FAILED_LOGINS ? 1 : 0;
      this.store.db.prepare('UPDATE users SET failed_login_count = ?, is_locked = ? WHERE id = ?').run(failures, lock, user.id);
      throw fail(lock ? 'API.USER_ACCOUNT_HAS_BEEN_LOCKED' : 'API.INVALID_PASSWORD', lock ? 'too many failed logins: this account is now locked' : 'unknown user name or wrong password', 401);
    }
    const now = Date.now();
    if (utcMillis(user.account_expiration_datetime) < now) throw fail('API.USER_ACCOUNT_HAS_EXPIRED', 'this account has expired');
    if (utcMillis(user.password_expiration_datetime) < now) throw fail('API.USER_PASSWORD_HAS_EXPIRED', 'the password has expired; ask an administrator to reset it');

    const token = newSecret();
    const expires = new Date(now + SESSION_HOURS * 3600_000).toISOString();
    this.store.tx(() => {
      this.store.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(new Date(now).toISOString());
      this.store.db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?,?,?,?)').run(secretHash(token), user.id, new Date(now).toISOString(), expires);
      this.store.db.prepare('UPDATE users SET failed_login_count = 0, last_login_datetime_utc = ? WHERE id = ?').run(new Date(now).toISOString().slice(0, 19), user.id);
    });
    this.audit.record({ userId: user.id, userName: user.name, action: 'login', result: 'ok', details: { remote } });
    return {
      id: user.id,
      user_uuid: user.uuid,
      name: user.name,
      display_name: user.display_name,
      email: user.email,
      is_admin: !!user.is_admin,
      is_read_only: !!user.is_read_only,
      privilege_id: user.privilege_id,
      account_expiration_datetime: user.account_expiration_datetime,
      password_expiration_datetime: user.password_expiration_datetime,
      token,
      token_expires_at: expires,
    };
  }

  /** Resolves the caller from headers; throws 401 when the credentials are missing, wrong or expired. */
  authenticate(headers: Record<string, string | string[] | undefined>): Principal {
    const h = (k: string) => {
      const v = headers[k.toLowerCase()];
      return Array.isArray(v) ? v[0] : v;
    };
    const apiKey = h('API-Key');
    if (apiKey) return this.byApiKey(apiKey);
    const uuid = h('User-UUID');
    const token = h('Token');
    if (!uuid || !token) throw unauthorized();
    return this.bySession(uuid, token);
  }

  bySession(uuid: string, token: string): Principal {
    const row = this.store.db
      .prepare('SELECT u.*, s.expires_at, s.id AS session_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.uuid = ?')
      .get(secretHash(token), uuid) as (UserRow & { expires_at: string; session_id: number }) | undefined;
    if (!row) throw unauthorized('API.INVALID_SESSION', 'the session is not valid; log in again');
    if (Date.parse(row.expires_at) < Date.now()) {
      this.store.db.prepare('DELETE FROM sessions WHERE id = ?').run(row.session_id);
      throw unauthorized('API.SESSION_EXPIRED', 'the session has expired; log in again');
    }
    if (row.is_locked || utcMillis(row.account_expiration_datetime) < Date.now()) throw unauthorized('API.USER_ACCOUNT_HAS_EXPIRED', 'this account can no longer be used');
    return this.principal(row, 'session');
  }

  byApiKey(key: string): Principal {
    const row = this.store.db
      .prepare('SELECT k.expires_datetime_utc, u.* FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.token_hash = ?')
      .get(secretHash(key)) as (UserRow & { expires_datetime_utc: string }) | undefined;
    if (!row) throw unauthorized('API.INVALID_API_KEY', 'the API key is not valid');
    if (utcMillis(row.expires_datetime_utc) < Date.now()) throw unauthorized('API.API_KEY_HAS_EXPIRED', 'the API key has expired');
    return this.principal(row, 'apikey');
  }

  private principal(u: UserRow, via: Principal['via']): Principal {
    let spaces: number[] | null = null;
    if (!u.is_admin) {
      const p = u.privilege_id ? (this.store.db.prepare('SELECT data FROM privileges WHERE id = ?').get(u.privilege_id) as { data: string } | undefined) : undefined;
      try {
        spaces = p ? (JSON.parse(p.data).spaces as number[]) : [];
      } catch {
        spaces = [];
      }
    }
    return { userId: u.id, userName: u.name, isAdmin: !!u.is_admin, isReadOnly: !!u.is_read_only, spaces, via };
  }

  logout(headers: Record<string, string | string[] | undefined>): void {
    const token = headers['token'];
    if (typeof token === 'string') this.store.db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(secretHash(token));
  }

  async changePassword(p: Principal, body: unknown): Promise<void> {
    const data = (body as { data?: { old_password?: unknown; new_password?: unknown } } | null)?.data ?? {};
    const user = this.store.db.prepare('SELECT * FROM users WHERE id = ?').get(p.userId) as UserRow;
    if (typeof data.old_password !== 'string' || !(await verifyPassword(data.old_password, user.password))) {
      throw badRequest('API.INVALID_OLD_PASSWORD', 'old_password is wrong', 'old_password');
    }
    const problem = checkPasswordPolicy(data.new_password);
    if (problem) throw badRequest('API.INVALID_NEW_PASSWORD', problem.replace('password', 'new_password'), 'new_password');
    const hash = await hashPassword(data.new_password as string);
    this.store.tx(() => {
      this.store.db.prepare('UPDATE users SET password = ? WHERE id = ?').run(hash, p.userId);
      this.store.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(p.userId);
    });
  }

  /** An administrator sets another user's password ({"data":{"name","password"}}); their sessions end. */
  async resetPassword(body: unknown): Promise<number> {
    const data = (body as { data?: { name?: unknown; password?: unknown } } | null)?.data ?? {};
    if (typeof data.name !== 'string') throw badRequest('API.INVALID_USER_NAME', 'name is required', 'name');
    const user = this.store.db.prepare('SELECT id FROM users WHERE name = ?').get(data.name) as { id: number } | undefined;
    if (!user) throw new ApiError(404, 'API.NOT_FOUND', 'API.USER_NOT_FOUND', `user ${data.name} does not exist`);
    const problem = checkPasswordPolicy(data.password);
    if (problem) throw badRequest('API.INVALID_PASSWORD', problem, 'password');
    const hash = await hashPassword(data.password as string);
    this.store.tx(() => {
      this.store.db.prepare('UPDATE users SET password = ?, failed_login_count = 0, is_locked = 0 WHERE id = ?').run(hash, user.id);
      this.store.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(user.id);
    });
    return user.id;
  }

  unlock(id: number): void {
    const info = this.store.db.prepare('UPDATE users SET failed_login_count = 0, is_locked = 0 WHERE id = ?').run(id);
    if (info.changes === 0) throw new ApiError(404, 'API.NOT_FOUND', 'API.USER_NOT_FOUND', `user ${id} does not exist`);
  }

  /** On a fresh store: the administrator, with the given password or a generated one (returned once). */
  async ensureAdministrator(password: string | undefined): Promise<{ created: boolean; password?: string; generated: boolean }> {
    const exists = this.store.db.prepare("SELECT id FROM users WHERE name = 'administrator'").get();
    if (exists) return { created: false, generated: false };
    const generated = !password;
    const pw = password ?? newSecret().slice(0, 20);
    const hash = await hashPassword(pw);
    this.store.db
      .prepare(`INSERT INTO users (uuid, name, display_name, email, is_admin, is_read_only, password, failed_login_count, is_locked)
                VALUES (?, 'administrator', 'Administrator', 'administrator@localhost', 1, 0, ?, 0, 0)`)
      .run(randomUUID(), hash);
    return { created: true, password: pw, generated };
  }
}
