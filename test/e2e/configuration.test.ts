/**
 * End to end in Chromium: an engineer creates a gateway, a data source and a point from the generated
 * configuration screens, sees a validation message at its field, and watches the point's value arrive.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serve, type Served } from '../support/process';
import { ensureRenderer, haveChromium, launchChromium } from './support/browser';

const PASSWORD = 'E2e-Config-Pass-1';

describe.skipIf(!haveChromium())('configuration screens end to end in Chromium', () => {
  let server: Served;
  let browser: Browser;
  let page: Page;
  let dataDir: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const renderer = ensureRenderer();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-e2e-config-'));
    server = await serve(['--port', String(await freePort()), '--data-dir', dataDir, '--empty', '--renderer-dir', renderer], { SWITCHYARD_ADMIN_PASSWORD: PASSWORD });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    await page.goto(`${server.url}/#/configuration`);
    await page.getByLabel('User name or e-mail').fill('administrator');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (label: string) => {
    await page.getByRole('navigation', { name: 'Entities' }).getByRole('button', { name: label, exact: true }).click();
    await page.getByRole('heading', { name: label, level: 1 }).waitFor();
  };
  const form = () => page.locator('form.entity-form');

  it('creates a gateway and a simulated data source from generated forms', async () => {
    await open('Gateway');
    await page.getByRole('button', { name: 'New gateway' }).click();
    await form().getByLabel('Name *').fill('Site gateway');
    await form().getByRole('button', { name: 'Create' }).click();
    await page.getByRole('table', { name: 'Gateway list' }).getByText('Site gateway').waitFor();

    await open('Data Source');
    await page.getByRole('button', { name: 'New data source' }).click();
    await form().getByLabel('Name *').fill('Test bench');
    await form().getByLabel('Gateway *').selectOption({ label: 'Site gateway' });
    await form().getByLabel('Protocol *').fill('simulation');
    await form().getByLabel('Connection *').fill('{"interval_in_seconds": 0.5}');
    await form().getByRole('button', { name: 'Create' }).click();
    await page.getByRole('table', { name: 'Data Source list' }).getByText('Test bench').waitFor();
  });

  it('shows the API validation message at the field, then creates the point and its value arrives', async () => {
    await open('Point');
    await page.getByRole('button', { name: 'New point' }).click();
    await form().getByLabel('Name *').fill('Bench temperature');
    await form().getByLabel('Data Source *').selectOption({ label: 'Test bench' });
    await form().getByLabel('Object Type *').selectOption('ANALOG_VALUE');
    await form().getByLabel('Units').fill('°C');
    await form().getByLabel('Address *').fill('{"waveform": "noise"}');
    await form().getByRole('button', { name: 'Create' }).click();
    const fieldError = form().locator('[data-field="address"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('address.waveform');
    await form().getByLabel('Address *').fill('{"waveform": "constant", "offset": 42.5}');
    await form().getByRole('button', { name: 'Create' }).click();
    const row = page.getByRole('table', { name: 'Point list' }).getByRole('row', { name: /Bench temperature/ });
    await row.waitFor();
    await expect.poll(async () => row.locator('.pv-value').textContent(), { timeout: 15_000 }).toMatch(/42[.,]50 °C/);
    expect(pageErrors).toEqual([]);
  });
});
