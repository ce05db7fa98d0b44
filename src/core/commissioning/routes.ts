import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { idParam, principalOf } from '../api/server';
import type { AcquisitionService } from '../acquisition/contracts';
import type { AuditLog } from '../audit/audit';
import type { Registry } from '../model/registry';
import type { Store } from '../store/store';
import { importPointList } from './import';
import { csvRows, parseXlsx } from './pointlist';

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** The commissioning engineer's tools: read one point now, a data source's wire diagnostics, point-list import. */
export function registerCommissioningRoutes(app: FastifyInstance, deps: { store: Store; registry: Registry; audit: AuditLog; acquisition: () => AcquisitionService | undefined }): void {
  const { store, registry, audit } = deps;
  const acquisition = () => {
    const a = deps.acquisition();
    if (!a) throw new ApiError(503, 'API.SERVICE_UNAVAILABLE', 'API.ACQUISITION_NOT_RUNNING', 'acquisition is not running');
    return a;
  };

  app.post('/api/points/:id/readnow', { config: { role: 'operate' } }, async (req) => {
    principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    registry.mustRow(store, registry.get('points'), id);
    return acquisition().readNow(id);
  });

  app.get('/api/datasources/:id/diagnostics', async (req) => {
    principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    registry.mustRow(store, registry.get('datasources'), id);
    const d = acquisition().diagnostics(id);
    if (!d) throw new ApiError(404, 'API.NOT_FOUND', 'API.DATA_SOURCE_NOT_RUNNING', `data source ${id} is not running`);
    return d;
  });

  app.post('/api/datasources/:id/pointlist', async (req) => {
    const p = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    registry.mustRow(store, registry.get('datasources'), id);
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim();
    let rows: Iterable<string[]>;
    if (type === XLSX) rows = await parseXlsx(req.body as Buffer);
    else if (type === 'text/csv') rows = csvRows(Buffer.isBuffer(req.body) ? req.body.toString('utf8') : String(req.body ?? ''));
    else throw badRequest('API.UNSUPPORTED_MEDIA_TYPE', `send the point list as text/csv or ${XLSX}`);
    const ctx = { store, userId: p.userId, userName: p.userName };
    const record = (result: 'ok' | 'failed', details: Record<string, unknown>) =>
      audit.record({ userId: p.userId, userName: p.userName, action: 'config.import', target: `datasources:${id}/pointlist`, result, details });
    try {
      // validated in slices while scans go on; the points and their audit entry commit together, and listeners
      // hear of the whole import once
      const result = await importPointList(ctx, registry, id, rows, { inCommit: (r) => record('ok', { imported: r.imported }) });
      await registry.emitAllSliced(result.ids.map((pid) => ({ entity: 'points', op: 'create' as const, id: pid })));
      return { imported: result.imported };
    } catch (e) {
      record('failed', { error: (e as Error).message });
      throw e;
    }
  });
}
