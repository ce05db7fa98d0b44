/**
 * History import: `POST /api/points/{id}/history` loads a logger export into the historian (JSON
 * `{"data":[{"utc_date_time","value"}]}` or text/csv with the header `utc_date_time,value`). Every row is
 * checked before anything is written: a timestamp needs a zone (Z or an offset), a value must be a number; the
 * first bad row is a 400 naming it. A sample at an existing timestamp replaces it. One audit entry; the energy
 * of the covered hours is recomputed.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../api/errors';
import { idParam, requireAdmin } from '../api/server';
import type { RuntimeContext } from '../feature';
import type { Historian } from '../historian/feature';
import { parseTime } from '../historian/feature';
import type { PointValue } from '../values/bus';

const ZONED = /(Z|[+-]\d{2}(:?\d{2})?)$/i;
/** rows per import (ten years of 10-minute readings) */
export const MAX_IMPORT_ROWS = 600_000;

export interface ImportResult {
  point_id: number;
  imported: number;
  replaced: number;
  first: string | null;
  last: string | null;
}

function rowError(where: string, field: string, why: string): never {
  throw badRequest('API.INVALID_HISTORY_ROW', `${where}: ${why}`, field, { row: where });
}

function sample(pointId: number, ts: unknown, value: unknown, where: string, field: (k: string) => string): PointValue {
  if (typeof ts !== 'string' || !ZONED.test(ts.trim())) rowError(where, field('utc_date_time'), 'utc_date_time must be an ISO 8601 date and time with a zone, e.g. 2026-03-28T23:00:00Z');
  let t: number;
  try {
    t = parseTime(ts, 'utc_date_time');
  } catch {
    rowError(where, field('utc_date_time'), `"${String(ts).slice(0, 40)}" is not a valid date and time`);
  }
  const v = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isFinite(v)) rowError(where, field('value'), 'value must be a number');
  return { point_id: pointId, ts: t, value: v, quality: 'good' };
}

export function parseHistory(pointId: number, body: unknown): PointValue[] {
  const out: PointValue[] = [];
  if (Buffer.isBuffer(body)) {
    const lines = body.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
    const header = (lines[0] ?? '').split(',').map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
    const ti = header.indexOf('utc_date_time');
    const vi = header.indexOf('value');
    if (ti < 0 || vi < 0) throw badRequest('API.INVALID_HISTORY_HEADER', 'the CSV needs the header utc_date_time,value', 'header');
    for (let i = 1; i < lines.length; i++) {
      if (lines[i].trim() === '') continue;
      const cells = lines[i].split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
      out.push(sample(pointId, cells[ti], cells[vi], `row ${i + 1}`, (k) => k));
      if (out.length > MAX_IMPORT_ROWS) throw badRequest('API.TOO_MANY_ROWS', `at most ${MAX_IMPORT_ROWS} rows per import`, 'data');
    }
  } else {
    const data = body && typeof body === 'object' && !Array.isArray(body) ? (body as { data?: unknown }).data : undefined;
    if (!Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":[{"utc_date_time":"2026-03-28T23:00:00Z","value":1234.5}, ...]} or text/csv', 'data');
    if (data.length > MAX_IMPORT_ROWS) throw badRequest('API.TOO_MANY_ROWS', `at most ${MAX_IMPORT_ROWS} rows per import`, 'data');
    for (let i = 0; i < data.length; i++) {
      const r = data[i] as Record<string, unknown> | null;
      if (!r || typeof r !== 'object') rowError(`data[${i}]`, `data[${i}]`, 'each row must be {"utc_date_time","value"}');
      out.push(sample(pointId, r.utc_date_time, r.value, `data[${i}]`, (k) => `data[${i}].${k}`));
    }
  }
  if (!out.length) throw badRequest('API.NO_HISTORY_ROWS', 'there is no row to import', 'data');
  return out;
}

/**
 * Writes samples to the historian's storage in one transaction (a sample at an existing timestamp replaces
 * it; the last row for a timestamp wins) and tells the energy pipeline which span changed.
 */
export function importHistory(historian: Historian, pointId: number, rows: readonly PointValue[], imported: (pointId: number, first: number, last: number) => void): ImportResult {
  const byTs = new Map<number, PointValue>();
  for (const r of rows) byTs.set(r.ts, r);
  const samples = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  const first = samples[0].ts;
  const last = samples[samples.length - 1].ts;
  historian.flush();
  let replaced = 0;
  for (const s of historian.storage.scan(pointId, first, last)) if (byTs.has(s.ts)) replaced++;
  historian.storage.write(samples, []);
  imported(pointId, first, last);
  return { point_id: pointId, imported: samples.length, replaced, first: new Date(first).toISOString(), last: new Date(last).toISOString() };
}

export function registerHistoryRoutes(app: FastifyInstance, ctx: RuntimeContext, historian: Historian, imported: (pointId: number, first: number, last: number) => void): void {
  const points = ctx.registry.get('points');
  app.post('/api/points/:id/history', async (req): Promise<ImportResult> => {
    const p = requireAdmin(req);
    const id = idParam((req.params as { id: string }).id);
    ctx.registry.mustRow(ctx.store, points, id);
    let rows: PointValue[];
    try {
      rows = parseHistory(id, req.body);
    } catch (e) {
      ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'history.import', target: `points:${id}`, result: 'failed', details: { error: (e as Error).message } });
      throw e;
    }
    const result = importHistory(historian, id, rows, imported);
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'history.import', target: `points:${id}`, newValue: result, result: 'ok' });
    return result;
  });
}
