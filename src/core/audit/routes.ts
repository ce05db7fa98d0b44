import type { FastifyInstance, FastifyRequest } from 'fastify';
import { principalOf } from '../api/server';
import type { AuditLog } from './audit';

const COLUMNS = ['id', 'utc_date_time', 'user_name', 'action', 'target', 'old_value', 'new_value', 'result', 'details'] as const;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

export function registerAuditRoutes(app: FastifyInstance, audit: AuditLog): void {
  // administrators read every entry; everyone else (operators, read-only users, API keys) only their own
  const query = (req: FastifyRequest) => {
    const p = principalOf(req);
    const q = req.query as Record<string, string | undefined>;
    return audit.query({ start: q.startdatetime, end: q.enddatetime, action: q.action, user: q.user, userId: p.isAdmin ? undefined : p.userId, limit: q.limit ? Number(q.limit) : undefined });
  };
  app.get('/api/auditlogs', async (req) => query(req));
  app.get('/api/auditlogs.csv', async (req, reply) => {
    const rows = query(req);
    reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="audit-log.csv"');
    return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(','))].join('\r\n') + '\r\n';
  });
}
