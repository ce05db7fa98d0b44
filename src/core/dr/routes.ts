/**
 * The operator's demand-response API (/api/dr/...): programs, partners, resources, events (create, update,
 * cancel, opt out, delete), ecobee, performance and its workbook, participants' sites, reports, deliveries.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { dataOf, idParam, principalOf, requireAdmin } from '../api/server';
import type { Principal } from '../auth/service';
import type { RuntimeContext } from '../feature';
import type { Historian } from '../historian/feature';
import { registerEnrolment } from './enrolment';
import { type EcobeeOptions, ecobeeRequest, recordEcobeeAnswers, sendToEcobee } from './ecobee';
import { type EventRow, parseEvent, saveEvent, toOperator } from './events';
import { resourcePerformance } from './performance';
import { isWebhookUrl } from './webhooks';
import type { ResourceRow } from './partner';
import { type DemandResponse, now } from './service';

export function registerOperatorApi(app: FastifyInstance, ctx: RuntimeContext, dr: DemandResponse): void {
  const db = ctx.store.db;
  const audit = (p: Principal, action: string, target: string, value?: unknown) => ctx.audit.record({ userId: p.userId, userName: p.userName, action, target, newValue: value, result: 'ok' });
  registerEnrolment(app, ctx, dr);

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
    const p = principalOf(req);
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
    const p = principalOf(req);
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
    const p = principalOf(req);
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
    const p = principalOf(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (e.status === 'completed' || e.status === 'cancelled') throw badRequest('API.DR_EVENT_IS_OVER', `event ${e.name} is already ${e.status}`, 'status');
    db.prepare("UPDATE dr_events SET status = 'cancelled', modified_at = ? WHERE id = ?").run(now(), e.id);
    await dr.dispatch.apply();
    audit(p, 'dr.event.cancel', `dr_events:${e.id}`);
    // sent to ecobee: cancelled there too, under every reference (its answers are shown on the event)
    if (e.ecobee_ref) {
      try {
        audit(p, 'dr.ecobee.cancel', `dr_events:${e.id}`, await cancelAtEcobee(e));
      } catch (err) {
        ctx.log(`dr: ecobee cancel of event ${e.id}: ${(err as Error).message}`);
      }
    }
    const after = dr.event(e.id);
    dr.announce(after, 'Update');
    return toOperator(after);
  });
  app.put('/api/dr/events/:id/optout', { config: { role: 'operate' } }, async (req) => {
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
    const p = principalOf(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (e.status === 'active') throw badRequest('API.DR_EVENT_IS_ACTIVE', 'cancel a running event before deleting it', 'status');
    db.prepare('DELETE FROM dr_events WHERE id = ?').run(e.id);
    audit(p, 'dr.event.delete', `dr_events:${e.id}`);
    dr.announce(e, 'Delete');
    return reply.code(204).send();
  });
  // ecobee: the utility account's API (base URL and token are settings), events sent and cancelled there
  app.get('/api/dr/ecobee', async (req) => {
    requireAdmin(req);
    return { base_url: ctx.settings.get('dr.ecobee.base_url') ?? 'https://api.ecobee.com', token_set: Boolean(ctx.settings.get('dr.ecobee.token')) };
  });
  app.put('/api/dr/ecobee', async (req) => {
    const p = principalOf(req);
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
    const p = principalOf(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (e.status !== 'scheduled' && e.status !== 'active') throw badRequest('API.DR_EVENT_NOT_SENDABLE', `event ${e.name} is ${e.status}: only a scheduled or running event can be sent to ecobee`, 'status');
    const request = ecobeeRequest(e, dataOf(req.body) as EcobeeOptions);
    const account = ecobeeAccount();
    let result;
    try {
      result = await sendToEcobee(account.base, account.token, request);
    } catch (err) {
      throw new ApiError(502, 'API.BAD_GATEWAY', 'API.ECOBEE_UNREACHABLE', `ecobee could not be reached: ${(err as Error).message}`);
    }
    // a re-send adds a reference: cancelling later cancels every one of them
    const ref = result.answer.demandResponseRef ?? null;
    const refs = [...new Set([...(JSON.parse(e.ecobee_refs ?? '[]') as string[]), ...(e.ecobee_ref ? [e.ecobee_ref] : []), ...(ref ? [ref] : [])])];
    db.prepare('UPDATE dr_events SET ecobee_ref = COALESCE(?, ecobee_ref), ecobee_refs = ?, ecobee_status = ?, modified_at = ? WHERE id = ?').run(ref, JSON.stringify(refs), JSON.stringify(result.answer.status), now(), e.id);
    recordEcobeeAnswers(db, e.id, [{ demandResponseRef: ref, operation: 'send', http_status: result.http, code: result.answer.status.code, message: result.answer.status.message }]);
    audit(p, 'dr.ecobee.send', `dr_events:${e.id}`, { request, status: result.answer.status });
    return { http_status: result.http, status: result.answer.status, demandResponseRef: result.answer.demandResponseRef ?? null, request };
  });
  app.put('/api/dr/events/:id/ecobee/cancel', async (req) => {
    const p = principalOf(req);
    const e = dr.event(idParam((req.params as { id: string }).id));
    if (!e.ecobee_ref) throw badRequest('API.ECOBEE_NOT_SENT', 'this event was not sent to ecobee (no demandResponseRef)', 'id');
    const results = await cancelAtEcobee(e);
    audit(p, 'dr.ecobee.cancel', `dr_events:${e.id}`, results);
    const last = results[results.length - 1];
    return { http_status: last.http_status, status: last.status, demandResponseRef: e.ecobee_ref, results };
  });
  /** Cancels the event at ecobee under every reference it was sent with; ecobee's answers are kept on the event. */
  async function cancelAtEcobee(e: EventRow) {
    const account = ecobeeAccount();
    const refs = [...new Set([...(JSON.parse(e.ecobee_refs ?? '[]') as string[]), ...(e.ecobee_ref ? [e.ecobee_ref] : [])])];
    const results: { demandResponseRef: string; http_status: number | null; status: { code: number; message: string } }[] = [];
    for (const ref of refs) {
      try {
        const r = await sendToEcobee(account.base, account.token, { operation: 'cancel', demandResponseRef: ref });
        results.push({ demandResponseRef: ref, http_status: r.http, status: r.answer.status });
      } catch (err) {
        results.push({ demandResponseRef: ref, http_status: null, status: { code: -1, message: `ecobee could not be reached: ${(err as Error).message}` } });
      }
    }
    db.prepare('UPDATE dr_events SET ecobee_status = ?, modified_at = ? WHERE id = ?').run(JSON.stringify(results[results.length - 1]?.status ?? null), now(), e.id);
    recordEcobeeAnswers(db, e.id, results.map((r) => ({ demandResponseRef: r.demandResponseRef, operation: 'cancel', http_status: r.http_status, code: r.status.code, message: r.status.message })));
    return results;
  }

  const performance = (id: number) => {
    const e = dr.event(id);
    const rows = toOperator(e)
      .target_resources.map((rid) => db.prepare('SELECT r.resource_id, r.measure_point_id, p.code FROM dr_resources r LEFT JOIN dr_participants p ON p.id = r.participant_id WHERE r.id = ?').get(rid) as { resource_id: string; measure_point_id: number | null; code: string | null } | undefined)
      .filter((r): r is { resource_id: string; measure_point_id: number; code: string | null } => Boolean(r?.measure_point_id));
    const resources = rows.map((r) => ({ ...resourcePerformance(ctx.store, (ctx.services.get('historian') as Historian).storage, e, r.resource_id, r.measure_point_id), participant: r.code }));
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
    const p = principalOf(req);
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
