/**
 * The partner API (/api/partner/v1, OpenADR 3 style): per-partner bearer keys and OAuth2 client credentials,
 * events (read), reports, resources and subscriptions, answering application/problem+json.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors';
import { newSecret, secretHash } from '../auth/passwords';
import type { RuntimeContext } from '../feature';
import { type EventRow, toPartner } from './events';
import { canSee, visibleEvents } from './visibility';
import { isWebhookUrl } from './webhooks';
import { now } from './service';

const TOKEN_SECONDS = 3600;

class Problem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly errors?: Record<string, string[]>,
  ) {
    super(detail);
  }
}

function sendProblem(reply: FastifyReply, req: FastifyRequest, p: Problem) {
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({ type: `https://switchyard.local/problems/${p.status}`, title: p.title, status: p.status, detail: p.detail, instance: req.url.split('?')[0], ...(p.errors ? { errors: p.errors } : {}) });
}

const invalid = (fieldName: string, message: string) => new Problem(400, 'One or more validation errors occurred.', message, { [fieldName]: [message] });

function partnerOf(ctx: RuntimeContext, req: FastifyRequest): number {
  const h = String(req.headers.authorization ?? '');
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  if (!m) throw new Problem(401, 'Unauthorized', 'send Authorization: Bearer <partner API key or access token>');
  const hash = secretHash(m[1]);
  const byKey = ctx.store.db.prepare('SELECT id FROM dr_partners WHERE key_hash = ?').get(hash) as { id: number } | undefined;
  if (byKey) return byKey.id;
  const byToken = ctx.store.db.prepare('SELECT partner_id, expires_at FROM dr_partner_tokens WHERE token_hash = ?').get(hash) as { partner_id: number; expires_at: string } | undefined;
  if (byToken && Date.parse(byToken.expires_at) > Date.now()) return byToken.partner_id;
  throw new Problem(401, 'Unauthorized', 'the key or token is not valid (or has expired)');
}

/** Paging: ?skip=&limit= (limit at most 500, default 100). */
function page<T>(req: FastifyRequest, rows: T[]): T[] {
  const q = req.query as Record<string, string | undefined>;
  const skip = q.skip === undefined ? 0 : Number(q.skip);
  const limit = q.limit === undefined ? 100 : Number(q.limit);
  if (!Number.isInteger(skip) || skip < 0) throw invalid('skip', 'skip must be a non-negative integer');
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw invalid('limit', 'limit must be an integer from 1 to 500');
  return rows.slice(skip, skip + limit);
}

export interface ResourceRow {
  id: number;
  uuid: string;
  partner_id: number | null;
  user_id: string | null;
  resource_id: string;
  metadata: string;
  point_id: number | null;
}
const resourceOut = (r: ResourceRow) => ({ id: r.uuid, userId: r.user_id, resourceId: r.resource_id, metadata: JSON.parse(r.metadata) });

interface SubscriptionRow {
  id: number;
  uuid: string;
  webhook_url: string;
  webhook_secret: string;
  event_payload_types: string;
  operation_types: string;
}
const subscriptionOut = (s: SubscriptionRow) => ({
  id: s.uuid,
  webhookSecret: s.webhook_secret,
  webhookUrl: s.webhook_url,
  eventPayloadTypes: JSON.parse(s.event_payload_types),
  operationTypes: JSON.parse(s.operation_types),
});

function subscriptionInput(body: unknown): { url: string; secret: string; types: string[]; ops: string[] } {
  const b = (body ?? {}) as Record<string, unknown>;
  if (!isWebhookUrl(b.webhookUrl)) throw invalid('webhookUrl', 'webhookUrl must be an http(s) URL');
  if (typeof b.webhookSecret !== 'string' || b.webhookSecret.length < 16) throw invalid('webhookSecret', 'webhookSecret must be a string of at least 16 characters');
  const types = b.eventPayloadTypes ?? [];
  if (!Array.isArray(types) || !types.every((t) => ['Unknown', 'CurrentLevel', 'PowerLevel'].includes(t))) throw invalid('eventPayloadTypes', 'eventPayloadTypes may hold Unknown, CurrentLevel, PowerLevel');
  const ops = b.operationTypes ?? [];
  if (!Array.isArray(ops) || !ops.every((t) => ['Create', 'Update', 'Delete'].includes(t))) throw invalid('operationTypes', 'operationTypes may hold Create, Update, Delete');
  return { url: b.webhookUrl as string, secret: b.webhookSecret, types: types as string[], ops: ops as string[] };
}

export function registerPartnerApi(app: FastifyInstance, ctx: RuntimeContext): void {
  const db = ctx.store.db;
  const own = { config: { auth: 'own' as const } };
  const base = '/api/partner/v1';
  const handle =
    <T>(fn: (req: FastifyRequest, partner: number, reply: FastifyReply) => T | Promise<T>, authenticate = true) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      try {
        const partner = authenticate ? partnerOf(ctx, req) : 0;
        return await fn(req, partner, reply);
      } catch (e) {
        if (e instanceof Problem) return sendProblem(reply, req, e);
        if (e instanceof ApiError) return sendProblem(reply, req, new Problem(e.status, e.title, e.message));
        throw e;
      }
    };

  app.post(
    `${base}/oauth/token`,
    own,
    handle((req) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      if (b.grant_type !== 'client_credentials') throw invalid('grant_type', 'grant_type must be client_credentials');
      const p = db.prepare('SELECT id FROM dr_partners WHERE client_id = ? AND key_hash = ?').get(String(b.client_id ?? ''), secretHash(String(b.client_secret ?? ''))) as { id: number } | undefined;
      if (!p) throw new Problem(401, 'Unauthorized', 'unknown client_id or wrong client_secret');
      const token = newSecret();
      db.prepare('INSERT INTO dr_partner_tokens (token_hash, partner_id, expires_at) VALUES (?, ?, ?)').run(secretHash(token), p.id, new Date(Date.now() + TOKEN_SECONDS * 1000).toISOString());
      return { access_token: token, token_type: 'Bearer', expires_in: TOKEN_SECONDS };
    }, false),
  );
  // OAuth token requests are form-encoded
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, Object.fromEntries(new URLSearchParams(String(body)))));

  app.get(
    `${base}/events`,
    own,
    // newest first; a partner sees only the events aimed at it (visibility.ts)
    handle((req, partner) => page(req, visibleEvents(db, partner)).map((e) => toPartner(ctx.store, e, partner))),
  );
  app.get(
    `${base}/events/:eventId`,
    own,
    handle((req, partner) => {
      const e = db.prepare("SELECT * FROM dr_events WHERE uuid = ? AND status != 'draft'").get((req.params as { eventId: string }).eventId) as EventRow | undefined;
      if (!e || !canSee(db, partner, e)) throw new Problem(404, 'Not Found', 'no such event');
      return toPartner(ctx.store, e, partner);
    }),
  );

  app.post(
    `${base}/reports`,
    own,
    handle((req, partner, reply) => {
      const b = req.body as Record<string, unknown> | undefined;
      if (!b || typeof b !== 'object' || Array.isArray(b)) throw invalid('body', 'the body must be a report {"eventId","name","payloads"}');
      if (typeof b.eventId !== 'string' || !b.eventId) throw invalid('eventId', 'eventId (the event reported on) is required');
      const ev = db.prepare('SELECT * FROM dr_events WHERE uuid = ?').get(b.eventId) as EventRow | undefined;
      // an event the partner cannot see does not exist for it
      if (!ev || !canSee(db, partner, ev)) throw invalid('eventId', 'eventId names no event of yours');
      const eventId = ev.id;
      if (b.name !== undefined && b.name !== null && typeof b.name !== 'string') throw invalid('name', 'name must be a string');
      if (!Array.isArray(b.payloads) || b.payloads.length === 0 || !b.payloads.every((x) => x && typeof x === 'object' && !Array.isArray(x))) throw invalid('payloads', 'payloads must be a non-empty list of VehicleChargeActionPayload objects');
      const uuid = randomUUID();
      db.prepare('INSERT INTO dr_reports (uuid, partner_id, event_id, name, payloads, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(uuid, partner, eventId, typeof b.name === 'string' ? b.name : null, JSON.stringify(b.payloads ?? []), now(), now());
      const program = eventId ? (db.prepare('SELECT p.uuid FROM dr_events e LEFT JOIN dr_programs p ON p.id = e.program_id WHERE e.id = ?').get(eventId) as { uuid: string | null }) : null;
      reply.code(201);
      return { id: uuid, eventId: b.eventId ?? null, programId: program?.uuid ?? null, name: b.name ?? null, createdDateTime: now(), modificationDateTime: now() };
    }),
  );

  const resourceBody = (body: unknown) => {
    const b = (body ?? {}) as Record<string, unknown>;
    if (typeof b.resourceId !== 'string' || !b.resourceId.trim()) throw invalid('resourceId', 'resourceId is required');
    if (b.userId !== undefined && b.userId !== null && typeof b.userId !== 'string') throw invalid('userId', 'userId must be a string');
    if (b.metadata !== undefined && (typeof b.metadata !== 'object' || Array.isArray(b.metadata))) throw invalid('metadata', 'metadata must be a VehicleResourceMetadata object');
    return { resourceId: b.resourceId.trim(), userId: (b.userId as string | null) ?? null, metadata: (b.metadata as object) ?? {} };
  };
  const mine = (partner: number, resourceId: string) => db.prepare('SELECT * FROM dr_resources WHERE partner_id = ? AND resource_id = ?').get(partner, resourceId) as ResourceRow | undefined;
  app.get(`${base}/resources`, own, handle((req, partner) => page(req, (db.prepare('SELECT * FROM dr_resources WHERE partner_id = ? ORDER BY id').all(partner) as ResourceRow[]).map(resourceOut))));
  app.get(
    `${base}/resources/:resourceId`,
    own,
    handle((req, partner) => {
      const r = mine(partner, (req.params as { resourceId: string }).resourceId);
      if (!r) throw new Problem(404, 'Not Found', 'no such resource');
      return resourceOut(r);
    }),
  );
  app.post(
    `${base}/resources`,
    own,
    handle((req, partner, reply) => {
      const b = resourceBody(req.body);
      if (mine(partner, b.resourceId)) throw new Problem(409, 'Conflict', `resource ${b.resourceId} exists already`, { resourceId: ['already registered'] });
      db.prepare('INSERT INTO dr_resources (uuid, partner_id, user_id, resource_id, metadata, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(randomUUID(), partner, b.userId, b.resourceId, JSON.stringify(b.metadata), now(), now());
      reply.code(201);
      return resourceOut(mine(partner, b.resourceId)!);
    }),
  );
  const byQuery = (req: FastifyRequest, partner: number) => {
    const q = (req.query as Record<string, string | undefined>).resourceId;
    if (!q) throw invalid('resourceId', 'the resourceId query parameter is required');
    const r = mine(partner, q);
    if (!r) throw new Problem(404, 'Not Found', 'no such resource');
    return r;
  };
  app.put(
    `${base}/resources`,
    own,
    handle((req, partner) => {
      const r = byQuery(req, partner);
      const b = resourceBody({ resourceId: r.resource_id, ...(req.body as object) });
      if (b.resourceId !== r.resource_id && mine(partner, b.resourceId)) throw new Problem(409, 'Conflict', `resource ${b.resourceId} exists already`, { resourceId: ['already registered'] });
      db.prepare('UPDATE dr_resources SET user_id = ?, resource_id = ?, metadata = ?, modified_at = ? WHERE id = ?').run(b.userId, b.resourceId, JSON.stringify(b.metadata), now(), r.id);
      return resourceOut(mine(partner, b.resourceId)!);
    }),
  );
  app.delete(
    `${base}/resources`,
    own,
    handle((req, partner, reply) => {
      const r = byQuery(req, partner);
      db.prepare('DELETE FROM dr_resources WHERE id = ?').run(r.id);
      return reply.code(204).send();
    }),
  );

  const sub = (partner: number, id: string) => {
    const s = db.prepare('SELECT * FROM dr_subscriptions WHERE partner_id = ? AND uuid = ? AND openadr IS NULL').get(partner, id) as SubscriptionRow | undefined;
    if (!s) throw new Problem(404, 'Not Found', 'no such subscription');
    return s;
  };
  app.get(`${base}/subscriptions`, own, handle((req, partner) => page(req, (db.prepare('SELECT * FROM dr_subscriptions WHERE partner_id = ? AND openadr IS NULL ORDER BY id').all(partner) as SubscriptionRow[]).map(subscriptionOut))));
  app.get(`${base}/subscriptions/:id`, own, handle((req, partner) => subscriptionOut(sub(partner, (req.params as { id: string }).id))));
  app.post(
    `${base}/subscriptions`,
    own,
    handle((req, partner, reply) => {
      const s = subscriptionInput(req.body);
      const uuid = randomUUID();
      db.prepare('INSERT INTO dr_subscriptions (uuid, partner_id, webhook_url, webhook_secret, event_payload_types, operation_types, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)').run(uuid, partner, s.url, s.secret, JSON.stringify(s.types), JSON.stringify(s.ops), now());
      reply.code(201);
      return subscriptionOut(sub(partner, uuid));
    }),
  );
  app.put(
    `${base}/subscriptions/:id`,
    own,
    handle((req, partner) => {
      const existing = sub(partner, (req.params as { id: string }).id);
      const s = subscriptionInput({ ...subscriptionOut(existing), ...(req.body as object) });
      db.prepare('UPDATE dr_subscriptions SET webhook_url = ?, webhook_secret = ?, event_payload_types = ?, operation_types = ? WHERE id = ?').run(s.url, s.secret, JSON.stringify(s.types), JSON.stringify(s.ops), existing.id);
      return subscriptionOut(sub(partner, existing.uuid));
    }),
  );
  app.delete(
    `${base}/subscriptions/:id`,
    own,
    handle((req, partner, reply) => {
      db.prepare('DELETE FROM dr_subscriptions WHERE id = ?').run(sub(partner, (req.params as { id: string }).id).id);
      return reply.code(204).send();
    }),
  );
}

