/**
 * End to end in Chromium: the operator schedules a demand response event on the demo battery from the console,
 * watches it run (the battery setpoint follows), and cancels it (the setpoint returns).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, login, serve, type Served } from '../support/process';
import { ensureRenderer, haveChromium, launchChromium } from './support/browser';

const PASSWORD = 'E2e-Dr-Pass-1';

describe.skipIf(!haveChromium())('demand response console end to end in Chromium', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  let headers: Record<string, string>;
  let setpoint: number;
  const latest = async () => ((await (await fetch(`${server.url}/api/points/${setpoint}/latest`, { headers })).json()) as { value: number }).value;

  beforeAll(async () => {
    const renderer = ensureRenderer();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-e2e-dr-'));
    server = await serve(['--port', String(await freePort()), '--data-dir', dataDir, '--demo', '--renderer-dir', renderer], { SWITCHYARD_ADMIN_PASSWORD: PASSWORD });
    headers = (await login(server.url, 'administrator', PASSWORD)).headers;
    const points = (await (await fetch(`${server.url}/api/points`, { headers })).json()) as { id: number; name: string }[];
    setpoint = points.find((p) => p.name === 'Battery Setpoint')!.id;
    await fetch(`${server.url}/api/dr/resources`, { method: 'POST', headers, body: JSON.stringify({ data: { resource_id: 'Yard battery', point_id: setpoint } }) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${server.url}/#/dr`);
    await page.getByLabel('User name or e-mail').fill('administrator');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('schedules an event on the battery, which runs and writes the setpoint', async () => {
    const form = page.getByRole('form', { name: 'New event' });
    await form.getByLabel('Name').fill('Evening peak');
    const now = new Date();
    const local = new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
    await form.getByLabel('Start (local time)').fill(local);
    await form.getByLabel('Duration (minutes)').fill('30');
    await form.getByLabel('Payload value').fill('45');
    await form.getByLabel('Yard battery').check();
    await form.getByRole('button', { name: 'Schedule event' }).click();
    await page.getByRole('table', { name: 'Event list' }).getByText('Evening peak').waitFor();
    await page.getByRole('region', { name: 'Running: Evening peak' }).waitFor({ timeout: 15_000 });
    await expect.poll(latest, { timeout: 15_000 }).toBe(45);
  });

  it('cancels the event from the console and the battery returns to its pre-event setpoint', async () => {
    await page.getByRole('table', { name: 'Event list' }).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('status').filter({ hasText: 'Evening peak cancelled.' }).waitFor();
    await expect.poll(latest, { timeout: 15_000 }).toBe(0);
    await expect.poll(async () => page.getByRole('table', { name: 'Event list' }).getByText('cancelled').count()).toBe(1);
  });
});
