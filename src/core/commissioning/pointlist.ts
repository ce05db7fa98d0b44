import { ApiError, badRequest } from '../api/errors';
import type { Registry } from '../model/registry';
import type { RequestContext } from '../model/types';

export interface RowError {
  row: number;
  field: string | null;
  message: string;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; a UTF-8 BOM is ignored. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quoted) {
      if (c === '"' && s[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',' || c === ';') {
      row.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && s[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += c;
  }
  if (quoted) throw badRequest('API.INVALID_POINT_LIST', 'the CSV ends inside a quoted field');
  if (cell !== '' || row.length) {
    row.push(cell);
    rows.push(row);
  }
  return rows.filter((r) => r.some((c) => c.trim() !== ''));
}

export async function parseXlsx(buf: Buffer): Promise<string[][]> {
  // exceljs is loaded when a workbook arrives (it is slow to load and rarely needed)
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  try {
    await wb.xlsx.load(buf as unknown as ArrayBuffer);
  } catch {
    throw badRequest('API.INVALID_POINT_LIST', 'the file is not a readable .xlsx workbook');
  }
  const ws = wb.worksheets[0];
  if (!ws) throw badRequest('API.INVALID_POINT_LIST', 'the workbook has no worksheet');
  const rows: string[][] = [];
  ws.eachRow({ includeEmpty: false }, (r) => {
    const cells: string[] = [];
    for (let c = 1; c <= ws.columnCount; c++) {
      const v = r.getCell(c).value;
      cells.push(v === null || v === undefined ? '' : typeof v === 'object' && 'text' in v ? String(v.text) : typeof v === 'object' && 'result' in v ? String(v.result) : String(v));
    }
    rows.push(cells);
  });
  return rows;
}

const NUMERIC_ADDRESS_KEYS = new Set(['slave_id', 'function_code', 'offset', 'number_of_registers', 'object_id', 'property_array_index', 'bit']);

/**
 * Turns a table (header row of point field names; `address` as JSON or `address.<key>` columns) into points of
 * one data source. All rows are validated; if any is wrong, nothing is imported and every error is reported.
 */
export function importPointRows(ctx: RequestContext, registry: Registry, dataSourceId: number, table: string[][]): { imported: number; ids: number[] } {
  if (table.length < 2) throw badRequest('API.INVALID_POINT_LIST', 'the point list needs a header row and at least one point');
  const header = table[0].map((h) => h.trim());
  if (!header.includes('name')) throw badRequest('API.INVALID_POINT_LIST', 'the header row must name the columns; "name" is missing');
  const def = registry.get('points');
  const known = new Set(def.fields.map((f) => f.name));
  const unknown = header.filter((h) => h && !known.has(h) && !h.startsWith('address.'));
  if (unknown.length) throw badRequest('API.INVALID_POINT_LIST', `unknown columns: ${unknown.join(', ')}`);
  const errors: RowError[] = [];
  const ids: number[] = [];
  const rollback = new Error('rollback');
  try {
    ctx.store.tx(() => {
      table.slice(1).forEach((cells, i) => {
        const rowNo = i + 2;
        const input: Record<string, unknown> = { data_source_id: dataSourceId };
        const address: Record<string, unknown> = {};
        header.forEach((h, c) => {
          const raw = (cells[c] ?? '').trim();
          if (h.startsWith('address.')) {
            if (raw !== '') address[h.slice(8)] = NUMERIC_ADDRESS_KEYS.has(h.slice(8)) && /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
            return;
          }
          if (raw === '' || h === 'data_source_id') return;
          const f = def.fields.find((x) => x.name === h)!;
          input[h] = f.type === 'boolean' ? /^(true|1|yes)$/i.test(raw) : f.type === 'number' || f.type === 'integer' ? (Number.isFinite(Number(raw)) ? Number(raw) : raw) : raw;
        });
        if (Object.keys(address).length) input.address = address;
        try {
          ids.push(registry.create(ctx, def, input));
        } catch (e) {
          if (!(e instanceof ApiError)) throw e;
          errors.push({ row: rowNo, field: e.field ?? null, message: e.message });
        }
      });
      if (errors.length) throw rollback;
    });
  } catch (e) {
    if (e !== rollback) throw e;
    throw new ApiError(400, 'API.BAD_REQUEST', 'API.INVALID_POINT_LIST', `${errors.length} of ${table.length - 1} rows are wrong; nothing was imported`, undefined, { errors });
  }
  return { imported: ids.length, ids };
}
