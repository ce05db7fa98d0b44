/**
 * End to end in Chromium: an engineer creates a gateway, a data source and a point from the generated
 * configuration screens, sees a validation message at its field, and watches the point's value arrive.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, haveChromium, loginInBrowser, startE2e } from './support/browser';

const PASSWORD = 'E2e-Config-Pass-1';

describe.skipIf(!haveChromium())('configuration screens end to end in Chromium', () => {
  let e2e: E2eServer;
  let page: Page;

  beforeAll(async () => {
    e2e = await startE2e('--empty', PASSWORD, { width: 1920, height: 1080 });
    page = e2e.page;
    await page.goto(`${e2e.server.url}/#/configuration`);
    await loginInBrowser(page, PASSWORD);
  }, 360_000);
  afterAll(async () => e2e?.stop());

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
    expect(e2e.pageErrors).toEqual([]);
  });
});
