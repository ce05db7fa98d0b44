import { createRequire } from 'node:module';
import Fastify, { type FastifyContextConfig, type FastifyInstance, type FastifyServerOptions, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, forbidden } from './errors';
import { DEFAULT_BODY_LIMIT, registerBodyLimits } from './limits';
import { registerOriginChecks, type OriginOptions } from './origin';
import { registerSecurityHeaders } from './headers';
import type { AuthService, Principal } from '../auth/service';
import type { Access } from '../auth/access';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyInstance {
    /** every route registered so far, with its auth and role (onRoute) */
    registeredRoutes: RegisteredRoute[];
  }
  interface FastifyContextConfig {
    /** 'public': no credentials; 'own': the route authenticates itself (partner API, Ecosuite) */
    auth?: 'public' | 'own';
    /**
     * who may call, checked before the route looks anything up (and before its body is read): 'configure'
     * administrators only; 'operate' every signed-in user but read-only ones (an operator's actions: acknowledging
     * an alarm, commanding a point); 'self' any signed-in user, read-only ones included (their own password).
     * Without it, reads are for every signed-in user and writes are 'configure': a write route is opened to
     * operators only by saying so.
     */
    role?: Role;
    /** a dispatching route (model/dispatch.ts): the route a request is for, resolved before any check */
    dispatch?: (req: FastifyRequest) => RouteTarget | null;
  }
}

export type Role = 'configure' | 'operate' | 'self';

/** The route a request is for: its pattern and its config (auth, role). */
export interface RouteTarget {
  url: string;
  config: FastifyContextConfig;
}

/** A route as registered (for the role x route conformance test and /api/meta). */
export interface RegisteredRoute {
  method: string;
  url: string;
  auth: 'public' | 'own' | 'required';
  /** who may call (a write without a declared role is recorded as 'configure', what it is) */
  role?: Role;
}

export interface ApiServerOptions {
  auth: AuthService;
  /** object-level permission (privileges); without it only roles are checked */
  access?: Access;
  log?: (line: string) => void;
  bodyLimit?: number;
  /** which Host names and Origins are answered (DNS rebinding, cross-site requests) */
  origin?: OriginOptions;
  /** serve HTTPS with these PEM files (see tls.ts) */
  https?: { cert: Buffer; key: Buffer };
}

/**
 * fastify's schema compilers (ajv and fast-json-stringify), loaded when a route first declares a schema, not when the
 * server is made: fastify would require them at once, a tenth of the headless start-up, and no route declares one.
 */
let fromFastify: NodeJS.Require | undefined;
const fastifyDependency = (id: string) => (fromFastify ??= createRequire(createRequire(import.meta.url).resolve('fastify')))(id);
type Build = (schemas: unknown, options: unknown) => unknown;
let validators: Build | undefined;
let serializers: Build | undefined;
const lazyCompilers = {
  buildValidator: (schemas: unknown, options: unknown) => (validators ??= (fastifyDependency('@fastify/ajv-compiler') as () => Build)())(schemas, options),
  buildSerializer: (schemas: unknown, options: unknown) => (serializers ??= (fastifyDependency('@fastify/fast-json-stringify-compiler') as () => Build)())(schemas, options),
} as unknown as NonNullable<FastifyServerOptions['schemaController']>['compilersFactory'];

/**
 * The HTTP server: MyEMS-style errors for everything under /api, JSON bodies (also when sent as
 * text/plain, as MyEMS's own API-key examples do), credentials required on every route unless the
 * route says otherwise.
 */
export function createApiServer(opts: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    ...(opts.https ? { https: opts.https } : {}),
    // one spelling of every path before routing and authentication: //api, /%61pi, /api/./x, /api/x/../y
    rewriteUrl: (req) => {
      // HEAD is answered by the GET route: Node already sends no body for a HEAD request (its response was made
      // knowing the method), and one route per GET instead of fastify's HEAD twin halves the GETs' share of the
      // start-up (about a thousand generated routes)
      if (req.method === 'HEAD') req.method = 'GET';
      return normalizePath(req.url ?? '/');
    },
    exposeHeadRoutes: false,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    forceCloseConnections: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
    schemaController: { compilersFactory: lazyCompilers },
  });

  registerBodyLimits(app);
  // point lists and uploaded files arrive as raw bytes
  app.addContentTypeParser(['text/csv', 'application/octet-stream', 'multipart/form-data', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], { parseAs: 'buffer' }, (_r, body, done) =>
    done(null, body),
  );

  app.decorate('registeredRoutes', [] as RegisteredRoute[]);
  const gets = new Set<string>();
  app.addHook('onRoute', (r) => {
    const config = (r.config ?? {}) as FastifyContextConfig;
    if (config.dispatch) return; // its generated routes are recorded one by one (model/dispatch.ts)
    const methods = [r.method].flat();
    for (const method of methods) {
      // the HEAD twin fastify adds to every GET is the same route
      if (method === 'HEAD' && methods.length === 1 && gets.has(r.url)) continue;
      if (method === 'GET') gets.add(r.url);
      recordRoute(app, method, r.url, config);
    }
  });

  app.decorateRequest('principal', null);
  registerOriginChecks(app, opts.origin);
  registerSecurityHeaders(app);
  // default deny: every route under /api needs credentials unless it declares config.auth
  app.addHook('onRequest', async (req) => {
    const target = routeOf(req);
    if (!target) {
      // a dispatching route none of whose routes matches: the not-found handler answers, and it too refuses a caller
      // without credentials first (before the body is read)
      if (req.routeOptions.config?.dispatch) opts.auth.authenticate(req.headers);
      return; // unknown routes: the not-found handler (401 without credentials)
    }
    const { url: route, config } = target;
    if (config.auth === 'public' || config.auth === 'own' || !(route === '/api' || route.startsWith('/api/'))) return;
    const p = opts.auth.authenticate(req.headers);
    req.principal = p;
    authorize(req, p, config.role, opts.access);
  });

  app.setErrorHandler((err: unknown, req, reply) => sendError(err, req, reply, opts.log));
  app.setNotFoundHandler((req, reply) => {
    // an unknown path under /api tells an anonymous caller nothing, not even that it is unknown
    if (/^\/api(?:[/?]|$)/i.test(req.url)) {
      try {
        opts.auth.authenticate(req.headers);
      } catch (err) {
        return sendError(err, req, reply, opts.log);
      }
    }
    reply.code(404).send({ title: 'API.NOT_FOUND', description: 'API.ROUTE_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  return app;
}

/**
 * The checks every authenticated route gets, in this order and before any lookup: the key's scope, the role
 * the route needs, read-only users never write, then the objects the request names (privileges).
 */
function authorize(req: FastifyRequest, p: Principal, declared: Role | undefined, access: Access | undefined): void {
  const write = isWrite(req.method);
  const role = roleOf(req.method, declared);
  if (p.scope === 'participants') throw forbidden('API.API_KEY_SCOPE', 'this API key may only be used with the participants API (/api/dr/participants)');
  if (role === 'configure' && !p.isAdmin) throw forbidden('API.ADMINISTRATOR_REQUIRED', 'only an administrator may change the configuration');
  if (p.isReadOnly && write && role !== 'self') throw forbidden('API.READ_ONLY_USER', 'a read-only user cannot change anything');
  access?.check(req, p);
}

const isWrite = (method: string) => method !== 'GET' && method !== 'HEAD';
/** the role a route needs: the declared one, else 'configure' for a write (default deny) and none for a read */
const roleOf = (method: string, declared: Role | undefined): Role | undefined => declared ?? (isWrite(method) ? 'configure' : undefined);

/** The route a request is for (a generated one when fastify's is a dispatching route), or null when there is none. */
export function routeOf(req: FastifyRequest): RouteTarget | null {
  const config = req.routeOptions.config;
  if (config?.dispatch) return config.dispatch(req);
  const url = req.routeOptions.url;
  return url ? { url, config: config ?? {} } : null;
}

/** Adds a route to `app.registeredRoutes` (the role x route matrix and its like enumerate them). */
export function recordRoute(app: FastifyInstance, method: string, url: string, config: FastifyContextConfig): void {
  const auth = config.auth ?? 'required';
  // a route that authenticates itself, or a public one, checks its callers itself: no role
  const role = auth === 'required' ? roleOf(method, config.role) : config.role;
  app.registeredRoutes.push({ method, url, auth, ...(role ? { role } : {}) });
}

/**
 * The one spelling of a path: percent-encoded unreserved characters decoded (%61 -> a), empty and '.'
 * segments dropped, '..' resolved. Encoded '/', '?', '%' and the query string are left as they are.
 */
export function normalizePath(url: string): string {
  const q = url.indexOf('?');
  const raw = q < 0 ? url : url.slice(0, q);
  const rest = q < 0 ? '' : url.slice(q);
  const decoded = raw.replace(/%([0-9A-Fa-f]{2})/g, (m, h: string) => {
    const c = String.fromCharCode(parseInt(h, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : m.toUpperCase();
  });
  const segs: string[] = [];
  for (const s of decoded.replace(/\\/g, '/').split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') segs.pop();
    else segs.push(s);
  }
  const trailing = segs.length && /\/\.{0,2}$/.test(decoded) ? '/' : '';
  return `/${segs.join('/')}${trailing}${rest}`;
}

export function sendError(err: unknown, req: FastifyRequest, reply: FastifyReply, log?: (line: string) => void): void {
  if (err instanceof ApiError) {
    reply.code(err.status).type('application/json').send(err.toJSON());
    return;
  }
  const e = err as { statusCode?: number; code?: string; message?: string; validation?: unknown };
  if (typeof e?.code === 'string' && e.code.startsWith('SQLITE_CONSTRAINT')) {
    reply.code(400).send({ title: 'API.BAD_REQUEST', description: 'API.CONSTRAINT_VIOLATION', message: 'the change conflicts with existing data' });
    return;
  }
  if (e?.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    const description =
      e.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'API.REQUEST_TOO_LARGE' : e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE' ? 'API.UNSUPPORTED_MEDIA_TYPE' : 'API.BAD_REQUEST';
    reply.code(e.statusCode).send({ title: 'API.BAD_REQUEST', description, message: e.message ?? 'bad request' });
    return;
  }
  log?.(`error on ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
  reply.code(500).send({ title: 'API.INTERNAL_SERVER_ERROR', description: 'API.INTERNAL_SERVER_ERROR', message: 'an internal error occurred; it has been logged' });
}

/** The caller, or a 401: for handlers of routes that require credentials. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new ApiError(401, 'API.UNAUTHORIZED', 'API.INVALID_CREDENTIALS', 'credentials are required');
  return req.principal;
}

export function requireAdmin(req: FastifyRequest): Principal {
  const p = principalOf(req);
  if (!p.isAdmin) throw forbidden('API.ADMINISTRATOR_REQUIRED', 'only an administrator may change the configuration');
  return p;
}

/** MyEMS bodies are {"data":{...}}; the import examples sometimes nest it twice. */
export function dataOf(body: unknown): unknown {
  if (body === undefined || body === null) return undefined;
  if (typeof body !== 'object' || Array.isArray(body)) return body;
  return (body as { data?: unknown }).data;
}

export function idParam(v: unknown, name = 'id'): number {
  const s = String(v ?? '');
  if (!/^\d{1,15}$/.test(s) || Number(s) < 1) {
    throw new ApiError(400, 'API.BAD_REQUEST', `API.INVALID_${name.toUpperCase()}`, `${name} in the URL must be a positive integer`);
  }
  return Number(s);
}
