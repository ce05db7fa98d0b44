import type { FastifyInstance } from 'fastify';
import { ApiError, badRequest } from '../api/errors';
import { dataOf, idParam, principalOf } from '../api/server';
import type { Store } from '../store/store';
import type { ControlService } from './control';

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

export function registerControlRoutes(app: FastifyInstance, store: Store, control: ControlService): void {
  app.put('/api/commands/:id/send', async (req) => {
    const actor = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    const cmd = store.db.prepare('SELECT * FROM commands WHERE id = ?').get(id) as CommandRow | undefined;
    if (!cmd) throw new ApiError(404, 'API.NOT_FOUND', 'API.COMMAND_NOT_FOUND', `command ${id} does not exist`);
    const data = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    if (typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{"set_value":N}}', 'data');
    const given = data.set_value === undefined ? undefined : numberOf(data.set_value);
    if (data.set_value !== undefined && given === undefined) throw badRequest('API.INVALID_SET_VALUE', 'set_value must be a number', 'set_value');
    const setValue = given ?? cmd.set_value ?? undefined;

    const pointTopic = POINT_TOPIC.exec(cmd.topic.trim());
    if (pointTopic) {
      if (setValue === undefined) throw badRequest('API.INVALID_SET_VALUE', 'set_value is required for a command that writes a point', 'set_value');
      return control.write({ pointId: Number(pointTopic[1]), value: setValue, actor, reason: `command ${cmd.name}` });
    }
    const payload = setValue === undefined ? cmd.payload : cmd.payload.split('$s1').join(String(setValue));
    if (payload.includes('$s1')) throw badRequest('API.INVALID_SET_VALUE', 'this command needs a set_value for $s1', 'set_value');
    const dsId = cmd.data_source_id ?? onlyMqttSource(store);
    return control.publish(actor, dsId, cmd.topic, payload, cmd.id);
  });

  app.put('/api/points/:id/write', async (req) => {
    const actor = principalOf(req);
    const id = idParam((req.params as { id: string }).id);
    const data = (dataOf(req.body) ?? {}) as Record<string, unknown>;
    const value = numberOf(data.value ?? data.set_value);
    if (value === undefined) throw badRequest('API.INVALID_VALUE', 'value must be a number', 'value');
    const priority = data.priority === undefined ? undefined : numberOf(data.priority);
    if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 16)) throw badRequest('API.INVALID_PRIORITY', 'priority must be an integer from 1 to 16', 'priority');
    return control.write({ pointId: id, value, actor, reason: 'commissioning write', priority });
  });
}

function onlyMqttSource(store: Store): number {
  const rows = store.db.prepare("SELECT id FROM data_sources WHERE protocol = 'mqtt'").all() as { id: number }[];
  if (rows.length !== 1) {
    throw badRequest('API.COMMAND_HAS_NO_DATA_SOURCE', 'set the command\'s data_source_id to the MQTT data source to publish on (or use a topic myems/point/{id} to write a point)', 'data_source_id');
  }
  return rows[0].id;
}
