/**
 * End to end in Chromium: the operator schedules a demand response event on the demo battery from the console,
 * watches it run (the battery setpoint follows), and cancels it (the arbiter hands the setpoint back).
 */
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, haveChromium, loginInBrowser, startE2e } from './support/browser';

const PASSWORD = 'E2e-Dr-Pass-1';

describe.skipIf(!haveChromium())('demand response console end to end in Chromium', () => {
  let e2e: E2eServer;
  let page: Page;
  let setpoint: number;
  const api = (route: string, init: RequestInit = {}) => fetch(`${e2e.server.url}/api${route}`, { ...init, headers: e2e.headers });
  const latest = async () => ((await (await api(`/points/${setpoint}/latest`)).json()) as { value: number }).value;

  beforeAll(async () => {
    e2e = await startE2e('--demo', PASSWORD);
    page = e2e.page;
    const points = (await (await api('/points')).json()) as { id: number; name: string }[];
    setpoint = points.find((p) => p.name === 'Battery Setpoint')!.id;
    await api('/dr/resources', { method: 'POST', body: JSON.stringify({ data: { resource_id: 'Yard battery', point_id: setpoint } }) });
    await page.goto(`${e2e.server.url}/#/dr`);
    await loginInBrowser(page, PASSWORD);
  }, 360_000);
  afterAll(async () => e2e?.stop());

  it('schedules an event on the battery, which runs and writes the setpoint', async () => {
    const form = page.getByRole('form', { name: 'New event' });
    await form.getByLabel('Name').fill('Evening peak');
    // times are entered in the site's time zone (the demo campus is in Europe/Berlin)
    await page.getByText('Times in Europe/Berlin.').waitFor();
    await form.getByLabel(/^Start/).fill(DateTime.now().setZone('Europe/Berlin').toFormat("yyyy-LL-dd'T'HH:mm"));
    await form.getByLabel('Duration (minutes)').fill('30');
    await form.getByLabel('Payload value').fill('45');
    await form.getByLabel('Yard battery').check();
    await form.getByRole('button', { name: 'Schedule event' }).click();
    await page.getByRole('table', { name: 'Event list' }).getByText('Evening peak').waitFor();
    await page.getByRole('region', { name: 'Running: Evening peak' }).waitFor({ timeout: 15_000 });
    await page.getByRole('img', { name: 'Events over the next 48 hours' }).getByText('Evening peak').waitFor();
    await expect.poll(latest, { timeout: 15_000 }).toBe(45);
    await page.getByTestId('running-performance').waitFor();
  });

  it('tells the operator why an event cannot go to ecobee yet', async () => {
    await page.getByRole('table', { name: 'Event list' }).getByRole('button', { name: 'ecobee…' }).click();
    const form = page.getByRole('form', { name: 'Send Evening peak to ecobee' });
    await form.getByRole('button', { name: 'Send to ecobee' }).click();
    await form.getByRole('alert').filter({ hasText: 'set the ecobee account first' }).waitFor();
  });

  it('cancels the event from the console and the battery goes to what the arbiter has left', async () => {
    await page.getByRole('table', { name: 'Event list' }).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog', { name: 'Cancel event' }).getByRole('button', { name: 'Cancel event' }).click();
    await page.getByRole('status').filter({ hasText: 'Evening peak cancelled.' }).waitFor();
    // the demo's storage controllers (peak shaving, recharge) or the fallback 0: no DR request, not 45 any more
    const stack = async () => (await (await api(`/control/points/${setpoint}/requests`)).json()) as { target: number; requests: { source: string }[] };
    await expect.poll(async () => (await stack()).requests.some((r) => r.source === 'dr'), { timeout: 15_000 }).toBe(false);
    await expect.poll(async () => Math.abs((await latest()) - (await stack()).target) <= 2, { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => page.getByRole('table', { name: 'Event list' }).getByText('cancelled').count()).toBe(1);
  });
});
