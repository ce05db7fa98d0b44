/**
 * End to end in Chromium: the administrator adds partners with their roles and enrols them in a program from the
 * demand response console, sees what each partner registered through the OpenADR VTN (its VEN, programs and
 * resources), and reads ecobee's answer to every send and cancel per reference. Any console or page error fails.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2eServer, haveChromium, loginInBrowser, startE2e } from './support/browser';

const PASSWORD = 'E2e-Partners-Pass-1';

describe.skipIf(!haveChromium())('demand response partners, enrolment and ecobee answers in Chromium', () => {
  let e2e: E2eServer;
  let page: Page;
  let ecobee: http.Server;
  const calls: { operation: string; demandResponseRef?: string }[] = [];
  const consoleErrors: string[] = [];
  let eventId = 0;
  let programId = 0;
  const api = async <T>(method: string, route: string, data?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${e2e.server.url}/api${route}`, { method, headers: e2e.headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    return { status: r.status, body: (await r.json().catch(() => null)) as T };
  };

  beforeAll(async () => {
    // a local ecobee: each create gets the next reference, a cancel of ref-2 is refused (code 3)
    ecobee = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        const b = JSON.parse(body) as { operation: string; demandResponseRef?: string };
        calls.push(b);
        const creates = calls.filter((c) => c.operation === 'create').length;
        const answer = b.operation === 'create' ? { status: { code: 0, message: '' }, demandResponseRef: `ref-${creates}` } : b.demandResponseRef === 'ref-2' ? { status: { code: 3, message: 'Processing error.' } } : { status: { code: 0, message: '' } };
        res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => ecobee.listen(0, '127.0.0.1', () => r()));
    e2e = await startE2e('--empty', PASSWORD);
    page = e2e.page;
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    expect((await api('PUT', '/dr/ecobee', { base_url: `http://127.0.0.1:${(ecobee.address() as AddressInfo).port}`, token: 'e2e-token' })).status).toBe(200);
    programId = (await api<{ id: number }>('POST', '/dr/programs', { name: 'Evening peak' })).body.id;
    const start = new Date(Date.now() + 2 * 3_600_000);
    start.setUTCMinutes(0, 0, 0);
    const ev = await api<{ id: number }>('POST', '/dr/events', { name: 'Heat wave', program_id: programId, interval_period: { start: start.toISOString(), duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' });
    expect(ev.status).toBe(201);
    eventId = ev.body.id;
    await page.goto(`${e2e.server.url}/#/dr`);
    await loginInBrowser(page, PASSWORD);
  }, 360_000);
  afterAll(async () => {
    await e2e?.stop();
    await new Promise<void>((r) => (ecobee ? ecobee.close(() => r()) : r()));
  });

  it('adds partners with their roles and shows a new partner\'s secret once', async () => {
    const panel = page.getByRole('region', { name: 'Partners and enrolment' });
    await panel.waitFor({ timeout: 20_000 });
    const form = page.getByRole('form', { name: 'New partner' });
    await form.getByLabel('Partner name').fill('Fleet A');
    await form.getByRole('button', { name: 'Add partner' }).click();
    const secret = page.getByRole('region', { name: 'New partner credentials' });
    await secret.waitFor();
    const codes = await secret.locator('code').allTextContents();
    expect(codes[0]).toMatch(/^partner-/);
    expect(codes[1].length).toBeGreaterThan(20);
    await page.getByRole('status').filter({ hasText: 'Partner Fleet A added.' }).waitFor();
    await form.getByLabel('Partner name').fill('Utility BL');
    await form.getByLabel('New partner role').selectOption('bl');
    await form.getByRole('button', { name: 'Add partner' }).click();
    const table = page.getByRole('table', { name: 'Partners' });
    await table.getByText('Utility BL').waitFor();
    await expect.poll(() => page.getByLabel('Role of Utility BL').inputValue()).toBe('bl');
    const partners = (await api<{ name: string; role: string }[]>('GET', '/dr/partners')).body;
    expect(partners.map((p) => [p.name, p.role])).toEqual([
      ['Fleet A', 'ven'],
      ['Utility BL', 'bl'],
    ]);

    // the VEN registers itself and a resource through the VTN with the credentials shown
    const tokenRes = await fetch(`${e2e.server.url}/api/openadr/3/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${codes[0]}:${codes[1]}`).toString('base64')}` }, body: 'grant_type=client_credentials' });
    expect(tokenRes.status).toBe(200);
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const vtn = (path: string, body: unknown) => fetch(`${e2e.server.url}/api/openadr/3${path}`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    const ven = (await (await vtn('/vens', { objectType: 'VEN_VEN_REQUEST', venName: 'ven-a' })).json()) as { id: string };
    expect((await vtn('/resources', { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'ev-1', venID: ven.id })).status).toBe(201);
    const row = table.getByRole('row').filter({ hasText: 'Fleet A' });
    await row.getByText('ven-a').waitFor({ timeout: 15_000 });
    await row.getByText('ev-1').waitFor();
  });

  it('enrols a VEN in a program and shows the programs it sees', async () => {
    const box = page.getByLabel('Fleet A in Evening peak');
    expect(await box.isChecked()).toBe(false);
    // the box shows what the server holds: it turns checked once the enrolment is saved and read back
    await box.click();
    await page.getByRole('status').filter({ hasText: 'Fleet A enrolled in Evening peak.' }).waitFor();
    expect((await api<{ id: number; partner_ids: number[] }[]>('GET', '/dr/programs')).body.find((p) => p.id === programId)!.partner_ids).toHaveLength(1);
    await page.getByRole('table', { name: 'Partners' }).getByRole('row').filter({ hasText: 'Fleet A' }).getByText('Evening peak').waitFor({ timeout: 15_000 });
    await expect.poll(() => box.isChecked()).toBe(true);
  });

  it('shows ecobee\'s answer to every send and cancel, per reference', async () => {
    // sent twice from the console (a re-send gets a second reference)
    for (let i = 0; i < 2; i++) {
      await page.getByRole('table', { name: 'Event list' }).getByRole('button', { name: 'ecobee…' }).click();
      const form = page.getByRole('form', { name: 'Send Heat wave to ecobee' });
      await form.getByRole('button', { name: 'Send to ecobee' }).click();
      await page.getByRole('status').filter({ hasText: `(ref ref-${i + 1})` }).waitFor();
    }
    const answers = page.getByRole('table', { name: 'ecobee answers' });
    await answers.getByText('ref-2').waitFor({ timeout: 15_000 });
    // cancelling the event cancels it at ecobee under both references; ecobee refuses ref-2
    await page.getByRole('table', { name: 'Event list' }).getByRole('button', { name: 'Cancel' }).click();
    await page.getByRole('dialog', { name: 'Cancel event' }).getByRole('button', { name: 'Cancel event' }).click();
    await page.getByRole('status').filter({ hasText: 'Heat wave cancelled.' }).waitFor();
    const cancelRow = (ref: string) => answers.getByRole('row').filter({ hasText: ref }).filter({ hasText: 'cancel' });
    await cancelRow('ref-1').getByText('code 0').waitFor({ timeout: 15_000 });
    await cancelRow('ref-2').getByText('✕ code 3: Processing error.').waitFor();
    expect(await answers.getByRole('row').filter({ hasText: 'send' }).count()).toBe(2);
    expect(calls.map((c) => [c.operation, c.demandResponseRef ?? null])).toEqual([
      ['create', null],
      ['create', null],
      ['cancel', 'ref-1'],
      ['cancel', 'ref-2'],
    ]);
    expect((await api<{ ecobee: { answers: unknown[] } }>('GET', `/dr/events/${eventId}`)).body.ecobee.answers).toHaveLength(4);
  });

  it('raised no console or page error', () => {
    expect(consoleErrors).toEqual([]);
    expect(e2e.pageErrors).toEqual([]);
  });
});
