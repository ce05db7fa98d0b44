import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit';
import { badRequest } from '../api/errors';
import { dataOf, idParam, principalOf } from '../api/server';
import { SESSION_IDLE_MINUTES, SESSIONS_PER_USER, type AuthService } from './service';

const SECURITY_SETTINGS = {
  session_idle_minutes: { key: 'auth.session_idle_minutes', fallback: SESSION_IDLE_MINUTES, max: 7 * 24 * 60 },
  sessions_per_user: { key: 'auth.sessions_per_user', fallback: SESSIONS_PER_USER, max: 1000 },
} as const;

/** Login, logout and password routes of the MyEMS users API (the CRUD comes from the entity registry). */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthService, audit: AuditLog): void {
  app.put('/api/users/login', { config: { auth: 'public' } }, async (req) => auth.login(req.body, req.ip));
  app.put('/api/users/logout', { config: { auth: 'public' } }, async (req) => {
    auth.logout(req.headers);
    return { message: 'logged out' };
  });
  app.put('/api/users/changepassword', { config: { role: 'self' } }, async (req) => {
    const p = principalOf(req);
    await auth.changePassword(p, req.body);
    audit.record({ userId: p.userId, userName: p.userName, action: 'user.change_password', target: `users:${p.userId}`, result: 'ok' });
    return { message: 'password changed; log in again' };
  });
  app.put('/api/users/resetpassword', { config: { role: 'configure' } }, async (req) => {
    const p = principalOf(req);
    const id = await auth.resetPassword(req.body);
    audit.record({ userId: p.userId, userName: p.userName, action: 'user.reset_password', target: `users:${id}`, result: 'ok' });
    return { message: 'password reset' };
  });
  app.put('/api/users/unlock/:id', { config: { role: 'configure' } }, async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    auth.unlock(id);
    audit.record({ userId: p.userId, userName: p.userName, action: 'user.unlock', target: `users:${id}`, result: 'ok' });
    return { message: 'unlocked' };
  });

  // sessions: idle timeout and per-user limit (docs/api.md)
  const current = () => Object.fromEntries(Object.entries(SECURITY_SETTINGS).map(([name, s]) => [name, auth.setting(s.key, s.fallback)]));
  app.get('/api/settings/security', async (req) => {
    principalOf(req);
    return current();
  });
  app.put('/api/settings/security', { config: { role: 'configure' } }, async (req) => {
    const p = principalOf(req);
    const data = dataOf(req.body);
    if (!data || typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"session_idle_minutes","sessions_per_user"}}', 'data');
    const input = data as Record<string, unknown>;
    const changes: [string, number][] = [];
    for (const [name, s] of Object.entries(SECURITY_SETTINGS)) {
      if (!(name in input)) continue;
      const v = input[name];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > s.max) throw badRequest(`API.INVALID_${name.toUpperCase()}`, `${name} must be an integer from 1 to ${s.max}`, name);
      changes.push([s.key, v]);
    }
    const before = current();
    const set = auth.store.db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
    auth.store.tx(() => {
      for (const [k, v] of changes) set.run(k, String(v));
      audit.record({ userId: p.userId, userName: p.userName, action: 'settings.security', target: 'settings:security', oldValue: before, newValue: current(), result: 'ok' });
    });
    return current();
  });
}
