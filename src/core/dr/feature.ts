/**
 * Demand response in the runtime: the operator API (/api/dr/...), Ecosuite participants (/api/dr/participants),
 * the partner API (/api/partner/v1) with per-partner bearer keys and OAuth2 client credentials, signed
 * webhooks; local dispatch of running events to assets is a client of the control arbiter (dispatch.ts).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { dataOf, idParam, principalOf, requireAdmin } from '../api/server';
import { newSecret, secretHash } from '../auth/passwords';
import type { Principal } from '../auth/service';
import type { Feature, RuntimeContext } from '../feature';
import { type EcobeeOptions, ecobeeRequest, sendToEcobee } from './ecobee';
import { DrDispatch } from './dispatch';
export { randomOffset } from './dispatch';
import { endOf, type EventRow, parseEvent, saveEvent, toOperator, toPartner } from './events';
import { resourcePerformance } from './performance';
import { drMigrations } from './store';
import { isWebhookUrl, WebhookOutbox } from './webhooks';

const TICK_MS = 1000;
const TOKEN_SECONDS = 3600;
const now = () => new Date().toISOString();

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

export class DemandResponse {
  readonly outbox: WebhookOutbox;
  readonly dispatch: DrDispatch;
  constructor(
    private readonly ctx: RuntimeContext,
    backoffBaseMs = 1000,
  ) {
    this.outbox = new WebhookOutbox(ctx.store, ctx.log, backoffBaseMs);
    this.dispatch = new DrDispatch(ctx);
  }

  event(id: number): EventRow {
    const e = this.ctx.store.db.prepare('SELECT * FROM dr_events WHERE id = ?').get(id) as EventRow | undefined;
    if (!e) throw new ApiError(404, 'API.NOT_FOUND', 'API.DR_EVENT_NOT_FOUND', `event ${id} does not exist`);
    return e;
  }

  /** Announces a change of an event to the partners' subscriptions (never waits for them). */
  announce(e: EventRow, op: 'Create' | 'Update' | 'Delete'): void {
    if (e.status === 'draft' && op !== 'Delete') return;
    const body = toPartner(this.ctx.store, e);
    this.outbox.enqueue(body, op, { operation: op, event: body });
  }

  /** Starts and ends events on the clock; running events hold requests on their assets through the arbiter. */
  async tick(): Promise<void> {
    const db = this.ctx.store.db;
    if (!db.open) return;
    const t = Date.now();
    const changed: number[] = [];
    for (const e of db.prepare("SELECT * FROM dr_events WHERE status IN ('scheduled', 'active')").all() as EventRow[]) {
      const start = Date.parse(JSON.parse(e.interval_period).start);
      if (e.status === 'scheduled' && t >= start && t < endOf(e)) {
        db.prepare("UPDATE dr_events SET status = 'active', modified_at = ? WHERE id = ?").run(now(), e.id);
        changed.push(e.id);
      } else if (t >= endOf(e)) {
        db.prepare("UPDATE dr_events SET status = 'completed', modified_at = ? WHERE id = ?").run(now(), e.id);
        changed.push(e.id);
      }
    }
    if (changed.length) await this.dispatch.apply();
    else this.dispatch.sync();
    for (const id of changed) this.announce(this.event(id), 'Update');
  }
}

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

interface ResourceRow {
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

function registerPartnerApi(app: FastifyInstance, ctx: RuntimeContext): void {
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
    handle((req) => page(req, (db.prepare("SELECT * FROM dr_events WHERE status != 'draft' ORDER BY id").all() as EventRow[]).map((e) => toPartner(ctx.store, e)))),
  );
  app.get(
    `${base}/events/:eventId`,
    own,
    handle((req) => {
      const e = db.prepare("SELECT * FROM dr_events WHERE uuid = ? AND status != 'draft'").get((req.params as { eventId: string }).eventId) as EventRow | undefined;
      if (!e) throw new Problem(404, 'Not Found', 'no such event');
      return toPartner(ctx.store, e);
    }),
  );

  app.post(
    `${base}/reports`,
    own,
    handle((req, partner, reply) => {
      const b = (req.body ?? {}) as Record<string, unknown>;
      let eventId: number | null = null;
      if (b.eventId !== undefined && b.eventId !== null) {
        const e = db.prepare('SELECT id FROM dr_events WHERE uuid = ?').get(String(b.eventId)) as { id: number } | undefined;
        if (!e) throw invalid('eventId', 'eventId names no event');
        eventId = e.id;
      }
      if (b.payloads !== undefined && b.payloads !== null && !Array.isArray(b.payloads)) throw invalid('payloads', 'payloads must be a list of VehicleChargeActionPayload');
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
    const s = db.prepare('SELECT * FROM dr_subscriptions WHERE partner_id = ? AND uuid = ?').get(partner, id) as SubscriptionRow | undefined;
    if (!s) throw new Problem(404, 'Not Found', 'no such subscription');
    return s;
  };
  app.get(`${base}/subscriptions`, own, handle((req, partner) => page(req, (db.prepare('SELECT * FROM dr_subscriptions WHERE partner_id = ? ORDER BY id').all(partner) as SubscriptionRow[]).map(subscriptionOut))));
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

/** Ecosuite's participants: `Authorization: <API key>` (an apikeys key) or the API's own headers. */
function registerEcosuite(app: FastifyInstance, ctx: RuntimeContext): void {
  const db = ctx.store.db;
  const who = (req: FastifyRequest): Principal => {
    const key = req.headers.authorization;
    if (typeof key === 'string' && key.trim() && !/^Bearer\s/i.test(key)) return ctx.auth.byApiKey(key.trim());
    return ctx.auth.authenticate(req.headers);
  };
  const own = { config: { auth: 'own' as const } };
  const participant = (id: string) => {
    const n = Number(id);
    const p = Number.isInteger(n) && n > 0 ? (db.prepare('SELECT * FROM dr_participants WHERE id = ?').get(n) as { id: number; code: string; contact_user: string; phone_contact: string } | undefined) : undefined;
    if (!p) throw new ApiError(400, 'API.BAD_REQUEST', 'API.INVALID_PARTICIPANT_ID', 'Invalid participant id');
    return p;
  };
  const out = (p: { code: string; contact_user: string; phone_contact: string }) => ({ code: p.code, contactUser: p.contact_user, phoneContact: p.phone_contact });
  app.get('/api/dr/participants', own, async (req) => {
    who(req);
    return { events: (db.prepare('SELECT * FROM dr_participants ORDER BY id').all() as { code: string; contact_user: string; phone_contact: string }[]).map(out) };
  });
  app.get('/api/dr/participants/:participantId', own, async (req) => {
    who(req);
    return out(participant((req.params as { participantId: string }).participantId));
  });
  app.post('/api/dr/participants', own, async (req, reply) => {
    const p = who(req);
    if (p.isReadOnly) throw new ApiError(403, 'API.FORBIDDEN', 'API.READ_ONLY_USER', 'a read-only key cannot create participants');
    const b = (req.body ?? {}) as Record<string, unknown>;
    const body = (b.data && typeof b.data === 'object' ? b.data : b) as Record<string, unknown>;
    for (const f of ['code', 'contactUser', 'phoneContact']) if (typeof body[f] !== 'string' || !(body[f] as string).trim()) throw badRequest(`API.INVALID_${f.toUpperCase()}`, `${f} is required`, f);
    if (db.prepare('SELECT 1 FROM dr_participants WHERE code = ?').get(body.code)) throw badRequest('API.CODE_IS_ALREADY_IN_USE', `participant ${String(body.code)} exists already`, 'code');
    const id = db.prepare('INSERT INTO dr_participants (code, contact_user, phone_contact, created_at) VALUES (?, ?, ?, ?)').run(body.code, body.contactUser, body.phoneContact, now()).lastInsertRowid;
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'dr.participant.create', target: `dr_participants:${id}`, newValue: body, result: 'ok' });
    // the document answers the new participant's id as text
    return reply.type('text/plain').send(String(id));
  });
  app.delete('/api/dr/participants/:participantId', own, async (req) => {
    const p = who(req);
    if (p.isReadOnly) throw new ApiError(403, 'API.FORBIDDEN', 'API.READ_ONLY_USER', 'a read-only key cannot delete participants');
    const row = participant((req.params as { participantId: string }).participantId);
    db.prepare('DELETE FROM dr_participants WHERE id = ?').run(row.id);
    ctx.audit.record({ userId: p.userId, userName: p.userName, action: 'dr.participant.delete', target: `dr_participants:${row.id}`, oldValue: out(row), result: 'ok' });
    return { message: 'deleted' };
  });
}

function registerOperatorApi(app: FastifyInstance, ctx: RuntimeContext, dr: DemandResponse): void {
  const db = ctx.store.db;
  const audit = (p: Principal, action: string, target: string, value?: unknown) => ctx.audit.record({ userId: p.userId, userName: p.userName, action, target, newValue: value, result: 'ok' });

  app.get('/api/dr/programs', async (req) => {
    principalOf(req);
    return db.prepare('SELECT id, uuid, name, description, created_at AS created_datetime FROM dr_programs ORDER BY id').all();
  });
  app.post('/api/dr/programs', async (req, reply) => {
    const p = requireAdmin(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof d.name !== 'string' || !d.name.trim()) throw badRequest('API.INVALID_NAME', 'name is required', 'name');
    if (db.prepare('SELECT 1 FROM dr_programs WHERE name = ?').get(d.name.trim())) throw badRequest('API.PROGRAM_NAME_IS_ALREADY_IN_USE', `program ${d.name} exists already`, 'name');
    const id = Number(db.prepare('INSERT INTO dr_programs (uuid, name, description, created_at, modified_at) VALUES (?, ?, ?, ?, ?)').run(randomUUID(), d.name.trim(), typeof d.description === 'string' ? d.description : null, now(), now()).lastInsertRowid);
    audit(p, 'dr.program.create', `dr_programs:${id}`, d);
    reply.code(201).header('Location', `/api/dr/programs/${id}`);
    return db.prepare('SELECT id, uuid, name, description FROM dr_programs WHERE id = ?').get(id);
  });

  app.get('/api/dr/partners', async (req) => {
    requireAdmin(req);
    return db.prepare('SELECT id, uuid, name, client_id, created_at AS created_datetime FROM dr_partners ORDER BY id').all();
  });
  app.post('/api/dr/partners', async (req, reply) => {
    const p = requireAdmin(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof d.name !== 'string' || !d.name.trim()) throw badRequest('API.INVALID_NAME', 'name is required', 'name');
    if (db.prepare('SELECT 1 FROM dr_partners WHERE name = ?').get(d.name.trim())) throw badRequest('API.PARTNER_NAME_IS_ALREADY_IN_USE', `partner ${d.name} exists already`, 'name');
    const key = newSecret();
    const clientId = `partner-${randomUUID()}`;
    const id = Number(db.prepare('INSERT INTO dr_partners (uuid, name, key_hash, client_id, created_at) VALUES (?, ?, ?, ?, ?)').run(randomUUID(), d.name.trim(), secretHash(key), clientId, now()).lastInsertRowid);
    audit(p, 'dr.partner.create', `dr_partners:${id}`, { name: d.name });
    reply.code(201).header('Location', `/api/dr/partners/${id}`);
    // shown once: the API key (a bearer key, also the OAuth2 client secret)
    return { id, name: d.name.trim(), client_id: clientId, api_key: key };
  });
  app.delete('/api/dr/partners/:id', async (req, reply) => {
    const p = requireAdmin(req);
    const id = idParam((req.params as { id: string }).id);
    if (!db.prepare('DELETE FROM dr_partners WHERE id = ?').run(id).changes) throw new ApiError(404, 'API.NOT_FOUND', 'API.PARTNER_NOT_FOUND', `partner ${id} does not exist`);
    audit(p, 'dr.partner.delete', `dr_partners:${id}`);
    return reply.code(204).send();
  });

  app.get('/api/dr/resources', async (req) => {
    principalOf(req);
    return (db.prepare('SELECT r.*, p.name AS partner_name FROM dr_resources r LEFT JOIN dr_partners p ON p.id = r.partner_id ORDER BY r.id').all() as (ResourceRow & { partner_name: string | null })[]).map((r) => ({
      id: r.id,
      uuid: r.uuid,
      resource_id: r.resource_id,
      user_id: r.user_id,
      partner: r.partner_id ? { id: r.partner_id, name: r.partner_name } : null,
      point_id: r.point_id,
      metadata: JSON.parse(r.metadata),
    }));
  });
  app.post('/api/dr/resources', async (req, reply) => {
    const p = requireAdmin(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof d.resource_id !== 'string' || !d.resource_id.trim()) throw badRequest('API.INVALID_RESOURCE_ID', 'resource_id (a name for the asset) is required', 'resource_id');
    if (!Number.isInteger(d.point_id) || !db.prepare('SELECT 1 FROM points WHERE id = ?').get(d.point_id)) throw badRequest('API.INVALID_POINT_ID', 'point_id must be the setpoint point the event writes', 'point_id');
    if (db.prepare('SELECT 1 FROM dr_resources WHERE partner_id IS NULL AND resource_id = ?').get(d.resource_id.trim())) throw badRequest('API.RESOURCE_ID_IS_ALREADY_IN_USE', 'resource_id is in use', 'resource_id');
    const participant = d.participant_id ?? null;
    if (participant !== null && (!Number.isInteger(participant) || !db.prepare('SELECT 1 FROM dr_participants WHERE id = ?').get(participant))) throw badRequest('API.INVALID_PARTICIPANT_ID', 'participant_id names no participant', 'participant_id');
    const measure = d.measure_point_id ?? d.point_id;
    if (!Number.isInteger(measure) || !db.prepare('SELECT 1 FROM points WHERE id = ?').get(measure)) throw badRequest('API.INVALID_MEASURE_POINT_ID', 'measure_point_id must be the (trended) power point whose change the event delivers', 'measure_point_id');
    const id = Number(
      db.prepare('INSERT INTO dr_resources (uuid, resource_id, point_id, measure_point_id, participant_id, metadata, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(randomUUID(), d.resource_id.trim(), d.point_id, measure, participant, JSON.stringify(d.metadata ?? {}), now(), now()).lastInsertRowid,
    );
    audit(p, 'dr.resource.create', `dr_resources:${id}`, d);
    reply.code(201).header('Location', `/api/dr/resources/${id}`);
    return { id };
  });

  app.get('/api/dr/events', async (req) => {
    principalOf(req);
    return (db.prepare('SELECT * FROM dr_events ORDER BY id').all() as EventRow[]).map(toOperator);
  });
  app.get('/api/dr/events/:id', async (req) => {
    principalOf(req);
    return toOperator(dr.event(idParam((req.params as { id: string }).id)));
  });
  app.post('/api/dr/events', async (req, reply) => {
    const p = requireAdmin(req);
    const input = parseEvent(ctx.store, dataOf(req.body), null);
    const id = ctx.store.tx(() => saveEvent(ctx.store, input, null));
    const e = dr.event(id);
    audit(p, 'dr.event.create', `dr_events:${id}`, input);
    dr.announce(e, 'Create');
    void dr.tick();
    reply.code(201).header('Location', `/api/dr/events/${id}`);
    return toOperator(e);
  });
  app.put('/api/dr/events/:id', async (req) => {
    const p = requireAdmin(req);
    const existing = dr.event(idParam((req.params as { id: string }).id));
    if (existing.status === 'completed' || existing.status === 'cancelled') throw badRequest('API.DR_EVENT_IS_OVER', `event ${existing.name} is ${existing.status} and cannot change`, 'status');
    const input = parseEvent(ctx.store, dataOf(req.body), existing);
    ctx.store.tx(() => saveEvent(ctx.store, input, existing));
    const e = dr.event(existing.id);
    audit(p, 'dr.event.update', `dr_events:${e.id}`, input);
    dr.announce(e, existing.status === 'draft' ? 'Create' : 'Update');
    void dr.tick();
    return toOperator(e);
  });
  app.put('/api/dr/events/:id/cancel', async (req) => {
    const p = requireAdmin(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (e.status === 'completed' || e.status === 'cancelled') throw badRequest('API.DR_EVENT_IS_OVER', `event ${e.name} is already ${e.status}`, 'status');
    db.prepare("UPDATE dr_events SET status = 'cancelled', modified_at = ? WHERE id = ?").run(now(), e.id);
    await dr.dispatch.apply();
    audit(p, 'dr.event.cancel', `dr_events:${e.id}`);
    const after = dr.event(e.id);
    dr.announce(after, 'Update');
    return toOperator(after);
  });
  app.put('/api/dr/events/:id/optout', async (req) => {
    const p = principalOf(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    const rid = d.resource_id;
    const o = toOperator(e);
    if (!Number.isInteger(rid) || !o.target_resources.includes(rid as number)) throw badRequest('API.INVALID_RESOURCE_ID', 'resource_id must be one of the event\'s target resources', 'resource_id');
    if (e.mandatory && !p.isAdmin) throw badRequest('API.DR_EVENT_IS_MANDATORY', 'only an administrator can opt a resource out of a mandatory event', 'resource_id');
    const outs = [...new Set([...o.opt_outs, rid as number])];
    db.prepare('UPDATE dr_events SET opt_outs = ?, modified_at = ? WHERE id = ?').run(JSON.stringify(outs), now(), e.id);
    await dr.dispatch.apply();
    audit(p, 'dr.event.optout', `dr_events:${e.id}`, { resource_id: rid });
    const after = dr.event(e.id);
    dr.announce(after, 'Update');
    return toOperator(after);
  });
  app.delete('/api/dr/events/:id', async (req, reply) => {
    const p = requireAdmin(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (e.status === 'active') throw badRequest('API.DR_EVENT_IS_ACTIVE', 'cancel a running event before deleting it', 'status');
    db.prepare('DELETE FROM dr_events WHERE id = ?').run(e.id);
    audit(p, 'dr.event.delete', `dr_events:${e.id}`);
    dr.announce({ ...e, status: e.status === 'draft' ? 'cancelled' : e.status }, 'Delete');
    return reply.code(204).send();
  });
  // ecobee: the utility account's API (base URL and token are settings), events sent and cancelled there
  app.get('/api/dr/ecobee', async (req) => {
    requireAdmin(req);
    return { base_url: ctx.settings.get('dr.ecobee.base_url') ?? 'https://api.ecobee.com', token_set: Boolean(ctx.settings.get('dr.ecobee.token')) };
  });
  app.put('/api/dr/ecobee', async (req) => {
    const p = requireAdmin(req);
    const d = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (d.base_url !== undefined) {
      if (!isWebhookUrl(d.base_url)) throw badRequest('API.INVALID_BASE_URL', 'base_url must be an http(s) URL', 'base_url');
      ctx.settings.set('dr.ecobee.base_url', String(d.base_url));
    }
    if (d.token !== undefined) {
      if (typeof d.token !== 'string' || !d.token) throw badRequest('API.INVALID_TOKEN', 'token must be the account\'s access token', 'token');
      ctx.settings.set('dr.ecobee.token', d.token);
    }
    audit(p, 'dr.ecobee.settings', 'settings:dr.ecobee', { base_url: d.base_url, token: d.token ? 'changed' : undefined });
    return { base_url: ctx.settings.get('dr.ecobee.base_url') ?? 'https://api.ecobee.com', token_set: Boolean(ctx.settings.get('dr.ecobee.token')) };
  });
  const ecobeeAccount = () => {
    const token = ctx.settings.get('dr.ecobee.token');
    if (!token) throw badRequest('API.ECOBEE_NOT_CONFIGURED', 'set the ecobee account first: PUT /api/dr/ecobee {"data":{"base_url","token"}}', 'token');
    return { base: ctx.settings.get('dr.ecobee.base_url') ?? 'https://api.ecobee.com', token };
  };
  app.post('/api/dr/events/:id/ecobee', async (req) => {
    const p = requireAdmin(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    const request = ecobeeRequest(e, dataOf(req.body) as EcobeeOptions);
    const account = ecobeeAccount();
    let result;
    try {
      result = await sendToEcobee(account.base, account.token, request);
    } catch (err) {
      throw new ApiError(502, 'API.BAD_GATEWAY', 'API.ECOBEE_UNREACHABLE', `ecobee could not be reached: ${(err as Error).message}`);
    }
    db.prepare('UPDATE dr_events SET ecobee_ref = COALESCE(?, ecobee_ref), ecobee_status = ?, modified_at = ? WHERE id = ?').run(result.answer.demandResponseRef ?? null, JSON.stringify(result.answer.status), now(), e.id);
    audit(p, 'dr.ecobee.send', `dr_events:${e.id}`, { request, status: result.answer.status });
    return { http_status: result.http, status: result.answer.status, demandResponseRef: result.answer.demandResponseRef ?? null, request };
  });
  app.put('/api/dr/events/:id/ecobee/cancel', async (req) => {
    const p = requireAdmin(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (!e.ecobee_ref) throw badRequest('API.ECOBEE_NOT_SENT', 'this event was not sent to ecobee (no demandResponseRef)', 'id');
    const account = ecobeeAccount();
    const result = await sendToEcobee(account.base, account.token, { operation: 'cancel', demandResponseRef: e.ecobee_ref });
    db.prepare('UPDATE dr_events SET ecobee_status = ?, modified_at = ? WHERE id = ?').run(JSON.stringify(result.answer.status), now(), e.id);
    audit(p, 'dr.ecobee.cancel', `dr_events:${e.id}`, { demandResponseRef: e.ecobee_ref, status: result.answer.status });
    return { http_status: result.http, status: result.answer.status, demandResponseRef: e.ecobee_ref };
  });

  const performance = (id: number) => {
    const e = dr.event(id);
    const rows = toOperator(e)
      .target_resources.map((rid) => db.prepare('SELECT r.resource_id, r.measure_point_id, p.code FROM dr_resources r LEFT JOIN dr_participants p ON p.id = r.participant_id WHERE r.id = ?').get(rid) as { resource_id: string; measure_point_id: number | null; code: string | null } | undefined)
      .filter((r): r is { resource_id: string; measure_point_id: number; code: string | null } => Boolean(r?.measure_point_id));
    const resources = rows.map((r) => ({ ...resourcePerformance(ctx.store, e, r.resource_id, r.measure_point_id), participant: r.code }));
    const sum = (list: typeof resources, k: 'delivered_kw' | 'delivered_kwh') => (list.some((r) => r[k] !== null) ? list.reduce((a, r) => a + (r[k] ?? 0), 0) : null);
    const participants = [...new Set(resources.map((r) => r.participant).filter((c): c is string => c !== null))].map((code) => {
      const mine = resources.filter((r) => r.participant === code);
      return { code, delivered_kw: sum(mine, 'delivered_kw'), delivered_kwh: sum(mine, 'delivered_kwh') };
    });
    return { event_id: e.id, name: e.name, status: e.status, delivered_kw: sum(resources, 'delivered_kw'), delivered_kwh: sum(resources, 'delivered_kwh'), participants, resources };
  };
  app.get('/api/dr/events/:id/performance', async (req) => {
    principalOf(req);
    return performance(idParam((req.params as { id: string }).id));
  });
  app.get('/api/dr/events/:id/performance.xlsx', async (req, reply) => {
    principalOf(req);
    const p = performance(idParam((req.params as { id: string }).id));
    // exceljs is loaded when a workbook is asked for (it is slow to load and rarely needed)
    const { default: ExcelJS } = await import('exceljs');
    const book = new ExcelJS.Workbook();
    const summary = book.addWorksheet('Summary');
    summary.addRow(['Event', p.name]);
    summary.addRow(['Status', p.status]);
    summary.addRow(['Delivered kW (average)', p.delivered_kw]);
    summary.addRow(['Delivered kWh', p.delivered_kwh]);
    summary.addRow([]);
    summary.addRow(['Resource', 'Baseline days', 'Day-of adjustment', 'Baseline kW', 'Actual kW', 'Delivered kW', 'Delivered kWh']);
    for (const r of p.resources) summary.addRow([r.resource_id, r.baseline_days, r.adjustment, r.baseline_kw, r.actual_kw, r.delivered_kw, r.delivered_kwh]);
    summary.addRow([]);
    summary.addRow(['Participant', 'Delivered kW', 'Delivered kWh']);
    for (const r of p.participants) summary.addRow([r.code, r.delivered_kw, r.delivered_kwh]);
    const slots = book.addWorksheet('Slots');
    slots.addRow(['Resource', 'Slot start (UTC)', 'Baseline kW', 'Actual kW']);
    for (const r of p.resources) for (const s of r.slots) slots.addRow([r.resource_id, s.start, s.baseline_kw, s.actual_kw]);
    const buffer = Buffer.from(await book.xlsx.writeBuffer());
    return reply
      .header('Content-Type', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
      .header('Content-Disposition', `attachment; filename="dr-event-${p.event_id}-performance.xlsx"`)
      .send(buffer);
  });

  // a participant's enrolled sites (spaces), for the operator
  app.get('/api/dr/participants/:id/spaces', async (req) => {
    principalOf(req);
    const row = db.prepare('SELECT space_ids FROM dr_participants WHERE id = ?').get(idParam((req.params as { id: string }).id)) as { space_ids: string } | undefined;
    if (!row) throw new ApiError(404, 'API.NOT_FOUND', 'API.PARTICIPANT_NOT_FOUND', 'no such participant');
    const ids = JSON.parse(row.space_ids) as number[];
    return ids.map((id) => db.prepare('SELECT id, name, uuid FROM spaces WHERE id = ?').get(id)).filter(Boolean);
  });
  app.put('/api/dr/participants/:id/spaces', async (req) => {
    const p = requireAdmin(req);
    const id = idParam((req.params as { id: string }).id);
    if (!db.prepare('SELECT 1 FROM dr_participants WHERE id = ?').get(id)) throw new ApiError(404, 'API.NOT_FOUND', 'API.PARTICIPANT_NOT_FOUND', 'no such participant');
    const ids = ((dataOf(req.body) ?? {}) as Record<string, unknown>).space_ids;
    if (!Array.isArray(ids) || !ids.every((x) => Number.isInteger(x) && db.prepare('SELECT 1 FROM spaces WHERE id = ?').get(x))) throw badRequest('API.INVALID_SPACE_IDS', 'space_ids must be a list of space ids', 'space_ids');
    db.prepare('UPDATE dr_participants SET space_ids = ? WHERE id = ?').run(JSON.stringify([...new Set(ids)]), id);
    audit(p, 'dr.participant.spaces', `dr_participants:${id}`, ids);
    return { space_ids: ids };
  });
  app.get('/api/dr/reports', async (req) => {
    principalOf(req);
    return (
      db
        .prepare('SELECT r.uuid AS id, r.name, r.payloads, r.created_at, e.uuid AS event_uuid, e.name AS event_name, p.name AS partner FROM dr_reports r LEFT JOIN dr_events e ON e.id = r.event_id LEFT JOIN dr_partners p ON p.id = r.partner_id ORDER BY r.id DESC LIMIT 500')
        .all() as { payloads: string }[]
    ).map((r) => ({ ...r, payloads: JSON.parse(r.payloads) }));
  });
  app.get('/api/dr/deliveries', async (req) => {
    requireAdmin(req);
    return db
      .prepare('SELECT d.id, s.uuid AS subscription, p.name AS partner, d.event_uuid, d.operation, d.status, d.attempts, d.last_status_code, d.last_error, d.created_at, d.delivered_at FROM dr_deliveries d JOIN dr_subscriptions s ON s.id = d.subscription_id JOIN dr_partners p ON p.id = s.partner_id ORDER BY d.id DESC LIMIT 200')
      .all();
  });

  app.get('/api/dr/subscriptions/:uuid/deliveries', async (req) => {
    requireAdmin(req);
    const s = db.prepare('SELECT id FROM dr_subscriptions WHERE uuid = ?').get((req.params as { uuid: string }).uuid) as { id: number } | undefined;
    if (!s) throw new ApiError(404, 'API.NOT_FOUND', 'API.SUBSCRIPTION_NOT_FOUND', 'no such subscription');
    return db.prepare('SELECT id, event_uuid, operation, status, attempts, last_status_code, last_error, created_at, delivered_at FROM dr_deliveries WHERE subscription_id = ? ORDER BY id DESC LIMIT 500').all(s.id);
  });
}

export const drFeature: Feature = {
  name: 'dr',
  migrations: [drMigrations],
  compose(ctx) {
    const dr = new DemandResponse(ctx, Number(process.env.SWITCHYARD_DR_BACKOFF_MS ?? 1000));
    ctx.services.set('dr', dr);
    registerOperatorApi(ctx.app, ctx, dr);
    registerEcosuite(ctx.app, ctx);
    registerPartnerApi(ctx.app, ctx);
    let timer: NodeJS.Timeout | null = null;
    return [
      {
        name: 'demand response',
        start() {
          dr.outbox.start();
          timer = setInterval(() => void dr.tick().catch((e: Error) => ctx.log(`dr: ${e.message}`)), TICK_MS);
        },
        async stop() {
          if (timer) clearInterval(timer);
          await dr.outbox.stop();
        },
      },
    ];
  },
};
