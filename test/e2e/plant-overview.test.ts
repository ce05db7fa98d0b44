/**
 * End to end in Chromium with the demo plant, the browser in another time zone than the site (America/New_York
 * against the campus's Europe/Berlin): the Overview's key figures, alarms and source health; discrete points
 * shown by their state names, and a command that offers only its state; the DR form's default start in the
 * site's zone; the energy flow's labels with units and a tooltip that survives live updates.
 */
import { DateTime } from 'luxon';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, haveChromium, loginInBrowser, startE2e } from './support/browser';

const PASSWORD = 'E2e-Overview-Pass-1';

describe.skipIf(!haveChromium())('plant overview, states, site time zone and energy flow in Chromium', () => {
  let e2e: E2eServer;
  let page: Page;
  const errors: string[] = [];
  const api = (route: string, init: RequestInit = {}) => fetch(`${e2e.server.url}/api${route}`, { ...init, headers: e2e.headers });

  beforeAll(async () => {
    e2e = await startE2e('--demo', PASSWORD);
    page = await e2e.browser.newPage({ viewport: { width: 1366, height: 900 }, timezoneId: 'America/New_York' });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
    await page.goto(e2e.server.url);
    await loginInBrowser(page, PASSWORD);
  }, 360_000);
  afterAll(async () => {
    await e2e?.stop();
    expect(errors).toEqual([]);
  });

  it('shows the site key figures, which follow live values', { timeout: 120_000 }, async () => {
    await page.getByRole('heading', { name: /^Overview: Demo Campus microgrid/ }).waitFor();
    for (const label of ['Grid', 'PV', 'Battery', 'Load']) await page.getByTestId(`figure-${label}`).filter({ hasText: /\d+\.\d kW/ }).waitFor({ timeout: 30_000 });
    await page.getByRole('group', { name: 'Battery' }).getByText(/state of charge \d+ %/).waitFor();
    await page.getByRole('group', { name: 'Grid' }).getByText(/importing|exporting/).waitFor();
    const load = page.getByTestId('figure-Load');
    const first = await load.textContent();
    await expect.poll(() => load.textContent(), { timeout: 30_000 }).not.toBe(first);
  });

  it('shows alarms by priority and the health of the device sources only', { timeout: 120_000 }, async () => {
    const alarms = page.getByRole('region', { name: 'Alarms by priority' });
    for (const p of ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW']) await alarms.getByRole('cell', { name: p, exact: true }).waitFor();
    const sources = (await (await api('/datasources')).json()) as { protocol: string }[];
    const devices = sources.filter((s) => ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt'].includes(s.protocol)).length;
    expect(devices).toBeLessThan(sources.length); // the demo also has virtual/simulation sources, which are not counted
    await page.getByTestId('source-health').filter({ hasText: `${devices} of ${devices} device sources online` }).waitFor({ timeout: 60_000 });
  });

  it('keeps the data source and point tables one click away, with discrete points by state name', { timeout: 120_000 }, async () => {
    await page.getByRole('button', { name: 'Show data sources and points' }).click();
    await page.getByRole('table', { name: 'Data sources' }).getByRole('row', { name: /modbus-tcp/ }).click();
    const points = page.getByRole('table', { name: 'Points' });
    const breaker = points.getByRole('row', { name: /PV Breaker/ });
    await breaker.getByText(/^(Open|Closed)$/).waitFor({ timeout: 30_000 });
    await breaker.click();
    const faceplate = page.getByRole('dialog', { name: /Faceplate: PV Breaker/ });
    await faceplate.locator('.faceplate-value').getByText(/^(Open|Closed)$/).waitFor();
    // each command offers only its own state, not a number field
    const close = faceplate.getByRole('group', { name: 'Close PV breaker' });
    await close.getByRole('button', { name: 'Send Closed…' }).waitFor();
    expect(await close.getByRole('button').count()).toBe(1);
    expect(await faceplate.getByRole('group', { name: /PV breaker/ }).getByRole('spinbutton').count()).toBe(0);
    // an override of a discrete point also offers its states only
    const override = faceplate.getByRole('form', { name: 'Override' }).getByLabel('Override value');
    expect(await override.locator('option').allTextContents()).toEqual(['choose a state', 'Open', 'Closed']);
    await faceplate.getByRole('group', { name: 'Open PV breaker' }).getByRole('button', { name: 'Send Open…' }).click();
    await page.getByRole('dialog', { name: 'Confirm command' }).getByText('Open (0)').waitFor();
    await page.getByRole('dialog', { name: 'Confirm command' }).getByRole('button', { name: 'Cancel' }).click();
    await page.keyboard.press('Escape');
  });

  it('refuses through the API a value the command does not define', async () => {
    const commands = (await (await api('/commands')).json()) as { id: number; name: string }[];
    const close = commands.find((c) => c.name === 'Close PV breaker')!;
    const r = await api(`/commands/${close.id}/send`, { method: 'PUT', body: JSON.stringify({ data: { set_value: 0 } }) });
    expect(r.status).toBe(400);
    expect(((await r.json()) as { field: string }).field).toBe('set_value');
  });

  it('proposes a DR event start computed in the site time zone, not the browser one', async () => {
    await page.goto(`${e2e.server.url}/#/dr`);
    await page.getByText('Times in Europe/Berlin.').waitFor();
    const start = page.getByRole('form', { name: 'New event' }).getByLabel(/^Start/);
    const expected = () => DateTime.now().setZone('Europe/Berlin').plus({ hours: 1 }).startOf('hour').toFormat("yyyy-LL-dd'T'HH:mm");
    const before = expected();
    const value = await start.inputValue();
    expect([before, expected()]).toContain(value);
    expect(value).not.toBe(DateTime.now().setZone('America/New_York').plus({ hours: 1 }).startOf('hour').toFormat("yyyy-LL-dd'T'HH:mm"));
  });

  it('prints each energy flow with its unit, and keeps a tooltip open across live updates', { timeout: 120_000 }, async () => {
    await page.goto(`${e2e.server.url}/#/diagrams`);
    await page.getByRole('button', { name: 'Demo Campus power flow' }).click();
    const flow = page.locator('.energy-flow');
    await flow.locator('svg text').filter({ hasText: /\d+\.\d kW/ }).first().waitFor({ timeout: 30_000 });
    // hover a flow (the first path whose tooltip names a flow) and watch the tooltip through a few live updates
    const tooltip = flow.locator('div').filter({ hasText: /→.*kW/ }).last();
    const paths = flow.locator('svg path');
    let found = false;
    for (let i = 0; i < (await paths.count()) && !found; i++) {
      const box = await paths.nth(i).boundingBox();
      if (!box || box.width < 4 || box.height < 4) continue;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      found = await tooltip.waitFor({ state: 'visible', timeout: 1500 }).then(() => true, () => false);
    }
    expect(found).toBe(true);
    const seen = await page.evaluate(async () => {
      const t0 = Date.now();
      let hidden = 0;
      while (Date.now() - t0 < 3500) {
        const tips = [...document.querySelectorAll('.energy-flow div')].filter((d) => /→/.test(d.textContent ?? '') && getComputedStyle(d).display !== 'none' && getComputedStyle(d).visibility !== 'hidden' && getComputedStyle(d).opacity !== '0');
        if (!tips.length) hidden++;
        await new Promise((r) => setTimeout(r, 50));
      }
      return hidden;
    });
    expect(seen).toBe(0);
  });
});
