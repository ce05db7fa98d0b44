import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileSpec, type Hook, receiver } from '../support/openadr';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

/**
 * OpenADR 3 writes (PUT and DELETE on programs, events, VENs, resources, reports and subscriptions) with the roles
 * of the specification's scopes, and the notifications of every object type and operation, each only to the
 * subscribers allowed to see the object. Every answer and notification is validated against the specification.
 */
describe('OpenADR 3 writes and notifications', () => {
  let rt: TestRuntime;
  const valid = compileSpec();
  const base = () => `${rt.url}/api/openadr/3`;
  type Answer = { status: number; type: string; body: Record<string, unknown> & { id: string } };
  const call = async (method: string, path: string, token: string, body?: unknown): Promise<Answer> => {
    const r = await fetch(`${base()}${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await r.text();
    return { status: r.status, type: r.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Answer['body'] };
  };
  const ok = (r: Answer, schema: string, status = 200) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    valid(schema, r.body);
    return r.body;
  };
  const problem = (r: Answer, status: number, field?: string) => {
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    expect(r.type).toMatch(/^application\/problem\+json/);
    valid('problem', r.body);
    if (field) expect(Object.keys((r.body as { errors?: object }).errors ?? {})).toContain(field);
  };
  const token = async (clientId: string, secret: string) => {
    const r = await fetch(`${base()}/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` }, body: 'grant_type=client_credentials' });
    return ((await r.json()) as { access_token: string }).access_token;
  };

  let program: { id: number; uuid: string };
  const t = { a: '', b: '', bl: '' };
  const ids = { a: 0, b: 0 };
  beforeAll(async () => {
    process.env.SWITCHYARD_DR_BACKOFF_MS = '100';
    rt = await startTestRuntime();
    program = (await rt.api<{ id: number; uuid: string }>('POST', '/dr/programs', { name: 'Evening peak' })).body;
    const make = async (name: string, role = 'ven') => (await rt.api<{ id: number; client_id: string; api_key: string }>('POST', '/dr/partners', { name, role })).body;
    const a = await make('Fleet A');
    const b = await make('Fleet B');
    const bl = await make('Utility BL', 'bl');
    [ids.a, ids.b] = [a.id, b.id];
    t.a = await token(a.client_id, a.api_key);
    t.b = await token(b.client_id, b.api_key);
    t.bl = await token(bl.client_id, bl.api_key);
  });
  afterAll(async () => {
    delete process.env.SWITCHYARD_DR_BACKOFF_MS;
    await rt?.stop();
  });

  it('writes with the roles of the specification, notifying only those who may see each object', async () => {
    const hooks = { a: await receiver(), b: await receiver(), bl: await receiver() };
    const all = (url: string) => ({ objects: ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'], operations: ['CREATE', 'UPDATE', 'DELETE'], callbackUrl: url });
    const drained = async () => {
      await waitFor(() => !rt.ctx.store.db.prepare("SELECT 1 FROM dr_deliveries WHERE status = 'pending'").get(), 'the outbox to drain', 20_000);
    };
    const seen = (h: { got: Hook[] }) => h.got.map((n) => `${n.body.objectType} ${n.body.operation}`).sort();
    try {
      await rt.api('PUT', `/dr/programs/${program.id}/partners`, { partner_ids: [ids.a] });
      const venA = ok(await call('POST', '/vens', t.a, { objectType: 'VEN_VEN_REQUEST', venName: 'ven-a' }), 'ven', 201);
      const venB = ok(await call('POST', '/vens', t.b, { objectType: 'VEN_VEN_REQUEST', venName: 'ven-b' }), 'ven', 201);
      ok(await call('POST', '/subscriptions', t.bl, { clientName: 'bl', objectOperations: [all(hooks.bl.url)] }), 'subscription', 201);
      const subA = ok(await call('POST', '/subscriptions', t.a, { clientName: 'ven-a', objectOperations: [all(hooks.a.url)] }), 'subscription', 201);
      const subB = ok(await call('POST', '/subscriptions', t.b, { clientName: 'ven-b', objectOperations: [all(hooks.b.url)] }), 'subscription', 201);

      // programs: the business logic writes; a VEN may not (403), nor see a program it is not enrolled in (404)
      const programID = program.uuid;
      const put = ok(await call('PUT', `/programs/${programID}`, t.bl, { programName: 'Evening peak 2026', programDescriptions: [{ URL: 'https://example.org/peak' }] }), 'program');
      expect(put).toMatchObject({ programName: 'Evening peak 2026', programDescriptions: [{ URL: 'https://example.org/peak' }] });
      // the targets filter: a program naming targets is listed for one of them, one naming none always
      const targeted = ok(await call('POST', '/programs', t.bl, { programName: 'Fleet only', targets: ['fleet-x'] }), 'program', 201);
      const listed = async (q: string) => ((await call('GET', `/programs${q}`, t.bl)).body as unknown as { id: string }[]).map((x) => x.id);
      expect(await listed('?targets=fleet-x')).toEqual([programID, targeted.id]);
      expect(await listed('?targets=other')).toEqual([programID]);
      ok(await call('DELETE', `/programs/${targeted.id}`, t.bl), 'program');
      problem(await call('PUT', `/programs/${programID}`, t.a, { programName: 'mine' }), 403);
      problem(await call('PUT', `/programs/${programID}`, t.b, { programName: 'mine' }), 404);
      problem(await call('PUT', `/programs/${programID}`, t.bl, { programName: '' }), 400, 'programName');

      // resources: each VEN writes its own
      const ra = ok(await call('POST', '/resources', t.a, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'r-a', venID: venA.id }), 'resource', 201);
      ok(await call('POST', '/resources', t.b, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'r-b', venID: venB.id }), 'resource', 201);
      const raPut = ok(await call('PUT', `/resources/${ra.id}`, t.a, { objectType: 'VEN_RESOURCE_REQUEST', resourceName: 'r-a', venID: venA.id, attributes: [{ type: 'MAX_POWER_CONSUMPTION', values: [11] }] }), 'resource');
      expect(raPut.attributes).toEqual([{ type: 'MAX_POWER_CONSUMPTION', values: [11] }]);
      problem(await call('PUT', `/resources/${ra.id}`, t.b, { resourceName: 'stolen', venID: venB.id }), 404);
      problem(await call('PUT', `/resources/${ra.id}`, t.a, { resourceName: 'r-a', venID: venB.id }), 400, 'venID');

      // events: the business logic writes a two-step profile aimed at A's resource
      const start = new Date(Date.now() + 3_600_000).toISOString();
      const profile = { programID, eventName: 'Shed', targets: ['r-a'], intervalPeriod: { start, duration: 'PT15M' }, intervals: [0, 1].map((i) => ({ id: i, payloads: [{ type: 'PowerLevel', values: [5 * (i + 1)] }] })) };
      const ev = ok(await call('POST', '/events', t.bl, profile), 'event', 201);
      // OpenADR reads the event's duration as each interval's: two 15-minute intervals, one after the other
      expect((ev.intervals as { intervalPeriod: { start: string; duration: string } }[]).map((i) => i.intervalPeriod)).toEqual([
        { start: new Date(Date.parse(start)).toISOString(), duration: 'PT15M' },
        { start: new Date(Date.parse(start) + 900_000).toISOString(), duration: 'PT15M' },
      ]);
      expect(ev.intervalPeriod).toMatchObject({ duration: 'PT30M' });
      problem(await call('PUT', `/events/${ev.id}`, t.a, profile), 403);
      problem(await call('PUT', `/events/${ev.id}`, t.b, profile), 404);
      problem(await call('PUT', `/events/${ev.id}`, t.bl, { ...profile, intervals: [{ id: 0, payloads: [] }] }), 400, 'intervals[0].payloads');
      const evPut = ok(await call('PUT', `/events/${ev.id}`, t.bl, { ...profile, priority: 2 }), 'event');
      expect(evPut.priority).toBe(2);
      const operatorView = (await rt.api<{ uuid: string; priority: number }[]>('GET', '/dr/events')).body.find((e) => e.uuid === ev.id);
      expect(operatorView?.priority).toBe(2);
      problem(await call('DELETE', `/programs/${programID}`, t.bl), 409);

      // reports: only VENs write them, each its own
      const report = { eventID: ev.id, clientName: 'ven-a', reportName: 'usage', resources: [{ resourceName: 'r-a', intervals: [{ id: 0, payloads: [{ type: 'USAGE', values: [3.5] }] }] }] };
      const rep = ok(await call('POST', '/reports', t.a, report), 'report', 201);
      const repPut = ok(await call('PUT', `/reports/${rep.id}`, t.a, { ...report, reportName: 'usage (corrected)' }), 'report');
      expect(repPut.reportName).toBe('usage (corrected)');
      problem(await call('PUT', `/reports/${rep.id}`, t.bl, report), 403);
      problem(await call('PUT', `/reports/${rep.id}`, t.b, report), 404);
      problem(await call('PUT', `/reports/${rep.id}`, t.a, { ...report, resources: [] }), 400, 'resources');
      ok(await call('DELETE', `/reports/${rep.id}`, t.a), 'report');
      problem(await call('GET', `/reports/${rep.id}`, t.a), 404);

      // VENs: a VEN renames its own; another VEN cannot see it
      const venPut = ok(await call('PUT', `/vens/${venA.id}`, t.a, { objectType: 'VEN_VEN_REQUEST', venName: 'ven-a-2', attributes: [{ type: 'LOCATION', values: ['yard'] }] }), 'ven');
      expect(venPut).toMatchObject({ venName: 'ven-a-2', attributes: [{ type: 'LOCATION', values: ['yard'] }] });
      problem(await call('PUT', `/vens/${venA.id}`, t.b, { venName: 'x' }), 404);
      problem(await call('PUT', `/vens/${venA.id}`, t.a, { venName: 'ven-b' }), 409);

      // subscriptions: its owner changes it (the business logic hears of it without A's signing secret)
      const subPut = ok(await call('PUT', `/subscriptions/${subA.id}`, t.a, { clientName: 'ven-a', objectOperations: [all(hooks.a.url)], targets: ['r-a'] }), 'subscription');
      expect(subPut.targets).toEqual(['r-a']);
      problem(await call('PUT', `/subscriptions/${subA.id}`, t.b, { clientName: 'x', objectOperations: [all(hooks.b.url)] }), 404);

      // deletes: the event (the operator's console loses it too), A's resource, the program, A's VEN
      ok(await call('DELETE', `/events/${ev.id}`, t.bl), 'event');
      expect((await rt.api<{ uuid: string }[]>('GET', '/dr/events')).body.some((e) => e.uuid === ev.id)).toBe(false);
      ok(await call('DELETE', `/resources/${ra.id}`, t.a), 'resource');
      ok(await call('DELETE', `/programs/${programID}`, t.bl), 'program');
      problem(await call('GET', `/programs/${programID}`, t.bl), 404);
      ok(await call('DELETE', `/vens/${venA.id}`, t.a), 'ven');
      problem(await call('GET', `/vens/${venA.id}`, t.bl), 404);
      ok(await call('DELETE', `/subscriptions/${subB.id}`, t.b), 'subscription');
      problem(await call('GET', `/subscriptions/${subB.id}`, t.bl), 404);

      await drained();
      for (const h of Object.values(hooks)) for (const n of h.got) valid('notification', n.body);
      expect(seen(hooks.a)).toEqual(
        [
          'SUBSCRIPTION CREATE', // its own
          'PROGRAM UPDATE', // enrolled
          'RESOURCE CREATE',
          'RESOURCE UPDATE',
          'EVENT CREATE', // aimed at its resource
          'EVENT UPDATE',
          'REPORT CREATE',
          'REPORT UPDATE',
          'REPORT DELETE',
          'VEN UPDATE',
          'SUBSCRIPTION UPDATE',
          'EVENT DELETE',
          'RESOURCE DELETE',
          'PROGRAM DELETE',
          'VEN DELETE',
        ].sort(),
      );
      // B: its own subscription and resource only; nothing of A's program, events, reports, VEN or resources (its
      // subscription's deletion is nobody's news to itself: the subscription is gone)
      expect(seen(hooks.b)).toEqual(['RESOURCE CREATE', 'SUBSCRIPTION CREATE']);
      // the business logic hears of everything after its subscription
      expect(seen(hooks.bl)).toEqual(
        ['SUBSCRIPTION CREATE', 'SUBSCRIPTION CREATE', 'SUBSCRIPTION CREATE', 'PROGRAM UPDATE', 'PROGRAM CREATE', 'PROGRAM DELETE', 'RESOURCE CREATE', 'RESOURCE CREATE', 'RESOURCE UPDATE', 'EVENT CREATE', 'EVENT UPDATE', 'REPORT CREATE', 'REPORT UPDATE', 'REPORT DELETE', 'VEN UPDATE', 'SUBSCRIPTION UPDATE', 'EVENT DELETE', 'RESOURCE DELETE', 'PROGRAM DELETE', 'VEN DELETE', 'SUBSCRIPTION DELETE'].sort(),
      );
      // A sees the event with its own target names; the business logic with all of them
      const evA = hooks.a.got.find((n) => n.body.objectType === 'EVENT' && n.body.operation === 'CREATE')!.body;
      expect(evA).toMatchObject({ targets: ['r-a'], object: { id: ev.id, programID } });
      expect(hooks.a.got[0].headers.authorization).toBeUndefined();
      const subNote = hooks.bl.got.find((n) => n.body.objectType === 'SUBSCRIPTION' && n.body.operation === 'UPDATE')!.body.object as Record<string, unknown>;
      expect(subNote.id).toBe(subA.id);
      expect(subNote.webhookSecret).toBeUndefined();
    } finally {
      for (const h of Object.values(hooks)) await h.close();
    }
  });

  it('the business logic registers a partner\'s client as a VEN and its resources', async () => {
    const c = (await rt.api<{ client_id: string }>('POST', '/dr/partners', { name: 'Fleet C' })).body;
    problem(await call('POST', '/vens', t.bl, { objectType: 'BL_VEN_REQUEST', venName: 'ven-c' }), 400, 'clientID');
    const ven = ok(await call('POST', '/vens', t.bl, { objectType: 'BL_VEN_REQUEST', clientID: c.client_id, venName: 'ven-c' }), 'ven', 201);
    expect(ven.clientID).toBe(c.client_id);
    const res = ok(await call('POST', '/resources', t.bl, { objectType: 'BL_RESOURCE_REQUEST', clientID: c.client_id, resourceName: 'c-1', venID: ven.id }), 'resource', 201);
    expect(res.venID).toBe(ven.id);
    problem(await call('POST', '/resources', t.b, { resourceName: 'c-2', venID: ven.id }), 400, 'venID');
  });
});
