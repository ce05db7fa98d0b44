/**
 * Control routes: MyEMS's commands (a command to a point is an operator's override through the arbiter; an MQTT
 * command is a publish), the commissioning test write (momentary), and the arbiter's API: per point the stack of
 * requests and the winner, overrides placed and released, the storage controllers' states, the cycle setting.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { dataOf, idParam, principalOf } from '../api/server';
import type { AuditLog } from '../audit/audit';
import type { Settings } from '../store/settings';
import type { Store } from '../store/store';
import type { ControlService } from './control';
import type { ControlHub } from './service';
import { checkDiscreteWrite } from './discrete';
import { HELD_QUALITIES } from './arbiter';

interface CommandRow {
  id: number;
  name: string;
  topic: string;
  payload: string;
  set_value: number | null;
  data_source_id: number | null;
}

/** MyEMS topics of the form myems/point/{id} (or point:{id}) address a point: the write goes through its driver. */
const POINT_TOPIC = /^(?:myems\/)?point[/:](\d+)$/;

const numberOf = (v: unknown): number | undefined => {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};

const body = (raw: unknown): Record<string, unknown> => {
  const data = dataOf(raw) ?? {};
  if (typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}}', 'data');
  return data as Record<string, unknown>;
};

export const CYCLE_SETTING = 'control.cycle_ms';

export function registerControlRoutes(app: FastifyInstance, deps: { store: Store; settings: Settings; audit: AuditLog; hub: ControlHub; writer: ControlService; onCycleChange: (ms: number) => void }): void {
  const { store, settings, audit, hub, writer, onCycleChange } = deps;
  app.put('/api/commands/:id/send', { config: { role: 'operate' } }, async (req) => {
    const actor = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    const cmd = store.db.prepare('SELECT * FROM commands WHERE id = ?').get(id) as CommandRow | undefined;
    if (!cmd) throw new ApiError(404, 'API.NOT_FOUND', 'API.COMMAND_NOT_FOUND', `command ${id} does not exist`);
    const data = body(req.body);
    const given = data.set_value === undefined ? undefined : numberOf(data.set_value);
    if (data.set_value !== undefined && given === undefined) throw badRequest('API.INVALID_SET_VALUE', 'set_value must be a number', 'set_value');
    const setValue = given ?? cmd.set_value ?? undefined;

    const pointTopic = POINT_TOPIC.exec(cmd.topic.trim());
    if (pointTopic) {
      if (setValue === undefined) throw badRequest('API.INVALID_SET_VALUE', 'set_value is required for a command that writes a point', 'set_value');
      checkDiscreteWrite(store, Number(pointTopic[1]), setValue, cmd);
      // a command to a point is the operator's override: it holds until released (or for duration_seconds)
      const r = await hub.override(actor, Number(pointTopic[1]), { value: setValue, duration_seconds: data.duration_seconds, reason: data.reason }, { valueField: 'set_value', reasonPrefix: `command ${cmd.name}` });
      if (r.write) return { ...r.write, request_id: r.request.id };
      const stack = hub.stack(r.request.pointId);
      const device = stack.device;
      // nothing written: either the device already holds the value, or it does not answer now (the request holds and
      // is written when it answers); a value read before it stopped answering is no readback
      const answers = device !== null && HELD_QUALITIES.has(device.quality) && typeof device.value === 'number';
      return answers
        ? { ok: true, readback: device.value, target: stack.target, why: stack.why, audit_id: r.audit_id, request_id: r.request.id }
        : { ok: true, readback: null, pending: true, reason: `the device does not answer now (${device?.quality ?? 'no value'}): the command holds and is written when it answers`, audit_id: r.audit_id, request_id: r.request.id };
    }
    const payload = setValue === undefined ? cmd.payload : cmd.payload.split('$s1').join(String(setValue));
    if (payload.includes('$s1')) throw badRequest('API.INVALID_SET_VALUE', 'this command needs a set_value for $s1', 'set_value');
    const dsId = cmd.data_source_id ?? onlyMqttSource(store);
    return writer.publish(actor, dsId, cmd.topic, payload, cmd.id);
  });

  app.put('/api/points/:id/write', { config: { role: 'operate' } }, async (req) => {
    const actor = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    const data = body(req.body);
    const value = numberOf(data.value ?? data.set_value);
    if (value === undefined) throw badRequest('API.INVALID_VALUE', 'value must be a number', 'value');
    const priority = data.priority === undefined ? undefined : numberOf(data.priority);
    if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 16)) throw badRequest('API.INVALID_PRIORITY', 'priority must be an integer from 1 to 16', 'priority');
    checkDiscreteWrite(store, id, value);
    return hub.momentary(actor, id, value, priority);
  });

  // the arbiter
  app.get('/api/control/points', async (req) => {
    principalOf(req);
    return hub.arbiter
      .pointIds()
      .filter((id) => hub.settings(id))
      .map((id) => {
        const s = hub.stack(id);
        return { point_id: id, name: s.name, target: s.target, kind: s.kind, why: s.why, requests: s.requests.length, winner: s.requests.find((r) => r.winning) ?? null };
      });
  });
  app.get('/api/control/points/:id/requests', async (req) => {
    principalOf(req);
    return hub.stack(idParam((req.params as { id: string }).id));
  });
  const place = async (req: import('fastify').FastifyRequest, reply: import('fastify').FastifyReply, pointId: unknown) => {
    const who = principalOf(req);
    const d = body(req.body);
    const n = numberOf(d.value);
    if (n !== undefined && Number.isInteger(Number(pointId))) checkDiscreteWrite(store, Number(pointId), n);
    const r = await hub.override(who, pointId, { value: d.value, duration_seconds: d.duration_seconds, expires: d.expires, reason: d.reason });
    reply.code(201);
    return { request_id: r.request.id, audit_id: r.audit_id, write: r.write, stack: hub.stack(r.request.pointId) };
  };
  app.post('/api/control/points/:id/requests', { config: { role: 'operate' } }, async (req, reply) => place(req, reply, (req.params as { id: string }).id));
  app.post('/api/control/requests', { config: { role: 'operate' } }, async (req, reply) => place(req, reply, body(req.body).point_id));
  app.delete('/api/control/points/:id/requests/:rid', { config: { role: 'operate' } }, async (req) => {
    const who = principalOf(req);
    const { id, rid } = req.params as { id: string; rid: string };
    const r = await hub.release(who, idParam(id), rid);
    return { released: r.released.id, write: r.write, stack: hub.stack(r.released.pointId) };
  });

  app.get('/api/control/storage', async (req) => {
    principalOf(req);
    return hub.storage.all().map((s) => ({ ...s, at: new Date(s.at).toISOString(), setpoint: hub.stack(s.setpoint_point_id) }));
  });
  app.get('/api/control/storage/:id', async (req) => {
    principalOf(req);
    const s = hub.storage.statusOf(idParam((req.params as { id: string }).id));
    if (!s) throw new ApiError(404, 'API.NOT_FOUND', 'API.STORAGE_CONTROL_NOT_FOUND', 'no such storage controller (or it has not run yet)');
    return { ...s, at: new Date(s.at).toISOString(), setpoint: hub.stack(s.setpoint_point_id) };
  });

  app.get('/api/control/settings', async (req) => {
    principalOf(req);
    return { cycle_ms: hub.arbiter.cycleMs, cycles: hub.arbiter.cycles };
  });
  app.put('/api/control/settings', async (req) => {
    const p = principalOf(req);
    const d = body(req.body);
    const ms = d.cycle_ms;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 100 || ms > 60_000) throw badRequest('API.INVALID_CYCLE_MS', 'cycle_ms must be an integer from 100 to 60000', 'cycle_ms');
    const before = hub.arbiter.cycleMs;
    settings.set(CYCLE_SETTING, String(ms));
    onCycleChange(ms);
    audit.record({ userId: p.userId, userName: p.userName, action: 'control.settings', target: `settings:${CYCLE_SETTING}`, oldValue: before, newValue: ms, result: 'ok' });
    return { cycle_ms: ms, cycles: hub.arbiter.cycles };
  });
}

function onlyMqttSource(store: Store): number {
  const rows = store.db.prepare("SELECT id FROM data_sources WHERE protocol = 'mqtt'").all() as { id: number }[];
  if (rows.length !== 1) {
    throw badRequest('API.COMMAND_HAS_NO_DATA_SOURCE', 'set the command\'s data_source_id to the MQTT data source to publish on (or use a topic myems/point/{id} to write a point)', 'data_source_id');
  }
  return rows[0].id;
}
