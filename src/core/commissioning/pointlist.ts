import { badRequest } from '../api/errors';

/** RFC 4180 CSV: quoted fields, doubled quotes, CRLF or LF; a UTF-8 BOM is ignored. */
export function parseCsv(text: string): string[][] {
  return [...csvRows(text)];
}

/**
 * The rows of a CSV text one at a time (blank rows skipped), so that a caller can parse a 100,000-row list in
 * slices between which the event loop runs.
 */
export function* csvRows(text: string): Generator<string[]> {
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const s = text.replace(/^\uFEFF/, '');
  const blank = (r: string[]) => r.every((c) => c.trim() === '');
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
      if (!blank(row)) yield row;
      row = [];
      cell = '';
    } else cell += c;
  }
  if (quoted) throw badRequest('API.INVALID_POINT_LIST', 'the CSV ends inside a quoted field');
  if (cell !== '' || row.length) {
    row.push(cell);
    if (!blank(row)) yield row;
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
