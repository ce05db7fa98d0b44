import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpec, receiver } from '../support/openadr';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

/** The OpenADR 3 VTN driven the way an OpenADR 3 client (VEN) drives it, every answer validated against the spec. */

describe('OpenADR 3 VTN', () => {
  let rt: TestRuntime;
  const valid = compileSpec();
  const base = () => `${rt.url}/api/openadr/3`;
  const call = async (method: string, path: string, token: string | null, body?: unknown, type = 'application/json') => {
    const r = await fetch(`${base()}${path}`, {
      method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'Content-Type': type } : {}) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('content-type') ?? '', headers: r.headers, body: (text ? JSON.parse(text) : null) as never };
  };
  const problem = (r: { status: number; type: string; body: unknown }, status: number) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
    valid('problem', r.body);
  };
  const token = async (clientId: string, secret: string, basic = true) => {
    const r = await fetch(`${base()}/auth/token`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(basic ? { Authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}` } : {}) },
      body: new URLSearchParams(basic ? { grant_type: 'client_credentials' } : { grant_type: 'client_credentials', client_id: clientId, client_secret: secret }),
    });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    return (valid('clientCredentialResponse', await r.json()) as { access_token: string }).access_token;
  };

  let a: { id: number; client_id: string; api_key: string };
  let b: { id: number; client_id: string; api_key: string };
  let bl: { id: number; client_id: string; api_key: string };
  let program: { id: number; uuid: string };
  beforeAll(async () => {
    process.env.SWITCHYARD_DR_BACKOFF_MS = '100';
    rt = await startTestRuntime();
    program = (await rt.api<{ id: number; uuid: string }>('POST', '/dr/programs', { name: 'Evening peak' })).body;
    a = (await rt.api<typeof a>('POST', '/dr/partners', { name: 'Fleet A' })).body;
    b = (await rt.api<typeof b>('POST', '/dr/partners', { name: 'Fleet B' })).body;
    bl = (await rt.api<typeof bl>('POST', '/dr/partners', { name: 'Utility BL', role: 'bl' })).body;
  });
  afterAll(async () => {
    delete process.env.SWITCHYARD_DR_BACKOFF_MS;
    await rt?.stop();
  });

  it('OAuth2 client credentials: Basic or body credentials, RFC 6749 errors, /auth/server', async () => {
    const server = await call('GET', '/auth/server', null);
    expect(server.status).toBe(200);
    expect((valid('authServerInfo', server.body) as { tokenURL: string }).tokenURL).toBe(`${base()}/auth/token`);
    await token(a.client_id, a.api_key, true);
    await token(a.client_id, a.api_key, false);
    const form = (body: Record<string, string>, auth?: string) => fetch(`${base()}/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...(auth ? { Authorization: auth } : {}) }, body: new URLSearchParams(body) });
    const wrong = await form({ grant_type: 'client_credentials', client_id: a.client_id, client_secret: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('cache-control')).toBe('no-store');
    expect(valid('authError', await wrong.json())).toMatchObject({ error: 'invalid_client' });
    const grant = await form({ grant_type: 'password', client_id: a.client_id, client_secret: a.api_key });
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    const none = await form({ grant_type: 'client_credentials' });
    expect(none.status).toBe(401);
    const scope = await form({ grant_type: 'client_credentials', client_id: a.client_id, client_secret: a.api_key, scope: 'write_events' });
    expect(await scope.json()).toMatchObject({ error: 'invalid_scope' });
    // expired tokens are purged when a token is issued
    rt.ctx.store.db.prepare("INSERT INTO dr_partner_tokens (token_hash, partner_id, expires_at) VALUES ('old', ?, '2020-01-01T00:00:00.000Z')").run(a.id);
    await token(a.client_id, a.api_key);
    expect(rt.ctx.store.db.prepare("SELECT 1 FROM dr_partner_tokens WHERE token_hash = 'old'").get()).toBeUndefined();
  });

  it('a VEN flow: programs, VEN and resource, subscription, notifications only for its events, intervals, a report; partners never see each other', async () => {
    const hookA = await receiver();
    const hookB = await receiver();
    try {
      const ta = await token(a.client_id, a.api_key);
      const tb = await token(b.client_id, b.api_key, false);
      expect((await call('GET', '/programs', ta)).body).toEqual([]);
      await rt.api('PUT', `/dr/programs/${program.id}/partners`, { partner_ids: [a.id, b.id] });
      const progs = await call('GET', '/programs', ta);
      expect((valid('program', progs.body, true) as { programName: string }[]).map((p) => p.programName)).toEqual(['Evening peak']);
      const programID = (progs.body as { id: string }[])[0].id;

      const venA = (await call('POST', '/vens', ta, { objectType: 'VEN_VEN_REQUEST', venName: 'ven-a' })) as { status: number; body: { id: string } };
      expect(venA.status).toBe(201);
      valid('ven', venA.body);
      const venB = (await call('POST', '/vens', tb, { objectType: 'VEN_VEN_REQUEST', venName: 'ven-b' })) as { status: number; body: { id: string } };
      const resA = await call('POST', '/resources', ta, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'ev-1', venID: venA.body.id });
      expect(resA.status).toBe(201);
      valid('resource', resA.body);
      const resB = await call('POST', '/resources', tb, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'ev-1', venID: venB.body.id });
      expect(resB.status).toBe(201);
      expect((resB.body as { id: string }).id).not.toBe((resA.body as { id: string }).id);
      expect(valid('resource', (await call('GET', '/resources', ta)).body, true)).toHaveLength(1);

      for (const [t, hook, bearer] of [[ta, hookA, 'tok-a'], [tb, hookB, 'tok-b']] as const) {
        const sub = await call('POST', '/subscriptions', t, { clientName: 'ven', programID, objectOperations: [{ objects: ['EVENT'], operations: ['CREATE', 'UPDATE'], callbackUrl: hook.url, bearerToken: bearer }] });
        expect(sub.status, JSON.stringify(sub.body)).toBe(201);
        valid('subscription', sub.body);
      }

      const resources = (await rt.api<{ id: number; uuid: string }[]>('GET', '/dr/resources')).body;
      const idA = resources.find((r) => r.uuid === (resA.body as { id: string }).id)!.id;
      const idB = resources.find((r) => r.uuid === (resB.body as { id: string }).id)!.id;
      const start = new Date(Date.now() + 3_600_000);
      start.setUTCSeconds(0, 0);
      const intervals = [0, 1, 2, 3].map((i) => ({ id: i, intervalPeriod: { start: new Date(start.getTime() + i * 900_000).toISOString(), duration: 'PT15M' }, payloads: [{ type: 'PRICE', values: [0.1 + i / 10] }] }));
      const make = (name: string, target: number) =>
        rt.api<{ id: number; uuid: string }>('POST', '/dr/events', { name, program_id: program.id, priority: 1, target_resources: [target], interval_period: { start: start.toISOString(), duration: 'PT1H' }, payload: { type: 'PRICE', value: 0.1 }, intervals, mandatory: false, status: 'scheduled' });
      const e1 = (await make('For A', idA)).body;
      const e2 = (await make('For B', idB)).body;

      await waitFor(() => hookA.got.length >= 1 && hookB.got.length >= 1, 'both notifications', 20_000);
      await waitFor(() => !rt.ctx.store.db.prepare("SELECT 1 FROM dr_deliveries WHERE status = 'pending'").get(), 'the outbox to drain', 20_000);
      expect(hookA.got).toHaveLength(1);
      expect(hookB.got).toHaveLength(1);
      const note = hookA.got[0];
      valid('notification', note.body);
      expect(note.headers.authorization).toBe('Bearer tok-a');
      expect(note.headers['x-switchyard-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
      expect(note.body).toMatchObject({ objectType: 'EVENT', operation: 'CREATE', targets: ['ev-1'], object: { id: e1.uuid, programID } });
      expect((hookB.got[0].body.object as { id: string }).id).toBe(e2.uuid);

      const listA = await call('GET', '/events', ta);
      expect((valid('event', listA.body, true) as { id: string }[]).map((e) => e.id)).toEqual([e1.uuid]);
      const one = (await call('GET', `/events/${e1.uuid}`, ta)) as { status: number; body: { intervals: { id: number; payloads: { type: string; values: number[] }[] }[]; targets: string[]; objectType: string } };
      valid('event', one.body);
      expect(one.body.objectType).toBe('EVENT');
      expect(one.body.intervals.map((i) => i.payloads[0].values[0])).toEqual([0.1, 0.2, 0.30000000000000004, 0.4]);
      problem(await call('GET', `/events/${e2.uuid}`, ta), 404);
      // the partner API applies the same privacy
      const partnerList = await fetch(`${rt.url}/api/partner/v1/events`, { headers: { Authorization: `Bearer ${a.api_key}` } });
      expect(((await partnerList.json()) as { id: string }[]).map((e) => e.id)).toEqual([e1.uuid]);
      const partnerOther = await fetch(`${rt.url}/api/partner/v1/events/${e2.uuid}`, { headers: { Authorization: `Bearer ${a.api_key}` } });
      expect(partnerOther.status).toBe(404);
      // the operator's business logic sees both, with every target
      const tbl = await token(bl.client_id, bl.api_key);
      expect((valid('event', (await call('GET', `/events?programID=${programID}`, tbl)).body, true) as { id: string }[]).map((e) => e.id)).toEqual([e2.uuid, e1.uuid]);

      const report = { eventID: e1.uuid, clientName: 'ven-a', reportName: 'usage', resources: [{ resourceName: 'ev-1', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [3.5] }] }] }] };
      const posted = await call('POST', '/reports', ta, report);
      expect(posted.status, JSON.stringify(posted.body)).toBe(201);
      valid('report', posted.body);
      problem(await call('POST', '/reports', ta, {}), 400);
      problem(await call('POST', '/reports', ta, { ...report, resources: [] }), 400);
      problem(await call('POST', '/reports', ta, { ...report, eventID: e2.uuid }), 400);
      expect(valid('report', (await call('GET', '/reports', ta)).body, true)).toHaveLength(1);
      expect((await call('GET', '/reports', tb)).body).toEqual([]);
      const console = (await rt.api<{ name: string; event_uuid: string }[]>('GET', '/dr/reports')).body;
      expect(console[0]).toMatchObject({ name: 'usage', event_uuid: e1.uuid });
    } finally {
      await hookA.close();
      await hookB.close();
    }
  });

  it('problem+json on every failure path', async () => {
    const t = await token(a.client_id, a.api_key);
    problem(await call('GET', '/events', null), 401);
    problem(await call('GET', '/events', 'not-a-token'), 401);
    problem(await call('POST', '/subscriptions', t, '{"clientName": '), 400);
    problem(await call('POST', '/subscriptions', t, 'clientName=x', 'text/csv'), 415);
    problem(await call('PATCH', '/events', t, {}), 405);
    problem(await call('GET', '/nothing-here', t), 404);
    problem(await call('GET', '/events?limit=51', t), 400);
    problem(await call('POST', '/subscriptions', t, { clientName: 'x', objectOperations: [{ objects: ['EVENT'], operations: ['CREATE'], callbackUrl: 'ftp://x' }] }), 400);
    problem(await call('POST', '/programs', t, { programName: 'mine' }), 403);
  });
});

describe('multi-interval dispatch', () => {
  it('holds each interval\'s payload during its own time', async () => {
    const { currentSignal } = await import('../../src/core/dr/dispatch');
    const start = Date.parse('2027-01-01T16:00:00Z');
    const q = (i: number) => ({ id: i, payloads: [{ type: 'PowerLevel', values: [10 * (i + 1)] }] });
    // four 15-minute steps of a one-hour event, without their own intervalPeriod: equal shares in order
    const e = { interval_period: { start: '2027-01-01T16:00:00Z', duration: 'PT1H' }, intervals: [q(0), q(1), q(2), q(3)], payload: { type: 'PowerLevel', value: 0 } };
    expect(currentSignal(e, start - 1)).toBeNull();
    expect(currentSignal(e, start)).toEqual({ type: 'PowerLevel', value: 10, end: start + 900_000 });
    expect(currentSignal(e, start + 900_000)).toEqual({ type: 'PowerLevel', value: 20, end: start + 1_800_000 });
    expect(currentSignal(e, start + 3_599_999)).toEqual({ type: 'PowerLevel', value: 40, end: start + 3_600_000 });
    expect(currentSignal(e, start + 3_600_000)).toBeNull();
    // intervals with their own periods (a gap between them holds nothing)
    const own = { ...e, intervals: [{ ...q(0), intervalPeriod: { start: '2027-01-01T16:00:00Z', duration: 'PT10M' } }, { ...q(1), intervalPeriod: { start: '2027-01-01T16:30:00Z', duration: 'PT30M' } }] };
    expect(currentSignal(own, start + 5 * 60_000)?.value).toBe(10);
    expect(currentSignal(own, start + 15 * 60_000)).toBeNull();
    expect(currentSignal(own, start + 45 * 60_000)).toEqual({ type: 'PowerLevel', value: 20, end: start + 3_600_000 });
    // randomizeStart: a resource delayed by 4 minutes follows the whole profile 4 minutes late, cut at the event's end
    const { resourceSignal } = await import('../../src/core/dr/dispatch');
    const m = 60_000;
    expect(resourceSignal(e, 4 * m, start + 2 * m)).toBeNull();
    expect(resourceSignal(e, 4 * m, start + 4 * m)).toEqual({ type: 'PowerLevel', value: 10, end: start + 19 * m });
    expect(resourceSignal(e, 4 * m, start + 18 * m)?.value).toBe(10);
    expect(resourceSignal(e, 4 * m, start + 19 * m)).toEqual({ type: 'PowerLevel', value: 20, end: start + 34 * m });
    expect(resourceSignal(e, 4 * m, start + 59 * m)).toEqual({ type: 'PowerLevel', value: 40, end: start + 60 * m });
    expect(resourceSignal(e, 4 * m, start + 60 * m)).toBeNull();
    expect(resourceSignal(e, 0, start + 15 * m)).toEqual(currentSignal(e, start + 15 * m));
    // no intervals: the event's one payload throughout
    expect(currentSignal({ ...e, intervals: [], payload: { type: 'PowerLevel', value: 60 } }, start + 1000)).toEqual({ type: 'PowerLevel', value: 60, end: start + 3_600_000 });
  });
});
