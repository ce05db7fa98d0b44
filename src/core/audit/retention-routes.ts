import type { FastifyInstance } from 'fastify';
import { badRequest } from '../api/errors';
import { dataObject } from '../api/limits';
import { requireAdmin } from '../api/server';
import type { Settings } from '../store/settings';
import type { Store } from '../store/store';
import type { AuditLog } from './audit';
import { AUDIT_RETENTION_KEY, MAX_AUDIT_RETENTION_DAYS, type AuditRetention } from './retention';

/** GET/PUT /api/settings/audit {"retention_days": N}: like the historian's; a change purges at once and is audited. */
export function registerAuditRetentionRoutes(app: FastifyInstance, deps: { store: Store; settings: Settings; audit: AuditLog; retention: AuditRetention }): void {
  const { store, settings, audit, retention } = deps;

  app.get('/api/settings/audit', async (req) => {
    requireAdmin(req);
    return { retention_days: retention.days() };
  });

  app.put('/api/settings/audit', async (req) => {
    const p = requireAdmin(req);
    const days = dataObject(req.body).retention_days;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_AUDIT_RETENTION_DAYS) {
      throw badRequest('API.INVALID_RETENTION_DAYS', `retention_days must be an integer from 1 to ${MAX_AUDIT_RETENTION_DAYS}`, 'retention_days');
    }
    store.tx(() => {
      const old = settings.get(AUDIT_RETENTION_KEY);
      settings.set(AUDIT_RETENTION_KEY, String(days));
      audit.record({ userId: p.userId, userName: p.userName, action: 'config.update', target: 'settings:audit', oldValue: old, newValue: days, result: 'ok' });
    });
    const purged = await retention.purge();
    return { retention_days: days, purged };
  });
}
