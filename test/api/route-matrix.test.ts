import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { Access } from '../../src/core/auth/access';
import type { RegisteredRoute } from '../../src/core/api/server';

/**
 * The role x route matrix, generated from the routes the runtime registered (fastify's onRoute), so that a
 * route added later is covered without touching this file:
 * - anonymous: 401 on every route (also spelled //api/... and /%61pi/...) except the declared public ones;
 * - read-only: 403 on every write (except a user's own password);
 * - operator: 403 on every configuration route, before the object is looked up;
 * - privilege-limited: 403 on every route naming an object outside its spaces (and with ?spaceid= outside);
 * - administrator: no 401/403 and no 5xx anywhere.
 * Requests go through fastify's inject (in process, no sockets), so the whole matrix takes seconds.
 */
// OpenADR 3's /auth/server tells any client where the token endpoint is (public in the specification)
const PUBLIC = ['GET /api/health', 'PUT /api/users/login', 'PUT /api/users/logout', 'GET /api/live', 'GET /api/openadr/3/auth/server'];
/**
 * The writes open to operators (role 'operate'); every other write of a signed-in user is an administrator's, by
 * default: a write route is added to this list on purpose, never by forgetting to declare its role.
 */
const OPERATE = [
  'PUT /api/alarms/ack',
  'PUT /api/alarms/:id/ack',
  'PUT /api/alarms/:id/shelve',
  'PUT /api/alarms/:id/unshelve',
  'PUT /api/webmessages/:id',
  'DELETE /api/webmessages/:id',
  'PUT /api/webmessagesnew',
  'PUT /api/webmessagesbatch',
  'DELETE /api/webmessagesbatch',
  'PUT /api/notifications/:id',
  'DELETE /api/notifications/:id',
  'POST /api/points/:id/readnow',
  'PUT /api/points/:id/write',
  'PUT /api/commands/:id/send',
  'POST /api/control/points/:id/requests',
  'POST /api/control/requests',
  'DELETE /api/control/points/:id/requests/:rid',
  'PUT /api/dr/events/:id/optout',
  'PUT /api/central/sites/:id/metrics/:metricid/write',
];
/** OAuth2's token endpoint takes its client credentials in the body: without them a 400 invalid_request (RFC 6749 5.2). */
const CREDENTIALS_IN_BODY = ['POST /api/partner/v1/oauth/token'];

describe('role x route matrix', () => {
  let rt: TestRuntime;
  let routes: RegisteredRoute[];
  let access: Access;
  const headers: Record<string, Record<string, string>> = {};
  let south = 0;
  let northMeter = 0;

  const inject = async (method: string, url: string, h: Record<string, string> = {}) => {
    const write = method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
    const r = await rt.ctx.app.inject({ method: method as 'GET', url, headers: { ...h, ...(write ? { 'content-type': 'application/json' } : {}) }, ...(write ? { payload: '{"data":{}}' } : {}) });
    return r.statusCode;
  };
  /** The route's URL with every parameter filled in: ids of a space outside the limited user's privilege where the parameter names a space, else an id that does not exist. */
  const fill = (url: string, value: (param: string) => string) => url.replace(/:(\w+)(\([^)]*\))?/g, (_m, p: string) => value(p)).replace(/\*$/, 'x');
  const testable = (r: RegisteredRoute) => r.url.startsWith('/api') && r.method !== 'HEAD' && !PUBLIC.includes(`${r.method} ${r.url}`);

  beforeAll(async () => {
    rt = await startTestRuntime();
    routes = rt.ctx.app.registeredRoutes;
    access = new Access(rt.ctx.store, rt.ctx.registry);
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    const space = async (name: string) => (await rt.api<{ id: number }>('POST', '/spaces', { name, area: 1, timezone_id: tz })).body.id;
    const north = await space('North');
    south = await space('South');
    const category = (await rt.api<{ id: number }[]>('GET', '/energycategories')).body[0].id;
    const cc = (await rt.api<{ id: number }>('POST', '/costcenters', { name: 'CC' })).body.id;
    northMeter = (await rt.api<{ id: number }>('POST', '/meters', { name: 'North meter', energy_category_id: category, cost_center_id: cc })).body.id;
    await rt.api('POST', `/spaces/${north}/meters`, { meter_id: northMeter });
    const privilege = (await rt.api<{ id: number }>('POST', '/privileges', { name: 'North', data: JSON.stringify({ spaces: [north] }) })).body.id;
    for (const [name, extra] of [
      ['viewer', { is_read_only: true }],
      ['operator', {}],
      ['limited', { privilege_id: privilege }],
    ] as const) {
      const made = await rt.api('POST', '/users', { name, display_name: name, email: `${name}@site.test`, password: 'Matrix-Pass-2026', ...extra });
      expect(made.status, JSON.stringify(made.body)).toBe(201);
      const r = await rt.ctx.app.inject({ method: 'PUT', url: '/api/users/login', payload: { data: { name, password: 'Matrix-Pass-2026' } } });
      const s = r.json() as { user_uuid: string; token: string };
      headers[name] = { 'user-uuid': s.user_uuid, token: s.token };
    }
    headers.admin = { 'user-uuid': rt.headers['User-UUID'], token: rt.headers.Token };
  });
  afterAll(async () => rt?.stop());

  it('knows the routes (generated and hand-written) and which are public', () => {
    expect(routes.length).toBeGreaterThan(300);
    const declaredPublic = routes.filter((r) => r.auth === 'public' && r.url.startsWith('/api')).map((r) => `${r.method} ${r.url}`);
    // a new public route must be added to PUBLIC on purpose
    expect(declaredPublic.filter((r) => !r.startsWith('HEAD ')).sort()).toEqual([...PUBLIC].sort());
  });

  it('every write of a signed-in user is an administrator\'s unless it is one of the operators\' actions', () => {
    const writes = routes.filter((r) => r.url.startsWith('/api') && r.auth === 'required' && r.method !== 'GET' && r.method !== 'HEAD');
    expect(writes.length).toBeGreaterThan(200);
    expect(writes.filter((r) => r.role === 'operate').map((r) => `${r.method} ${r.url}`).sort()).toEqual([...OPERATE].sort());
    // nothing left without a role: the default is recorded as what it is
    expect(writes.filter((r) => !r.role).map((r) => `${r.method} ${r.url}`)).toEqual([]);
    expect(writes.filter((r) => r.role === 'self').map((r) => `${r.method} ${r.url}`)).toEqual(['PUT /api/users/changepassword']);
  });

  it('anonymous: 401 on every route but the public ones, whatever the spelling of the path', async () => {
    const wrong: string[] = [];
    let n = 0;
    for (const r of routes.filter(testable)) {
      const url = fill(r.url, () => '1');
      // each route plainly and in one other spelling, in turn
      const other = [`/${url}`, url.replace('/api/', '/%61pi/'), url.replace('/api/', '/api/./')][n++ % 3];
      for (const spelled of [url, other]) {
        const status = await inject(r.method, spelled);
        const expected = CREDENTIALS_IN_BODY.includes(`${r.method} ${r.url}`) ? [400, 401] : [401];
        if (!expected.includes(status)) wrong.push(`${r.method} ${spelled} -> ${status}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('read-only: 403 on every write', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => testable(x) && x.method !== 'GET' && x.auth === 'required' && x.role !== 'self')) {
      const status = await inject(r.method, fill(r.url, () => '1'), headers.viewer);
      if (status !== 403) wrong.push(`${r.method} ${r.url} -> ${status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('operator: 403 on every configuration route and every write not listed as an operator\'s, before existence (ids that do not exist)', async () => {
    const isWrite = (x: RegisteredRoute) => x.method !== 'GET' && x.method !== 'HEAD';
    // by what the route is, not only by the role it recorded: a write outside OPERATE is refused whatever it declared
    const configure = routes.filter((x) => testable(x) && x.auth === 'required' && (x.role === 'configure' || (isWrite(x) && x.role !== 'self' && !OPERATE.includes(`${x.method} ${x.url}`))));
    expect(configure.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const r of configure) {
      const status = await inject(r.method, fill(r.url, () => '999999'), headers.operator);
      if (status !== 403) wrong.push(`${r.method} ${r.url} -> ${status}`);
    }
    expect(wrong).toEqual([]);
  });

  it('privilege-limited: 403 on every route that names an object outside its spaces', async () => {
    const scoped = access.scopedEntities();
    const naming = routes.filter((x) => testable(x) && x.auth === 'required' && access.parse(x.url).some((o) => scoped.has(o.entity)));
    expect(naming.length).toBeGreaterThan(100);
    const wrong: string[] = [];
    for (const r of naming) {
      const objects = access.parse(r.url);
      // the South space where the parameter names a space, else an id that exists nowhere (refused all the same)
      const url = fill(r.url, (p) => (objects.find((o) => o.param === p)?.entity === 'spaces' ? String(south) : '999999'));
      const status = await inject(r.method, url, headers.limited);
      if (status !== 403) wrong.push(`${r.method} ${url} -> ${status}`);
    }
    // a query string naming a space outside (the reports' ?spaceid=) is refused on any route
    for (const r of routes.filter((x) => testable(x) && x.method === 'GET' && x.auth === 'required')) {
      const url = `${fill(r.url, () => '1')}?spaceid=${south}`;
      const status = await inject('GET', url, headers.limited);
      if (status !== 403) wrong.push(`GET ${url} -> ${status}`);
    }
    expect(wrong).toEqual([]);
    // and what is inside stays readable
    expect(await inject('GET', `/api/meters/${northMeter}`, headers.limited)).toBe(200);
  });

  it('administrator: no 401/403 and no 5xx on any route', async () => {
    const wrong: string[] = [];
    for (const r of routes.filter((x) => testable(x) && x.auth === 'required')) {
      // reads of existing ids where there are any, writes against ids that do not exist (nothing changes)
      const status = await inject(r.method, fill(r.url, () => (r.method === 'GET' ? '1' : '999999')), headers.admin);
      if (status === 401 || status === 403 || status >= 500) wrong.push(`${r.method} ${r.url} -> ${status}`);
    }
    expect(wrong).toEqual([]);
  });
});
