/**
 * Energy plan routes (the source of the *plan reports):
 * - POST /api/energyplans  {"data":{"subject":"space","subject_id":3,"energy_category_id":1,
 *     "values":[{"start_datetime":"2026-03-01T00:00:00","end_datetime":"2026-03-02T00:00:00","value":120}]}}
 *   local date-times of the subject's zone (or with an offset); a meter's category defaults to its own.
 *   Stored spans of the subject and category that overlap an uploaded one are replaced. Administrators only.
 * - POST /api/energyplans/import  {"data":{"file_bytes_base64":"..."}}: the same from a workbook (first sheet,
 *   a header row, then one row per span: subject, subject id, energy category id, start, end, value).
 * - GET /api/energyplans?subject=space&subjectid=3[&energycategoryid=][&startdatetime=&enddatetime=]
 * - DELETE /api/energyplans?subject=space&subjectid=3&startdatetime=&enddatetime=[&energycategoryid=]
 *   removes the spans that lie wholly inside.
 */
import type { FastifyInstance } from 'fastify';
import { badRequest, notFound } from '../api/errors';
import { principalOf } from '../api/server';
import type { AuditLog } from '../audit/audit';
import type { Principal } from '../auth/service';
import type { EnergyService, SubjectKind } from '../energy/contract';
import type { Store } from '../store/store';
import { str, type Query } from './params';
import { PlanStore, type PlanSpan } from './plans';
import { authorize, requireEnergy, SUBJECTS } from './subjects';
import { localString, parseLocal } from './time';

const MAX_VALUES = 100_000;

/** 'space', 'spaces', 'combinedequipment', 'virtual_meter' ... -> the subject kind */
function kindOf(v: unknown, field: string): SubjectKind {
  const s = typeof v === 'string' ? v.trim().toLowerCase().replace(/_/g, '') : '';
  for (const info of Object.values(SUBJECTS)) if (s === info.kind || s === info.param) return info.kind;
  throw badRequest('API.INVALID_SUBJECT', `${field} must be one of ${Object.values(SUBJECTS).map((i) => i.param).join(', ')}`, field);
}

function positiveId(v: unknown, field: string): number {
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n <= 0) throw badRequest(`API.INVALID_${field.toUpperCase()}`, `${field} must be a positive integer`, field);
  return n;
}

interface Target {
  kind: SubjectKind;
  id: number;
  row: Record<string, unknown>;
  zone: string;
}

export function registerPlanRoutes(app: FastifyInstance, store: Store, services: Map<string, unknown>, audit: AuditLog): void {
  const plans = new PlanStore(store);
  const energy = () => requireEnergy<EnergyService>(services);

  const target = (p: Principal, kindValue: unknown, kindField: string, idValue: unknown, idField: string): Target => {
    const kind = kindOf(kindValue, kindField);
    const id = positiveId(idValue, idField);
    const row = store.db.prepare(`SELECT * FROM ${SUBJECTS[kind].table} WHERE id = ?`).get(id) as Record<string, unknown> | undefined;
    if (!row) throw notFound(`API.${SUBJECTS[kind].label.toUpperCase().replace(/\W+/g, '_')}_NOT_FOUND`, `${SUBJECTS[kind].label} ${id} not found`);
    authorize(store, p, kind, id);
    return { kind, id, row, zone: energy().timezoneOf(kind, id) };
  };

  const categoryOf = (t: Target, v: unknown, field: string): number => {
    if ((v === undefined || v === null || v === '') && typeof t.row.energy_category_id === 'number') return t.row.energy_category_id;
    const id = positiveId(v, field);
    if (!store.db.prepare('SELECT 1 FROM energy_categories WHERE id = ?').get(id)) throw badRequest('API.ENERGY_CATEGORY_NOT_FOUND', `${field} names no energy category`, field);
    if (typeof t.row.energy_category_id === 'number' && t.row.energy_category_id !== id) throw badRequest('API.INVALID_ENERGY_CATEGORY_ID', `${field} must be the meter's own category (${t.row.energy_category_id})`, field);
    return id;
  };

  const instant = (v: unknown, zone: string, field: string): number => {
    const ms = v instanceof Date ? v.getTime() : typeof v === 'string' ? parseLocal(v.trim(), zone) : null;
    if (ms === null || !Number.isFinite(ms)) throw badRequest('API.INVALID_DATETIME', `${field} must be a date-time like 2026-03-01T00:00:00 (local time of the subject)`, field);
    return ms;
  };

  const spansOf = (values: unknown, zone: string, prefix: string): PlanSpan[] => {
    if (!Array.isArray(values) || !values.length) throw badRequest('API.INVALID_VALUES', `${prefix} must be a non-empty array of {start_datetime, end_datetime, value}`, prefix);
    if (values.length > MAX_VALUES) throw badRequest('API.TOO_MANY_VALUES', `${prefix} may hold at most ${MAX_VALUES} spans`, prefix);
    const spans = values.map((v, i): PlanSpan => {
      const f = `${prefix}[${i}]`;
      if (!v || typeof v !== 'object') throw badRequest('API.INVALID_VALUES', `${f} must be an object`, f);
      const o = v as Record<string, unknown>;
      const start = instant(o.start_datetime, zone, `${f}.start_datetime`);
      const end = instant(o.end_datetime, zone, `${f}.end_datetime`);
      if (end <= start) throw badRequest('API.INVALID_DATETIME', `${f}.end_datetime must be after start_datetime`, `${f}.end_datetime`);
      const value = typeof o.value === 'string' && o.value.trim() !== '' ? Number(o.value) : o.value;
      if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest('API.INVALID_VALUE', `${f}.value must be a number`, `${f}.value`);
      return { start, end, value, startLocal: localString(start, zone), endLocal: localString(end, zone) };
    });
    const sorted = spans.map((s, i) => ({ s, i })).sort((a, b) => a.s.start - b.s.start);
    for (let k = 1; k < sorted.length; k++) {
      if (sorted[k].s.start < sorted[k - 1].s.end) throw badRequest('API.OVERLAPPING_SPANS', `${prefix}[${sorted[k].i}] overlaps ${prefix}[${sorted[k - 1].i}]`, `${prefix}[${sorted[k].i}].start_datetime`);
    }
    return spans;
  };

  const record = (p: Principal, t: Target, categoryId: number, r: { replaced: number; stored: number }, source: string) =>
    audit.record({ userId: p.userId, userName: p.userName, action: 'config.create', target: `energyplans:${t.kind}:${t.id}`, newValue: { energy_category_id: categoryId, ...r, source }, result: 'ok' });

  app.post('/api/energyplans', { config: { role: 'configure' } }, async (req, reply) => {
    const p = principalOf(req);
    const data = (req.body as { data?: Record<string, unknown> } | null)?.data;
    if (!data || typeof data !== 'object') throw badRequest('API.INVALID_BODY', 'the body must be {"data":{...}}', 'data');
    const t = target(p, data.subject, 'subject', data.subject_id, 'subject_id');
    const categoryId = categoryOf(t, data.energy_category_id, 'energy_category_id');
    const spans = spansOf(data.values, t.zone, 'values');
    const r = plans.put(t.kind, t.id, categoryId, spans);
    record(p, t, categoryId, r, 'api');
    return reply.code(201).send({ subject: SUBJECTS[t.kind].param, subject_id: t.id, energy_category_id: categoryId, timezone: t.zone, ...r });
  });

  app.post('/api/energyplans/import', { config: { role: 'configure' }, bodyLimit: 20 * 1024 * 1024 }, async (req, reply) => {
    const p = principalOf(req);
    const data = (req.body as { data?: Record<string, unknown> } | null)?.data;
    const b64 = data?.file_bytes_base64;
    if (typeof b64 !== 'string' || !b64.length) throw badRequest('API.INVALID_FILE', 'file_bytes_base64 (an .xlsx workbook) is required', 'file_bytes_base64');
    const rows = await readPlanWorkbook(Buffer.from(b64, 'base64'));
    // group rows by subject and category; each group is validated whole before anything is stored
    const groups = new Map<string, { t: Target; categoryId: number; values: Record<string, unknown>[]; rows: number[] }>();
    for (const r of rows) {
      const f = `row ${r.row}`;
      const t = target(p, r.cells[0], `${f} subject`, r.cells[1], `${f} subject id`);
      const categoryId = categoryOf(t, r.cells[2], `${f} energy category id`);
      const key = `${t.kind}:${t.id}:${categoryId}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { t, categoryId, values: [], rows: [] }));
      g.values.push({ start_datetime: r.cells[3], end_datetime: r.cells[4], value: r.cells[5] });
      g.rows.push(r.row);
    }
    if (!groups.size) throw badRequest('API.INVALID_FILE', 'the workbook has no plan rows (row 1 is the header; from row 2: subject, subject id, energy category id, start, end, value)', 'file_bytes_base64');
    const parsed = [...groups.values()].map((g) => ({ g, spans: spansOf(g.values, g.t.zone, `rows ${g.rows[0]}..${g.rows[g.rows.length - 1]}`) }));
    const results = store.db.transaction(() => parsed.map(({ g, spans }) => ({ g, r: plans.put(g.t.kind, g.t.id, g.categoryId, spans) })))();
    for (const { g, r } of results) record(p, g.t, g.categoryId, r, 'workbook');
    return reply.code(201).send({ groups: results.map(({ g, r }) => ({ subject: SUBJECTS[g.t.kind].param, subject_id: g.t.id, energy_category_id: g.categoryId, ...r })) });
  });

  const window = (q: Query, zone: string, required: boolean): [number, number] => {
    const s = str(q, 'startdatetime');
    const e = str(q, 'enddatetime');
    if (!required && s === undefined && e === undefined) return [-Infinity, Infinity];
    const from = instant(s, zone, 'startdatetime');
    const to = instant(e, zone, 'enddatetime');
    if (to <= from) throw badRequest('API.INVALID_DATETIME', 'enddatetime must be after startdatetime', 'enddatetime');
    return [from, to];
  };
  const optionalCategory = (q: Query) => (str(q, 'energycategoryid') === undefined ? undefined : positiveId(str(q, 'energycategoryid'), 'energycategoryid'));

  app.get('/api/energyplans', async (req) => {
    const p = principalOf(req);
    const q = req.query as Query;
    const t = target(p, str(q, 'subject'), 'subject', str(q, 'subjectid'), 'subjectid');
    const [from, to] = window(q, t.zone, false);
    return plans.list(t.kind, t.id, from, to, optionalCategory(q)).map((r) => ({
      id: r.id,
      energy_category_id: r.energy_category_id,
      start_datetime: r.startLocal,
      end_datetime: r.endLocal,
      start_datetime_utc: new Date(r.start).toISOString().slice(0, 19),
      end_datetime_utc: new Date(r.end).toISOString().slice(0, 19),
      value: r.value,
    }));
  });

  app.delete('/api/energyplans', { config: { role: 'configure' } }, async (req, reply) => {
    const p = principalOf(req);
    const q = req.query as Query;
    const t = target(p, str(q, 'subject'), 'subject', str(q, 'subjectid'), 'subjectid');
    const [from, to] = window(q, t.zone, true);
    const n = plans.remove(t.kind, t.id, from, to, optionalCategory(q));
    audit.record({ userId: p.userId, userName: p.userName, action: 'config.delete', target: `energyplans:${t.kind}:${t.id}`, newValue: { deleted: n }, result: 'ok' });
    return reply.code(200).send({ deleted: n });
  });
}

/** The rows of a plan workbook: first sheet, row 1 a header, from row 2 six cells per row; empty rows skipped. */
async function readPlanWorkbook(bytes: Buffer): Promise<{ row: number; cells: unknown[] }[]> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  } catch {
    throw badRequest('API.INVALID_FILE', 'file_bytes_base64 is not an .xlsx workbook', 'file_bytes_base64');
  }
  const ws = wb.worksheets[0];
  const out: { row: number; cells: unknown[] }[] = [];
  if (!ws) return out;
  for (let r = 2; r <= Math.min(ws.rowCount, MAX_VALUES + 1); r++) {
    const row = ws.getRow(r);
    const cells = [1, 2, 3, 4, 5, 6].map((c) => {
      const v = row.getCell(c).value as unknown;
      if (v && typeof v === 'object' && 'result' in v) return (v as { result: unknown }).result;
      // a date cell is the local wall-clock time the planner typed: exceljs reads it as that time in UTC
      if (v instanceof Date) return v.toISOString().slice(0, 19);
      return v;
    });
    if (cells.every((c) => c === null || c === undefined || c === '')) continue;
    out.push({ row: r, cells });
  }
  return out;
}
