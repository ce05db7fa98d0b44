/**
 * The OpenADR 3 VTN (shared/spec/openadr3.yaml) under /api/openadr/3, beside the partner API and on the same
 * model: programs, events, reports, subscriptions, VENs and resources. Clients are partners: a VEN (role `ven`)
 * or the operator's business logic (role `bl`, or a Switchyard session/API key). Every answer that is not a
 * success is application/problem+json (also malformed JSON, unsupported media types, unknown methods).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors';
import { secretHash } from '../auth/passwords';
import type { RuntimeContext } from '../feature';
import { tokenEndpoint } from './oauth';
import { type Client, OPENADR_BASE, origin, sendProblem, type Vtn, vtnModel } from './openadr-http';
import { registerNotifiers } from './openadr-notifiers';
import { registerPrograms } from './openadr-programs';
import { registerSubscriptions } from './openadr-subscriptions';
import { registerVens } from './openadr-vens';
import type { PartnerRow } from './openadr-wire';
import { Problem } from './problem';
import type { DemandResponse } from './service';

export { OPENADR_BASE };

/** The path patterns served, for 405 on a known path with another method. */
const PATHS: [RegExp, string[]][] = [];

export function registerOpenAdr(app: FastifyInstance, ctx: RuntimeContext, dr: DemandResponse): void {
  const db = ctx.store.db;
  const partnerById = (id: number) => db.prepare('SELECT * FROM dr_partners WHERE id = ?').get(id) as PartnerRow;

  const client = (req: FastifyRequest): Client => {
    const m = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (m) {
      const hash = secretHash(m[1]);
      const byKey = db.prepare('SELECT id FROM dr_partners WHERE key_hash = ?').get(hash) as { id: number } | undefined;
      const byToken = byKey ? undefined : (db.prepare('SELECT partner_id, expires_at FROM dr_partner_tokens WHERE token_hash = ?').get(hash) as { partner_id: number; expires_at: string } | undefined);
      const id = byKey?.id ?? (byToken && Date.parse(byToken.expires_at) > Date.now() ? byToken.partner_id : undefined);
      if (id === undefined) throw new Problem(401, 'Unauthorized', 'the access token is not valid (or has expired)');
      const partner = partnerById(id);
      return { partner, bl: partner.role === 'bl', write: true };
    }
    try {
      const p = ctx.auth.authenticate(req.headers);
      return { partner: null, bl: true, write: p.isAdmin && !p.isReadOnly };
    } catch {
      throw new Problem(401, 'Unauthorized', 'send Authorization: Bearer <access token> (POST /auth/token)');
    }
  };

  void app.register(
    async (scope) => {
      const own = { config: { auth: 'own' as const } };
      const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, fn: (req: FastifyRequest, c: Client, reply: FastifyReply) => unknown, auth = true) => {
        const pattern = new RegExp(`^${url.replace(/:\w+/g, '[^/]+')}/?$`);
        const known = PATHS.find(([p]) => String(p) === String(pattern));
        if (known) {
          if (!known[1].includes(method)) known[1].push(method);
        }
        else PATHS.push([pattern, [method]]);
        scope.route({
          method,
          url,
          ...(auth ? own : { config: { auth: 'public' as const } }),
          handler: async (req: FastifyRequest, reply: FastifyReply) => fn(req, auth ? client(req) : { partner: null, bl: false, write: false }, reply),
        } as unknown as Parameters<typeof scope.route>[0]);
      };
      scope.setErrorHandler((err: unknown, req, reply) => {
        if (err instanceof Problem) return sendProblem(reply, req, err);
        if (err instanceof ApiError) return sendProblem(reply, req, { status: err.status, title: err.status === 400 ? 'Bad Request' : err.title, detail: err.message, ...(err.field ? { errors: { [err.field]: [err.message] } } : {}) });
        const e = err as { statusCode?: number; message?: string };
        if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) return sendProblem(reply, req, { status: e.statusCode, title: e.statusCode === 415 ? 'Unsupported Media Type' : 'Bad Request', detail: e.message ?? 'bad request' });
        ctx.log(`openadr: ${(err as Error).message}`);
        return sendProblem(reply, req, { status: 500, title: 'Internal Server Error', detail: 'the request failed; see the server log' });
      });
      scope.setNotFoundHandler((req, reply) => {
        try {
          client(req);
        } catch (e) {
          return sendProblem(reply, req, e as Problem);
        }
        const path = req.url.split('?')[0].slice(OPENADR_BASE.length) || '/';
        const known = PATHS.find(([p]) => p.test(path));
        if (known) return sendProblem(reply.header('Allow', known[1].join(', ')), req, { status: 405, title: 'Method Not Allowed', detail: `${req.method} is not allowed here; use ${known[1].join(', ')}` });
        return sendProblem(reply, req, { status: 404, title: 'Not Found', detail: `no route ${req.method} ${req.url.split('?')[0]}` });
      });

      // auth: where the token endpoint is (public, as the specification has it) and the endpoint itself
      route('GET', '/auth/server', (req) => ({ tokenURL: `${origin(req)}${OPENADR_BASE}/auth/token` }), false);
      scope.post('/auth/token', own, tokenEndpoint(db));

      const vtn: Vtn = { ctx, db, dr, route, ...vtnModel(db) };
      registerNotifiers(vtn);
      registerPrograms(vtn);
      registerVens(vtn);
      registerSubscriptions(vtn);
    },
    { prefix: OPENADR_BASE },
  );
}
