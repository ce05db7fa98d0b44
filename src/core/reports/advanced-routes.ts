/**
 * Advanced report routes: PUT /api/advancedreports/{id}/run builds the report now; generated files are listed
 * at GET /api/reports/advancedreports (optionally within reportingperiodstartdatetime/enddatetime, UTC
 * creation time), fetched as MyEMS does at GET /api/reports/advancedreports/{id} (file_bytes_base64), as the
 * file at GET /api/reports/advancedreports/{id}/download, and removed with DELETE.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../api/errors';
import { idParam, principalOf } from '../api/server';
import type { AuditLog } from '../audit/audit';
import type { Store } from '../store/store';
import { describeRow, planOf, type AdvancedReports } from './advanced';
import { XLSX_MIME } from './excel';
import { str, type Query } from './params';

const DT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

export function registerAdvancedRoutes(app: FastifyInstance, store: Store, audit: AuditLog, advanced: AdvancedReports): void {
  const rowOf = (id: number) => {
    const r = store.db.prepare('SELECT r.*, length(r.file_bytes) AS size, a.name AS report FROM advanced_report_runs r LEFT JOIN advanced_reports a ON a.id = r.advanced_report_id WHERE r.id = ?').get(id) as Record<string, unknown> | undefined;
    if (!r) throw notFound('API.ADVANCED_REPORT_FILE_NOT_FOUND', `advanced report file ${id} not found`);
    return r;
  };

  app.put('/api/advancedreports/:id/run', async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    const row = store.db.prepare('SELECT expression FROM advanced_reports WHERE id = ?').get(id) as { expression: string } | undefined;
    if (!row) throw notFound('API.ADVANCED_REPORT_NOT_FOUND', `advanced report ${id} not found`);
    const plan = planOf(row.expression);
    if (typeof plan === 'string') throw badRequest('API.INVALID_EXPRESSION', plan, 'expression');
    const run = await advanced.runNow(id);
    audit.record({ userId: p.userId, userName: p.userName, action: 'report.run', target: `advancedreports:${id}`, newValue: { run: run.id, status: run.status }, result: run.status === 'done' ? 'ok' : 'failed' });
    return run;
  });

  app.get('/api/reports/advancedreports', async (req) => {
    principalOf(req);
    const q = req.query as Query;
    const from = str(q, 'reportingperiodstartdatetime');
    const to = str(q, 'reportingperiodenddatetime');
    for (const [name, v] of [['reportingperiodstartdatetime', from], ['reportingperiodenddatetime', to]] as const) {
      if (v !== undefined && !DT.test(v)) throw badRequest(`API.INVALID_${name.toUpperCase()}`, `${name} must look like 2026-03-01T00:00:00 (UTC)`, name);
    }
    const rows = store.db
      .prepare(
        `SELECT r.id, r.uuid, r.advanced_report_id, r.report_name, r.slot_utc, r.created_datetime_utc, r.status, r.attempts, r.last_error, r.file_name,
                r.reporting_start_local, r.reporting_end_local, r.email_status, r.email_attempts, r.email_error, length(r.file_bytes) AS size, a.name AS report
           FROM advanced_report_runs r LEFT JOIN advanced_reports a ON a.id = r.advanced_report_id
          WHERE (? IS NULL OR r.created_datetime_utc >= ?) AND (? IS NULL OR r.created_datetime_utc < ?)
          ORDER BY r.id DESC LIMIT 1000`,
      )
      .all(from ?? null, from ?? null, to ?? null, to ?? null) as Record<string, unknown>[];
    return rows.map(describeRow);
  });

  app.get('/api/reports/advancedreports/:id', async (req) => {
    principalOf(req);
    const r = rowOf(idParam((req.params as { id: string }).id));
    return { ...describeRow(r), file_bytes_base64: r.file_bytes ? (r.file_bytes as Buffer).toString('base64') : null };
  });

  app.get('/api/reports/advancedreports/:id/download', async (req, reply) => {
    principalOf(req);
    const r = rowOf(idParam((req.params as { id: string }).id));
    if (!r.file_bytes) throw notFound('API.ADVANCED_REPORT_FILE_NOT_READY', `the run is ${String(r.status)}${r.last_error ? `: ${String(r.last_error)}` : ''}`);
    return reply.type(XLSX_MIME).header('Content-Disposition', `attachment; filename="${String(r.file_name)}"`).send(r.file_bytes as Buffer);
  });

  app.delete('/api/reports/advancedreports/:id', async (req, reply) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    rowOf(id);
    store.db.prepare('DELETE FROM advanced_report_runs WHERE id = ?').run(id);
    audit.record({ userId: p.userId, userName: p.userName, action: 'config.delete', target: `advancedreportfiles:${id}`, result: 'ok' });
    return reply.code(204).send();
  });
}
