/**
 * End to end: an alarm raised in a real server (a simulated point above its high limit, through acquisition,
 * the value bus and the alarm service) is shown in the banner and the alarm list of the real renderer in
 * Chromium, acknowledged there with a comment, and the acknowledgement is found in the API, the alarm
 * history and the audit log screen.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, type E2eServer, haveChromium, startE2e } from './support/browser';
import { sampleReadability } from './support/readability';

const PASSWORD = 'E2e-Alarms-Pass-1';

describe.skipIf(!haveChromium())('alarms end to end in Chromium', () => {
  let e2e: E2eServer;
  let server: E2eServer['server'];
  let page: Page;
  let headers: Record<string, string>;
  let pointId: number;
  const api = async <T>(method: string, route: string, data?: unknown): Promise<T> => {
    const r = await fetch(`${server.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const body = (await r.json()) as T;
    if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(body)}`);
    return body;
  };

  beforeAll(async () => {
    e2e = await startE2e('--empty', PASSWORD);
    ({ server, page, headers } = e2e);
    const gw = await api<{ id: number }>('POST', '/gateways', { name: 'Training GW' });
    const ds = await api<{ id: number }>('POST', '/datasources', { name: 'Simulator', gateway_id: gw.id, protocol: 'simulation', connection: { interval_in_seconds: 0.5 } });
    const p = await api<{ id: number }>('POST', '/points', {
      name: 'Transformer T1 oil temperature',
      data_source_id: ds.id,
      object_type: 'ANALOG_VALUE',
      units: '°C',
      high_limit: 85,
      is_trend: true,
      address: { waveform: 'constant', offset: 97 },
    });
    pointId = p.id;
  }, 360_000);

  afterAll(async () => e2e?.stop());

  it('raises the alarm in the server', async () => {
    for (let i = 0; i < 100; i++) {
      const list = await api<{ point_id: number; condition: string; state: string }[]>('GET', '/alarms?state=active');
      if (list.some((a) => a.point_id === pointId && a.condition === 'HI' && a.state === 'UNACK')) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no HI alarm from the simulated point');
  });

  it('logs in, shows the alarm in the banner and the list, and acknowledges it from the UI with a comment', async () => {
    await page.goto(server.url);
    const password = page.locator('input[type="password"]');
    await password.waitFor({ timeout: 15_000 });
    await page.locator('input:not([type="password"]):not([type="hidden"]):not([type="checkbox"])').first().fill('administrator');
    await password.fill(PASSWORD);
    await password.press('Enter');
    const banner = page.getByTestId('alarm-banner');
    await banner.waitFor({ timeout: 15_000 });
    await expect.poll(async () => banner.getAttribute('data-unacknowledged'), { timeout: 10_000 }).toBe('1');
    await expect.poll(async () => page.getByTestId('alarm-newest').textContent(), { timeout: 10_000 }).toContain('Transformer T1 oil temperature HI');
    expect(await banner.getAttribute('data-audible')).toBe('on');
    await page.evaluate(() => (window.location.hash = '#/alarms'));
    await page.locator('[data-testid="alarm-table"] tr[data-state="UNACK"]').first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'alarms-unacknowledged.png') }).catch(() => undefined);
    // while it waits for acknowledgement only the marker blinks: the row's text keeps WCAG AA contrast
    const unackRow = page.locator('[data-testid="alarm-table"] tr[data-state="UNACK"]').first();
    const samples = await sampleReadability(unackRow.locator('td').nth(3));
    for (const s of samples) {
      expect(s.opacity).toBe(1);
      expect(s.contrast).toBeGreaterThanOrEqual(4.5);
    }
    const marker = await sampleReadability(unackRow.getByRole('img', { name: 'Unacknowledged' }));
    expect(Math.min(...marker.map((s) => s.opacity))).toBeLessThan(0.5); // the marker does blink
    expect(Math.max(...marker.map((s) => s.opacity))).toBe(1);
    await page.getByRole('button', { name: /Silence/ }).click();
    expect(await banner.getAttribute('data-audible')).toBe('off');

    await page.evaluate(() => (window.location.hash = '#/alarms'));
    const row = page.locator('[data-testid="alarm-table"] tr', { hasText: 'Transformer T1 oil temperature HI' });
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-state')).toBe('UNACK');
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    const dialog = page.getByRole('dialog', { name: 'Acknowledge alarms' });
    await dialog.getByLabel('Comment').fill('operator checked cooling fans');
    await dialog.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(async () => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('ACKED');
    await expect.poll(async () => banner.getAttribute('data-unacknowledged'), { timeout: 10_000 }).toBe('0');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'alarms-acknowledged.png') }).catch(() => undefined);

    // the server has it, with the user and the comment
    const alarm = (await api<{ id: number; point_id: number; condition: string; state: string; acknowledged_by: string; ack_comment: string }[]>('GET', '/alarms?state=all')).find(
      (a) => a.point_id === pointId && a.condition === 'HI',
    )!;
    expect(alarm).toMatchObject({ state: 'ACKED', acknowledged_by: 'administrator', ack_comment: 'operator checked cooling fans' });

    // history from the UI
    await row.getByRole('button', { name: 'History' }).click();
    const history = page.getByTestId('alarm-history');
    await history.waitFor();
    expect(await history.textContent()).toContain('operator checked cooling fans');
    await page.getByRole('button', { name: 'Close' }).click();
  });

  it('shelves from the UI and finds every action in the audit log screen', async () => {
    const row = page.locator('[data-testid="alarm-table"] tr', { hasText: 'Transformer T1 oil temperature HI' });
    await row.getByRole('button', { name: 'Shelve' }).click();
    const dialog = page.getByRole('dialog', { name: 'Shelve alarm' });
    await dialog.getByLabel('Minutes').fill('15');
    await dialog.getByLabel('Reason').fill('oil sensor under test');
    await dialog.getByRole('button', { name: 'Shelve' }).click();
    await page.getByLabel('State filter').selectOption('shelved');
    await expect.poll(async () => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('SHLVD');

    await page.getByRole('tab', { name: 'Performance' }).click();
    const perf = page.getByTestId('alarm-performance');
    await perf.waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('alarm-top10').textContent()).toContain('Transformer T1 oil temperature HI (MEDIUM): 1');
    expect(await perf.textContent()).toContain('Floods (more than 10 in 10 minutes)');
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'alarms-performance.png') }).catch(() => undefined);

    await page.getByRole('tab', { name: 'Audit log' }).click();
    const table = page.getByTestId('audit-table');
    await table.waitFor();
    await page.getByLabel('Action').selectOption('alarm.');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => table.textContent(), { timeout: 10_000 }).toContain('alarm.shelve');
    const text = (await table.textContent())!;
    expect(text).toContain('alarm.ack');
    expect(text).toContain('operator checked cooling fans');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const csv = fs.readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\r\n')[0]).toBe('id,utc_date_time,user_name,action,target,old_value,new_value,result,details');
    expect(csv).toContain('alarm.shelve');
  });
});
