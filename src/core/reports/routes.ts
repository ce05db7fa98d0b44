/**
 * GET /api/reports/{name}: MyEMS report answers (JSON with excel_bytes_base64 unless quickmode=true). The
 * workbook directly: the same URL with `Accept: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`,
 * or GET /api/reports/{name}/export. GET /api/reports lists the report names; GET /api/reports/catalog describes
 * them for the screen; GET /api/reports/{name}/document is what the report shows (figures, charts, tables).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../api/server';
import { buildWorkbook, workbookName, XLSX_MIME } from './excel';
import { REPORT_NAMES, reportJson, runReport, type ReportDeps } from './service';
import type { Query } from './params';
import { describeReports } from './describe';

export function registerReportRoutes(app: FastifyInstance, deps: ReportDeps): void {
  const download = async (reply: FastifyReply, name: string, req: FastifyRequest) => {
    const o = runReport(deps, principalOf(req), name, req.query as Query);
    const bytes = await buildWorkbook(o.built.doc);
    return reply.type(XLSX_MIME).header('Content-Disposition', `attachment; filename="${workbookName(o.built.doc)}"`).send(bytes);
  };

  app.get('/api/reports', async (req) => {
    principalOf(req);
    return REPORT_NAMES();
  });

  // what the Reports screen offers: every report, its subject, period types and base period
  app.get('/api/reports/catalog', async (req) => {
    principalOf(req);
    return describeReports();
  });

  app.get('/api/reports/:name', async (req, reply) => {
    const { name } = req.params as { name: string };
    if (String(req.headers.accept ?? '').includes(XLSX_MIME)) return download(reply, name, req);
    const o = runReport(deps, principalOf(req), name, req.query as Query);
    return reportJson(o);
  });

  // what the report shows (key figures, charts, tables), as the workbook draws it: the Reports screen renders it
  app.get('/api/reports/:name/document', async (req) => runReport(deps, principalOf(req), (req.params as { name: string }).name, req.query as Query).built.doc);

  app.get('/api/reports/:name/export', async (req, reply) => download(reply, (req.params as { name: string }).name, req));
}
