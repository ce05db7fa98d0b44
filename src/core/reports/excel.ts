/**
 * A report's workbook: a title block (report, subject, periods, time zone), the key figures with their
 * change against the base period, the charts as PNG images, then each table. Cells of periods without data
 * are empty (not 0). exceljs loads on first use.
 */
import { renderChartPng } from './chart';
import type { ReportDoc } from './doc';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const CHART_W = 960;
const CHART_H = 420;

export async function buildWorkbook(doc: ReportDoc): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const wb = new ExcelJS.Workbook();
  wb.creator = 'Switchyard';
  wb.created = new Date();
  const ws = wb.addWorksheet(doc.title.slice(0, 31).replace(/[\\/?*[\]:]/g, ' ') || 'Report');
  ws.getColumn(1).width = 26;
  for (let c = 2; c <= 12; c++) ws.getColumn(c).width = 18;
  let r = 1;
  const put = (values: (string | number | null)[], bold = false) => {
    const row = ws.getRow(r++);
    values.forEach((v, i) => {
      const cell = row.getCell(i + 1);
      cell.value = v === null || (typeof v === 'number' && !Number.isFinite(v)) ? null : v;
      if (bold) cell.font = { bold: true };
    });
    return row;
  };
  ws.getRow(r).getCell(1).value = doc.title;
  ws.getRow(r).getCell(1).font = { bold: true, size: 16 };
  r += 2;
  put([doc.subjectLabel, doc.subjectName]);
  if (doc.reporting) put(['Reporting period', `${doc.reporting.start} – ${doc.reporting.end}`]);
  if (doc.base) put(['Base period', `${doc.base.start} – ${doc.base.end}`]);
  if (doc.periodType) put(['Period type', doc.periodType]);
  put(['Time zone', doc.timezone]);
  for (const n of doc.notes) put(['Note', n]);
  r++;

  if (doc.figures.length) {
    put(['Key figures', 'Reporting period', 'Unit', 'Base period', 'Change'], true);
    for (const f of doc.figures) {
      const row = put([f.label, f.value, f.unit, f.base ?? null, f.rate ?? null]);
      row.getCell(5).numFmt = '0.00%';
    }
    r++;
  }

  for (const c of doc.charts) {
    if (!c.categories.length || !c.series.length) continue;
    const png = await renderChartPng(c, CHART_W, CHART_H);
    const id = wb.addImage({ buffer: png as never, extension: 'png' });
    ws.addImage(id, { tl: { col: 0, row: r - 1 }, ext: { width: CHART_W * 0.75, height: CHART_H * 0.75 } });
    // leave the rows the image covers (default row height 20 px)
    r += Math.ceil((CHART_H * 0.75) / 20) + 1;
  }

  for (const t of doc.tables) {
    put([t.title], true);
    put(t.columns, true);
    for (const row of t.rows) put(row);
    r++;
  }
  return Buffer.from(await wb.xlsx.writeBuffer());
}

export function workbookName(doc: ReportDoc): string {
  const safe = `${doc.title}-${doc.subjectName}`.replace(/[^\w.-]+/g, '-').replace(/-+/g, '-').slice(0, 100);
  return `${safe}${doc.reporting ? '-' + doc.reporting.start.slice(0, 10) : ''}.xlsx`;
}
