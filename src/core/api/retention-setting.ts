import type { FastifyInstance } from 'fastify';
import type { AuditLog } from '../audit/audit';
import type { Settings } from '../store/settings';
import type { Store } from '../store/store';
import { badRequest } from './errors';
import { dataObject } from './limits';
import { principalOf, requireAdmin } from './server';

export const MAX_RETENTION_DAYS = 36_500;

/** A retention in days kept as a setting, with the store's purge it governs (the historian's, the audit log's). */
export interface RetentionSetting {
  /** `/api/settings/<name>`; the change is audited on `settings:<name>` */
  name: string;
  key: string;
  /** the retention in effect */
  days(): number;
  /** who may read it: every signed-in user, or administrators only */
  read: 'signed-in' | 'admin';
  /** deletes what is older than the retention; resolves to how much */
  purge(): Promise<number>;
}

/**
 * GET/PUT /api/settings/<name> {"retention_days": N}: administrators change it (an integer from 1 to 36500, else a 400
 * naming retention_days and nothing changes), the change is audited in the same transaction, and it purges at once.
 */
export function registerRetentionSetting(app: FastifyInstance, deps: { store: Store; settings: Settings; audit: AuditLog }, s: RetentionSetting): void {
  const { store, settings, audit } = deps;
  app.get(`/api/settings/${s.name}`, async (req) => {
    if (s.read === 'admin') requireAdmin(req);
    else principalOf(req);
    return { retention_days: s.days() };
  });

  app.put(`/api/settings/${s.name}`, async (req) => {
    const p = principalOf(req);
    const days = dataObject(req.body).retention_days;
    if (typeof days !== 'number' || !Number.isInteger(days) || days < 1 || days > MAX_RETENTION_DAYS) {
      throw badRequest('API.INVALID_RETENTION_DAYS', `retention_days must be an integer from 1 to ${MAX_RETENTION_DAYS}`, 'retention_days');
    }
    store.tx(() => {
      const old = settings.get(s.key);
      settings.set(s.key, String(days));
      audit.record({ userId: p.userId, userName: p.userName, action: 'config.update', target: `settings:${s.name}`, oldValue: old, newValue: days, result: 'ok' });
    });
    const purged = await s.purge();
    return { retention_days: days, purged };
  });
}
