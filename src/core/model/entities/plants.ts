/**
 * Microgrids, energy storage (containers and power stations), virtual power plants, PV stations and wind farms.
 * Devices name the points and meters that measure them (`power_point_id`, `soc_point_id`, `buy_meter_id`...);
 * the microgrid and storage panels read their live values from those points.
 */
import type { EntityDef, FieldDef } from '../types';
import { description, location, meter, name, num, point, ref, svgSource } from './fields';

const owner = (field: string, entity: string): FieldDef => ref(field, entity, field.replace(/_id$/, ''), { required: true, onDelete: 'cascade' });
const capacity = num('capacity', { required: true, min: 0 });
const siteFields: FieldDef[] = [
  name,
  ...location,
  { ...capacity },
  ref('contact_id', 'contacts', 'contact', { required: true }),
  ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
  svgSource,
  description,
];

export const microgrids: EntityDef = {
  key: 'microgrids',
  path: 'microgrids',
  table: 'microgrids',
  label: 'Microgrid',
  group: 'Plants',
  fields: [
    ...siteFields.slice(0, 6),
    { name: 'architecture_type_id', type: 'integer', default: 1, help: '1 AC-coupled, 2 DC-coupled, 3 hybrid' },
    { name: 'owner_type_id', type: 'integer', default: 1 },
    ...siteFields.slice(6),
  ],
  relations: [
    { name: 'sensors', target: 'sensors', field: 'sensor_id' },
    { name: 'users', target: 'users', field: 'user_id' },
  ],
  children: [
    { name: 'batteries', entity: 'microgridbatteries', field: 'microgrid_id' },
    { name: 'evchargers', entity: 'microgridevchargers', field: 'microgrid_id' },
    { name: 'generators', entity: 'microgridgenerators', field: 'microgrid_id' },
    { name: 'grids', entity: 'microgridgrids', field: 'microgrid_id' },
    { name: 'heatpumps', entity: 'microgridheatpumps', field: 'microgrid_id' },
    { name: 'loads', entity: 'microgridloads', field: 'microgrid_id' },
    { name: 'photovoltaics', entity: 'microgridphotovoltaics', field: 'microgrid_id' },
    { name: 'powerconversionsystems', entity: 'microgridpowerconversionsystems', field: 'microgrid_id' },
    { name: 'schedules', entity: 'microgridschedules', field: 'microgrid_id' },
  ],
};

const device = (key: string, path: string, table: string, label: string, fields: FieldDef[]): EntityDef => ({
  key,
  path,
  table,
  label,
  group: 'Plants',
  nameUnique: false,
  fields: [{ name: 'name', type: 'string', required: true, uniqueWith: 'microgrid_id' }, owner('microgrid_id', 'microgrids'), ...fields, { ...capacity }],
});

export const microgridbatteries = device('microgridbatteries', 'microgridbatteries', 'microgrid_batteries', 'Microgrid Battery', [
  point('battery_state_point_id'),
  point('soc_point_id'),
  point('power_point_id'),
  meter('charge_meter_id'),
  meter('discharge_meter_id'),
]);
export const microgridevchargers = device('microgridevchargers', 'microgridevchargers', 'microgrid_ev_chargers', 'Microgrid EV Charger', [point('power_point_id'), meter('meter_id')]);
export const microgridgenerators = device('microgridgenerators', 'microgridgenerators', 'microgrid_generators', 'Microgrid Generator', [point('power_point_id'), meter('meter_id')]);
export const microgridgrids = device('microgridgrids', 'microgridgrids', 'microgrid_grids', 'Microgrid Grid', [point('power_point_id'), meter('buy_meter_id'), meter('sell_meter_id')]);
export const microgridheatpumps = device('microgridheatpumps', 'microgridheatpumps', 'microgrid_heat_pumps', 'Microgrid Heat Pump', [
  point('power_point_id'),
  meter('electricity_meter_id'),
  meter('heat_meter_id'),
  meter('cooling_meter_id'),
]);
export const microgridloads = device('microgridloads', 'microgridloads', 'microgrid_loads', 'Microgrid Load', [point('power_point_id'), meter('meter_id')]);
export const microgridphotovoltaics = device('microgridphotovoltaics', 'microgridphotovoltaics', 'microgrid_photovoltaics', 'Microgrid Photovoltaic', [point('power_point_id'), meter('meter_id')]);
export const microgridpowerconversionsystems = device('microgridpowerconversionsystems', 'microgridpowerconversionsystems', 'microgrid_power_conversion_systems', 'Microgrid Power Conversion System', [
  point('run_state_point_id'),
]);

const scheduleFields = (ownerField: string, ownerEntity: string, required: boolean): FieldDef[] => [
  required ? owner(ownerField, ownerEntity) : ref(ownerField, ownerEntity, ownerField.replace(/_id$/, ''), { onDelete: 'cascade' }),
  { name: 'start_time_of_day', type: 'time', required: true },
  {
    name: 'end_time_of_day',
    type: 'time',
    required: true,
    check: (v, row) => (row.start_time_of_day && v && String(v) <= String(row.start_time_of_day) ? 'end_time_of_day must be after start_time_of_day' : null),
  },
  { name: 'peak_type', type: 'enum', required: true, values: ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep'] },
  num('power', { required: true, help: 'kW; positive discharges, negative charges' }),
];

export const microgridschedules: EntityDef = {
  key: 'microgridschedules',
  path: 'microgridschedules',
  table: 'microgrid_schedules',
  label: 'Microgrid Schedule',
  group: 'Plants',
  uuid: false,
  nameField: null,
  fields: scheduleFields('microgrid_id', 'microgrids', false),
};

export const energystoragecontainers: EntityDef = {
  key: 'energystoragecontainers',
  path: 'energystoragecontainers',
  table: 'energy_storage_containers',
  label: 'Energy Storage Container',
  group: 'Plants',
  deleteBindings: true,
  fields: [
    name,
    num('rated_capacity', { required: true, min: 0 }),
    num('rated_power', { required: true, min: 0 }),
    ref('contact_id', 'contacts', 'contact', { required: true }),
    ref('cost_center_id', 'costcenters', 'cost_center', { required: true }),
    ref('svg_id', 'svgs', 'svg', { onDelete: 'setNull' }),
    description,
  ],
  relations: [{ name: 'sensors', target: 'sensors', field: 'sensor_id' }],
};

const containerDevice = (key: string, name: string, table: string, label: string, fields: FieldDef[]): EntityDef => ({
  key,
  path: null,
  table,
  label,
  group: 'Plants',
  nameUnique: false,
  fields: [{ name: 'name', type: 'string', required: true, uniqueWith: 'energy_storage_container_id' }, owner('energy_storage_container_id', 'energystoragecontainers'), ...fields],
  nestedUnder: { entity: 'energystoragecontainers', field: 'energy_storage_container_id', name },
});

export const energystoragecontainerbatteries = containerDevice('energystoragecontainerbatteries', 'batteries', 'energy_storage_container_batteries', 'Container Battery', [
  point('battery_state_point_id'),
  point('soc_point_id'),
  point('power_point_id'),
  meter('charge_meter_id'),
  meter('discharge_meter_id'),
  num('rated_capacity', { required: true, min: 0 }),
  num('rated_power', { required: true, min: 0 }),
  num('nominal_voltage', { required: true, min: 0 }),
]);
export const energystoragecontainergrids = containerDevice('energystoragecontainergrids', 'grids', 'energy_storage_container_grids', 'Container Grid', [
  point('power_point_id'),
  meter('buy_meter_id'),
  meter('sell_meter_id'),
  num('capacity', { required: true, min: 0 }),
]);
export const energystoragecontainerloads = containerDevice('energystoragecontainerloads', 'loads', 'energy_storage_container_loads', 'Container Load', [
  point('power_point_id'),
  meter('meter_id'),
  num('rated_input_power', { required: true, min: 0 }),
]);
export const energystoragecontainerpowerconversionsystems = containerDevice(
  'energystoragecontainerpowerconversionsystems',
  'powerconversionsystems',
  'energy_storage_container_power_conversion_systems',
  'Container Power Conversion System',
  [
    point('run_state_point_id'),
    num('rated_output_power', { required: true, min: 0 }),
    point('today_charge_energy_point_id'),
    point('today_discharge_energy_point_id'),
    point('total_charge_energy_point_id'),
    point('total_discharge_energy_point_id'),
  ],
);
export const energystoragecontainerschedules: EntityDef = {
  key: 'energystoragecontainerschedules',
  path: null,
  table: 'energy_storage_container_schedules',
  label: 'Container Schedule',
  group: 'Plants',
  uuid: false,
  nameField: null,
  fields: scheduleFields('energy_storage_container_id', 'energystoragecontainers', true),
  nestedUnder: { entity: 'energystoragecontainers', field: 'energy_storage_container_id', name: 'schedules' },
};

export const energystoragepowerstations: EntityDef = {
  key: 'energystoragepowerstations',
  path: 'energystoragepowerstations',
  table: 'energy_storage_power_stations',
  label: 'Energy Storage Power Station',
  group: 'Plants',
  deleteBindings: true,
  fields: siteFields,
  relations: [
    { name: 'containers', target: 'energystoragecontainers', field: 'energy_storage_container_id' },
    { name: 'users', target: 'users', field: 'user_id' },
  ],
};

export const photovoltaicpowerstations: EntityDef = {
  key: 'photovoltaicpowerstations',
  path: 'photovoltaicpowerstations',
  table: 'photovoltaic_power_stations',
  label: 'Photovoltaic Power Station',
  group: 'Plants',
  fields: siteFields,
};

export const windfarms: EntityDef = {
  key: 'windfarms',
  path: 'windfarms',
  table: 'wind_farms',
  label: 'Wind Farm',
  group: 'Plants',
  fields: siteFields,
};

export const virtualpowerplants: EntityDef = {
  key: 'virtualpowerplants',
  path: 'virtualpowerplants',
  table: 'virtual_power_plants',
  label: 'Virtual Power Plant',
  group: 'Plants',
  deleteBindings: true,
  fields: [name, ref('cost_center_id', 'costcenters', 'cost_center', { required: true }), point('balancing_price_point_id'), svgSource, description],
  relations: [{ name: 'microgrids', target: 'microgrids', field: 'microgrid_id' }],
};
