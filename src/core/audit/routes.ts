import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '../api/errors';
import { principalOf } from '../api/server';
import { MAX_AUDIT_PAGE, type AuditLog, type AuditQuery } from './audit';

const COLUMNS = ['id', 'utc_date_time', 'user_name', 'action', 'target', 'old_value', 'new_value', 'result', 'details'] as const;
/** The CSV export reads this many rows at a time and lets other requests run in between. */
const CSV_CHUNK = 500;

const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? '' : String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

type Query = Record<string, string | undefined>;

/** A whole number >= min from the query string, at most max (larger asks get max), else a 400 naming it. */
function intParam(q: Query, name: string, min: number, max: number, fallback: number): number {
  const raw = q[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < min) throw badRequest(`API.INVALID_${name.toUpperCase()}`, `${name} must be a whole number of at least ${min}`, name);
  return Math.min(Number(raw), max);
}

const filters = (req: FastifyRequest): AuditQuery => {
  // administrators read every entry; everyone else (operators, read-only users, API keys) only their own
  const p = principalOf(req);
  const q = req.query as Query;
  for (const k of ['startdatetime', 'enddatetime', 'action', 'user'] as const) {
    if (q[k] !== undefined && (typeof q[k] !== 'string' || q[k]!.length > 200)) throw badRequest(`API.INVALID_${k.toUpperCase()}`, `${k} must be a short text`, k);
  }
  return { start: q.startdatetime, end: q.enddatetime, action: q.action, user: q.user, userId: p.isAdmin ? undefined : p.userId };
};

export function registerAuditRoutes(app: FastifyInstance, audit: AuditLog): void {
  // one page, newest first: at most MAX_AUDIT_PAGE rows, `offset` for the next ones
  app.get('/api/auditlogs', async (req) => {
    const f = filters(req);
    const q = req.query as Query;
    return audit.query({ ...f, limit: intParam(q, 'limit', 1, MAX_AUDIT_PAGE, MAX_AUDIT_PAGE), offset: intParam(q, 'offset', 0, 1e9, 0) });
  });
  // every matching row, streamed a chunk at a time so neither memory nor other requests wait on the whole log
  app.get('/api/auditlogs.csv', async (req, reply) => {
    const f = filters(req);
    const q = req.query as Query;
    const max = intParam(q, 'limit', 1, 1e9, 1e9);
    async function* lines() {
      yield COLUMNS.join(',') + '\r\n';
      let sent = 0;
      let beforeId: number | undefined;
      while (sent < max) {
        const rows = audit.query({ ...f, limit: Math.min(CSV_CHUNK, max - sent), beforeId });
        if (rows.length === 0) return;
        sent += rows.length;
        beforeId = rows[rows.length - 1].id as number;
        yield rows.map((r) => COLUMNS.map((c) => csvCell(r[c])).join(',') + '\r\n').join('');
        await new Promise((r) => setImmediate(r));
      }
    }
    reply.type('text/csv; charset=utf-8').header('Content-Disposition', 'attachment; filename="audit-log.csv"');
    return reply.send(Readable.from(lines()));
  });
}
