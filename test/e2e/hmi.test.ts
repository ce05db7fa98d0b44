/**
 * End to end in Chromium against a real server with the demo plant: log in, watch the single-line diagram
 * follow live values, open a breaker's faceplate, send a command with confirmation and find it in the audit
 * log, open a trend, and be sent back to the login when the session ends.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARTIFACTS_DIR, type E2eServer, haveChromium, startE2e } from './support/browser';

const PASSWORD = 'E2e-Hmi-Pass-1';

describe.skipIf(!haveChromium())('operator HMI end to end in Chromium', () => {
  let e2e: E2eServer;
  let server: E2eServer['server'];
  let page: Page;
  let headers: Record<string, string>;
  let pageErrors: string[];
  const ids: Record<string, number> = {};
  const api = async <T>(route: string): Promise<T> => (await (await fetch(`${server.url}/api${route}`, { headers })).json()) as T;

  beforeAll(async () => {
    e2e = await startE2e('--demo', PASSWORD);
    ({ server, page, headers, pageErrors } = e2e);
    for (const p of await api<{ id: number; name: string }[]>('/points')) ids[p.name] = p.id;
  }, 360_000);
  afterAll(async () => e2e?.stop());

  it('logs in and shows the shell with the status bar', async () => {
    await page.goto(server.url);
    await page.getByLabel('User name or e-mail').fill('administrator');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('navigation', { name: 'Screens' }).waitFor();
    await page.getByTestId('link-status').filter({ hasText: 'Runtime connected' }).waitFor();
    await page.getByTestId('datasource-status').filter({ hasText: /\b3 online/ }).waitFor({ timeout: 20_000 });
  });

  it('the single-line diagram follows live values', async () => {
    await page.keyboard.press('Alt+2');
    const grid = page.locator(`.diagram-canvas text[data-point="${ids['Grid Power']}"]`).first();
    await expect.poll(async () => grid.textContent(), { timeout: 20_000 }).toMatch(/^-?[\d,.]+ kW$/);
    const first = await grid.textContent();
    await expect.poll(async () => grid.textContent(), { timeout: 20_000 }).not.toBe(first);
    // no script or handler survived sanitization
    expect(await page.locator('.diagram-canvas script, .diagram-canvas [onclick]').count()).toBe(0);
    fs.mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'hmi-single-line.png') });
  });

  it('shows the energy flow diagram as a sankey', async () => {
    await page.getByRole('button', { name: 'Demo Campus power flow' }).click();
    await page.locator('.energy-flow svg').first().waitFor({ timeout: 10_000 });
    expect(pageErrors).toEqual([]);
    await page.getByRole('button', { name: 'Demo Campus 400 V' }).click();
    await page.locator('.diagram-canvas svg').waitFor();
  });

  it('opens a breaker faceplate and sends a confirmed command that is audited', async () => {
    const breaker = page.locator(`.diagram-canvas rect[data-point="${ids['PV Breaker']}"]`);
    await breaker.click();
    const faceplate = page.getByRole('dialog', { name: 'Faceplate: PV Breaker' });
    await faceplate.waitFor();
    await expect.poll(async () => faceplate.getByTestId('faceplate-quality').textContent(), { timeout: 10_000 }).toBe('good');
    await faceplate.getByRole('button', { name: /^Send/ }).first().click();
    const confirm = page.getByRole('dialog', { name: 'Confirm command' });
    await confirm.getByText('Open PV breaker').waitFor();
    await confirm.getByRole('button', { name: 'Send' }).click();
    await faceplate.getByRole('status').filter({ hasText: /Sent\. Read back 0/ }).waitFor({ timeout: 10_000 });
    const audit = await api<{ action: string; target: string; new_value: string; result: string }[]>('/auditlogs?action=command.write');
    expect(audit.some((a) => a.target === `points:${ids['PV Breaker']}` && a.new_value === '0' && a.result === 'ok')).toBe(true);
    await page.keyboard.press('Escape');
    // the open breaker shows in the diagram
    await expect.poll(async () => breaker.getAttribute('fill'), { timeout: 10_000 }).toBe('#e6e6e6');
  });

  it('opens a trend of a point', async () => {
    await page.goto(`${server.url}/#/trends?points=${ids['Battery SOC']}`);
    await page.locator('.trend-chart canvas').first().waitFor({ timeout: 15_000 });
    await page.getByRole('button', { name: '8 h' }).click();
    expect(await page.getByRole('button', { name: 'Export CSV' }).isEnabled()).toBe(true);
    await page.screenshot({ path: path.join(ARTIFACTS_DIR, 'hmi-trend.png') });
    expect(pageErrors).toEqual([]);
  });

  it('goes back to the login with a message when the session ends elsewhere', async () => {
    const s = JSON.parse((await page.evaluate(() => sessionStorage.getItem('switchyard.session'))) ?? '{}') as { user_uuid: string; token: string };
    const r = await fetch(`${server.url}/api/users/logout`, { method: 'PUT', headers: { 'User-UUID': s.user_uuid, Token: s.token } });
    expect(r.status).toBeLessThan(300);
    await page.keyboard.press('Alt+1'); // the overview loads data: its 401 ends the session
    await page.getByRole('button', { name: 'Log in' }).waitFor({ timeout: 15_000 });
    await page.getByRole('status').filter({ hasText: /log in again|expired/i }).waitFor();
  });
});
