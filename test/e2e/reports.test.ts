/**
 * End to end: the Reports screen of the real renderer in Chromium on a real server whose meters were loaded
 * through POST /api/points/{id}/history: a space's daily energy report shows the hand-computed figures, the
 * day without data as a gap, and "Export Excel" downloads the workbook (parsed back: same numbers, a chart
 * image). Any console error or page error fails the test.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ExcelJS from 'exceljs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPlantWith, dayEnergy, riseM1, riseM2, type Plant } from '../reports/fixture';
import { ARTIFACTS_DIR, type E2eServer, haveChromium, startE2e } from './support/browser';

const PASSWORD = 'E2e-Reports-Pass-1';

describe.skipIf(!haveChromium())('the Reports screen in Chromium', () => {
  let e2e: E2eServer;
  let page: Page;
  let plant: Plant;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    e2e = await startE2e('--empty', PASSWORD);
    page = e2e.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    const api = async <T>(method: string, route: string, data?: unknown) => {
      const r = await fetch(`${e2e.server.url}/api${route}`, { method, headers: e2e.headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
      const text = await r.text();
      return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
    };
    // the server runs in its own process: wait until the imported hours are in the meter's report
    const settled = async () => {
      for (let i = 0; i < 600; i++) {
        const r = await api<{ reporting_period?: { total_in_category: number } }>('GET', `/reports/meterenergy?meterid=1&periodtype=daily&reportingperiodstartdatetime=2026-03-01T00:00:00&reportingperiodenddatetime=2026-03-04T00:00:00&quickmode=true`);
        const r2 = await api<{ reporting_period?: { total_in_category: number } }>('GET', `/reports/meterenergy?meterid=2&periodtype=daily&reportingperiodstartdatetime=2026-03-01T00:00:00&reportingperiodenddatetime=2026-03-04T00:00:00&quickmode=true`);
        const want1 = [0, 1, 2].reduce((a, d) => a + dayEnergy(riseM1, d), 0);
        const want2 = [0, 1, 2].reduce((a, d) => a + dayEnergy(riseM2, d), 0);
        if (Math.abs((r.body?.reporting_period?.total_in_category ?? 0) - want1) < 1e-6 && Math.abs((r2.body?.reporting_period?.total_in_category ?? 0) - want2) < 1e-6) return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('the energy of the imported history never arrived');
    };
    plant = await buildPlantWith(api, settled);
  }, 360_000);

  afterAll(async () => e2e?.stop());

  it('shows a space energy report with its change against the base period and downloads its workbook', async () => {
    await page.goto(`${e2e.server.url}/#/reports`);
    const password = page.locator('input[type="password"]');
    await password.waitFor({ timeout: 15_000 });
    await page.locator('input:not([type="password"]):not([type="hidden"]):not([type="checkbox"])').first().fill('administrator');
    await password.fill(PASSWORD);
    await password.press('Enter');
    await page.getByRole('heading', { name: 'Reports' }).waitFor({ timeout: 15_000 });

    await page.getByLabel('Subject').selectOption('spaces');
    const spaceSelect = page.getByLabel('Space', { exact: true });
    await expect.poll(async () => (await spaceSelect.locator('option').allTextContents()).map((t) => t.trim()), { timeout: 10_000 }).toEqual(['Root', 'Site', 'Hall']);
    await spaceSelect.selectOption(String(plant.site));
    await page.getByLabel('Report', { exact: true }).selectOption('energycategory');
    await page.getByLabel('Period type').selectOption('daily');
    await page.getByLabel('From', { exact: true }).fill('2026-03-02');
    await page.getByLabel('To (exclusive)').fill('2026-03-05');
    await page.getByLabel('Base from').fill('2026-03-01');
    await page.getByLabel('Base to').fill('2026-03-02');
    await page.getByRole('button', { name: 'Run report' }).click();

    const result = page.getByLabel('Report result');
    await result.waitFor({ timeout: 20_000 });
    const d1 = dayEnergy(riseM1, 1) + dayEnergy(riseM2, 1);
    const d2 = dayEnergy(riseM1, 2) + dayEnergy(riseM2, 2);
    const b0 = dayEnergy(riseM1, 0) + dayEnergy(riseM2, 0);
    const fmt = (v: number) => new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(v);
    const figures = await result.locator('.report-figure').allTextContents();
    const electricity = figures.find((f) => f.startsWith('Electricity'))!;
    expect(electricity).toContain(fmt(d1 + d2));
    expect(electricity).toContain(`${(((d1 + d2 - b0) / b0) * 100).toFixed(1)} %`);
    expect(electricity).toContain('1 period(s) without data');
    const rows = await result.getByRole('table', { name: 'Report periods' }).locator('tbody tr').allTextContents();
    expect(rows).toEqual([`2026-03-02${fmt(d1)}`, `2026-03-03${fmt(d2)}`, '2026-03-04—']);
    await page.getByRole('img', { name: /Energy by category chart/ }).locator('canvas').waitFor();
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'reports-space-energy.png') }).catch(() => undefined);

    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 30_000 }), page.getByRole('button', { name: 'Export Excel' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-e2e-xlsx-'));
    try {
      const file = path.join(dir, 'report.xlsx');
      await download.saveAs(file);
      const wb = new ExcelJS.Workbook();
      await wb.xlsx.readFile(file);
      const ws = wb.worksheets[0];
      expect(ws.getImages()).toHaveLength(1);
      const cells: unknown[][] = [];
      ws.eachRow((r) => cells.push((r.values as unknown[]).slice(1)));
      expect(cells.find((r) => r[0] === '2026-03-02')?.[1]).toBeCloseTo(d1, 6);
      expect(cells.find((r) => r[0] === '2026-03-03')?.[1]).toBeCloseTo(d2, 6);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    // a bad period is a clear message on the screen, not a frozen page
    await page.getByLabel('Period type').selectOption('hourly');
    await page.getByLabel('From', { exact: true }).fill('2026-01-01');
    await page.getByRole('button', { name: 'Run report' }).click();
    await expect.poll(async () => page.getByRole('alert').textContent(), { timeout: 10_000 }).toContain('31 days');

    expect(consoleErrors).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  }, 240_000);
});
