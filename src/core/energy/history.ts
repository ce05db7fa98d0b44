/**
 * History import: `POST /api/points/{id}/history` loads a logger export into the historian (JSON
 * `{"data":[{"utc_date_time","value"}]}` or text/csv with the header `utc_date_time,value`; history-format.ts
 * reads both). Every row is checked before anything is written: a timestamp needs a zone (Z or an offset), a
 * value must be a number; the first bad row is a 400 naming it. A sample at an existing timestamp replaces it.
 * One audit entry; the energy of the covered hours is recomputed.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { idParam, principalOf } from '../api/server';
import type { RuntimeContext } from '../feature';
import type { Historian } from '../historian/feature';
import type { PointValue } from '../values/bus';
import { parseHistoryCsv, parseHistoryJson, type HistorySeries } from './history-format';

export { MAX_IMPORT_ROWS } from './history-format';
/** the body of an import: 600,000 JSON rows are ~35 MB */
export const HISTORY_BODY_LIMIT = 64 * 1024 * 1024;

export interface ImportResult {
  point_id: number;
  imported: number;
  replaced: number;
  first: string | null;
  last: string | null;
}

/** the JSON text of an import, kept as text: history-format.ts scans it without building an object per row */
class JsonText {
  constructor(readonly text: string) {}
}

/** the sample indices in time order, of each timestamp only the last sent (an upload may repeat one: the last wins) */
function timeOrder(s: HistorySeries): Uint32Array | null {
  let ordered = true;
  for (let i = 1; i < s.length && ordered; i++) ordered = s.ts[i] > s.ts[i - 1];
  if (ordered) return null;
  const idx = Array.from({ length: s.length }, (_, i) => i).sort((a, b) => s.ts[a] - s.ts[b] || a - b);
  const out: number[] = [];
  for (let k = 0; k < idx.length; k++) if (k + 1 === idx.length || s.ts[idx[k + 1]] !== s.ts[idx[k]]) out.push(idx[k]);
  return Uint32Array.from(out);
}

/**
 * Writes samples to the historian's storage in one transaction (a sample at an existing timestamp replaces
 * it; the last row for a timestamp wins) and tells the energy pipeline which span changed.
 */
export function importHistory(historian: Historian, pointId: number, series: HistorySeries, imported: (pointId: number, first: number, last: number) => void): ImportResult {
  const order = timeOrder(series);
  const n = order ? order.length : series.length;
  const samples: PointValue[] = new Array(n);
  for (let k = 0; k < n; k++) {
    const i = order ? order[k] : k;
    samples[k] = { point_id: pointId, ts: series.ts[i], value: series.value[i], quality: 'good' };
  }
  const first = samples[0].ts;
  const last = samples[n - 1].ts;
  historian.flush();
  // both in time order: one walk counts the timestamps that were there already
  let replaced = 0;
  let k = 0;
  const had = historian.storage.bounds(pointId, first, last);
  if (had) for (const s of historian.storage.scan(pointId, had.first, had.last)) {
    while (k < n && samples[k].ts < s.ts) k++;
    if (k < n && samples[k].ts === s.ts) replaced++;
  }
  historian.storage.write(samples, []);
  imported(pointId, first, last);
  return { point_id: pointId, imported: n, replaced, first: new Date(first).toISOString(), last: new Date(last).toISOString() };
}

/** samples as series (the demo's generated history) */
export function seriesOf(rows: readonly { ts: number; value: number }[]): HistorySeries {
  return { ts: Float64Array.from(rows, (r) => r.ts), value: Float64Array.from(rows, (r) => r.value), length: rows.length };
}

export function registerHistoryRoutes(app: FastifyInstance, ctx: RuntimeContext, historian: Historian, imported: (pointId: number, first: number, last: number) => void): void {
  const points = ctx.registry.get('points');
  // a scope of its own: JSON reaches the handler as text (the server's parser would build 525,600 row objects)
  void app.register(async (scope) => {
    const asText = (_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => done(null, new JsonText(body));
    scope.removeContentTypeParser(['application/json', 'text/plain']);
    scope.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, asText);
    scope.post('/api/points/:id/history', { bodyLimit: HISTORY_BODY_LIMIT }, async (req): Promise<ImportResult> => {
      const p = principalOf(req);
      const id = idParam((req.params as { id: string }).id);
      ctx.registry.mustRow(ctx.store, points, id);
      let series: HistorySeries;
      try {
        series = Buffer.isBuffer(req.body) ? parseHistoryCsv(req.body) : parseHistoryJson(req.body instanceof JsonText ? req.body.text : '');
      } catch (e) {
        ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'history.import', target: `points:${id}`, result: 'failed', details: { error: (e as Error).message } });
        throw e;
      }
      const result = importHistory(historian, id, series, imported);
      ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'history.import', target: `points:${id}`, newValue: result, result: 'ok' });
      return result;
    });
  });
}
