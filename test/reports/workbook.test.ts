import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import type { ReportDoc } from '../../src/core/reports/doc';
import { buildWorkbook } from '../../src/core/reports/excel';

const days = Array.from({ length: 31 }, (_, i) => `2026-03-${String(i + 1).padStart(2, '0')}`);
const elec = days.map((_, i) => (i === 10 ? null : 100 + i * 3.5));
const water = days.map((_, i) => 20 + (i % 7));

const doc: ReportDoc = {
  title: 'Space Energy Category Data',
  subjectLabel: 'Space',
  subjectName: 'Site Nord',
  periodType: 'daily',
  reporting: { start: '2026-03-01T00:00:00', end: '2026-04-01T00:00:00' },
  base: { start: '2026-02-01T00:00:00', end: '2026-03-01T00:00:00' },
  timezone: 'Europe/Berlin',
  figures: [{ label: 'Electricity', unit: 'kWh', value: 4200.5, base: 4000, rate: 0.050125 }],
  charts: [{ title: 'Energy Category Data (kWh, m3)', categories: days, series: [{ name: 'Electricity', values: elec }, { name: 'Water', values: water }], unit: 'kWh, m3', kind: 'bar', stacked: false }],
  tables: [{ title: 'Reporting Period', columns: ['Datetime', 'Electricity (kWh)', 'Water (m3)'], rows: days.map((d, i) => [d, elec[i], water[i]]) }],
  notes: ['Periods without data are empty cells, not zeros; subtotals sum the known periods.'],
};

describe('report workbook', () => {
  it('parses back with exceljs to the same numbers, empty cells for missing periods, and one PNG chart', async () => {
    const bytes = await buildWorkbook(doc);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(bytes as never);
    const ws = wb.worksheets[0];
    expect(ws.getImages()).toHaveLength(1);
    const rows: unknown[][] = [];
    ws.eachRow((r) => rows.push((r.values as unknown[]).slice(1)));
    for (const [i, d] of days.entries()) {
      const row = rows.find((r) => r[0] === d)!;
      expect(row[1] ?? null).toBe(elec[i]);
      expect(row[2]).toBe(water[i]);
    }
    expect(rows.find((r) => r[0] === 'Electricity')?.slice(0, 5)).toEqual(['Electricity', 4200.5, 'kWh', 4000, 0.050125]);
    expect(rows[0][0]).toBe('Space Energy Category Data');
  });

  it('opens in LibreOffice without repair: converts to PDF with the title, the table and the chart on the page', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-xlsx-'));
    try {
      const file = path.join(dir, 'report.xlsx');
      fs.writeFileSync(file, await buildWorkbook(doc));
      execFileSync('soffice', [`-env:UserInstallation=file://${dir}/profile`, '--headless', '--convert-to', 'pdf', '--outdir', dir, file], { timeout: 120_000, stdio: 'pipe' });
      const pdf = path.join(dir, 'report.pdf');
      expect(fs.existsSync(pdf)).toBe(true);
      const text = execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' });
      expect(text).toContain('Space Energy Category Data');
      expect(text).toContain('Site Nord');
      expect(text).toContain('2026-03-31');
      // the first page renders, and the PDF carries the chart as an image
      execFileSync('pdftoppm', ['-png', '-r', '40', '-f', '1', '-l', '1', pdf, path.join(dir, 'page')], { timeout: 60_000 });
      const page = fs.readdirSync(dir).find((f) => f.startsWith('page') && f.endsWith('.png'));
      expect(page).toBeDefined();
      const png = fs.readFileSync(path.join(dir, page!));
      expect(png.length).toBeGreaterThan(5_000);
      const images = execFileSync('pdfimages', ['-list', pdf], { encoding: 'utf8' });
      expect(images.split('\n').filter((l) => /\bimage\b/.test(l)).length).toBeGreaterThanOrEqual(1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
