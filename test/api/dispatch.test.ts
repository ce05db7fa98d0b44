/**
 * The generated entity routes are dispatched by entity path behind a few parametric fastify routes
 * (src/core/model/dispatch.ts). What must hold for that to be invisible to a client: no hand-written route takes a
 * URL of a generated one (fastify prefers a static first segment over `/api/:entity`), the import routes keep their
 * larger body limit, unknown entities are fastify's not-found answer, and a static segment wins over a parameter as
 * it did in fastify's router. The roles and privileges of every generated route are checked by route-matrix.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegisteredRoute } from '../../src/core/api/server';
import { entityParam } from '../../src/core/model/dispatch';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

const segments = (url: string) => url.split('/').filter(Boolean);

/** Whether some path matches both segment lists (a parameter matches any one segment, a final '*' any rest). */
function matchSome(a: string[], b: string[]): boolean {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === '*' || b[i] === '*') return true;
    if (a[i] === undefined || b[i] === undefined) return false;
    if (!a[i].startsWith(':') && !b[i].startsWith(':') && a[i] !== b[i]) return false;
  }
  return true;
}

/**
 * Whether fastify's router, holding both patterns, would give some URL to `generated` that `written` also matches:
 * both match the URL and, at the first segment where they differ, the generated route has the static one (the router
 * prefers static segments to parameters, and parameters to a wildcard). Such a URL would now reach `written`.
 */
function preferredOver(generated: string, written: string): boolean {
  const g = segments(generated);
  const w = segments(written);
  const kind = (s: string | undefined) => (s === '*' ? 2 : s?.startsWith(':') ? 1 : 0);
  for (let i = 0; ; i++) {
    if (w[i] === '*') return kind(g[i]) < 2 && g[i] !== undefined; // the wildcard takes the rest
    if (g[i] === undefined || w[i] === undefined) return false; // different lengths match no same URL
    const [kg, kw] = [kind(g[i]), kind(w[i])];
    if (kg === 0 && kw === 0 && g[i] !== w[i]) return false;
    if (kg !== kw) {
      if (kg > kw) return false; // the hand-written route was preferred here before too
      // the generated route was preferred from here on: does a URL match both?
      return matchSome(g.slice(i + 1), w.slice(i + 1));
    }
  }
}

describe('generated routes behind dispatching routes', () => {
  let rt: TestRuntime;
  let routes: RegisteredRoute[];

  beforeAll(async () => {
    rt = await startTestRuntime();
    routes = rt.ctx.app.registeredRoutes;
  });
  afterAll(async () => rt?.stop());

  const send = async (method: string, path: string, body?: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${rt.url}/api${path}`, { method, headers: { 'Content-Type': 'application/json', ...headers }, body });
    return { status: r.status, body: (await r.json()) as { title: string; description: string } };
  };

  it('are not fastify routes, and no hand-written route takes a URL fastify gave to a generated one', () => {
    const app = rt.ctx.app;
    const generated = routes.filter((r) => !app.hasRoute({ method: r.method as 'GET', url: r.url }));
    const written = routes.filter((r) => app.hasRoute({ method: r.method as 'GET', url: r.url }));
    expect(generated.length).toBeGreaterThan(500);
    expect(generated.map((r) => `${r.method} ${r.url}`)).toContain('GET /api/meters/:id');
    const entity = entityParam(generated.map((r) => segments(r.url)[1]));
    expect(app.hasRoute({ method: 'GET', url: `/api/${entity}/:p2` })).toBe(true);
    const shadowed = generated.flatMap((g) => written.filter((w) => w.method === g.method && w.url !== '/*' && preferredOver(g.url, w.url)).map((w) => `${g.method} ${g.url} ~ ${w.url}`));
    expect(shadowed).toEqual([]);
  });

  it('an unknown entity is not found: 401 without credentials (before its body is read), else 404', async () => {
    for (const path of ['/nosuch', '/nosuch/1', '/nosuch/1/meters', '/meters/1/nosuch', '/meters/1/2/3']) {
      expect((await send('GET', path)).status).toBe(401);
      const known = await send('GET', path, undefined, rt.headers);
      expect(known.status, path).toBe(404);
      expect(known.body).toMatchObject({ title: 'API.NOT_FOUND', description: 'API.ROUTE_NOT_FOUND' });
    }
    // a path no route has is fastify's not-found answer, which reads the body first (as before the dispatch)
    expect((await send('POST', '/nosuch', '{"data":{}}')).status).toBe(401);
    expect((await send('POST', '/nosuch', '{broken')).status).toBe(400);
  });

  it('a prefix with its own not-found answer keeps it: /api/openadr/3 answers problem+json, not the entity 401', async () => {
    const r = await fetch(`${rt.url}/api/openadr/3/nothing-here`, { headers: { Authorization: 'Bearer not-a-token' } });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await send('POST', '/nosuch', '{"data":{}}', rt.headers)).body.description).toBe('API.ROUTE_NOT_FOUND');
    expect((await send('DELETE', '/meters', undefined, rt.headers)).body.description).toBe('API.ROUTE_NOT_FOUND');
  });

  it('imports keep their larger body limit; other writes the default one', async () => {
    const big = JSON.stringify({ data: { name: 'x', description: 'y'.repeat(2 * 1024 * 1024) } });
    const plain = await send('POST', '/meters', big, rt.headers);
    expect(plain.status).toBe(413);
    expect(plain.body.description).toBe('API.REQUEST_TOO_LARGE');
    for (const path of ['/meters/import', '/meters/1/import']) {
      const imported = await send('PUT', path, big, rt.headers);
      expect(imported.status, path).toBe(400); // read whole, then refused for what it says
      expect(imported.body.description).not.toBe('API.REQUEST_TOO_LARGE');
    }
  });

  it('a static segment wins over a parameter, as in fastify: PUT /meters/import is the import, not meter "import"', async () => {
    const r = await send('PUT', '/meters/import', '{"data":{}}', rt.headers);
    expect(r.status).toBe(400);
    expect(r.body.description).toBe('API.INVALID_METER_NAME');
    expect((await send('PUT', '/meters/abc', '{"data":{}}', rt.headers)).body.description).toBe('API.INVALID_ID');
  });
});
