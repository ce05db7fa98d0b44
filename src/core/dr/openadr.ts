/**
 * The OpenADR 3 VTN (shared/spec/openadr3.yaml) under /api/openadr/3, beside the partner API and on the same
 * model: programs, events, reports, subscriptions, VENs and resources. Clients are partners: a VEN (role `ven`)
 * or the operator's business logic (role `bl`, or a Switchyard session/API key). Every answer that is not a
 * success is application/problem+json (also malformed JSON, unsupported media types, unknown methods).
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api/errors';
import { newSecret, secretHash } from '../auth/passwords';
import type { RuntimeContext } from '../feature';
import { type EventRow, parseEvent, saveEvent } from './events';
import { tokenEndpoint } from './oauth';
import { eventOut, type OpenAdrSubscription, type PartnerRow, type ProgramRow, programOut, reportOut, type ResourceRowFull, resourceOut, subscriptionOut, venOut } from './openadr-wire';
import { Problem } from './problem';
import type { DemandResponse } from './service';
import { canSee, enrolled, visibleEvents } from './visibility';
import { isWebhookUrl } from './webhooks';

export const OPENADR_BASE = '/api/openadr/3';
const now = () => new Date().toISOString();
const OBJECT_TYPES = ['PROGRAM', 'EVENT', 'REPORT', 'SUBSCRIPTION', 'VEN', 'RESOURCE'];
const OPERATIONS = ['READ', 'CREATE', 'UPDATE', 'DELETE'];

/** A client of the VTN: a partner (VEN or business logic) or an operator's session (business logic). */
interface Client {
  partner: PartnerRow | null;
  bl: boolean;
  write: boolean;
}

const bad = (field: string, detail: string) => new Problem(400, 'Bad Request', `${field}: ${detail}`, { [field]: [detail] });
const forbidden = (detail: string) => new Problem(403, 'Forbidden', detail);
const notFound = (what: string) => new Problem(404, 'Not Found', `no such ${what}`);

const origin = (req: FastifyRequest) => `${req.protocol}://${req.headers.host ?? '127.0.0.1'}`;

function sendProblem(reply: FastifyReply, req: FastifyRequest, p: { status: number; title: string; detail: string; errors?: Record<string, string[]> }) {
  return reply
    .code(p.status)
    .type('application/problem+json')
    .send({ type: `https://switchyard.local/problems/${p.status}`, title: p.title, status: p.status, detail: p.detail, instance: `${origin(req)}${req.url.split('?')[0]}`, ...(p.errors ? { errors: p.errors } : {}) });
}

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

  const page = <T>(req: FastifyRequest, rows: T[]): T[] => {
    const q = req.query as Record<string, string | undefined>;
    const skip = q.skip === undefined ? 0 : Number(q.skip);
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    if (!Number.isInteger(skip) || skip < 0) throw bad('skip', 'must be a non-negative integer');
    if (!Number.isInteger(limit) || limit < 0 || limit > 50) throw bad('limit', 'must be an integer from 0 to 50');
    return rows.slice(skip, skip + limit);
  };
  const list = (v: unknown): string[] | null => (v === undefined ? null : ([v].flat() as string[]).flatMap((s) => String(s).split(',')).filter(Boolean));
  const targetsQuery = (req: FastifyRequest): string[] | null => {
    const q = req.query as Record<string, unknown>;
    return list(q.targets) ?? list(q.targetValues);
  };
  const json = (req: FastifyRequest): Record<string, unknown> => {
    const type = String(req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') throw new Problem(415, 'Unsupported Media Type', 'send application/json');
    const b = req.body;
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw bad('body', 'must be a JSON object');
    return b as Record<string, unknown>;
  };
  const needWrite = (c: Client) => {
    if (!c.write) throw forbidden('this client may only read');
  };
  const needPartner = (c: Client): PartnerRow => {
    if (!c.partner) throw forbidden('use a client credential (POST /auth/token) for this operation');
    return c.partner;
  };

  const programs = (c: Client): ProgramRow[] => {
    const all = db.prepare('SELECT * FROM dr_programs ORDER BY id').all() as ProgramRow[];
    return c.bl ? all : all.filter((p) => enrolled(db, c.partner!.id, p.id));
  };
  const programByUuid = (c: Client, uuid: string) => programs(c).find((p) => p.uuid === uuid);
  const events = (c: Client): EventRow[] => (c.bl ? (db.prepare("SELECT * FROM dr_events WHERE status != 'draft' ORDER BY created_at DESC, id DESC").all() as EventRow[]) : visibleEvents(db, c.partner!.id));
  const eventByUuid = (c: Client, uuid: string) => {
    const e = db.prepare("SELECT * FROM dr_events WHERE uuid = ? AND status != 'draft'").get(uuid) as EventRow | undefined;
    return e && (c.bl || canSee(db, c.partner!.id, e)) ? e : undefined;
  };
  const viewer = (c: Client) => (c.bl ? null : c.partner!.id);

  void app.register(
    async (scope) => {
      const own = { config: { auth: 'own' as const } };
      const route = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, fn: (req: FastifyRequest, c: Client, reply: FastifyReply) => unknown, auth = true) => {
        const pattern = new RegExp(`^${url.replace(/:\w+/g, '[^/]+')}/?$`);
        const known = PATHS.find(([p]) => String(p) === String(pattern));
        if (known) known[1].push(method);
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
      route('GET', '/notifiers', () => ({ WEBHOOK: true }));

      // programs carry no targets here: the targets filter leaves the (already private) list as it is
      route('GET', '/programs', (req, c) => page(req, programs(c).map(programOut)));
      route('GET', '/programs/:programID', (req, c) => {
        const p = programByUuid(c, (req.params as { programID: string }).programID);
        if (!p) throw notFound('program');
        return programOut(p);
      });
      route('POST', '/programs', (req, c, reply) => {
        const b = json(req);
        if (!c.bl) throw forbidden('only the VTN operator (business logic) writes programs');
        needWrite(c);
        if (typeof b.programName !== 'string' || !b.programName.trim() || b.programName.length > 128) throw bad('programName', 'is required (1 to 128 characters)');
        if (db.prepare('SELECT 1 FROM dr_programs WHERE name = ?').get(b.programName.trim())) throw new Problem(409, 'Conflict', `program ${b.programName} exists already`);
        const id = db.prepare('INSERT INTO dr_programs (uuid, name, description, created_at, modified_at) VALUES (?, ?, NULL, ?, ?)').run(randomUUID().replace(/-/g, ''), b.programName.trim(), now(), now()).lastInsertRowid;
        reply.code(201);
        return programOut(db.prepare('SELECT * FROM dr_programs WHERE id = ?').get(id) as ProgramRow);
      });

      route('GET', '/events', (req, c) => {
        const q = req.query as Record<string, string | undefined>;
        const t = targetsQuery(req);
        if (q.active !== undefined && q.active !== 'true' && q.active !== 'false') throw bad('active', 'must be true or false');
        let rows = events(c).map((e) => ({ e, o: eventOut(db, e, viewer(c)) }));
        if (q.programID) rows = rows.filter((r) => r.o.programID === q.programID);
        if (t) rows = rows.filter((r) => r.o.targets.some((x) => t.includes(x)));
        if (q.active !== undefined) rows = rows.filter((r) => (r.e.status === 'active') === (q.active === 'true'));
        return page(req, rows).map((r) => r.o);
      });
      route('GET', '/events/:eventID', (req, c) => {
        const e = eventByUuid(c, (req.params as { eventID: string }).eventID);
        if (!e) throw notFound('event');
        return eventOut(db, e, viewer(c));
      });
      route('POST', '/events', (req, c, reply) => {
        const b = json(req);
        if (!c.bl) throw forbidden('only the VTN operator (business logic) writes events');
        needWrite(c);
        const program = typeof b.programID === 'string' ? (db.prepare('SELECT id FROM dr_programs WHERE uuid = ?').get(b.programID) as { id: number } | undefined) : undefined;
        if (!program) throw bad('programID', 'must name a program');
        const intervals = b.intervals as { payloads?: { type?: unknown; values?: unknown[] }[] }[] | undefined;
        const first = Array.isArray(intervals) ? intervals[0]?.payloads?.[0] : undefined;
        if (!first || typeof first.type !== 'string' || !Array.isArray(first.values)) throw bad('intervals', 'at least one interval with payloads [{type, values}] is required');
        const targets = b.targets ?? [];
        if (!Array.isArray(targets) || !targets.every((x) => typeof x === 'string')) throw bad('targets', 'must be a list of resource names');
        const ids = targets.flatMap((name) => (db.prepare('SELECT id FROM dr_resources WHERE resource_id = ?').all(name) as { id: number }[]).map((r) => r.id));
        const input = parseEvent(
          ctx.store,
          { name: typeof b.eventName === 'string' && b.eventName ? b.eventName : 'OpenADR event', program_id: program.id, priority: b.priority ?? 0, target_resources: ids, interval_period: b.intervalPeriod, payload: { type: first.type, value: first.values[0] }, intervals, status: 'scheduled' },
          null,
        );
        const id = ctx.store.tx(() => saveEvent(ctx.store, input, null));
        const e = db.prepare('SELECT * FROM dr_events WHERE id = ?').get(id) as EventRow;
        dr.announce(e, 'Create');
        void dr.tick();
        reply.code(201);
        return eventOut(db, e, null);
      });

      // VENs: a partner registers itself (one VEN per client); the operator sees all
      route('GET', '/vens', (req, c) => {
        const q = req.query as Record<string, string | undefined>;
        let rows = (db.prepare("SELECT * FROM dr_partners WHERE ven_name IS NOT NULL AND role = 'ven' ORDER BY id").all() as PartnerRow[]).filter((p) => c.bl || p.id === c.partner?.id);
        if (q.venName) rows = rows.filter((p) => p.ven_name === q.venName);
        return page(req, rows.map(venOut));
      });
      const venOf = (c: Client, id: string) => {
        const p = db.prepare('SELECT * FROM dr_partners WHERE uuid = ? AND ven_name IS NOT NULL').get(id) as PartnerRow | undefined;
        if (!p || (!c.bl && p.id !== c.partner?.id)) throw notFound('ven');
        return p;
      };
      route('GET', '/vens/:venID', (req, c) => venOut(venOf(c, (req.params as { venID: string }).venID)));
      route('POST', '/vens', (req, c, reply) => {
        const b = json(req);
        const p = needPartner(c);
        if (p.role !== 'ven') throw forbidden('only a VEN client registers itself as a VEN');
        if (typeof b.venName !== 'string' || !b.venName.trim() || b.venName.length > 128) throw bad('venName', 'is required (1 to 128 characters)');
        if (p.ven_name) throw new Problem(409, 'Conflict', 'this client is registered as a VEN already');
        if (db.prepare('SELECT 1 FROM dr_partners WHERE ven_name = ?').get(b.venName.trim())) throw new Problem(409, 'Conflict', 'venName is in use');
        db.prepare('UPDATE dr_partners SET ven_name = ?, ven_registered_at = ? WHERE id = ?').run(b.venName.trim(), now(), p.id);
        reply.code(201);
        return venOut(partnerById(p.id));
      });

      // resources belong to the VEN that registered them: the same name under two VENs is two resources
      const resourceRows = (c: Client) => db.prepare('SELECT * FROM dr_resources WHERE partner_id IS NOT NULL ORDER BY id').all().filter((r) => c.bl || (r as ResourceRowFull).partner_id === c.partner?.id) as ResourceRowFull[];
      route('GET', '/resources', (req, c) => {
        const q = req.query as Record<string, string | undefined>;
        let rows = resourceRows(c).map((r) => resourceOut(r, partnerById(r.partner_id!)));
        if (q.resourceName) rows = rows.filter((r) => r.resourceName === q.resourceName);
        if (q.venID) rows = rows.filter((r) => r.venID === q.venID);
        return page(req, rows);
      });
      const resourceOf = (c: Client, id: string) => {
        const r = resourceRows(c).find((x) => x.uuid === id);
        if (!r) throw notFound('resource');
        return r;
      };
      route('GET', '/resources/:resourceID', (req, c) => {
        const r = resourceOf(c, (req.params as { resourceID: string }).resourceID);
        return resourceOut(r, partnerById(r.partner_id!));
      });
      route('POST', '/resources', (req, c, reply) => {
        const b = json(req);
        const p = needPartner(c);
        if (typeof b.resourceName !== 'string' || !b.resourceName.trim() || b.resourceName.length > 128) throw bad('resourceName', 'is required (1 to 128 characters)');
        if (b.venID !== p.uuid || !p.ven_name) throw bad('venID', 'must be your own registered VEN (POST /vens first)');
        if (b.attributes !== undefined && b.attributes !== null && !Array.isArray(b.attributes)) throw bad('attributes', 'must be a list of valuesMap');
        if (db.prepare('SELECT 1 FROM dr_resources WHERE partner_id = ? AND resource_id = ?').get(p.id, b.resourceName.trim())) throw new Problem(409, 'Conflict', `resource ${b.resourceName} exists already`);
        const uuid = randomUUID();
        db.prepare('INSERT INTO dr_resources (uuid, partner_id, resource_id, metadata, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)').run(uuid, p.id, b.resourceName.trim(), JSON.stringify(b.attributes ? { attributes: b.attributes } : {}), now(), now());
        reply.code(201);
        return resourceOut(resourceOf(c, uuid), p);
      });
      route('DELETE', '/resources/:resourceID', (req, c) => {
        const r = resourceOf(c, (req.params as { resourceID: string }).resourceID);
        needWrite(c);
        const out = resourceOut(r, partnerById(r.partner_id!));
        db.prepare('DELETE FROM dr_resources WHERE id = ?').run(r.id);
        return out;
      });

      // subscriptions: notifications of events at callbackUrl with the subscription's bearer token
      interface SubRow {
        id: number;
        uuid: string;
        partner_id: number;
        created_at: string;
        openadr: string;
        webhook_secret: string;
      }
      const subscriptionInput = (c: Client, b: Record<string, unknown>): OpenAdrSubscription => {
        if (typeof b.clientName !== 'string' || !b.clientName || b.clientName.length > 128) throw bad('clientName', 'is required (1 to 128 characters)');
        if (b.programID !== undefined && b.programID !== null && (typeof b.programID !== 'string' || !programByUuid(c, b.programID))) throw bad('programID', 'names no program of yours');
        const ops = b.objectOperations;
        if (!Array.isArray(ops) || ops.length === 0) throw bad('objectOperations', 'must be a non-empty list of {objects, operations, callbackUrl}');
        const out = ops.map((o: Record<string, unknown>, i) => {
          if (!o || typeof o !== 'object') throw bad(`objectOperations[${i}]`, 'must be an object');
          if (!Array.isArray(o.objects) || !o.objects.length || !o.objects.every((x) => OBJECT_TYPES.includes(x as string))) throw bad(`objectOperations[${i}].objects`, `must list some of ${OBJECT_TYPES.join(', ')}`);
          if (!Array.isArray(o.operations) || !o.operations.length || !o.operations.every((x) => OPERATIONS.includes(x as string))) throw bad(`objectOperations[${i}].operations`, `must list some of ${OPERATIONS.join(', ')}`);
          if (!isWebhookUrl(o.callbackUrl)) throw bad(`objectOperations[${i}].callbackUrl`, 'must be an http(s) URL');
          if (o.bearerToken !== undefined && o.bearerToken !== null && typeof o.bearerToken !== 'string') throw bad(`objectOperations[${i}].bearerToken`, 'must be a string');
          return { objects: o.objects as string[], operations: o.operations as string[], callbackUrl: o.callbackUrl as string, ...(typeof o.bearerToken === 'string' ? { bearerToken: o.bearerToken } : {}) };
        });
        if (b.targets !== undefined && b.targets !== null && (!Array.isArray(b.targets) || !b.targets.every((x) => typeof x === 'string'))) throw bad('targets', 'must be a list of strings');
        return { clientName: b.clientName, ...(b.programID ? { programID: b.programID as string } : {}), objectOperations: out, ...(Array.isArray(b.targets) ? { targets: b.targets as string[] } : {}) };
      };
      const subRows = (c: Client) => (db.prepare('SELECT * FROM dr_subscriptions WHERE openadr IS NOT NULL ORDER BY id').all() as SubRow[]).filter((s) => c.bl || s.partner_id === c.partner?.id);
      const subOf = (c: Client, id: string) => {
        const s = subRows(c).find((x) => x.uuid === id);
        if (!s) throw notFound('subscription');
        return s;
      };
      route('GET', '/subscriptions', (req, c) => {
        const q = req.query as Record<string, string | undefined>;
        let rows = subRows(c).map((s) => subscriptionOut(s, partnerById(s.partner_id)));
        if (q.programID) rows = rows.filter((s) => s.programID === q.programID);
        if (q.clientName) rows = rows.filter((s) => s.clientName === q.clientName);
        return page(req, rows);
      });
      route('GET', '/subscriptions/:subscriptionID', (req, c) => {
        const s = subOf(c, (req.params as { subscriptionID: string }).subscriptionID);
        return subscriptionOut(s, partnerById(s.partner_id));
      });
      route('POST', '/subscriptions', (req, c, reply) => {
        const b = json(req);
        const p = needPartner(c);
        const s = subscriptionInput(c, b);
        const uuid = randomUUID();
        db.prepare("INSERT INTO dr_subscriptions (uuid, partner_id, webhook_url, webhook_secret, event_payload_types, operation_types, created_at, openadr) VALUES (?, ?, ?, ?, '[]', '[]', ?, ?)").run(uuid, p.id, s.objectOperations[0].callbackUrl, newSecret(), now(), JSON.stringify(s));
        reply.code(201);
        return subscriptionOut(subOf(c, uuid), p);
      });
      route('PUT', '/subscriptions/:subscriptionID', (req, c) => {
        const b = json(req);
        const existing = subOf(c, (req.params as { subscriptionID: string }).subscriptionID);
        needWrite(c);
        const s = subscriptionInput(c, b);
        db.prepare('UPDATE dr_subscriptions SET webhook_url = ?, openadr = ? WHERE id = ?').run(s.objectOperations[0].callbackUrl, JSON.stringify(s), existing.id);
        return subscriptionOut(subOf(c, existing.uuid), partnerById(existing.partner_id));
      });
      route('DELETE', '/subscriptions/:subscriptionID', (req, c) => {
        const s = subOf(c, (req.params as { subscriptionID: string }).subscriptionID);
        needWrite(c);
        const out = subscriptionOut(s, partnerById(s.partner_id));
        db.prepare('DELETE FROM dr_subscriptions WHERE id = ?').run(s.id);
        return out;
      });

      // reports: a VEN reports on an event it can see; the operator's console lists them (/api/dr/reports)
      interface ReportRow {
        id: number;
        uuid: string;
        partner_id: number;
        event_id: number | null;
        name: string | null;
        payloads: string;
        openadr: string | null;
        created_at: string;
        modified_at: string;
      }
      const reportRows = (c: Client) =>
        (db.prepare('SELECT r.*, e.uuid AS event_uuid FROM dr_reports r JOIN dr_events e ON e.id = r.event_id ORDER BY r.id DESC').all() as (ReportRow & { event_uuid: string })[]).filter((r) => c.bl || r.partner_id === c.partner?.id);
      const reportView = (r: ReportRow & { event_uuid: string }) => reportOut(r, r.event_uuid, partnerById(r.partner_id));
      route('GET', '/reports', (req, c) => {
        const q = req.query as Record<string, string | undefined>;
        let rows = reportRows(c).map(reportView);
        if (q.eventID) rows = rows.filter((r) => r.eventID === q.eventID);
        if (q.clientName) rows = rows.filter((r) => (r as { clientName?: string }).clientName === q.clientName);
        if (q.programID) {
          const ids = new Set((db.prepare('SELECT e.uuid FROM dr_events e JOIN dr_programs p ON p.id = e.program_id WHERE p.uuid = ?').all(q.programID) as { uuid: string }[]).map((x) => x.uuid));
          rows = rows.filter((r) => ids.has(r.eventID as string));
        }
        return page(req, rows);
      });
      route('GET', '/reports/:reportID', (req, c) => {
        const r = reportRows(c).find((x) => x.uuid === (req.params as { reportID: string }).reportID);
        if (!r) throw notFound('report');
        return reportView(r);
      });
      route('POST', '/reports', (req, c, reply) => {
        const b = json(req);
        const p = needPartner(c);
        if (p.role !== 'ven') throw forbidden('only VENs write reports');
        if (typeof b.eventID !== 'string' || !b.eventID) throw bad('eventID', 'is required');
        const e = eventByUuid(c, b.eventID);
        if (!e) throw bad('eventID', 'names no event of yours');
        if (typeof b.clientName !== 'string' || !b.clientName || b.clientName.length > 128) throw bad('clientName', 'is required (1 to 128 characters)');
        if (b.reportName !== undefined && b.reportName !== null && typeof b.reportName !== 'string') throw bad('reportName', 'must be a string');
        const res = b.resources;
        if (!Array.isArray(res) || res.length === 0) throw bad('resources', 'must be a non-empty list of {resourceName, intervals}');
        res.forEach((r: Record<string, unknown>, i) => {
          if (!r || typeof r !== 'object' || typeof r.resourceName !== 'string' || !r.resourceName) throw bad(`resources[${i}].resourceName`, 'is required');
          if (!Array.isArray(r.intervals) || r.intervals.length === 0) throw bad(`resources[${i}].intervals`, 'must be a non-empty list of intervals');
          r.intervals.forEach((iv: Record<string, unknown>, j) => {
            if (!iv || !Number.isInteger(iv.id)) throw bad(`resources[${i}].intervals[${j}].id`, 'must be an integer');
            if (!Array.isArray(iv.payloads) || !iv.payloads.length || !iv.payloads.every((x: Record<string, unknown>) => x && typeof x.type === 'string' && x.type && Array.isArray(x.values))) {
              throw bad(`resources[${i}].intervals[${j}].payloads`, 'must be a non-empty list of {type, values}');
            }
          });
        });
        const body = { clientName: b.clientName, ...(typeof b.reportName === 'string' ? { reportName: b.reportName } : {}), ...(Array.isArray(b.payloadDescriptors) ? { payloadDescriptors: b.payloadDescriptors } : {}), resources: res };
        const uuid = randomUUID();
        db.prepare('INSERT INTO dr_reports (uuid, partner_id, event_id, name, payloads, created_at, modified_at, openadr) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(uuid, p.id, e.id, (b.reportName as string) ?? b.clientName, JSON.stringify(res), now(), now(), JSON.stringify(body));
        reply.code(201);
        return reportView(reportRows(c).find((x) => x.uuid === uuid)!);
      });
    },
    { prefix: OPENADR_BASE },
  );
}
