/**
 * Every screen and every dialog of the demo plant, in Chromium, against one real server: for each screen the
 * demo's data is shown and its live values change; faceplates, command confirmations, alarm dialogs, the
 * configuration forms and the demand-response form are opened and used. Any console error or page error
 * fails the test. Then the keyboard (diagram symbols, dialogs that keep the focus and close with Escape), and
 * the roles: a read-only user and an operator, created through the API, are offered only what the server
 * allows them.
 */
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, haveChromium, startE2e } from './support/browser';

const PASSWORD = 'E2e-Screens-Pass-1';
const LIVE = { timeout: 60_000, interval: 500 };

/** Collects what would be a defect in the page: console errors and uncaught page errors. */
function watch(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()} (${m.location().url})`);
  });
  page.on('pageerror', (e) => errors.push(`page: ${e.message}`));
  return errors;
}

async function login(page: Page, url: string, name: string, password: string): Promise<void> {
  // a loaded machine can take long to serve the first page to a fresh browser context
  await page.goto(url, { timeout: 120_000, waitUntil: 'domcontentloaded' });
  await page.getByLabel('User name or e-mail').waitFor({ timeout: 60_000 });
  await page.getByLabel('User name or e-mail').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('navigation', { name: 'Screens' }).waitFor({ timeout: 30_000 });
}

async function open(page: Page, label: string): Promise<Locator> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: label, exact: true }).click();
  const main = page.locator('main#content');
  await expect.poll(async () => page.locator('nav[aria-label="Screens"] a[aria-current="page"]').textContent()).toBe(label);
  return main;
}

/** The live texts shown in `scope` (point values and diagram texts) change over time. */
async function liveValuesChange(scope: Locator, selector = '.pv-value, .diagram-canvas text[data-point]'): Promise<void> {
  const read = async () => (await scope.locator(selector).allTextContents()).join(' | ');
  await expect.poll(read, LIVE).toMatch(/\d/);
  const first = await read();
  await expect.poll(read, LIVE).not.toBe(first);
}

// a loaded 2-core machine: steps wait for conditions, with room to do so
describe.skipIf(!haveChromium())('every screen and dialog of the demo in Chromium', { timeout: 240_000 }, () => {
  let e2e: E2eServer;
  let page: Page;
  let errors: string[];
  const ids: Record<string, number> = {};
  const call = async <T>(method: string, route: string, data?: unknown, headers = e2e.headers): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${e2e.server.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
  };
  const api = async <T>(method: string, route: string, data?: unknown): Promise<T> => {
    const r = await call<T>(method, route, data);
    if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    e2e = await startE2e('--demo', PASSWORD);
    page = e2e.page;
    errors = watch(page);
    for (const p of await api<{ id: number; name: string }[]>('GET', '/points')) ids[p.name] = p.id;
    // an alarm to acknowledge, shelve and look up: a simulated transformer temperature above its limit
    const gw = await api<{ id: number }>('POST', '/gateways', { name: 'Walkthrough gateway' });
    const ds = await api<{ id: number }>('POST', '/datasources', { name: 'Walkthrough simulator', gateway_id: gw.id, protocol: 'simulation', connection: { interval_in_seconds: 0.5 } });
    await api('POST', '/points', { name: 'T1 oil temperature', data_source_id: ds.id, object_type: 'ANALOG_VALUE', units: '°C', high_limit: 85, is_trend: true, address: { waveform: 'constant', offset: 97 } });
    // a demand-response resource: the battery's setpoint
    await api('POST', '/dr/resources', { resource_id: 'Yard battery', point_id: ids['Battery Setpoint'], measure_point_id: ids['Battery Power'] });
    await login(page, e2e.server.url, 'administrator', PASSWORD);
  }, 360_000);
  afterAll(async () => e2e?.stop());
  afterEach(() => {
    // every step ends without a console error or a page error
    expect(errors.splice(0)).toEqual([]);
  });

  it('Overview: the key figures, then the demo data sources and their live point values; a point faceplate', async () => {
    const main = await open(page, 'Overview');
    await main.getByTestId('figure-Grid').filter({ hasText: /\d+\.\d kW/ }).waitFor({ timeout: 20_000 });
    await main.getByRole('button', { name: 'Show data sources and points' }).click();
    await main.getByText('Demo Plant PLC').first().waitFor({ timeout: 20_000 });
    await liveValuesChange(main);
    await main.locator('tr:has(.pv-value)').first().click();
    const faceplate = page.getByRole('dialog', { name: /^Faceplate: / });
    await faceplate.getByTestId('faceplate-quality').filter({ hasText: 'good' }).waitFor({ timeout: 20_000 });
    await page.keyboard.press('Escape');
    await faceplate.waitFor({ state: 'detached' });
  });

  it('Diagrams: the single-line diagram and its circuits follow live values; faceplate, command confirmation, energy flow', async () => {
    const main = await open(page, 'Diagrams');
    await main.getByRole('heading', { name: 'Demo Campus 400 V', level: 1 }).waitFor();
    await main.getByRole('table', { name: 'Circuits' }).getByText('Q1 PV array').waitFor();
    await liveValuesChange(main);
    // the breaker's faceplate: cancel a command, then send one (closing the closed breaker changes nothing)
    await main.locator(`.diagram-canvas rect[data-point="${ids['PV Breaker']}"]`).click();
    const faceplate = page.getByRole('dialog', { name: 'Faceplate: PV Breaker' });
    await faceplate.getByTestId('faceplate-quality').filter({ hasText: 'good' }).waitFor({ timeout: 20_000 });
    const close = faceplate.getByRole('group', { name: 'Close PV breaker' });
    await close.getByRole('button', { name: 'Send Closed…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Confirm command' });
    await confirm.getByText('Close PV breaker').waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'detached' });
    await close.getByRole('button', { name: 'Send Closed…' }).click();
    await confirm.getByRole('button', { name: 'Send' }).click();
    await faceplate.getByRole('status').filter({ hasText: /Sent\. Read back 1/ }).waitFor({ timeout: 20_000 });
    await faceplate.getByRole('button', { name: 'Close' }).first().click();
    await faceplate.waitFor({ state: 'detached' });
    // the energy flow and the configured SVG
    await main.getByRole('button', { name: 'Demo Campus power flow' }).click();
    await main.locator('.energy-flow svg').first().waitFor({ timeout: 20_000 });
    await main.locator('.energy-flow svg text').filter({ hasText: /\d+\.\d kW/ }).first().waitFor({ timeout: 20_000 });
    await main.getByRole('button', { name: 'Demo Campus single-line diagram' }).click();
    await main.getByRole('heading', { name: 'Demo Campus single-line diagram', level: 1 }).waitFor();
    await liveValuesChange(main, '.diagram-canvas text[data-point]');
  });

  it('Microgrids: the campus microgrid devices with live values and the power balance; a device faceplate', async () => {
    const main = await open(page, 'Microgrids');
    await main.getByRole('heading', { name: 'Demo Campus microgrid', level: 1 }).waitFor({ timeout: 20_000 });
    await main.getByRole('region', { name: 'Photovoltaics' }).getByText('Rooftop PV').waitFor();
    await main.getByRole('region', { name: 'Loads' }).getByText('Building A').waitFor();
    await liveValuesChange(main.locator('.device-groups'));
    const balance = main.locator('.power-balance');
    const read = async () => balance.textContent();
    const first = await read();
    await expect.poll(read, LIVE).not.toBe(first);
    await main.locator('.device-card', { hasText: 'Rooftop PV' }).getByRole('button').first().click();
    const faceplate = page.getByRole('dialog', { name: 'Faceplate: PV Power' });
    await faceplate.waitFor();
    await page.keyboard.press('Escape');
    await faceplate.waitFor({ state: 'detached' });
  });

  it('Storage: the yard container, its battery and schedules, the SOC history, live values', async () => {
    const main = await open(page, 'Storage');
    await main.getByRole('heading', { name: 'Yard container', level: 1 }).waitFor({ timeout: 20_000 });
    await main.getByRole('region', { name: 'Batteries' }).getByText('Rack 1').waitFor();
    await main.getByRole('table', { name: 'Schedules' }).getByText('onpeak').waitFor();
    await main.locator('.trend-chart canvas').first().waitFor({ timeout: 20_000 });
    await liveValuesChange(main.locator('.device-groups'));
    await main.locator('.device-card', { hasText: 'Rack 1' }).getByRole('button').first().click();
    const faceplate = page.getByRole('dialog', { name: /^Faceplate: Battery/ });
    await faceplate.waitFor();
    await page.keyboard.press('Escape');
    await faceplate.waitFor({ state: 'detached' });
  });

  it('Demand response: schedules an event from the form, the battery setpoint follows live, ecobee form, cancel confirmation', async () => {
    const main = await open(page, 'Demand response');
    const resources = main.getByRole('region', { name: 'Resources and participants' });
    await resources.getByText('Yard battery').waitFor({ timeout: 20_000 });
    const setpoint = resources.locator(`[data-point-id="${ids['Battery Setpoint']}"] .pv-value`);
    await expect.poll(async () => setpoint.textContent(), LIVE).toMatch(/\d/);
    const before = await setpoint.textContent();
    const form = main.getByRole('form', { name: 'New event' });
    await form.getByLabel('Name').fill('Walkthrough peak');
    // starting now (this minute, in the site's time zone the form shows): the event runs at once and writes the setpoint
    const zone = (await main.locator('p.muted').first().textContent())!.replace(/^Times in |\.$/g, '');
    const local = await page.evaluate((z) => new Intl.DateTimeFormat('sv-SE', { timeZone: z, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date()).replace(' ', 'T'), zone);
    await form.getByLabel(/^Start/).fill(local);
    await form.getByLabel('Duration (minutes)').fill('30');
    await form.getByLabel('Payload value').fill('37');
    await form.getByLabel('Yard battery').check();
    await form.getByRole('button', { name: 'Schedule event' }).click();
    const events = main.getByRole('table', { name: 'Event list' });
    await events.getByText('Walkthrough peak').waitFor();
    await expect.poll(async () => setpoint.textContent(), LIVE).not.toBe(before);
    await expect.poll(async () => setpoint.textContent(), LIVE).toMatch(/^37[.,]0/);
    // the ecobee form opens and closes (sending would need an ecobee account)
    await events.getByRole('button', { name: 'ecobee…' }).click();
    await main.getByRole('form', { name: 'Send Walkthrough peak to ecobee' }).waitFor();
    await events.getByRole('button', { name: 'ecobee…' }).click();
    await main.getByRole('form', { name: 'Send Walkthrough peak to ecobee' }).waitFor({ state: 'detached' });
    // the confirmation: dismissed first (nothing happens), then accepted
    const confirm = page.getByRole('dialog', { name: 'Cancel event' });
    await events.getByRole('button', { name: 'Cancel' }).click();
    await confirm.getByText('Cancel event Walkthrough peak?').waitFor();
    await confirm.getByRole('button', { name: 'Keep it' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(async () => events.getByRole('row', { name: /Walkthrough peak/ }).locator('td[data-testid^="status-"]').textContent(), LIVE).toBe('active');
    await events.getByRole('button', { name: 'Cancel' }).click();
    await confirm.getByRole('button', { name: 'Cancel event' }).click();
    await main.getByRole('status').filter({ hasText: 'Walkthrough peak cancelled.' }).waitFor({ timeout: 20_000 });
  });

  it('Alarms: the list with a live alarm, acknowledge, shelve and history dialogs, performance, audit log', async () => {
    const main = await open(page, 'Alarms');
    const row = main.locator('[data-testid="alarm-table"] tr', { hasText: 'T1 oil temperature HI' });
    await row.waitFor({ timeout: 30_000 });
    await row.getByRole('button', { name: 'Acknowledge' }).click();
    const ack = page.getByRole('dialog', { name: 'Acknowledge alarms' });
    await ack.getByLabel('Comment').fill('seen in the walkthrough');
    await ack.getByRole('button', { name: 'Acknowledge' }).click();
    await expect.poll(async () => row.getAttribute('data-state'), LIVE).toBe('ACKED');
    await row.getByRole('button', { name: 'History' }).click();
    const history = page.getByRole('dialog', { name: 'History of T1 oil temperature HI' });
    await history.getByText('seen in the walkthrough').waitFor();
    await page.keyboard.press('Escape');
    await history.waitFor({ state: 'detached' });
    await row.getByRole('button', { name: 'Shelve' }).click();
    const shelve = page.getByRole('dialog', { name: 'Shelve alarm' });
    await shelve.getByLabel('Reason').fill('walkthrough');
    await shelve.getByRole('button', { name: 'Shelve' }).click();
    await shelve.waitFor({ state: 'detached' });
    await main.getByLabel('State filter').selectOption('all');
    await expect.poll(async () => row.getAttribute('data-state'), LIVE).toBe('SHLVD');
    await main.getByRole('tab', { name: 'Performance' }).click();
    await main.getByTestId('alarm-performance').waitFor({ timeout: 20_000 });
    await main.getByRole('tab', { name: 'Audit log' }).click();
    await main.getByTestId('audit-table').getByText('alarm.shelve').first().waitFor({ timeout: 20_000 });
  });

  it('Trends: a demo point over the last hour, following the live tail; CSV export', async () => {
    await page.evaluate((id) => (window.location.hash = `#/trends?points=${id}`), ids['Grid Power']);
    const main = page.locator('main#content');
    await main.getByText('Grid Power').first().waitFor();
    const chart = main.locator('.trend-chart');
    await expect.poll(async () => Number(await chart.getAttribute('data-last-sample')), LIVE).toBeGreaterThan(0);
    const first = Number(await chart.getAttribute('data-last-sample'));
    await expect.poll(async () => Number(await chart.getAttribute('data-last-sample')), LIVE).toBeGreaterThan(first);
    const [download] = await Promise.all([page.waitForEvent('download'), main.getByRole('button', { name: 'Export CSV' }).click()]);
    expect(download.suggestedFilename()).toMatch(/^trend-.*\.csv$/);
  });

  it('Reports: a report on the demo campus runs and exports to Excel', async () => {
    const main = await open(page, 'Reports');
    await main.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await main.getByLabel('Subject').selectOption('spaces');
    const space = main.getByLabel('Space', { exact: true });
    const campus = space.locator('option', { hasText: 'Demo Campus' }).first();
    await expect.poll(async () => campus.count(), LIVE).toBe(1);
    await space.selectOption((await campus.getAttribute('value'))!);
    await main.getByRole('button', { name: 'Run report' }).click();
    await main.getByLabel('Report result').waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 60_000 }), main.getByRole('button', { name: 'Export Excel' }).click()]);
    expect(download.suggestedFilename()).toMatch(/\.xlsx$/);
  });

  it('Configuration: the demo entities, live point values, diagnostics, create, edit and delete (with its confirmation)', async () => {
    const main = await open(page, 'Configuration');
    const entity = async (label: string) => {
      await main.getByRole('navigation', { name: 'Entities' }).getByRole('button', { name: label, exact: true }).click();
      await main.getByRole('heading', { name: label, level: 1 }).waitFor();
    };
    await entity('Data Source');
    await main.getByRole('table', { name: 'Data Source list' }).getByText('Demo Plant PLC').waitFor();
    await main.getByRole('button', { name: 'Edit Demo Plant PLC' }).click();
    await main.getByRole('form', { name: 'Edit Data Source' }).waitFor();
    await main.getByRole('button', { name: 'Refresh diagnostics' }).click();
    await main.locator('pre.diagnostics').waitFor({ timeout: 20_000 });
    await entity('Point');
    await liveValuesChange(main.getByRole('table', { name: 'Point list' }));
    // a device read on demand (Read now) for a Modbus point
    await main.getByRole('button', { name: 'Edit Grid Power', exact: true }).click();
    await main.getByRole('button', { name: 'Read now' }).click();
    await expect.poll(async () => main.getByTestId('readnow-value').textContent(), LIVE).toMatch(/\d/);
    // a container's nested schedules: the nested form opens and closes
    await entity('Energy Storage Container');
    await main.getByRole('button', { name: 'Edit Yard container' }).click();
    const schedules = main.getByRole('region', { name: 'Container Schedule' });
    await schedules.getByRole('heading', { name: 'Container Schedule (2)' }).waitFor();
    await schedules.getByRole('button', { name: 'Add container schedule' }).click();
    await schedules.getByRole('form', { name: 'New Container Schedule' }).waitFor();
    await schedules.getByRole('button', { name: 'Cancel' }).click();
    await schedules.getByRole('form', { name: 'New Container Schedule' }).waitFor({ state: 'detached' });
    // a meter's bindings (the relation editor) and the import box
    await entity('Meter');
    await main.getByRole('button', { name: 'Edit Grid Meter' }).click();
    const bound = main.getByRole('region', { name: 'Points' });
    await bound.getByText('Grid Import Energy').waitFor();
    await bound.getByLabel('Point to bind').waitFor();
    await main.getByRole('button', { name: 'Import…' }).click();
    await main.getByLabel('JSON to import').waitFor();
    await main.getByRole('button', { name: 'Import…' }).click();
    await main.getByLabel('JSON to import').waitFor({ state: 'detached' });
    await entity('Gateway');
    await main.getByRole('button', { name: 'New gateway' }).click();
    const form = main.locator('form.entity-form');
    await form.getByLabel('Name *').fill('Spare gateway');
    await form.getByRole('button', { name: 'Create' }).click();
    await main.getByRole('table', { name: 'Gateway list' }).getByText('Spare gateway').waitFor();
    await main.getByRole('button', { name: 'Edit Spare gateway' }).click();
    await form.getByLabel('Name *').fill('Spare gateway 2');
    await form.getByRole('button', { name: 'Save' }).click();
    await main.getByRole('table', { name: 'Gateway list' }).getByText('Spare gateway 2').waitFor();
    const confirm = page.getByRole('dialog', { name: 'Delete gateway' });
    await main.getByRole('row', { name: /Spare gateway 2/ }).getByRole('button', { name: 'Delete' }).click();
    await confirm.getByText('Delete gateway Spare gateway 2?').waitFor();
    // Escape keeps it, Delete deletes it
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    await main.getByRole('table', { name: 'Gateway list' }).getByText('Spare gateway 2').waitFor();
    await main.getByRole('row', { name: /Spare gateway 2/ }).getByRole('button', { name: 'Delete' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await main.getByRole('status').filter({ hasText: 'Deleted.' }).waitFor();
    await expect.poll(async () => main.getByRole('table', { name: 'Gateway list' }).getByText('Spare gateway 2').count(), LIVE).toBe(0);
  });

  it('Keyboard: Tab reaches the diagram symbols, Enter opens the faceplate, the dialog keeps the focus, Escape closes it', async () => {
    const main = await open(page, 'Diagrams');
    await main.getByRole('button', { name: 'Demo Campus 400 V' }).click();
    const breaker = main.locator(`.diagram-canvas [data-point="${ids['PV Breaker']}"][role="button"]`);
    await expect.poll(async () => breaker.getAttribute('aria-label'), LIVE).toBe('PV Breaker, open faceplate');
    // from the heading, Tab walks into the diagram's symbols until it reaches the PV breaker
    await main.getByRole('heading', { level: 1 }).click();
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await breaker.evaluate((el) => el === document.activeElement);
    }
    expect(reached).toBe(true);
    await page.keyboard.press('Enter');
    const faceplate = page.getByRole('dialog', { name: 'Faceplate: PV Breaker' });
    await faceplate.waitFor();
    await faceplate.getByRole('button', { name: /^Send/ }).first().waitFor();
    const inside = () => faceplate.evaluate((el) => el.contains(document.activeElement));
    expect(await inside()).toBe(true);
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Tab');
      expect(await inside()).toBe(true);
    }
    for (let i = 0; i < 12; i++) {
      await page.keyboard.press('Shift+Tab');
      expect(await inside()).toBe(true);
    }
    // a nested confirmation keeps the focus too, and Escape closes only it
    await faceplate.getByRole('button', { name: /^Send/ }).first().focus();
    await page.keyboard.press('Enter');
    const confirm = page.getByRole('dialog', { name: 'Confirm command' });
    await confirm.waitFor();
    for (let i = 0; i < 5; i++) {
      await page.keyboard.press('Tab');
      expect(await confirm.evaluate((el) => el.contains(document.activeElement))).toBe(true);
    }
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await faceplate.isVisible()).toBe(true);
    await page.keyboard.press('Escape');
    await faceplate.waitFor({ state: 'detached' });
    // the focus is back on the symbol
    expect(await breaker.evaluate((el) => el === document.activeElement)).toBe(true);
  });

  describe('roles', { timeout: 240_000 }, () => {
    const users: Record<string, { context: BrowserContext; page: Page; errors: string[]; headers: Record<string, string> }> = {};
    const as = (role: string) => users[role];

    beforeAll(async () => {
      for (const [role, readOnly] of [
        ['operator', false],
        ['viewer', true],
      ] as const) {
        await api('POST', '/users', { name: role, display_name: role, email: `${role}@demo.local`, password: `${role}-Pass-1`, is_admin: false, is_read_only: readOnly });
        const r = await fetch(`${e2e.server.url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name: role, password: `${role}-Pass-1` } }) });
        const body = (await r.json()) as { user_uuid: string; token: string; is_admin: boolean; is_read_only: boolean };
        // the login's answer tells the role, which the screens follow
        expect({ is_admin: body.is_admin, is_read_only: body.is_read_only }).toEqual({ is_admin: false, is_read_only: readOnly });
        const context = await e2e.browser.newContext({ viewport: { width: 1366, height: 768 } });
        const p = await context.newPage();
        users[role] = { context, page: p, errors: watch(p), headers: { 'User-UUID': body.user_uuid, Token: body.token, 'Content-Type': 'application/json' } };
        await login(p, e2e.server.url, role, `${role}-Pass-1`);
      }
    }, 360_000);
    afterAll(async () => {
      for (const u of Object.values(users)) await u.context.close();
    });
    afterEach(() => {
      for (const [role, u] of Object.entries(users)) expect(u.errors.splice(0), role).toEqual([]);
    });

    it('the server refuses what the screens do not offer', async () => {
      const command = (await api<{ id: number; name: string }[]>('GET', '/commands')).find((c) => c.name === 'Close PV breaker')!;
      expect((await call('POST', '/gateways', { name: 'Nope' }, as('operator').headers)).status).toBe(403);
      expect((await call('POST', '/gateways', { name: 'Nope' }, as('viewer').headers)).status).toBe(403);
      expect((await call('PUT', `/commands/${command.id}/send`, { set_value: 1 }, as('viewer').headers)).status).toBe(403);
      expect((await call('PUT', `/commands/${command.id}/send`, { set_value: 1 }, as('operator').headers)).status).toBe(200);
    });

    for (const role of ['operator', 'viewer']) {
      it(`${role}: every screen opens without an error (nothing the role may not read is asked for)`, async () => {
        const p = as(role).page;
        const labels = await p.getByRole('navigation', { name: 'Screens' }).getByRole('link').allTextContents();
        expect(labels.length).toBeGreaterThanOrEqual(9);
        for (const label of labels) {
          const main = await open(p, label);
          await main.locator(':scope > *').first().waitFor({ timeout: 20_000 });
          if (label === 'Alarms') {
            await main.getByRole('tab', { name: 'Performance' }).click();
            await main.getByTestId('alarm-performance').waitFor({ timeout: 20_000 });
            await main.getByRole('tab', { name: 'Audit log' }).click();
            await main.getByTestId('audit-table').waitFor({ timeout: 20_000 });
            await main.getByRole('tab', { name: 'Alarms' }).click();
          }
          expect(await p.getByRole('alert', { name: / failed$/ }).count(), label).toBe(0);
        }
      });

      it(`${role}: configuration can be viewed, not changed`, async () => {
        const p = as(role).page;
        const main = await open(p, 'Configuration');
        await main.getByRole('table', { name: 'Data Source list' }).getByText('Demo Plant PLC').waitFor({ timeout: 20_000 });
        expect(await main.getByRole('button', { name: /^(New |Import|Edit |Delete|Clone)/ }).count()).toBe(0);
        expect(await main.getByRole('button', { name: /^(Edit|Delete|Clone)$/ }).count()).toBe(0);
        // administrators' entities are not listed
        expect(await main.getByRole('navigation', { name: 'Entities' }).getByRole('button', { name: 'User', exact: true }).count()).toBe(0);
        await main.getByRole('button', { name: 'View Demo Plant PLC' }).click();
        const form = main.getByRole('form', { name: 'View Data Source' });
        await form.waitFor();
        expect(await form.getByRole('button', { name: /Save|Create/ }).count()).toBe(0);
        expect(await form.getByLabel('Name *').isDisabled()).toBe(true);
        expect(await main.getByRole('region', { name: 'Point list import' }).count()).toBe(0);
        await main.getByRole('button', { name: 'Refresh diagnostics' }).click();
        await main.locator('pre.diagnostics').waitFor({ timeout: 20_000 });
      });

      it(`${role}: faceplate commands ${role === 'operator' ? 'offered' : 'not offered'}`, async () => {
        const p = as(role).page;
        const main = await open(p, 'Diagrams');
        await main.locator(`.diagram-canvas rect[data-point="${ids['PV Breaker']}"]`).click();
        const faceplate = p.getByRole('dialog', { name: 'Faceplate: PV Breaker' });
        await faceplate.getByText(/Open PV breaker/).first().waitFor({ timeout: 20_000 });
        expect(await faceplate.getByRole('button', { name: /^Send/ }).count()).toBe(role === 'operator' ? 2 : 0);
        if (role === 'viewer') await faceplate.getByText('a read-only user cannot send commands').waitFor();
        // the control requests are shown to both; only the operator may place an override
        await faceplate.getByTestId('control-outcome').waitFor({ timeout: 20_000 });
        expect(await faceplate.getByRole('form', { name: 'Override' }).count()).toBe(role === 'operator' ? 1 : 0);
        await p.keyboard.press('Escape');
        await faceplate.waitFor({ state: 'detached' });
      });

      it(`${role}: alarms ${role === 'operator' ? 'can' : 'cannot'} be acknowledged and shelved`, async () => {
        const p = as(role).page;
        const main = await open(p, 'Alarms');
        await main.getByLabel('State filter').selectOption('all');
        const row = main.locator('[data-testid="alarm-table"] tr', { hasText: 'T1 oil temperature HI' });
        await row.waitFor({ timeout: 30_000 });
        await row.getByRole('button', { name: 'History' }).waitFor();
        expect(await row.getByRole('button', { name: /Acknowledge|Shelve|Unshelve/ }).count()).toBe(role === 'operator' ? 1 : 0);
        expect(await row.getByRole('checkbox').count()).toBe(role === 'operator' ? 1 : 0);
      });

      it(`${role}: demand response events are watched, not scheduled or cancelled`, async () => {
        const p = as(role).page;
        const main = await open(p, 'Demand response');
        await main.getByRole('table', { name: 'Event list' }).getByText('Walkthrough peak').waitFor({ timeout: 20_000 });
        expect(await main.getByRole('form', { name: 'New event' }).count()).toBe(0);
        expect(await main.getByRole('button', { name: /^(Cancel|ecobee…|Schedule event)$/ }).count()).toBe(0);
      });
    }
  });
});
