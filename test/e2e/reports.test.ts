/**
 * End to end: the Reports screen of the real renderer in Chromium on a real server whose meters were loaded
 * through POST /api/points/{id}/history: a space's daily energy report shows the hand-computed figures, the
 * day without data as a gap, and "Export Excel" downloads the workbook (parsed back: same numbers, a chart
 * image); then every report kind of the server's catalog is opened once through the screen (every subject
 * kind, every family). Any console error or page error fails the test.
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

    await page.getByLabel('Subject', { exact: true }).selectOption('spaces');
    const spaceSelect = page.getByLabel('Space', { exact: true });
    await expect.poll(async () => (await spaceSelect.locator('option').allTextContents()).map((t) => t.trim()), { timeout: 10_000 }).toEqual(['Root', 'Site', 'Hall']);
    await spaceSelect.selectOption(String(plant.site));
    await page.getByLabel('Report', { exact: true }).selectOption('spaceenergycategory');
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
    const rows = await result.getByRole('table', { name: 'Reporting Period' }).locator('tbody tr').allTextContents();
    expect(rows.slice(0, 4)).toEqual([`2026-03-02${fmt(d1)}`, `2026-03-03${fmt(d2)}`, '2026-03-04—', `Subtotal${fmt(d1 + d2)}`]);
    // the peak types of the fixture's tariff: 08-20 onpeak, else offpeak
    const onpeak = [1, 2].reduce((a, d) => a + [riseM1, riseM2].reduce((b, rise) => b + Array.from({ length: 12 }, (_, k) => rise(d * 24 + 8 + k)).reduce((x, y) => x + y, 0), 0), 0);
    const peaks = await result.getByRole('table', { name: /By peak type/ }).locator('tbody tr').allTextContents();
    expect(peaks).toContain(`onpeak${fmt(onpeak)}`);
    expect(peaks).toContain(`offpeak${fmt(d1 + d2 - onpeak)}`);
    await page.getByRole('img', { name: /Energy Category Data \(kWh\) chart/ }).locator('canvas').waitFor();
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

  it('opens every report kind of the catalog once, for every subject kind, without an error', async () => {
    const api = async <T>(method: string, route: string, data?: unknown): Promise<T> => {
      const r = await fetch(`${e2e.server.url}/api${route}`, { method, headers: e2e.headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${text}`);
      return (text ? JSON.parse(text) : null) as T;
    };
    // one subject of every kind the catalog has
    const cc = plant.costCenter;
    const contact = await api<{ id: number }>('POST', '/contacts', { name: 'Desk', email: 'desk@plant.test', phone: '+49 30 1234' });
    const tenantType = await api<{ id: number }>('POST', '/tenanttypes', { name: 'Office', simplified_code: 'OF' });
    const tenant = await api<{ id: number }>('POST', '/tenants', { name: 'Acme', buildings: 'A', floors: '2', rooms: '201', area: 40, tenant_type_id: tenantType.id, is_input_counted: true, is_key_tenant: false, lease_number: 'L-1', lease_start_datetime: '2026-01-01T00:00:00', lease_end_datetime: '2027-01-01T00:00:00', is_in_lease: true, contact_id: contact.id, cost_center_id: cc });
    await api('POST', `/tenants/${tenant.id}/meters`, { meter_id: plant.m1 });
    const storeType = await api<{ id: number }>('POST', '/storetypes', { name: 'Retail', simplified_code: 'RT' });
    const store = await api<{ id: number }>('POST', '/stores', { name: 'Kiosk', address: 'Main street 1', area: 20, store_type_id: storeType.id, is_input_counted: true, contact_id: contact.id, cost_center_id: cc });
    await api('POST', `/stores/${store.id}/meters`, { meter_id: plant.m2 });
    const floor = await api<{ id: number }>('POST', '/shopfloors', { name: 'Line 1', area: 80, is_input_counted: true, contact_id: contact.id, cost_center_id: cc });
    await api('POST', `/shopfloors/${floor.id}/meters`, { meter_id: plant.m2 });
    const combined = await api<{ id: number }>('POST', '/combinedequipments', { name: 'Plant room', is_input_counted: true, is_output_counted: false, cost_center_id: cc });
    await api('POST', `/combinedequipments/${combined.id}/equipments`, { equipment_id: plant.equipment });
    await api('POST', '/virtualmeters', { name: 'V', energy_category_id: plant.electricity.id, cost_center_id: cc, expression: { equation: 'x1+x2', variables: [{ name: 'x1', meter_type: 'meter', meter_id: plant.m1 }, { name: 'x2', meter_type: 'meter', meter_id: plant.m2 }] } });
    await api('POST', '/offlinemeters', { name: 'By hand', energy_category_id: plant.electricity.id, cost_center_id: cc, hourly_low_limit: 0, hourly_high_limit: 100 });
    const d = await api<{ id: number }>('POST', '/energyflowdiagrams', { name: 'Flow' });
    const n1 = await api<{ id: number }>('POST', `/energyflowdiagrams/${d.id}/nodes`, { name: 'Grid' });
    const n2 = await api<{ id: number }>('POST', `/energyflowdiagrams/${d.id}/nodes`, { name: 'Hall' });
    const uuid = (await api<{ uuid: string }>('GET', `/meters/${plant.m1}`)).uuid;
    await api('POST', `/energyflowdiagrams/${d.id}/links`, { source_node_id: n1.id, target_node_id: n2.id, meter_uuid: uuid });

    // plants: a distribution system, a microgrid and an energy storage station (without devices: empty reports)
    await api('POST', '/distributionsystems', { name: 'LV board', svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' });
    await api('POST', '/microgrids', { name: 'Island', capacity: 500, contact_id: contact.id, cost_center_id: cc });
    await api('POST', '/energystoragepowerstations', { name: 'Station', capacity: 1000, contact_id: contact.id, cost_center_id: cc });

    // every family once and every subject kind once
    const catalog = await api<{ name: string; label: string; subject: { kind: string; label: string } | null; periodTypes: string[]; base: boolean }[]>('GET', '/reports/catalog');
    const families = new Set<string>();
    const kinds = new Set<string>();
    const pick = catalog.filter((r) => {
      const kind = r.subject?.kind ?? '';
      const fresh = !families.has(r.label) || !kinds.has(kind);
      families.add(r.label);
      kinds.add(kind);
      return fresh;
    });
    expect(kinds.size).toBeGreaterThanOrEqual(10);
    expect(families.size).toBeGreaterThanOrEqual(15);

    await page.goto(`${e2e.server.url}/#/reports`);
    // signed in by the first test; alone (-t) it signs in itself
    const password = page.locator('input[type="password"]');
    await Promise.race([password.waitFor({ timeout: 15_000 }), page.getByRole('heading', { name: 'Reports' }).waitFor({ timeout: 15_000 })]);
    if (await password.isVisible()) {
      await page.locator('input:not([type="password"]):not([type="hidden"]):not([type="checkbox"])').first().fill('administrator');
      await password.fill(PASSWORD);
      await password.press('Enter');
    }
    await page.getByRole('heading', { name: 'Reports' }).waitFor({ timeout: 15_000 });
    const run = page.getByRole('button', { name: 'Run report' });
    const opened: string[] = [];
    for (const r of pick) {
      await page.getByLabel('Subject', { exact: true }).selectOption(r.subject?.kind ?? '');
      await page.getByLabel('Report', { exact: true }).selectOption(r.name);
      if (r.periodTypes.length > 1) await page.getByLabel('Period type').selectOption(r.periodTypes.includes('daily') ? 'daily' : r.periodTypes[0]);
      if (r.periodTypes.length) {
        await page.getByLabel('From', { exact: true }).fill('2026-03-02');
        await page.getByLabel('To (exclusive)').fill('2026-03-05');
      }
      if (r.base) {
        await page.getByLabel('Base from').fill('2026-03-01');
        await page.getByLabel('Base to').fill('2026-03-02');
      }
      await expect.poll(() => run.isEnabled(), { timeout: 15_000, message: `${r.name}: a subject to pick` }).toBe(true);
      await run.click();
      const result = page.getByLabel('Report result');
      await expect
        .poll(async () => ((await page.getByRole('alert').count()) ? `alert: ${await page.getByRole('alert').textContent()}` : (await result.count()) ? 'shown' : 'waiting'), { timeout: 60_000, message: r.name })
        .toBe('shown');
      expect(await result.locator('h2').textContent(), r.name).toBeTruthy();
      expect(await result.locator('table, .report-figure').count(), r.name).toBeGreaterThan(0);
      opened.push(r.name);
    }
    expect(opened).toContain('dashboard');
    expect(opened).toContain('meterrealtime');
    expect(opened).toContain('energyflowdiagram');
    expect(opened).toContain('tenantbill');
    expect(opened).toContain('metertracking');
    expect(opened).toContain('spacesaving');
    for (const name of ['distributionsystem', 'microgriddetails', 'microgridsenergy', 'microgriddashboard', 'energystoragepowerstationdashboard', 'energystoragepowerstationdetails', 'energystoragepowerstationreportingenergy']) expect(opened).toContain(name);
    expect(consoleErrors).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  }, 600_000);
});
