import { badRequest } from '../api/errors';

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; a UTF-8 BOM is ignored. */
export function parseCsv(text: string): string[][] {
  return [...csvRows(text)];
}

/**
 * The rows of a CSV text one at a time (blank rows skipped), so that a caller can parse a 100,000-row list in
 * slices between which the event loop runs. Cells are cut out of the text with indexOf and slice, never built
 * a character at a time: a 19 MB cell costs one copy, not a rope of 19 million pieces.
 */
/** Longer cells are refused at once: no point field needs them, and a 19 MB cell would only be validated to fail. */
export const MAX_CELL = 65_536;

export function* csvRows(text: string): Generator<string[]> {
  const s = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const n = s.length;
  const delimiter = /[,;\r\n]/g;
  const blank = (r: string[]) => r.every((c) => c.trim() === '');
  let row: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (s[i] === '"') {
      // a quoted cell: up to the closing quote, "" standing for one quote; what follows it up to the delimiter too
      const parts: string[] = [];
      let j = i + 1;
      for (;;) {
        const q = s.indexOf('"', j);
        if (q < 0) throw badRequest('API.INVALID_POINT_LIST', 'the CSV ends inside a quoted field');
        parts.push(s.slice(j, q));
        if (s[q + 1] === '"') {
          parts.push('"');
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      cell = parts.join('');
    }
    delimiter.lastIndex = i;
    const m = delimiter.exec(s);
    const end = m ? m.index : n;
    if (end - i + cell.length > MAX_CELL) throw badRequest('API.INVALID_POINT_LIST', `a cell is longer than ${MAX_CELL} characters (no point field needs that many)`);
    row.push(cell + s.slice(i, end));
    if (end >= n) {
      if (!blank(row)) yield row;
      return;
    }
    const c = s[end];
    i = end + 1;
    if (c === '\r' || c === '\n') {
      if (c === '\r' && s[i] === '\n') i++;
      if (!blank(row)) yield row;
      row = [];
      if (i >= n) return;
    }
  }
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
