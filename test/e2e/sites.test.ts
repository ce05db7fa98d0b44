/**
 * End to end in Chromium: the Sites screen of a central server on PostgreSQL (`--database`), fed by a Sparkplug
 * edge node (sparkplug-payload + mqtt) through mosquitto: the site appears online with its health, its metrics show
 * their latest values, a metric's trend draws the central history, a second workstation (another operator in another
 * browser) sees the same site and values at the same time, and the site turns offline on NDEATH. Any
 * console error or page error fails the test.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestEdge } from '../central/edge';
import { hasBinary } from '../peers/peers';
import { hasPostgres } from '../peers/postgres';
import { type E2eServer, haveChromium, loginInBrowser } from './support/browser';
import { type CentralE2e, startCentralE2e } from './support/central';

const PASSWORD = 'E2e-Sites-Pass-1';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasPostgres();

describe.skipIf(!haveChromium())('Sites screen end to end in Chromium', { timeout: 240_000 }, () => {
  let central: CentralE2e;
  let e2e: E2eServer;
  let page: Page;
  let edge: TestEdge;
  let consoleErrors: string[];

  beforeAll(async () => {
    central = await startCentralE2e(PASSWORD, 'central-e2e', 'Yard', 'substation-7');
    ({ e2e, page, edge, consoleErrors } = central);
    await page.goto(`${e2e.server.url}/#/sites`);
    await loginInBrowser(page, PASSWORD);
  }, 240_000);
  afterAll(async () => {
    await central?.stop();
  });

  it('shows an empty state until a site is seen', async () => {
    await page.getByText('No site has been seen yet.').waitFor();
  });

  it('lists a born site online with its health, its metrics with latest values and a trend', async () => {
    // the host subscribes right after it starts: publish the births until the site is there
    const sites = page.getByRole('table', { name: 'Sites' });
    await expect
      .poll(
        async () => {
          if (await sites.count()) return true;
          await edge.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 1 }]);
          await edge.dbirth('feeder', [
            { name: 'Active power', alias: 10, type: 'Double', value: 120.5, unit: 'kW' },
            { name: 'Mode', alias: 11, type: 'String', value: 'remote' },
          ]);
          return false;
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBe(true);
    const row = sites.getByRole('row', { name: /substation-7/ });
    await row.getByRole('cell', { name: 'Online' }).waitFor();
    await expect.poll(async () => (await row.textContent()) ?? '').toContain('1 / 1');

    const metrics = page.getByRole('table', { name: 'Metrics of substation-7' });
    await metrics.getByRole('row', { name: /Mode/ }).getByRole('cell', { name: 'remote' }).waitFor();
    for (const v of [121, 122.25, 123.5]) await edge.data('feeder', [{ alias: 10, type: 'Double', value: v }]);
    const power = metrics.getByRole('row', { name: /Active power/ });
    await power.getByRole('cell', { name: '123.5' }).waitFor();
    await power.click();
    const chart = page.getByRole('img', { name: 'Trend of feeder / Active power' });
    await chart.waitFor();
    await expect.poll(async () => Number(await chart.getAttribute('data-last-sample')), { timeout: 20_000 }).toBeGreaterThan(Date.now() - 120_000);
  });

  it('serves a second workstation at once: another operator in another browser sees the site, and a new value reaches both screens', async () => {
    const u = await fetch(`${e2e.server.url}/api/users`, { method: 'POST', headers: e2e.headers, body: JSON.stringify({ data: { name: 'otto', display_name: 'Otto', email: 'otto@site.test', password: 'Otto-Pass-2026' } }) });
    expect(u.status).toBe(201);
    const context = await e2e.browser.newContext({ viewport: { width: 1366, height: 900 } });
    try {
      const other = await context.newPage();
      const errors: string[] = [];
      other.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} ${m.location().url}`));
      other.on('pageerror', (e) => errors.push(e.message));
      await other.goto(`${e2e.server.url}/#/sites`);
      await other.getByLabel('User name or e-mail').fill('otto');
      await other.getByLabel('Password').fill('Otto-Pass-2026');
      await other.getByRole('button', { name: 'Log in' }).click();
      await other.getByRole('table', { name: 'Sites' }).getByRole('row', { name: /substation-7/ }).getByRole('cell', { name: 'Online' }).waitFor({ timeout: 30_000 });
      await other.getByRole('table', { name: 'Sites' }).getByRole('row', { name: /substation-7/ }).click();
      const power = (p: Page) => p.getByRole('table', { name: 'Metrics of substation-7' }).getByRole('row', { name: /Active power/ });
      await power(other).getByRole('cell', { name: '123.5' }).waitFor({ timeout: 30_000 });
      await edge.data('feeder', [{ alias: 10, type: 'Double', value: 124.75 }]);
      await power(other).getByRole('cell', { name: '124.75' }).waitFor({ timeout: 30_000 });
      await power(page).getByRole('cell', { name: '124.75' }).waitFor({ timeout: 30_000 });
      expect(errors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('sends a command to a writable metric from the Sites screen, and offers none for the others', async () => {
    const metrics = page.getByRole('table', { name: 'Metrics of substation-7' });
    // the device is born again with a setpoint its edge lets a host write
    await edge.dbirth('feeder', [
      { name: 'Active power', alias: 10, type: 'Double', value: 124.75, unit: 'kW', writable: false },
      { name: 'Mode', alias: 11, type: 'String', value: 'remote' },
      { name: 'Setpoint', alias: 12, type: 'Double', value: 10, unit: 'kW', writable: true },
    ]);
    const row = metrics.getByRole('row', { name: /Setpoint/ });
    await row.getByRole('cell', { name: 'Yes' }).waitFor({ timeout: 30_000 });
    await metrics.getByRole('row', { name: /Active power/ }).click();
    await expect.poll(async () => page.getByRole('form', { name: /^Write / }).count()).toBe(0);
    await row.click();
    const form = page.getByRole('form', { name: 'Write feeder / Setpoint' });
    await form.getByLabel('New value of feeder / Setpoint').fill('55.5');
    const before = edge.commands.length;
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByRole('status').filter({ hasText: 'Sent to substation-7' }).waitFor();
    // the DCMD the edge received, decoded with sparkplug-payload: by alias, the birth's datatype, the value typed
    await expect.poll(() => edge.commands.slice(before).filter((c) => c.topic === 'spBv1.0/Yard/DCMD/substation-7/feeder').length, { timeout: 20_000 }).toBe(1);
    const m = edge.commands.slice(before).find((c) => c.topic === 'spBv1.0/Yard/DCMD/substation-7/feeder')!.metrics[0];
    expect({ alias: Number(String(m.alias)), type: m.type, value: m.value }).toEqual({ alias: 12, type: 'Double', value: 55.5 });
    // bad input: the server's message names the problem, nothing is sent
    await form.getByLabel('New value of feeder / Setpoint').fill('lots');
    await form.getByRole('button', { name: 'Send' }).click();
    await form.getByRole('alert').filter({ hasText: 'value must be a number' }).waitFor();
    expect(edge.commands.slice(before)).toHaveLength(1);
  });

  it('turns the site offline on its NDEATH', async () => {
    await edge.ndeath();
    const row = page.getByRole('table', { name: 'Sites' }).getByRole('row', { name: /substation-7/ });
    await row.getByRole('cell', { name: '✖ Offline' }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: 'artifacts/sites.png' }).catch(() => undefined);
  });

  it('shows a site as unknown, not offline, while its host has no broker', async () => {
    const row = page.getByRole('table', { name: 'Sites' }).getByRole('row', { name: /substation-7/ });
    await expect
      .poll(
        async () => {
          if (await row.getByRole('cell', { name: 'Online' }).count()) return true;
          await edge.nbirth([{ name: 'Uptime', alias: 1, type: 'Int32', value: 2 }]);
          return false;
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toBe(true);
    await central.broker(false);
    await row.getByRole('cell', { name: '? Unknown (no broker)' }).waitFor({ timeout: 30_000 });
    await central.broker(true);
  });

  it('had no console or page error', () => {
    expect(e2e.pageErrors).toEqual([]);
    // the one refused command above (Chromium logs any 4xx answer); nothing else
    expect(consoleErrors).toEqual([expect.stringMatching(/status of 400 .*\/api\/central\/sites\/\d+\/metrics\/\d+\/write$/)]);
  });
});
