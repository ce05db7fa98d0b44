import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit';
import { idParam, principalOf, requireAdmin } from '../api/server';
import type { AuthService } from './service';

/** Login, logout and password routes of the MyEMS users API (the CRUD comes from the entity registry). */
export function registerAuthRoutes(app: FastifyInstance, auth: AuthService, audit: AuditLog): void {
  app.put('/api/users/login', { config: { auth: 'public' } }, async (req) => auth.login(req.body, req.ip));
  app.put('/api/users/logout', { config: { auth: 'public' } }, async (req) => {
    auth.logout(req.headers);
    return { message: 'logged out' };
  });
  app.put('/api/users/changepassword', async (req) => {
    const p = principalOf(req);
    await auth.changePassword(p, req.body);
    audit.record({ userId: p.userId, userName: p.userName, action: 'user.change_password', target: `users:${p.userId}`, result: 'ok' });
    return { message: 'password changed; log in again' };
  });
  app.put('/api/users/resetpassword', async (req) => {
    const p = requireAdmin(req);
    const id = await auth.resetPassword(req.body);
    audit.record({ userId: p.userId, userName: p.userName, action: 'user.reset_password', target: `users:${id}`, result: 'ok' });
    return { message: 'password reset' };
  });
  app.put('/api/users/unlock/:id', async (req) => {
    const p = requireAdmin(req);
    const id = idParam((req.params as { id: string }).id);
    auth.unlock(id);
    audit.record({ userId: p.userId, userName: p.userName, action: 'user.unlock', target: `users:${id}`, result: 'ok' });
    return { message: 'unlocked' };
  });
}
