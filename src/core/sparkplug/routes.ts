/**
 * Sparkplug routes beyond the generated `/api/sparkplugnodes` ones: every node's session and outbox state, and a
 * rebirth on demand (what a host's Rebirth request does, for an engineer checking a host's view).
 */
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api/errors';
import { idParam, principalOf } from '../api/server';
import type { AuditLog } from '../audit/audit';
import type { SparkplugService } from './service';

export function registerSparkplugRoutes(app: FastifyInstance, deps: { service: SparkplugService; audit: AuditLog }): void {
  app.get('/api/sparkplug/status', async () => deps.service.statuses());

  app.get('/api/sparkplugnodes/:id/status', async (req) => {
    const id = idParam((req.params as { id: string }).id);
    const s = deps.service.status(id);
    if (!s) throw new ApiError(404, 'API.NOT_FOUND', 'API.SPARKPLUG_NODE_NOT_FOUND', `Sparkplug edge node ${id} does not exist`);
    return s;
  });

  app.post('/api/sparkplugnodes/:id/rebirth', { config: { role: 'configure' } }, async (req) => {
    const id = idParam((req.params as { id: string }).id);
    const who = principalOf(req);
    if (!deps.service.rebirth(id)) throw new ApiError(404, 'API.NOT_FOUND', 'API.SPARKPLUG_NODE_NOT_FOUND', `Sparkplug edge node ${id} does not exist or is not enabled`);
    deps.audit.record({ userId: who.userId, userName: who.userName, action: 'sparkplug.rebirth', target: `sparkplugnodes:${id}`, result: 'ok' });
    return { ok: true };
  });
}
