import { badRequest } from '../../api/errors';
import { principalOf } from '../../api/server';
import { checkVirtualExpression } from '../../energy/virtual';
import { allowedSpaces } from '../routes';
import type { EntityDef, FieldDef } from '../types';
import { bool, description, name, num, ref } from './fields';

/** MyEMS's root space: every fresh store has it, and it cannot be deleted */
export const ROOT_SPACE_ID = 1;

const PEAK_TYPES = ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep'];

export const energycategories: EntityDef = {
  key: 'energycategories',
  path: 'energycategories',
  table: 'energy_categories',
  label: 'Energy Category',
  group: 'Energy',
  fields: [name, { name: 'unit_of_measure', type: 'string', required: true }, num('kgce', { required: true, min: 0 }), num('kgco2e', { required: true, min: 0 })],
};

export const energyitems: EntityDef = {
  key: 'energyitems',
  path: 'energyitems',
  table: 'energy_items',
  label: 'Energy Item',
  group: 'Energy',
  fields: [name, ref('energy_category_id', 'energycategories', 'energy_category', { required: true })],
};

export const timezones: EntityDef = {
  key: 'timezones',
  path: 'timezones',
  table: 'timezones',
  label: 'Timezone',
  group: 'System',
  briefFields: ['utc_offset', 'iana_name'],
  uuid: false,
  fields: [
    name,
    description,
    { name: 'utc_offset', type: 'string', required: true, check: (v) => (/^[+-]\d{2}:\d{2}$/.test(String(v)) ? null : 'utc_offset must look like +08:00') },
    { name: 'iana_name', type: 'string', help: 'IANA zone (e.g. Europe/Berlin) used for DST-correct local time' },
  ],
};

export const contacts: EntityDef = {
  key: 'contacts',
  path: 'contacts',
  table: 'contacts',
  label: 'Contact',
  group: 'Organisation',
  fields: [
    name,
    { name: 'email', type: 'string', required: true, check: (v) => (/^[^@\s]+@[^@\s]+$/.test(String(v)) ? null : 'email must be an e-mail address') },
    { name: 'phone', type: 'string', required: true },
    description,
  ],
};

const tariffPeriods = (v: unknown): string | null => {
  const list = JSON.parse(String(v));
  if (!Array.isArray(list)) return 'timeofuse must be a list of {start_time_of_day,end_time_of_day,peak_type,price}';
  for (const [i, p] of list.entries()) {
    if (!p || typeof p !== 'object') return `timeofuse[${i}] must be an object`;
    if (!/^\d{2}:\d{2}:\d{2}$/.test(p.start_time_of_day) || !/^\d{2}:\d{2}:\d{2}$/.test(p.end_time_of_day)) return `timeofuse[${i}] needs start_time_of_day and end_time_of_day like 06:00:00`;
    if (!PEAK_TYPES.includes(p.peak_type)) return `timeofuse[${i}].peak_type must be one of ${PEAK_TYPES.join(', ')}`;
    if (!Number.isFinite(Number(p.price))) return `timeofuse[${i}].price must be a number`;
  }
  return null;
};
const tariffBlocks = (v: unknown): string | null => {
  const list = JSON.parse(String(v));
  if (!Array.isArray(list)) return 'block must be a list of {start_amount,end_amount,price}';
  for (const [i, b] of list.entries()) {
    if (!b || typeof b !== 'object') return `block[${i}] must be an object`;
    for (const k of ['start_amount', 'end_amount', 'price']) if (!Number.isFinite(Number(b[k]))) return `block[${i}].${k} must be a number`;
    if (Number(b.end_amount) <= Number(b.start_amount)) return `block[${i}].end_amount must be greater than start_amount`;
  }
  return null;
};

export const tariffs: EntityDef = {
  key: 'tariffs',
  path: 'tariffs',
  table: 'tariffs',
  label: 'Tariff',
  group: 'Energy',
  fields: [
    name,
    ref('energy_category_id', 'energycategories', 'energy_category', { required: true }),
    { name: 'tariff_type', type: 'enum', values: ['timeofuse', 'block'], required: true },
    { name: 'unit_of_price', type: 'string', required: true },
    { name: 'valid_from', type: 'datetime', required: true },
    { name: 'valid_through', type: 'datetime', required: true, check: (v, row) => (String(v) > String(row.valid_from) ? null : 'valid_through must be after valid_from') },
    { name: 'timeofuse', type: 'json', parsed: true, check: (v, row) => (row.tariff_type === 'timeofuse' ? tariffPeriods(v) : null) },
    { name: 'block', type: 'json', parsed: true, check: (v, row) => (row.tariff_type === 'block' ? tariffBlocks(v) : null) },
  ],
};

export const costcenters: EntityDef = {
  key: 'costcenters',
  path: 'costcenters',
  table: 'cost_centers',
  label: 'Cost Center',
  group: 'Energy',
  fields: [name, { name: 'external_id', type: 'string' }],
  relations: [{ name: 'tariffs', target: 'tariffs', field: 'tariff_id' }],
};

const meterCommon: FieldDef[] = [
  ref('energy_category_id', 'energycategories', 'energy_category', { required: true }),
  bool('is_counted', true),
  num('hourly_low_limit', { default: 0 }),
  num('hourly_high_limit', { default: 999_999_999 }),
  ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
  ref('energy_item_id', 'energyitems', 'energy_item'),
  description,
];

export const meters: EntityDef = {
  key: 'meters',
  path: 'meters',
  table: 'meters',
  label: 'Meter',
  group: 'Metering',
  qrcode: 'meter',
  fields: [name, ...meterCommon, ref('master_meter_id', 'meters', 'master_meter', { onDelete: 'setNull' })],
  relations: [
    { name: 'points', target: 'points', field: 'point_id' },
    { name: 'commands', target: 'commands', field: 'command_id' },
  ],
  children: [{ name: 'submeters', entity: 'meters', field: 'master_meter_id' }],
};

export const offlinemeters: EntityDef = {
  key: 'offlinemeters',
  path: 'offlinemeters',
  table: 'offline_meters',
  label: 'Offline Meter',
  group: 'Metering',
  fields: [name, ...meterCommon],
};

const virtualMeterExpression = (v: unknown): string | null => {
  const e = JSON.parse(String(v));
  if (!e || typeof e !== 'object' || typeof e.equation !== 'string' || !Array.isArray(e.variables)) {
    return 'expression must be {"equation":"x1+x2","variables":[{"name":"x1","meter_type":"meter","meter_id":1}]}';
  }
  for (const [i, x] of e.variables.entries()) {
    if (!x || !/^x\d+$/.test(x.name) || !['meter', 'virtual_meter', 'offline_meter'].includes(x.meter_type) || !Number.isSafeInteger(Number(x.meter_id))) {
      return `expression.variables[${i}] needs name x1.., meter_type meter|virtual_meter|offline_meter and meter_id`;
    }
  }
  return null;
};

export const virtualmeters: EntityDef = {
  key: 'virtualmeters',
  path: 'virtualmeters',
  table: 'virtual_meters',
  label: 'Virtual Meter',
  group: 'Metering',
  fields: [name, ...meterCommon, { name: 'expression', type: 'json', parsed: true, required: true, check: (v, row, store) => virtualMeterExpression(v) ?? checkVirtualExpression(v, row, store) }],
};

export const spaces: EntityDef = {
  key: 'spaces',
  path: 'spaces',
  table: 'spaces',
  label: 'Space',
  group: 'Organisation',
  qrcode: 'space',
  deleteBindings: true,
  hooks: {
    // MyEMS's root space (id 1) stays: every other space sits under it
    beforeDelete: (id) => {
      if (id === ROOT_SPACE_ID) throw badRequest('API.THIS_SPACE_CANNOT_BE_DELETED', 'the root space (id 1) cannot be deleted', 'id');
    },
    beforeWrite: (values, ctx) => {
      if (ctx.id === ROOT_SPACE_ID && values.parent_space_id !== undefined && values.parent_space_id !== null) {
        throw badRequest('API.INVALID_PARENT_SPACE_ID', 'the root space (id 1) has no parent space', 'parent_space_id');
      }
    },
  },
  fields: [
    name,
    ref('parent_space_id', 'spaces', 'parent_space', {
      check: (v, row, store) => {
        // a space may not become its own ancestor
        for (let id = v as number | null, hops = 0; id !== null && hops < 10_000; hops++) {
          if (id === row.id) return 'parent_space_id would make the space tree a loop';
          id = ((store.db.prepare('SELECT parent_space_id FROM spaces WHERE id = ?').get(id) as { parent_space_id: number | null } | undefined)?.parent_space_id ?? null);
        }
        return null;
      },
    }),
    num('area', { required: true, min: 0 }),
    ref('timezone_id', 'timezones', 'timezone', { required: true }),
    bool('is_input_counted', true),
    bool('is_output_counted', false),
    ref('contact_id', 'contacts', 'contact'),
    ref('cost_center_id', 'costcenters', 'cost_center'),
    num('latitude', { min: -90, max: 90 }),
    num('longitude', { min: -180, max: 180 }),
    description,
  ],
  children: [{ name: 'children', entity: 'spaces', field: 'parent_space_id' }],
  relations: [
    { name: 'meters', target: 'meters', field: 'meter_id' },
    { name: 'offlinemeters', target: 'offlinemeters', field: 'offline_meter_id' },
    { name: 'virtualmeters', target: 'virtualmeters', field: 'virtual_meter_id' },
    { name: 'points', target: 'points', field: 'point_id' },
    { name: 'commands', target: 'commands', field: 'command_id' },
    { name: 'equipments', target: 'equipments', field: 'equipment_id' },
    { name: 'combinedequipments', target: 'combinedequipments', field: 'combined_equipment_id' },
    { name: 'tenants', target: 'tenants', field: 'tenant_id' },
    { name: 'stores', target: 'stores', field: 'store_id' },
    { name: 'shopfloors', target: 'shopfloors', field: 'shopfloor_id' },
    { name: 'sensors', target: 'sensors', field: 'sensor_id' },
    { name: 'microgrids', target: 'microgrids', field: 'microgrid_id' },
    { name: 'energystoragepowerstations', target: 'energystoragepowerstations', field: 'energy_storage_power_station_id' },
    { name: 'photovoltaicpowerstations', target: 'photovoltaicpowerstations', field: 'photovoltaic_power_station_id' },
    { name: 'workingcalendars', target: 'workingcalendars', field: 'working_calendar_id' },
  ],
  routes: (app, { store }) => {
    // the whole space tree in one answer (what the user's privilege allows)
    app.get('/api/spaces/tree', async (req) => {
      const p = principalOf(req);
      const rows = store.db.prepare('SELECT id, name, uuid, parent_space_id FROM spaces ORDER BY id').all() as { id: number; name: string; uuid: string; parent_space_id: number | null }[];
      const allowed = p.spaces === null ? null : allowedSpaces(store, p.spaces);
      type Node = { id: number; name: string; uuid: string; children: Node[] };
      const nodes = new Map<number, Node>(rows.map((r) => [r.id, { id: r.id, name: r.name, uuid: r.uuid, children: [] }]));
      const roots: Node[] = [];
      for (const r of rows) {
        if (allowed && !allowed.has(r.id)) continue;
        const parent = r.parent_space_id === null || (allowed && !allowed.has(r.parent_space_id)) ? null : nodes.get(r.parent_space_id);
        (parent ? parent.children : roots).push(nodes.get(r.id)!);
      }
      return roots;
    });
  },
};

export const svgs: EntityDef = {
  key: 'svgs',
  path: 'svgs',
  table: 'svgs',
  label: 'SVG',
  group: 'Diagrams',
  fields: [name, { name: 'svg', type: 'text', required: true, check: (v) => (/<svg[\s>]/i.test(String(v)) ? null : 'svg must be SVG source containing an <svg> element') }, description],
};
