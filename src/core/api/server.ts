import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { ApiError, forbidden } from './errors';
import type { AuthService, Principal } from '../auth/service';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** 'public': no credentials; 'own': the route authenticates itself (partner API, Ecosuite) */
    auth?: 'public' | 'own';
  }
}

export interface ApiServerOptions {
  auth: AuthService;
  log?: (line: string) => void;
  bodyLimit?: number;
}

/**
 * The HTTP server: MyEMS-style errors for everything under /api, JSON bodies (also when sent as
 * text/plain, as MyEMS's own API-key examples do), credentials required on every route unless the
 * route says otherwise.
 */
export function createApiServer(opts: ApiServerOptions): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: opts.bodyLimit ?? 50 * 1024 * 1024,
    forceCloseConnections: false,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true },
  });

  const parseJson = (_req: FastifyRequest, body: string, done: (err: Error | null, value?: unknown) => void) => {
    if (body.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body));
    } catch {
      done(new ApiError(400, 'API.BAD_REQUEST', 'API.INVALID_JSON', 'the request body is not valid JSON'));
    }
  };
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser(['application/json', 'text/plain'], { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]*json/, { parseAs: 'string' }, parseJson);
  // point lists and uploaded files arrive as raw bytes
  app.addContentTypeParser(['text/csv', 'application/octet-stream', 'multipart/form-data', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'], { parseAs: 'buffer' }, (_r, body, done) =>
    done(null, body),
  );

  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    const mode = req.routeOptions.config?.auth;
    if (mode === 'public' || mode === 'own' || !req.url.startsWith('/api')) return;
    if (!req.routeOptions.url) return; // 404s are answered by the not-found handler
    req.principal = opts.auth.authenticate(req.headers);
    if (req.principal.isReadOnly && req.method !== 'GET' && req.method !== 'HEAD' && !req.url.startsWith('/api/users/logout')) {
      throw forbidden('API.READ_ONLY_USER', 'a read-only user cannot change anything');
    }
  });

  app.setErrorHandler((err: unknown, req, reply) => sendError(err, req, reply, opts.log));
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send({ title: 'API.NOT_FOUND', description: 'API.ROUTE_NOT_FOUND', message: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  return app;
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
