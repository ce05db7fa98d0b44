import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordRoute, type RouteTarget } from '../api/server';

type Handler = (req: FastifyRequest, reply: FastifyReply) => unknown;
type Options = { config?: FastifyContextConfig };
type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Entry extends RouteTarget {
  method: Method;
  segs: string[];
  handler: Handler;
}

interface Found {
  target: RouteTarget & { handler: Handler };
  params: Record<string, string>;
}

/** static segments before parameters, position by position: the order in which fastify's router prefers them */
const specificity = (a: Entry, b: Entry) => {
  for (let i = 0; i < a.segs.length; i++) {
    const pa = a.segs[i].startsWith(':');
    const pb = b.segs[i].startsWith(':');
    if (pa !== pb) return pa ? 1 : -1;
  }
  return 0;
};

/** The dispatching routes' entity segment: a parameter that matches only the given entity paths. */
export function entityParam(names: readonly string[]): string {
  const alternatives = [...new Set(names)].sort().map((n) => n.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return `:entity(^(?:${alternatives.join('|')})$)`;
}

/**
 * The generated entity routes (about a thousand: every entity's list, get, create, update, delete, export, import,
 * clone, relations and children) behind a few parametric fastify routes, `/api/:entity`, `/api/:entity/:p1`, ...,
 * that dispatch by entity path. Registering each of them in fastify cost a quarter of the headless start-up (its
 * route context, hooks and router node per route); here a route is an entry in a table keyed by method, depth and
 * entity path.
 *
 * Nothing else changes for a request: the authentication hook asks `routeOf(req)` (api/server.ts), which resolves
 * the generated route (its pattern, its `config.role`, its parameters, set on `req.params`) before any check, so
 * roles, privileges (auth/access.ts, by the pattern) and errors are those of the route as if fastify held it. A path
 * no entity route matches is fastify's not-found answer (401 without credentials, else 404 `API.ROUTE_NOT_FOUND`).
 * Hand-written routes stay fastify routes; a static first segment makes fastify prefer them, and no hand-written
 * route matches a URL of a generated one (test/api/route-matrix.test.ts checks it).
 */
export class EntityRoutes {
  private readonly entries: Entry[] = [];
  private readonly table = new Map<string, Entry[]>();
  private readonly found = new WeakMap<FastifyRequest, Found | null>();

  constructor(private readonly app: FastifyInstance) {}

  get(url: string, a: Options | Handler, b?: Handler): void {
    this.add('GET', url, a, b);
  }
  post(url: string, a: Options | Handler, b?: Handler): void {
    this.add('POST', url, a, b);
  }
  put(url: string, a: Options | Handler, b?: Handler): void {
    this.add('PUT', url, a, b);
  }
  delete(url: string, a: Options | Handler, b?: Handler): void {
    this.add('DELETE', url, a, b);
  }

  /** Every generated route, as registered (method, pattern), for tests and the route list. */
  routes(): { method: string; url: string }[] {
    return this.entries.map((e) => ({ method: e.method, url: e.url }));
  }

  /** Registers the dispatching fastify routes: one per method and depth in use (and `.../import`, for its body limit). */
  install(): void {
    for (const list of this.table.values()) list.sort(specificity);
    const shapes = new Map<string, { method: Method; segs: string[] }>();
    for (const e of this.entries) {
      // '/api/:entity/:p1/...' with as many segments; imports keep their last segment so that limits.ts gives them the
      // import body limit, as it gave the routes they stand for
      const segs = e.segs.map((s, i) => (i === 0 ? 'api' : i === e.segs.length - 1 && s === 'import' ? 'import' : i === 1 ? ':entity' : `:p${i}`));
      shapes.set(`${e.method} ${segs.join('/')}`, { method: e.method, segs });
    }
    // the entity segment matches only the entity paths declared, so a URL under a hand-written prefix (the OpenADR VTN's
    // /api/openadr/3/..., with its own problem+json not-found answer) never lands on a dispatching route
    const entity = entityParam(this.entries.map((e) => e.segs[1]));
    for (const { method, segs } of shapes.values()) {
      this.app.route({
        method,
        url: `/${segs.map((s) => (s === ':entity' ? entity : s)).join('/')}`,
        config: { dispatch: (req) => this.resolve(req, segs)?.target ?? null },
        handler: async (req, reply) => {
          const hit = this.resolve(req, segs);
          if (!hit) return reply.callNotFound();
          return hit.target.handler(req, reply);
        },
      });
    }
  }

  private add(method: Method, url: string, a: Options | Handler, b?: Handler): void {
    const [opts, handler] = typeof a === 'function' ? [{}, a] : [a, b!];
    const segs = url.split('/').filter(Boolean);
    if (segs[0] !== 'api' || !segs[1] || segs[1].startsWith(':')) throw new Error(`a generated route must start with /api/<entity path>: ${url}`);
    const entry: Entry = { method, url, segs, config: opts.config ?? {}, handler };
    const key = `${method} ${segs.length} ${segs[1]}`;
    const list = this.table.get(key) ?? [];
    if (list.some((e) => e.segs.every((s, i) => s === segs[i] || (s.startsWith(':') && segs[i].startsWith(':'))))) throw new Error(`route ${method} ${url} is declared twice`);
    list.push(entry);
    this.table.set(key, list);
    this.entries.push(entry);
    recordRoute(this.app, method, url, entry.config);
  }

  /** The generated route a request to a dispatching route is for (once per request); its parameters go to req.params. */
  private resolve(req: FastifyRequest, shape: string[]): Found | null {
    const known = this.found.get(req);
    if (known !== undefined) return known;
    const given = req.params as Record<string, string>;
    const path = shape.map((s) => (s.startsWith(':') ? given[s.slice(1)] : s));
    let hit: Found | null = null;
    for (const e of this.table.get(`${req.method} ${path.length} ${path[1]}`) ?? []) {
      const params: Record<string, string> = {};
      if (e.segs.every((s, i) => (s.startsWith(':') ? ((params[s.slice(1)] = path[i]), path[i] !== '') : s === path[i]))) {
        hit = { target: e, params };
        break;
      }
    }
    if (hit) req.params = hit.params;
    this.found.set(req, hit);
    return hit;
  }
}
