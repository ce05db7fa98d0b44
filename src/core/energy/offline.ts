/**
 * Offline meters: the uploaded offline-meter workbooks (files kind `offline_meter`, MyEMS's layout: A2 the
 * year, B2 the month; from row 3 on, column A the offline meter's id, B its name, and from column D on the
 * value of day 1, 2, ...; an empty cell ends the row) become hourly energy. A day's value is spread evenly over
 * the hours of that local day in the meter's zone (23 or 25 on DST days). A later file's value for a meter and
 * day replaces an earlier one's; deleting a file takes its values away. An hour outside the meter's hourly
 * limits is kept and flagged, like a measured one.
 */
import { DateTime } from 'luxon';
import type { Db } from '../store/store';
import { FLAG_FLAGGED, HOUR, type HourValue } from './normalize';

/** offline meter id -> local date (yyyy-MM-dd) -> the day's value */
export type OfflineDays = Map<number, Map<string, number>>;

const cellNumber = (v: unknown): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (v && typeof v === 'object' && 'result' in v) return cellNumber((v as { result: unknown }).result);
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return null;
};

/** reads one workbook into `into`; answers how many day values it held */
export async function readOfflineWorkbook(bytes: Buffer, into: OfflineDays): Promise<number> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(bytes as unknown as ArrayBuffer);
  const ws = wb.worksheets[0];
  if (!ws) return 0;
  const year = cellNumber(ws.getCell('A2').value);
  const month = cellNumber(ws.getCell('B2').value);
  if (year === null || month === null || month < 1 || month > 12) return 0;
  let n = 0;
  for (let r = 3; r <= Math.min(ws.rowCount, 1024); r++) {
    const row = ws.getRow(r);
    const id = cellNumber(row.getCell(1).value);
    if (id === null || row.getCell(2).value === null) continue;
    let days = into.get(id);
    if (!days) into.set(id, (days = new Map()));
    for (let day = 1; day <= 31; day++) {
      const date = DateTime.fromObject({ year, month, day });
      if (!date.isValid || date.month !== month) break;
      const v = cellNumber(row.getCell(3 + day).value);
      if (v === null) break;
      days.set(date.toFormat('yyyy-MM-dd'), v);
      n++;
    }
  }
  return n;
}

/** all uploaded offline-meter files, oldest first (a later file wins) */
export async function readOfflineFiles(db: Db, log: (line: string) => void): Promise<OfflineDays> {
  const out: OfflineDays = new Map();
  const files = db.prepare("SELECT id, file_name, file_object FROM uploaded_files WHERE kind = 'offline_meter' ORDER BY id").all() as { id: number; file_name: string; file_object: Buffer }[];
  for (const f of files) {
    try {
      await readOfflineWorkbook(f.file_object, out);
    } catch (e) {
      log(`energy: offline meter file ${f.file_name} could not be read: ${(e as Error).message}`);
    }
  }
  return out;
}

/** the hours of an offline meter's days in its zone */
export function offlineHours(days: Map<string, number>, zone: string, low: number, high: number): HourValue[] {
  const out: HourValue[] = [];
  for (const [date, value] of days) {
    const start = DateTime.fromISO(date, { zone }).startOf('day');
    const from = start.toMillis();
    const to = start.plus({ days: 1 }).toMillis();
    const hours = Math.round((to - from) / HOUR);
    const each = value / hours;
    const flags = each < low || each > high ? FLAG_FLAGGED : 0;
    for (let h = from; h < to; h += HOUR) out.push({ hour: h, value: each, flags });
  }
  return out.sort((a, b) => a.hour - b.hour);
}
