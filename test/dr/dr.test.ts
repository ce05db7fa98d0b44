import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomOffset } from '../../src/core/dr/feature';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

interface Received {
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver that answers 500 to the first `failFirst` requests. */
async function receiver(failFirst = 0): Promise<{ url: string; got: Received[]; close(): Promise<void> }> {
  const got: Received[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) {
        res.writeHead(500).end('not yet');
        return;
      }
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

describe('demand response APIs', () => {
  let rt: TestRuntime;
  let apiKey: string;
  let partner: { client_id: string; api_key: string };
  const partnerApi = async <T>(method: string, route: string, body?: unknown, key = partner.api_key) => {
    const r = await fetch(`${rt.url}/api/partner/v1${route}`, { method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as T };
  };

  beforeAll(async () => {
    process.env.SWITCHYARD_DR_BACKOFF_MS = '100';
    rt = await startTestRuntime({ seed: 'demo' });
    apiKey = (await rt.api<{ token: string }>('POST', '/apikeys', { name: 'ecosuite', expires_datetime_utc: '2030-01-01T00:00:00' })).body.token;
    partner = (await rt.api<{ client_id: string; api_key: string }>('POST', '/dr/partners', { name: 'Fleet operator' })).body;
  });
  afterAll(async () => {
    delete process.env.SWITCHYARD_DR_BACKOFF_MS;
    await rt?.stop();
  });

  it('Ecosuite participants: the document shapes, an API key in Authorization', async () => {
    const eco = (method: string, route: string, body?: unknown, key = apiKey) => fetch(`${rt.url}/api${route}`, { method, headers: { Authorization: key, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const created = await eco('POST', '/dr/participants', { code: 'text', contactUser: 'text', phoneContact: 'text' });
    expect(created.status).toBe(200);
    expect(created.headers.get('content-type')).toMatch(/^application\/json/);
    const id = (await created.json()) as string;
    expect(id).toMatch(/^\d+$/);
    expect(await (await eco('GET', `/dr/participants/${id}`)).json()).toEqual({ code: 'text', contactUser: 'text', phoneContact: 'text' });
    expect(await (await eco('GET', '/dr/participants')).json()).toEqual({ events: [{ code: 'text', contactUser: 'text', phoneContact: 'text' }] });
    const bad = await eco('GET', '/dr/participants/abc');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toBe('Invalid participant id');
    expect((await eco('GET', '/dr/participants', undefined, 'wrong-key')).status).toBe(401);
    const missing = await eco('POST', '/dr/participants', { code: 'x', contactUser: 'y' });
    expect(((await missing.json()) as { field: string }).field).toBe('phoneContact');
    const deleted = await eco('DELETE', `/dr/participants/${id}`);
    expect(deleted.status).toBe(200);
    expect(await deleted.text()).toBe('');
    expect((await eco('GET', `/dr/participants/${id}`)).status).toBe(400);
  });

  it('partner API: bearer keys and OAuth2 client credentials, own resources only, problem+json errors, paging', async () => {
    expect((await partnerApi('GET', '/resources', undefined, 'nope')).status).toBe(401);
    const token = await fetch(`${rt.url}/api/partner/v1/oauth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: partner.client_id, client_secret: partner.api_key }) });
    const access = (await token.json()) as { access_token: string; token_type: string };
    expect(access.token_type).toBe('Bearer');
    const meta = { vehicleId: 'VIN123', batteryCapacityKwh: 75, maxChargeKw: 11 };
    const created = await partnerApi<{ id: string; resourceId: string }>('POST', '/resources', { userId: 'u1', resourceId: 'ev-1', metadata: meta }, access.access_token);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ userId: 'u1', resourceId: 'ev-1', metadata: meta });
    for (const n of [2, 3]) await partnerApi('POST', '/resources', { resourceId: `ev-${n}`, metadata: {} });
    expect((await partnerApi<unknown[]>('GET', '/resources?limit=2')).body).toHaveLength(2);
    expect((await partnerApi<unknown[]>('GET', '/resources?skip=2&limit=2')).body).toHaveLength(1);
    const updated = await partnerApi<{ metadata: { maxChargeKw: number } }>('PUT', '/resources?resourceId=ev-1', { userId: 'u1', resourceId: 'ev-1', metadata: { ...meta, maxChargeKw: 22 } });
    expect(updated.body.metadata.maxChargeKw).toBe(22);
    expect((await partnerApi('GET', '/resources/ev-1')).status).toBe(200);
    const dup = await partnerApi<{ status: number; errors: Record<string, string[]> }>('POST', '/resources', { resourceId: 'ev-1' });
    expect(dup.status).toBe(409);
    expect(dup.type).toContain('application/problem+json');
    const bad = await partnerApi<{ errors: Record<string, string[]> }>('POST', '/resources', { metadata: {} });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.errors)).toEqual(['resourceId']);
    // another partner sees none of them
    const other = (await rt.api<{ api_key: string }>('POST', '/dr/partners', { name: 'Other partner' })).body;
    expect((await partnerApi<unknown[]>('GET', '/resources', undefined, other.api_key)).body).toEqual([]);
    expect((await partnerApi('GET', '/resources/ev-1', undefined, other.api_key)).status).toBe(404);
    expect((await partnerApi('DELETE', '/resources?resourceId=ev-3')).status).toBe(204);
    expect((await partnerApi('GET', '/resources/ev-3')).status).toBe(404);
  });

  it('signs webhooks, retries a failing receiver, logs deliveries, and dispatches an event to the demo battery', async () => {
    const hook = await receiver(1);
    try {
      const secret = 'a-long-webhook-secret-123';
      const s = await partnerApi<{ id: string }>('POST', '/subscriptions', { webhookUrl: hook.url, webhookSecret: secret, eventPayloadTypes: ['PowerLevel'], operationTypes: ['Create', 'Update'] });
      expect(s.status).toBe(201);
      expect((await partnerApi('POST', '/subscriptions', { webhookUrl: 'ftp://x', webhookSecret: secret })).status).toBe(400);

      const points = (await rt.api<{ id: number; name: string }[]>('GET', '/points')).body;
      const setpoint = points.find((p) => p.name === 'Battery Setpoint')!.id;
      const battery = (await rt.api<{ id: number }>('POST', '/dr/resources', { resource_id: 'Yard battery', point_id: setpoint })).body.id;
      const program = (await rt.api<{ id: number }>('POST', '/dr/programs', { name: 'Peak shaving' })).body.id;
      // the partner hears of events that target one of its resources (its EV), not of the others
      const ev1 = (await rt.api<{ id: number; resource_id: string; partner: { name: string } | null }[]>('GET', '/dr/resources')).body.find((r) => r.resource_id === 'ev-1' && r.partner?.name === 'Fleet operator')!.id;
      const bad = await rt.api<{ field: string }>('POST', '/dr/events', { name: 'x', interval_period: { start: '2026-07-01T17:00:00', duration: 'PT1H' }, payload: { type: 'PowerLevel', value: 1 } });
      expect(bad.body.field).toBe('interval_period');
      const start = new Date(Date.now() + 500).toISOString();
      const created = await rt.api<{ id: number; uuid: string; status: string }>('POST', '/dr/events', {
        name: 'Evening peak',
        program_id: program,
        priority: 1,
        target_resources: [battery, ev1],
        interval_period: { start, duration: 'PT1H', randomizeStart: null },
        payload: { type: 'PowerLevel', value: 60 },
        status: 'scheduled',
      });
      expect(created.status, JSON.stringify(created.body)).toBe(201);

      // the first delivery fails (500) and is retried; the signature verifies with an independent HMAC
      // (the event's Create; an Update may follow when it starts, delivered at once, and may come first under load)
      const isCreate = (g: Received) => (JSON.parse(g.body) as { operation: string }).operation === 'Create';
      await waitFor(() => hook.got.some(isCreate), 'the event\'s Create delivered', 10_000);
      const first = hook.got.find(isCreate)!;
      const ts = String(first.headers['x-switchyard-timestamp']);
      const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${first.body}`).digest('hex')}`;
      expect(first.headers['x-switchyard-signature']).toBe(expected);
      const delivered = JSON.parse(first.body) as { operation: string; event: { id: string; payload: { type: string }; intervalPeriod: { duration: string } } };
      expect(delivered).toMatchObject({ operation: 'Create', event: { id: created.body.uuid, payload: { type: 'PowerLevel' }, intervalPeriod: { duration: 'PT1H' } } });
      const log = await rt.api<{ operation: string; event_uuid: string; status: string; attempts: number; last_status_code: number }[]>('GET', `/dr/subscriptions/${s.body.id}/deliveries`);
      const createLog = log.body.find((d) => d.operation === 'Create' && d.event_uuid === created.body.uuid);
      expect(createLog, JSON.stringify(log.body)).toMatchObject({ status: 'delivered', attempts: 2, last_status_code: 204 });
      expect((await rt.api<{ partner: string; status: string }[]>('GET', '/dr/deliveries')).body.some((d) => d.partner === 'Fleet operator' && d.status === 'delivered')).toBe(true);

      // a partner reports on the event; the operator sees it
      const report = await partnerApi<{ id: string; eventId: string }>('POST', '/reports', { eventId: created.body.uuid, name: 'ev-1 session', payloads: [{ resourceId: 'ev-1', action: 'pause', powerKw: 0 }] });
      expect(report.status).toBe(201);
      expect((await rt.api<{ id: string; event_name: string; partner: string }[]>('GET', '/dr/reports')).body[0]).toMatchObject({ id: report.body.id, event_name: 'Evening peak', partner: 'Fleet operator' });

      // the event starts: the battery setpoint is written through the control path and audited
      await waitFor(async () => (await rt.api<{ status: string }>('GET', `/dr/events/${created.body.id}`)).body.status === 'active', 'the event to start', 10_000);
      await waitFor(async () => (await rt.api<{ value: number }>('GET', `/points/${setpoint}/latest`)).body.value === 60, 'the setpoint written', 10_000);
      // the read-back reaches the live value a moment before the write's audit entry is stored
      await waitFor(async () => (await rt.api<{ user_name: string; target: string; new_value: string }[]>('GET', '/auditlogs?action=command.write')).body.some((a) => a.target === `points:${setpoint}` && a.new_value === '60' && a.user_name.startsWith('demand response')), 'the audited DR write', 10_000);
      // the partner sees the running event
      expect((await partnerApi<{ status: string }>('GET', `/events/${created.body.uuid}`)).body.status).toBe('active');

      // cancelled: the event's request leaves the arbiter, the setpoint goes to what is left (the demo's storage
      // controllers, else the fallback 0; never a value remembered from before the event), partners hear of it
      const cancelled = await rt.api<{ status: string }>('PUT', `/dr/events/${created.body.id}/cancel`);
      expect(cancelled.body.status).toBe('cancelled');
      const stack = async () => (await rt.api<{ target: number; requests: { source: string }[] }>('GET', `/control/points/${setpoint}/requests`)).body;
      await waitFor(async () => !(await stack()).requests.some((r) => r.source === 'dr'), 'the event request withdrawn', 10_000);
      await waitFor(async () => {
        const [s, latest] = [await stack(), (await rt.api<{ value: number }>('GET', `/points/${setpoint}/latest`)).body.value];
        return s.target !== 60 && Math.abs(latest - s.target) <= 2;
      }, 'the setpoint handed to what is left', 10_000);
      await waitFor(() => hook.got.some((g) => (JSON.parse(g.body) as { event: { status: string } }).event.status === 'cancelled'), 'the cancellation webhook', 10_000);
    } finally {
      await hook.close();
    }
  });

  it('spreads resources over randomizeStart, the same way on every tick', () => {
    const offsets = [1, 2, 3, 4, 5].map((r) => randomOffset('event-uuid', r, 600_000));
    expect(offsets.every((o) => o >= 0 && o <= 600_000)).toBe(true);
    expect(new Set(offsets.map((o) => Math.round(o))).size).toBe(5);
    expect(randomOffset('event-uuid', 3, 600_000)).toBe(offsets[2]);
  });

  it('never follows redirects and gives up after retries', async () => {
    const redirecting = http.createServer((_req, res) => res.writeHead(302, { Location: 'http://127.0.0.1:1/' }).end());
    await new Promise<void>((r) => redirecting.listen(0, '127.0.0.1', () => r()));
    try {
      const url = `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`;
      const s = await partnerApi<{ id: string }>('POST', '/subscriptions', { webhookUrl: url, webhookSecret: 'another-secret-0123456', operationTypes: ['Create'] });
      const ev1 = (await rt.api<{ id: number; resource_id: string; partner: { name: string } | null }[]>('GET', '/dr/resources')).body.find((r) => r.resource_id === 'ev-1' && r.partner?.name === 'Fleet operator')!.id;
      await rt.api('POST', '/dr/events', { name: 'Redirect test', target_resources: [ev1], interval_period: { start: '2030-01-01T10:00:00Z', duration: 'PT15M' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' });
      await waitFor(async () => (await rt.api<{ last_error: string }[]>('GET', `/dr/subscriptions/${s.body.id}/deliveries`)).body[0]?.last_error === 'redirects are not followed', 'a refused redirect', 10_000);
    } finally {
      await new Promise<void>((r) => redirecting.close(() => r()));
    }
  });
});
