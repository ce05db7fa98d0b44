import { badRequest } from '../../api/errors';
import { dataOf, idParam } from '../../api/server';
import type { EntityDef } from '../types';
import type { Store } from '../../store/store';
import { validateAddress, validateConnection } from '../../acquisition/validation';
import { bool, description, name, num, ref } from './fields';
import { parseStateLabels } from '../../../shared/states';

/**
 * `manual`: points entered by hand (PUT /api/points/{id}/write), quality manual; `virtual`: computed points only;
 * `sparkplug`: a remote edge site seen by the central server's Sparkplug host (central/remote.ts), its points fed by it
 */
export const PROTOCOLS = ['modbus-tcp', 'modbus-rtu', 'bacnet-ip', 'mqtt', 'simulation', 'virtual', 'manual', 'sparkplug'] as const;

const parse = (v: unknown) => {
  try {
    return JSON.parse(String(v));
  } catch {
    return undefined;
  }
};

export const gateways: EntityDef = {
  key: 'gateways',
  path: 'gateways',
  table: 'gateways',
  label: 'Gateway',
  group: 'Acquisition',
  fields: [
    name,
    description,
    { name: 'token', type: 'string', readOnly: true },
    { name: 'last_seen_datetime', type: 'datetime', readOnly: true },
  ],
  children: [{ name: 'datasources', entity: 'datasources', field: 'gateway_id' }],
  computed: (row) => ({ status: row.last_seen_datetime && Date.now() - Date.parse(`${row.last_seen_datetime}Z`) < 600_000 ? 'online' : 'offline' }),
};

export const protocols: EntityDef = {
  key: 'protocols',
  path: 'protocols',
  table: 'protocols',
  label: 'Protocol',
  group: 'Acquisition',
  uuid: false,
  fields: [name, { name: 'code', type: 'string', required: true, unique: true }],
};

export const datasources: EntityDef = {
  key: 'datasources',
  path: 'datasources',
  table: 'data_sources',
  label: 'Data Source',
  group: 'Acquisition',
  fields: [
    name,
    ref('gateway_id', 'gateways', 'gateway', { required: true }),
    {
      name: 'protocol',
      type: 'string',
      required: true,
      check: (v) => (PROTOCOLS.includes(v as (typeof PROTOCOLS)[number]) ? null : `protocol must be one of ${PROTOCOLS.join(', ')}`),
    },
    {
      name: 'connection',
      type: 'json',
      required: true,
      // device credentials (an MQTT password) are write-only like every configuration secret; only
      // administrators see connection details at all
      adminOnly: true,
      help: 'JSON; e.g. {"host":"127.0.0.1","port":502,"interval_in_seconds":5}',
      check: (v, row) => {
        const c = parse(v);
        if (c === null || typeof c !== 'object' || Array.isArray(c)) return 'connection must be a JSON object';
        if ('interval_in_seconds' in c && (typeof c.interval_in_seconds !== 'number' || c.interval_in_seconds < 0.1 || c.interval_in_seconds > 86_400)) {
          return 'connection.interval_in_seconds must be a number from 0.1 to 86400';
        }
        return validateConnection(String(row.protocol), c);
      },
    },
    description,
    { name: 'last_seen_datetime', type: 'datetime', readOnly: true },
    { name: 'status', type: 'string', readOnly: true, default: 'offline' },
  ],
  children: [{ name: 'points', entity: 'points', field: 'data_source_id' }],
};

export const points: EntityDef = {
  key: 'points',
  path: 'points',
  table: 'points',
  label: 'Point',
  group: 'Acquisition',
  uuid: false,
  nameUnique: false,
  fields: [
    { name: 'name', type: 'string', required: true, uniqueWith: 'data_source_id' },
    ref('data_source_id', 'datasources', 'data_source', { required: true, onDelete: 'restrict' }),
    { name: 'object_type', type: 'enum', required: true, values: ['ANALOG_VALUE', 'ENERGY_VALUE', 'DIGITAL_VALUE', 'BINARY_VALUE', 'TEXT_VALUE'] },
    { name: 'units', type: 'string', default: '' },
    num('high_limit'),
    num('low_limit'),
    num('higher_limit'),
    num('lower_limit'),
    num('ratio', { default: 1 }),
    num('offset_constant', { default: 0 }),
    bool('is_trend', true),
    bool('is_virtual', false),
    {
      name: 'address',
      type: 'json',
      required: true,
      help: 'JSON; Modbus {"slave_id","function_code","offset","number_of_registers","format"}; BACnet {"object_type","object_id","property_name"}; virtual {"expression","substitutions"}',
      check: (v, row, store) => {
        const a = parse(v);
        if (a === null || typeof a !== 'object' || Array.isArray(a)) return 'address must be a JSON object';
        const ds = protocolOf(store, row.data_source_id) as { protocol: string } | undefined;
        return ds ? validateAddress(ds.protocol, a, row.is_virtual === 1 || row.is_virtual === true) : null;
      },
    },
    {
      name: 'state_labels',
      type: 'json',
      help: 'names of the states of a discrete point, e.g. {"0":"Open","1":"Closed"}; shown instead of the number, and commands may send only these values',
      check: (v) => parseStateLabels(v).error ?? null,
    },
    description,
  ],
  routes: (app, { registry, store, write }) => {
    // MyEMS: PUT /pointlimits/{id} changes only the four limits of a point, whatever else the body carries
    app.put('/api/pointlimits/:id', async (req) => {
      const id = idParam((req.params as { id: string }).id);
      const data = (dataOf(req.body) ?? {}) as Record<string, unknown>;
      if (typeof data !== 'object' || Array.isArray(data)) throw badRequest('API.INVALID_REQUEST_BODY', 'the body must be {"data":{...}}', 'data');
      const limits = Object.fromEntries(LIMIT_FIELDS.filter((f) => f in data).map((f) => [f, data[f]]));
      const def = registry.get('points');
      write(req, def, 'update', `${id}/limits`, (ctx) => registry.update(ctx, def, id, limits), () => [{ entity: 'points', id, op: 'update' }]);
      return registry.getOne(store, def, id);
    });
  },
};

const LIMIT_FIELDS = ['high_limit', 'low_limit', 'higher_limit', 'lower_limit'];

export const commands: EntityDef = {
  key: 'commands',
  path: 'commands',
  table: 'commands',
  label: 'Command',
  group: 'Acquisition',
  fields: [
    name,
    { name: 'topic', type: 'string', required: true, help: 'MQTT topic, or point:<id> to write a point through its driver' },
    { name: 'payload', type: 'text', required: true, help: '$s1 is replaced by set_value' },
    num('set_value'),
    ref('data_source_id', 'datasources', 'data_source', { help: 'the MQTT data source to publish on; not needed for topics myems/point/{id}, which write that point through its driver' }),
    description,
  ],
};

/** A data source's protocol, for the address check of every point written (thousands in an import). */
const protocolStatements = new WeakMap<object, { get(id: unknown): unknown }>();
function protocolOf(store: Store, dataSourceId: unknown): { protocol: string } | undefined {
  let stmt = protocolStatements.get(store.db);
  if (!stmt) {
    stmt = store.db.prepare('SELECT protocol FROM data_sources WHERE id = ?');
    protocolStatements.set(store.db, stmt);
  }
  return stmt.get(dataSourceId) as { protocol: string } | undefined;
}
