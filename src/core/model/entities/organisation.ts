import type { EntityDef, RelationDef } from '../types';
import { bool, description, name, num, ref } from './fields';

const typeFields = [name, { name: 'simplified_code', type: 'string' as const, required: true, maxLength: 32 }, description];

export const tenanttypes: EntityDef = { key: 'tenanttypes', path: 'tenanttypes', table: 'tenant_types', label: 'Tenant Type', group: 'Organisation', fields: typeFields };
export const storetypes: EntityDef = { key: 'storetypes', path: 'storetypes', table: 'store_types', label: 'Store Type', group: 'Organisation', fields: typeFields };

/** meters, points, sensors, commands and working calendars bound to a site-like entity */
const siteRelations: RelationDef[] = [
  { name: 'meters', target: 'meters', field: 'meter_id' },
  { name: 'offlinemeters', target: 'offlinemeters', field: 'offline_meter_id' },
  { name: 'virtualmeters', target: 'virtualmeters', field: 'virtual_meter_id' },
  { name: 'points', target: 'points', field: 'point_id' },
  { name: 'sensors', target: 'sensors', field: 'sensor_id' },
  { name: 'commands', target: 'commands', field: 'command_id' },
  { name: 'workingcalendars', target: 'workingcalendars', field: 'working_calendar_id' },
];

export const sensors: EntityDef = {
  key: 'sensors',
  path: 'sensors',
  table: 'sensors',
  label: 'Sensor',
  group: 'Acquisition',
  fields: [name, description],
  relations: [{ name: 'points', target: 'points', field: 'point_id' }],
};

export const workingcalendars: EntityDef = {
  key: 'workingcalendars',
  path: 'workingcalendars',
  table: 'working_calendars',
  label: 'Working Calendar',
  group: 'Organisation',
  uuid: false,
  fields: [name, description],
};

export const nonworkingdays: EntityDef = {
  key: 'nonworkingdays',
  path: 'nonworkingdays',
  table: 'non_working_days',
  label: 'Non Working Day',
  group: 'Organisation',
  uuid: false,
  nameField: null,
  fields: [
    ref('working_calendar_id', 'workingcalendars', 'working_calendar', { required: true, onDelete: 'cascade' }),
    { name: 'date_local', type: 'date', required: true, uniqueWith: 'working_calendar_id' },
    description,
  ],
  nestedUnder: { entity: 'workingcalendars', field: 'working_calendar_id', name: 'nonworkingdays' },
  // a day is unique within its calendar: a copy would be the same day
  clone: false,
};

export const tenants: EntityDef = {
  key: 'tenants',
  path: 'tenants',
  table: 'tenants',
  label: 'Tenant',
  group: 'Organisation',
  qrcode: 'tenant',
  deleteBindings: true,
  fields: [
    name,
    { name: 'buildings', type: 'string', required: true },
    { name: 'floors', type: 'string', required: true },
    { name: 'rooms', type: 'string', required: true },
    num('area', { required: true, min: 0 }),
    ref('tenant_type_id', 'tenanttypes', 'tenant_type', { required: true }),
    bool('is_input_counted', true),
    bool('is_key_tenant', false),
    { name: 'lease_number', type: 'string', required: true },
    { name: 'lease_start_datetime', type: 'datetime', required: true },
    {
      name: 'lease_end_datetime',
      type: 'datetime',
      required: true,
      check: (v, row) => (row.lease_start_datetime && v && String(v) <= String(row.lease_start_datetime) ? 'lease_end_datetime must be after lease_start_datetime' : null),
    },
    bool('is_in_lease', true),
    ref('contact_id', 'contacts', 'contact', { required: true }),
    ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
    description,
  ],
  relations: siteRelations,
};

export const stores: EntityDef = {
  key: 'stores',
  path: 'stores',
  table: 'stores',
  label: 'Store',
  group: 'Organisation',
  qrcode: 'store',
  deleteBindings: true,
  fields: [
    name,
    { name: 'address', type: 'string', required: true },
    { name: 'latitude', type: 'number', min: -90, max: 90 },
    { name: 'longitude', type: 'number', min: -180, max: 180 },
    num('area', { required: true, min: 0 }),
    ref('store_type_id', 'storetypes', 'store_type', { required: true }),
    bool('is_input_counted', true),
    ref('contact_id', 'contacts', 'contact', { required: true }),
    ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
    description,
  ],
  relations: siteRelations,
};

export const shopfloors: EntityDef = {
  key: 'shopfloors',
  path: 'shopfloors',
  table: 'shopfloors',
  label: 'Shopfloor',
  group: 'Organisation',
  qrcode: 'shopfloor',
  deleteBindings: true,
  fields: [
    name,
    num('area', { required: true, min: 0 }),
    bool('is_input_counted', true),
    ref('contact_id', 'contacts', 'contact', { required: true }),
    ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
    description,
  ],
  relations: [{ name: 'equipments', target: 'equipments', field: 'equipment_id' }, ...siteRelations],
};

