/**
 * Point-list import without holding up the plant. The rows are parsed and validated in slices of a few
 * milliseconds, with the event loop free between them (scans, the API and the live stream go on), into a
 * staging table of this import; then one short transaction re-checks what may have changed meanwhile and
 * moves the staged rows into `points` with a single INSERT ... SELECT, together with the audit entry.
 * All or nothing: when any row is wrong nothing is imported and every wrong row is reported with its field.
 */
import { randomUUID } from 'node:crypto';
import { ApiError, badRequest, notFound } from '../api/errors';
import type { Registry } from '../model/registry';
import { runMany } from '../store/batch';
import type { RequestContext } from '../model/types';

export interface RowError {
  row: number;
  field: string | null;
  message: string;
}

export interface ImportResult {
  imported: number;
  ids: number[];
}

/** A slice of parsing and validation runs at most this long before the event loop gets its turn. */
export const SLICE_MS = 8;
/** An answer lists at most this many wrong rows (and says how many there are). */
const MAX_REPORTED = 1000;
const NUMERIC_ADDRESS_KEYS = new Set(['slave_id', 'function_code', 'offset', 'number_of_registers', 'object_id', 'property_array_index', 'bit']);

let sequence = 0;
const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Imports the rows (header row first: point field names; `address` as JSON or `address.<key>` columns) as points
 * of one data source. `inCommit` runs inside the final transaction (the audit entry commits with the points).
 */
export async function importPointList(
  ctx: RequestContext,
  registry: Registry,
  dataSourceId: number,
  rows: Iterable<string[]>,
  opts: { inCommit?: (r: ImportResult) => void; sliceMs?: number } = {},
): Promise<ImportResult> {
  const { db } = ctx.store;
  const sliceMs = opts.sliceMs ?? SLICE_MS;
  const def = registry.get('points');
  const it = rows[Symbol.iterator]();
  const first = it.next();
  if (first.done) throw badRequest('API.INVALID_POINT_LIST', 'the point list needs a header row and at least one point');
  const header = first.value.map((h) => h.trim());
  if (!header.includes('name')) throw badRequest('API.INVALID_POINT_LIST', 'the header row must name the columns; "name" is missing');
  const known = new Set(def.fields.map((f) => f.name));
  const unknown = header.filter((h) => h && !known.has(h) && !h.startsWith('address.'));
  if (unknown.length) throw badRequest('API.INVALID_POINT_LIST', `unknown columns: ${unknown.join(', ')}`);
  const fieldOf = new Map(def.fields.map((f) => [f.name, f]));
  const protocolOf = () => (db.prepare('SELECT protocol FROM data_sources WHERE id = ?').get(dataSourceId) as { protocol: string } | undefined)?.protocol;
  const protocol = protocolOf();
  if (protocol === undefined) throw notFound('API.DATA_SOURCE_NOT_FOUND', `data source ${dataSourceId} does not exist`);

  // the columns a created point has (uuid when the entity has one); the staging table has the same ones
  const cols = def.fields.filter((f) => !f.readOnly || f.default !== undefined).map((f) => f.name);
  if (def.uuid !== false) cols.push('uuid');
  const stage = `pointlist_stage_${process.pid}_${++sequence}`;
  // the columns typed as in points (PostgreSQL needs a type; on SQLite the same affinity the insert into points applies)
  db.exec(`CREATE TEMP TABLE ${stage} AS SELECT 0 AS seq, ${cols.join(', ')} FROM points WHERE 1 = 0`);
  try {
    const put = db.prepare(`INSERT INTO temp.${stage} (seq, ${cols.join(', ')}) VALUES (?${', ?'.repeat(cols.length)})`);
    const errors: RowError[] = [];
    let errorCount = 0;
    const wrong = (e: RowError) => {
      errorCount++;
      if (errors.length < MAX_REPORTED) errors.push(e);
    };
    const names = new Map<string, number>();
    let staged: unknown[][] = [];
    const flush = () => {
      if (!staged.length) return;
      const batch = staged;
      staged = [];
      // one round trip on PostgreSQL (store/batch.ts)
      db.transaction(() => runMany(put, batch))();
    };
    let total = 0;
    let rowNo = 1;
    let sliceStart = performance.now();
    for (let next = it.next(); !next.done; next = it.next()) {
      rowNo++;
      total++;
      const cells = next.value;
      const input: Record<string, unknown> = { data_source_id: dataSourceId };
      const address: Record<string, unknown> = {};
      header.forEach((h, c) => {
        const raw = (cells[c] ?? '').trim();
        if (h.startsWith('address.')) {
          if (raw !== '') address[h.slice(8)] = NUMERIC_ADDRESS_KEYS.has(h.slice(8)) && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
          return;
        }
        if (raw === '' || h === 'data_source_id' || h === '') return;
        const f = fieldOf.get(h)!;
        input[h] = f.type === 'boolean' ? /^(true|1|yes)$/i.test(raw) : f.type === 'number' || f.type === 'integer' ? (Number.isFinite(Number(raw)) ? Number(raw) : raw) : raw;
      });
      if (Object.keys(address).length) input.address = address;
      try {
        const values = registry.validate(ctx.store, def, input, null);
        def.hooks?.beforeWrite?.(values, { ...ctx, id: null, existing: null });
        const name = String(values.name);
        const twin = names.get(name);
        if (twin !== undefined) throw badRequest('API.POINT_NAME_IS_ALREADY_IN_USE', `name "${name}" is also on row ${twin} of the list`, 'name');
        names.set(name, rowNo);
        if (def.uuid !== false && typeof values.uuid !== 'string') values.uuid = randomUUID();
        if (errorCount === 0) staged.push([rowNo, ...cols.map((c) => values[c] ?? null)]);
      } catch (e) {
        if (!(e instanceof ApiError)) throw e;
        wrong({ row: rowNo, field: e.field ?? null, message: e.message });
      }
      if (performance.now() - sliceStart >= sliceMs) {
        if (errorCount === 0) flush();
        await breathe();
        sliceStart = performance.now();
      }
    }
    if (total === 0) throw badRequest('API.INVALID_POINT_LIST', 'the point list needs a header row and at least one point');
    if (errorCount) throw rowsWrong(errors, errorCount, total);
    flush();

    // the short commit: what may have changed while the event loop ran is checked again, then one statement
    return ctx.store.tx(() => {
      const now = protocolOf();
      if (now === undefined) throw notFound('API.DATA_SOURCE_NOT_FOUND', `data source ${dataSourceId} was deleted during the import; nothing was imported`);
      if (now !== protocol) {
        throw new ApiError(409, 'API.CONFLICT', 'API.DATA_SOURCE_CHANGED', `data source ${dataSourceId} changed its protocol during the import (${protocol} -> ${now}); nothing was imported`);
      }
      const clashes = db
        .prepare(`SELECT s.seq AS seq, s.name AS name FROM temp.${stage} s JOIN points p ON p.data_source_id = ? AND p.name = s.name ORDER BY s.seq LIMIT ${MAX_REPORTED}`)
        .all(dataSourceId) as { seq: number; name: string }[];
      if (clashes.length) {
        const list = clashes.map((c) => ({ row: c.seq, field: 'name', message: `name "${c.name}" is already in use by another point` }));
        throw rowsWrong(list, list.length, total);
      }
      const info = db.prepare(`INSERT INTO points (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM temp.${stage} ORDER BY seq`).run();
      // one statement into an AUTOINCREMENT table with no other writer: the new ids are the run that ends at the last
      // one (reading 100,000 ids back cost ~130 ms of the commit)
      const last = Number(info.lastInsertRowid);
      const ids = Array.from({ length: info.changes }, (_, i) => last - info.changes + 1 + i);
      if (def.hooks?.afterWrite) for (const id of ids) def.hooks.afterWrite(id, { ...ctx, op: 'create' });
      const result = { imported: ids.length, ids };
      opts.inCommit?.(result);
      return result;
    });
  } finally {
    try {
      db.exec(`DROP TABLE IF EXISTS temp.${stage}`);
    } catch {
      /* the store closed meanwhile (the runtime is stopping) */
    }
  }
}

function rowsWrong(errors: RowError[], count: number, total: number): ApiError {
  const shown = count > errors.length ? ` (the first ${errors.length} are listed)` : '';
  return new ApiError(400, 'API.BAD_REQUEST', 'API.INVALID_POINT_LIST', `${count} of ${total} rows are wrong; nothing was imported${shown}`, undefined, { errors });
}
