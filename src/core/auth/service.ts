import { randomUUID } from 'node:crypto';
import type { FeatureMigrations, Store } from '../store/store';
import { ApiError, badRequest, unauthorized } from '../api/errors';
import type { AuditLog } from '../audit/audit';
import { checkPasswordPolicy, hashPassword, MAX_PASSWORD_LENGTH, newSecret, secretHash, verifyPassword } from './passwords';

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
    {
      version: 2,
      name: 'session idle time; API keys belong to a user',
      up: (db) => {
        db.exec('ALTER TABLE sessions ADD COLUMN last_used_at TEXT');
        // keys made before keys carried their owner's role: they belong to the administrator who made them,
        // else to the first administrator
        const hasKeys = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'api_keys'").get();
        if (hasKeys) {
          db.exec(`UPDATE api_keys SET user_id = (SELECT id FROM users WHERE is_admin = 1 ORDER BY id LIMIT 1)
                   WHERE user_id IS NULL OR user_id NOT IN (SELECT id FROM users)`);
        }
      },
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
  /** an API key's scope: 'user' acts as its user; 'read-only' reads only; 'participants' only the Ecosuite participants API */
  scope?: 'user' | 'read-only' | 'participants';
  apiKey?: { id: number; name: string };
}

export const API_KEY_SCOPES = ['user', 'read-only', 'participants'] as const;

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
  locked_until_datetime_utc?: string | null;
}

/** Failed logins of one account before it is locked; each further failure doubles the lock, up to MAX_LOCK_SECONDS. */
export const MAX_FAILED_LOGINS = 5;
export const FIRST_LOCK_SECONDS = 60;
export const MAX_LOCK_SECONDS = 30 * 60;
/** Failed logins from one client address (any accounts) before the address waits, doubling likewise. */
export const MAX_FAILED_LOGINS_PER_ADDRESS = 20;
export const SESSION_HOURS = 8;
/** defaults of the settings auth.session_idle_minutes and auth.sessions_per_user */
export const SESSION_IDLE_MINUTES = 60;
export const SESSIONS_PER_USER = 10;

export const lockSeconds = (failures: number) =>
  failures < MAX_FAILED_LOGINS ? 0 : Math.min(FIRST_LOCK_SECONDS * 2 ** Math.min(failures - MAX_FAILED_LOGINS, 20), MAX_LOCK_SECONDS);

const INVALID_LOGIN = () => new ApiError(401, 'API.UNAUTHORIZED', 'API.INVALID_USER_NAME_OR_PASSWORD', 'unknown user name or wrong password (repeated failures lock an account for a while)');

/** MyEMS datetimes carry no zone; Switchyard reads them as UTC. */
const utcMillis = (s: string | null) => (s ? Date.parse(/Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`) : NaN);

export class AuthService {
  constructor(
    readonly store: Store,
    private readonly audit: AuditLog,
  ) {}

  private readonly addresses = new Map<string, { failures: number; until: number; last: number }>();

  /**
   * One answer for an unknown user, a wrong password and a locked account (401 API.INVALID_USER_NAME_OR_PASSWORD);
   * expiry is told only to whoever gave the right password. Locks are temporary and grow: per account after
   * MAX_FAILED_LOGINS failures, per client address after MAX_FAILED_LOGINS_PER_ADDRESS (429 while it waits).
   */
  async login(body: unknown, remote: string): Promise<Record<string, unknown>> {
    const data = (body as { data?: Record<string, unknown> } | null)?.data;
    if (!data || typeof data !== 'object') throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"name" or "email","password"}}', 'data');
    const { name, email, password } = data as { name?: unknown; email?: unknown; password?: unknown };
    if (typeof password !== 'string' || password.length === 0) throw badRequest('API.INVALID_PASSWORD', 'password is required', 'password');
    if (typeof name !== 'string' && typeof email !== 'string') throw badRequest('API.INVALID_USER_NAME', 'name or email is required', 'name');
    const now = Date.now();
    const address = this.addresses.get(remote);
    if (address && address.until > now) {
      const wait = Math.ceil((address.until - now) / 1000);
      throw new ApiError(429, 'API.TOO_MANY_REQUESTS', 'API.TOO_MANY_FAILED_LOGINS', `too many failed logins from this address; try again in ${wait} s`, undefined, { retry_after_seconds: wait });
    }
    const who = (typeof name === 'string' ? name : (email as string)).slice(0, 128);
    const user = (typeof name === 'string'
      ? this.store.db.prepare('SELECT * FROM users WHERE name = ?').get(name)
      : this.store.db.prepare('SELECT * FROM users WHERE lower(email) = lower(?)').get(email)) as UserRow | undefined;
    // a password longer than any policy allows is wrong without hashing it (the time is spent all the same)
    const ok = password.length <= MAX_PASSWORD_LENGTH ? await verifyPassword(password, user?.password) : (await verifyPassword('', null), false);
    const lockedUntil = user?.is_locked ? utcMillis(user.locked_until_datetime_utc ?? null) : NaN;
    const locked = lockedUntil > now;
    const fail = (reason: string) => {
      this.audit.record({ userId: user?.id ?? null, userName: who, action: 'login_failed', result: 'failed', details: { reason, remote } });
      this.addressFailed(remote, now);
      return INVALID_LOGIN();
    };
    if (!user) throw fail('unknown user');
    if (locked) throw fail(`account locked until ${new Date(lockedUntil).toISOString()}`);
    if (!ok) {
      const failures = user.failed_login_count + 1;
      const lock = lockSeconds(failures);
      const until = lock ? new Date(now + lock * 1000).toISOString().slice(0, 19) : null;
      this.store.db.prepare('UPDATE users SET failed_login_count = ?, is_locked = ?, locked_until_datetime_utc = ? WHERE id = ?').run(failures, lock ? 1 : 0, until, user.id);
      throw fail(lock ? `wrong password (${failures} in a row): locked for ${lock} s` : `wrong password (${failures} in a row)`);
    }
    const refuse = (description: string, message: string) => {
      this.audit.record({ userId: user.id, userName: user.name, action: 'login_failed', result: 'failed', details: { reason: description, remote } });
      return badRequest(description, message);
    };
    if (utcMillis(user.account_expiration_datetime) < now) throw refuse('API.USER_ACCOUNT_HAS_EXPIRED', 'this account has expired');
    if (utcMillis(user.password_expiration_datetime) < now) throw refuse('API.USER_PASSWORD_HAS_EXPIRED', 'the password has expired; ask an administrator to reset it');

    const token = newSecret();
    const expires = new Date(now + SESSION_HOURS * 3600_000).toISOString();
    const nowIso = new Date(now).toISOString();
    const limit = this.setting('auth.sessions_per_user', SESSIONS_PER_USER);
    this.store.tx(() => {
      this.store.db.prepare('DELETE FROM sessions WHERE expires_at < ?').run(nowIso);
      this.store.db.prepare('INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_used_at) VALUES (?,?,?,?,?)').run(secretHash(token), user.id, nowIso, expires, nowIso);
      // beyond the per-user limit the oldest sessions end
      this.store.db.prepare('DELETE FROM sessions WHERE user_id = ? AND id NOT IN (SELECT id FROM sessions WHERE user_id = ? ORDER BY id DESC LIMIT ?)').run(user.id, user.id, limit);
      this.store.db.prepare('UPDATE users SET failed_login_count = 0, is_locked = 0, locked_until_datetime_utc = NULL, last_login_datetime_utc = ? WHERE id = ?').run(nowIso.slice(0, 19), user.id);
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

  private addressFailed(remote: string, now: number): void {
    const a = this.addresses.get(remote) ?? { failures: 0, until: 0, last: now };
    if (now - a.last > 3600_000) a.failures = 0; // an hour without failures forgets the address
    a.failures += 1;
    a.last = now;
    const over = a.failures - MAX_FAILED_LOGINS_PER_ADDRESS;
    if (over >= 0) a.until = now + Math.min(FIRST_LOCK_SECONDS * 2 ** Math.min(over, 20), MAX_LOCK_SECONDS) * 1000;
    this.addresses.set(remote, a);
    if (this.addresses.size > 10_000) for (const [k, v] of this.addresses) if (now - v.last > 3600_000) this.addresses.delete(k);
  }

  /** A numeric setting of the installation (settings table), or its default. */
  setting(key: string, fallback: number): number {
    const row = this.store.db.prepare('SELECT value FROM settings WHERE key = ?').get(key) as { value: string } | undefined;
    const n = row ? Number(row.value) : NaN;
    return Number.isFinite(n) && n > 0 ? n : fallback;
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
      .prepare('SELECT u.*, s.expires_at, s.last_used_at, s.created_at AS session_created_at, s.id AS session_id FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = ? AND u.uuid = ?')
      .get(secretHash(token), uuid) as (UserRow & { expires_at: string; last_used_at: string | null; session_created_at: string; session_id: number }) | undefined;
    if (!row) throw unauthorized('API.INVALID_SESSION', 'the session is not valid; log in again');
    const now = Date.now();
    const lastUsed = Date.parse(row.last_used_at ?? row.session_created_at);
    const idle = this.setting('auth.session_idle_minutes', SESSION_IDLE_MINUTES) * 60_000;
    if (Date.parse(row.expires_at) < now || lastUsed + idle < now) {
      this.store.db.prepare('DELETE FROM sessions WHERE id = ?').run(row.session_id);
      throw unauthorized('API.SESSION_EXPIRED', 'the session has expired; log in again');
    }
    // a failed-login lock guards passwords only: it never ends the sessions of the account's owner
    if (utcMillis(row.account_expiration_datetime) < now) throw unauthorized('API.USER_ACCOUNT_HAS_EXPIRED', 'this account can no longer be used');
    if (now - lastUsed > 15_000) this.store.db.prepare('UPDATE sessions SET last_used_at = ? WHERE id = ?').run(new Date(now).toISOString(), row.session_id);
    return this.principal(row, 'session');
  }

  byApiKey(key: string): Principal {
    const row = this.store.db
      .prepare('SELECT k.expires_datetime_utc, k.id AS key_id, k.name AS key_name, k.scope AS key_scope, u.* FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.token_hash = ?')
      .get(secretHash(key)) as (UserRow & { expires_datetime_utc: string; key_id: number; key_name: string; key_scope: string | null }) | undefined;
    if (!row) throw unauthorized('API.INVALID_API_KEY', 'the API key is not valid');
    if (utcMillis(row.expires_datetime_utc) < Date.now()) throw unauthorized('API.API_KEY_HAS_EXPIRED', 'the API key has expired');
    if (utcMillis(row.account_expiration_datetime) < Date.now()) throw unauthorized('API.USER_ACCOUNT_HAS_EXPIRED', "the API key's user can no longer be used");
    const scope = (API_KEY_SCOPES as readonly string[]).includes(row.key_scope ?? '') ? (row.key_scope as Principal['scope']) : 'user';
    return this.principal(row, 'apikey', { id: row.key_id, name: row.key_name, scope });
  }

  /**
   * A user acting without a request (a Sparkplug host's command in the name of its configured user): null when the
   * user does not exist or its account has expired.
   */
  byUserId(userId: number): Principal | null {
    const row = this.store.db.prepare('SELECT * FROM users WHERE id = ?').get(userId) as UserRow | undefined;
    if (!row || utcMillis(row.account_expiration_datetime) < Date.now()) return null;
    return this.principal(row, 'session');
  }

  private principal(u: UserRow, via: Principal['via'], key?: { id: number; name: string; scope: Principal['scope'] }): Principal {
    // a privilege narrows what a non-administrator sees to its spaces; without one a user sees the whole plant
    let spaces: number[] | null = null;
    if (!u.is_admin && u.privilege_id) {
      const p = this.store.db.prepare('SELECT data FROM privileges WHERE id = ?').get(u.privilege_id) as { data: string } | undefined;
      try {
        const listed = p ? (JSON.parse(p.data) as { spaces?: unknown }).spaces : [];
        spaces = Array.isArray(listed) ? listed.filter((x): x is number => Number.isSafeInteger(x)) : [];
      } catch {
        spaces = [];
      }
    }
    const scope = key?.scope ?? 'user';
    return {
      userId: u.id,
      // the audit names the key that acted
      userName: key ? `${u.name} (API key ${key.name} #${key.id})` : u.name,
      isAdmin: !!u.is_admin && scope !== 'participants',
      isReadOnly: !!u.is_read_only || scope === 'read-only',
      spaces,
      via,
      scope,
      ...(key ? { apiKey: { id: key.id, name: key.name } } : {}),
    };
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
    const problem = checkPasswordPolicy(data.new_password, user.name);
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
    const problem = checkPasswordPolicy(data.password, data.name);
    if (problem) throw badRequest('API.INVALID_PASSWORD', problem, 'password');
    const hash = await hashPassword(data.password as string);
    this.store.tx(() => {
      this.store.db.prepare('UPDATE users SET password = ?, failed_login_count = 0, is_locked = 0, locked_until_datetime_utc = NULL WHERE id = ?').run(hash, user.id);
      this.store.db.prepare('DELETE FROM sessions WHERE user_id = ?').run(user.id);
    });
    return user.id;
  }

  unlock(id: number): void {
    const info = this.store.db.prepare('UPDATE users SET failed_login_count = 0, is_locked = 0, locked_until_datetime_utc = NULL WHERE id = ?').run(id);
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
