/**
 * End to end in Chromium: an engineer configures a Sparkplug edge node from the generated form (a wrong broker URL
 * is shown at its field; credentials, TLS options, a list of points and deadbands are stored as entered), sees its live status come online, and asks for a rebirth, which mosquitto delivers to
 * a host (decoded with Eclipse Tahu's sparkplug-payload). No console error and no page error on the way.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { broker, type Broker, collector, type Collector } from '../sparkplug/support';
import { type E2eServer, haveChromium, loginInBrowser, startE2e } from './support/browser';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');
const PASSWORD = 'E2e-Sparkplug-Pass-1';

describe.skipIf(!haveChromium())('Sparkplug edge node screen in Chromium', () => {
  let e2e: E2eServer;
  let page: Page;
  let mb: Broker;
  let sub: Collector;
  const consoleErrors: string[] = [];
  let kept = 0;

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-e2e-${process.pid}`);
    e2e = await startE2e('--empty', PASSWORD, { width: 1600, height: 1000 });
    page = e2e.page;
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${m.text()} ${m.location().url}`));
    const create = async (route: string, data: Record<string, unknown>) => ((await (await fetch(`${e2e.server.url}/api${route}`, { method: 'POST', headers: e2e.headers, body: JSON.stringify({ data }) })).json()) as { id: number }).id;
    const gw = await create('/gateways', { name: 'gw' });
    const ds = await create('/datasources', { name: 'Panel', gateway_id: gw, protocol: 'manual', connection: '{}' });
    kept = await create('/points', { name: 'Kept', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' });
    await create('/points', { name: 'Skipped', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' });
    await page.goto(`${e2e.server.url}/#/configuration/sparkplugnodes`);
    await loginInBrowser(page, PASSWORD);
  }, 360_000);
  afterAll(async () => {
    await e2e?.stop();
    await sub?.close().catch(() => undefined);
    await mb?.remove();
  });

  it('configures a node, shows it online with its session and outbox, and rebirths it', async () => {
    await page.getByRole('navigation', { name: 'Entities' }).getByRole('button', { name: 'Sparkplug Edge Node', exact: true }).click();
    await page.getByRole('heading', { name: 'Sparkplug Edge Node', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'New sparkplug edge node' }).click();
    const form = page.locator('form.entity-form');
    await form.getByLabel('Name *').fill('Site edge');
    await form.getByLabel('Broker url *').fill('http://127.0.0.1');
    await form.getByLabel('Group ID *').fill('Sites');
    await form.getByLabel('Edge node ID *').fill('North');
    // credentials, TLS options, which points and deadbands: the configuration, on the screen
    await form.getByLabel('Username', { exact: true }).fill('edge-user');
    await form.getByLabel('Password', { exact: true }).fill('Edge-Form-Secret-1');
    await form.getByLabel(/^tls$/i).fill('{"reject_unauthorized": true}');
    await form.getByLabel('Point selection', { exact: true }).selectOption('list');
    await form.getByLabel('Point ids', { exact: true }).fill(`[${kept}]`);
    await form.getByLabel('Deadband', { exact: true }).fill('0.5');
    await form.getByLabel('Deadbands', { exact: true }).fill(`{"${kept}": 2}`);
    await form.getByRole('button', { name: 'Create' }).click();
    const fieldError = form.locator('[data-field="broker_url"]');
    await fieldError.waitFor();
    expect(await fieldError.textContent()).toContain('mqtt://');
    await form.getByLabel('Broker url *').fill(`mqtt://127.0.0.1:${mb.port}`);
    await form.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('table', { name: 'Sparkplug Edge Node list' }).getByText('Site edge').waitFor();
    await page.getByRole('button', { name: 'Edit Site edge' }).click();
    const status = page.getByRole('region', { name: 'Sparkplug status' });
    await expect.poll(() => status.getByTestId('spb-state').textContent(), { timeout: 30_000 }).toBe('Online');
    expect(await status.getByTestId('spb-outbox').textContent()).toContain('0 values in 0 messages');
    await sub.wait('the first NBIRTH', () => sub.of('NBIRTH').some((m) => m.topic === 'spBv1.0/Sites/NBIRTH/North'));
    // what the form stored, as the API answers it (the password never), and the listed point alone born
    const rows = (await (await fetch(`${e2e.server.url}/api/sparkplugnodes`, { headers: e2e.headers })).json()) as Record<string, unknown>[];
    expect(rows[0]).toMatchObject({ username: 'edge-user', point_selection: 'list', deadband: 0.5 });
    expect(JSON.parse(String(rows[0].point_ids))).toEqual([kept]);
    expect(JSON.parse(String(rows[0].deadbands))).toEqual({ [kept]: 2 });
    expect(JSON.parse(String(rows[0].tls))).toEqual({ reject_unauthorized: true });
    expect(JSON.stringify(rows[0])).not.toContain('Edge-Form-Secret-1');
    await sub.wait('the DBIRTH of the listed point', () => sub.of('DBIRTH', 'Panel').length > 0);
    expect(sub.of('DBIRTH', 'Panel')[0].metrics.map((m) => m.name)).toEqual(['Kept']);
    await status.getByRole('button', { name: 'Rebirth' }).click();
    await status.getByText('Rebirth requested.').waitFor();
    await sub.wait('a second NBIRTH', () => sub.of('NBIRTH').filter((m) => m.topic === 'spBv1.0/Sites/NBIRTH/North').length >= 2);
    expect(e2e.pageErrors).toEqual([]);
    // the one error Chromium logs is the 400 the wrong broker URL was answered with, on purpose
    expect(consoleErrors).toEqual([expect.stringMatching(/status of 400 .*\/api\/sparkplugnodes$/)]);
  });
});
