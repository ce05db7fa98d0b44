import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Registry } from '../model/registry';
import type { Store } from '../store/store';
import { ROOT_SPACE_ID } from '../model/entities/energy';
import { systemContext } from './defaults';
import { DEMO_BACNET_OBJECTS, DEMO_COILS, DEMO_EV_TOPICS, DEMO_REGISTERS } from './devices/devices';

export const DEMO_PLC = 'Demo Plant PLC';
export const DEMO_EV_BROKER = 'Demo EV Chargers';
export const DEMO_HVAC = 'Demo HVAC Controller';
/** the ports the demo devices prefer; taken ones are replaced by free ones when the devices start */
const DEMO_MODBUS_PORT = 15020;
const DEMO_MQTT_PORT = 18830;

export function resourcesDir(): string {
  // src/core/demo -> resources (in the source tree and next to the bundled main process)
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.resolve(here, '..', '..', '..', 'resources'), path.resolve(here, '..', '..', 'resources'), path.resolve(here, '..', 'resources')]) {
    if (fs.existsSync(path.join(candidate, 'demo'))) return candidate;
  }
  return path.resolve(here, '..', '..', '..', 'resources');
}

/** The demo's calculated points, in creation order (an input may be one made before it); `inputs` by point name. */
export const DEMO_VIRTUAL_POINTS: readonly { name: string; units: string; expression: string; inputs: Record<string, string> }[] = [
  { name: 'Site Load', units: 'kW', expression: 'x1+x2+x3', inputs: { x1: 'Building A Power', x2: 'Building B Power', x3: 'EV Power' } },
  { name: 'PV Self Consumption', units: '%', expression: 'Piecewise((100*min(x1, x2)/x1, x1 > 0.5), (0, True))', inputs: { x1: 'PV Power', x2: 'Site Load' } },
];

/** The demo site in the configuration model (its simulated devices are started by the acquisition feature). */
export function seedDemoPlant(store: Store, registry: Registry): void {
  const ctx = systemContext(store);
  const create = (key: string, data: Record<string, unknown>) => registry.create(ctx, registry.get(key), data);
  const id = (table: string, name: string) => (store.db.prepare(`SELECT id FROM ${table} WHERE name = ?`).get(name) as { id: number }).id;
  const electricity = id('energy_categories', 'Electricity');
  const tz = (store.db.prepare("SELECT id FROM timezones WHERE iana_name = 'Europe/Berlin' ORDER BY id LIMIT 1").get() as { id: number }).id;
  const cc = create('costcenters', { name: 'Demo Campus Operations', external_id: 'CC-100' });
  const tariff = create('tariffs', {
    name: 'Demo time-of-use 2026',
    energy_category_id: electricity,
    tariff_type: 'timeofuse',
    unit_of_price: 'EUR/kWh',
    valid_from: '2026-01-01T00:00:00',
    valid_through: '2031-01-01T00:00:00',
    timeofuse: [
      { start_time_of_day: '00:00:00', end_time_of_day: '06:59:59', peak_type: 'offpeak', price: 0.18 },
      { start_time_of_day: '07:00:00', end_time_of_day: '16:59:59', peak_type: 'midpeak', price: 0.27 },
      { start_time_of_day: '17:00:00', end_time_of_day: '20:59:59', peak_type: 'onpeak', price: 0.39 },
      { start_time_of_day: '21:00:00', end_time_of_day: '23:59:59', peak_type: 'midpeak', price: 0.27 },
    ],
  });
  registry.bind(ctx, registry.get('costcenters'), registry.get('costcenters').relations![0], cc, { tariff_id: tariff });
  const contact = create('contacts', { name: 'Site Engineer', email: 'engineer@demo.local', phone: '+49 30 0000000' });
  // the site sits under MyEMS's root space (id 1), which takes the site's time zone and area
  registry.update(ctx, registry.get('spaces'), ROOT_SPACE_ID, { timezone_id: tz, area: 12000 });
  const campus = create('spaces', { name: 'Demo Campus', parent_space_id: ROOT_SPACE_ID, area: 12000, timezone_id: tz, contact_id: contact, cost_center_id: cc, latitude: 52.52, longitude: 13.405 });
  const childSpaces: Record<string, number> = {};
  for (const name of ['Building A', 'Building B', 'Energy Yard']) {
    childSpaces[name] = create('spaces', { name, parent_space_id: campus, area: 4000, timezone_id: tz, cost_center_id: cc });
  }

  // acquisition: the PLC and the EV chargers' broker, polled through the real drivers
  const gateway = create('gateways', { name: 'Demo Gateway', description: 'The runtime on this computer' });
  const plc = create('datasources', {
    name: DEMO_PLC,
    gateway_id: gateway,
    protocol: 'modbus-tcp',
    connection: JSON.stringify({ host: '127.0.0.1', port: DEMO_MODBUS_PORT, interval_in_seconds: 1, timeout_ms: 1000 }),
    description: 'Simulated plant controller (Modbus TCP on loopback)',
  });
  const broker = create('datasources', {
    name: DEMO_EV_BROKER,
    gateway_id: gateway,
    protocol: 'mqtt',
    connection: JSON.stringify({ host: '127.0.0.1', port: DEMO_MQTT_PORT, interval_in_seconds: 5, stale_after_seconds: 30 }),
    description: 'EV chargers publishing JSON over MQTT (broker on loopback)',
  });
  const hvac = create('datasources', {
    name: DEMO_HVAC,
    gateway_id: gateway,
    protocol: 'bacnet-ip',
    connection: JSON.stringify({ device_address: '127.0.0.2', port: 47808, interval_in_seconds: 5 }),
    description: 'Building A heat pump controller (BACnet/IP on 127.0.0.2)',
  });
  const calc = create('datasources', { name: 'Demo Calculations', gateway_id: gateway, protocol: 'virtual', connection: '{}', description: 'Virtual points' });
  const pointIds: Record<string, number> = {};
  for (const r of DEMO_REGISTERS) {
    pointIds[r.name] = create('points', {
      name: r.name,
      data_source_id: plc,
      object_type: r.object_type ?? 'ANALOG_VALUE',
      units: r.units,
      low_limit: r.low_limit ?? null,
      high_limit: r.high_limit ?? null,
      ratio: 1,
      is_trend: true,
      address: JSON.stringify({ slave_id: 1, function_code: 3, offset: r.offset, number_of_registers: 2, format: '>f' }),
    });
  }
  for (const c of DEMO_COILS) {
    pointIds[c.name] = create('points', {
      name: c.name,
      data_source_id: plc,
      object_type: 'DIGITAL_VALUE',
      units: '',
      low_limit: 0,
      high_limit: 1,
      is_trend: true,
      state_labels: JSON.stringify({ 0: 'Open', 1: 'Closed' }),
      address: JSON.stringify({ slave_id: 1, function_code: 1, offset: c.offset }),
    });
  }
  for (const ev of DEMO_EV_TOPICS) {
    pointIds[ev.name] = create('points', { name: ev.name, data_source_id: broker, object_type: 'ANALOG_VALUE', units: 'kW', low_limit: 0, high_limit: 22, is_trend: true, address: JSON.stringify({ topic: ev.topic, json_path: ev.json_path }) });
  }
  for (const o of DEMO_BACNET_OBJECTS) {
    pointIds[o.name] = create('points', {
      name: o.name,
      data_source_id: hvac,
      object_type: o.object_type === 'binaryValue' ? 'DIGITAL_VALUE' : 'ANALOG_VALUE',
      units: o.units,
      low_limit: o.low_limit,
      high_limit: o.high_limit,
      is_trend: true,
      state_labels: o.object_type === 'binaryValue' ? JSON.stringify({ 0: 'Stopped', 1: 'Running' }) : null,
      address: JSON.stringify({ object_type: o.object_type, object_id: o.object_id, property_name: 'presentValue' }),
    });
  }
  create('commands', { name: 'Building A setpoint', topic: `myems/point/${pointIds['Building A Setpoint']}`, payload: '{"value": $s1}', set_value: 21, description: '°C, written with BACnet priority 16' });
  // a virtual point's address check compiles its expression, and the first compile loads mathjs (~0.7 s of CPU), which
  // would then happen before a fresh store's server listens; these expressions are the demo's own (compiled in
  // test/acquisition/demo-virtual.test.ts), and acquisition compiles them when it starts, after listen
  const points = registry.get('points');
  const unchecked = { ...points, fields: points.fields.map((f) => (f.name === 'address' ? { ...f, check: undefined } : f)) };
  for (const v of DEMO_VIRTUAL_POINTS) {
    const substitutions = Object.fromEntries(Object.entries(v.inputs).map(([x, name]) => [x, pointIds[name]]));
    pointIds[v.name] = registry.create(ctx, unchecked, { name: v.name, data_source_id: calc, object_type: 'ANALOG_VALUE', units: v.units, is_trend: true, is_virtual: true, address: JSON.stringify({ expression: v.expression, substitutions }) });
  }

  // commands an operator sends from a faceplate
  const command = (name: string, pointName: string, setValue: number, description: string) =>
    create('commands', { name, topic: `myems/point/${pointIds[pointName]}`, payload: '{"value": $s1}', set_value: setValue, description });
  const commands = {
    setpoint: command('Battery power setpoint', 'Battery Setpoint', 0, 'kW, positive discharges the battery'),
    pvOpen: command('Open PV breaker', 'PV Breaker', 0, 'Disconnects the PV array'),
    pvClose: command('Close PV breaker', 'PV Breaker', 1, 'Connects the PV array'),
  };

  // meters on the points
  const electricityMeter = (name: string, pointName: string, space: number, extra: Record<string, unknown> = {}) => {
    const id = create('meters', { name, energy_category_id: electricity, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 500, cost_center_id: cc, ...extra });
    registry.bind(ctx, registry.get('meters'), registry.get('meters').relations!.find((r) => r.name === 'points')!, id, { point_id: pointIds[pointName] });
    registry.bind(ctx, registry.get('spaces'), registry.get('spaces').relations!.find((r) => r.name === 'meters')!, space, { meter_id: id });
    return id;
  };
  electricityMeter('Grid Meter', 'Grid Import Energy', campus);
  electricityMeter('PV Meter', 'PV Energy', childSpaces['Energy Yard'], { is_counted: false });
  const bindCommand = (meter: string, cmd: number) => {
    const meterId = (store.db.prepare('SELECT id FROM meters WHERE name = ?').get(meter) as { id: number }).id;
    registry.bind(ctx, registry.get('meters'), registry.get('meters').relations!.find((r) => r.name === 'commands')!, meterId, { command_id: cmd });
  };
  bindCommand('PV Meter', commands.pvOpen);
  bindCommand('PV Meter', commands.pvClose);

  // the single-line diagram, its placeholders resolved to the points' ids
  const svgSource = fs.readFileSync(path.join(resourcesDir(), 'demo', 'single-line.svg'), 'utf8').replace(/\{\{point:([^}]+)\}\}/g, (_m, n: string) => {
    const id = pointIds[n];
    if (!id) throw new Error(`the demo single-line diagram names an unknown point "${n}"`);
    return String(id);
  });
  const sldSvg = create('svgs', { name: 'Demo Campus single-line diagram', svg: svgSource, description: '400 V main distribution' });

  // the distribution system: the same diagram, with its circuits and their points
  const distribution = create('distributionsystems', { name: 'Demo Campus 400 V', svg: svgSource, description: 'Main LV switchboard' });
  const circuits: [string, string, number, string[]][] = [
    ['Q1 PV array', 'MSB-1', 130, ['PV Breaker', 'PV Power']],
    ['Q2 Battery', 'MSB-2', 100, ['Battery Breaker', 'Battery Power', 'Battery SOC']],
    ['Q3 EV chargers', 'MSB-3', 50, ['EV Breaker', 'EV Power']],
    ['Q4 Building A', 'MSB-4', 120, ['Building A Breaker', 'Building A Power']],
    ['Q5 Building B', 'MSB-5', 100, ['Building B Breaker', 'Building B Power']],
  ];
  const circuitPoints = registry.get('distributioncircuits').relations!.find((r) => r.name === 'points')!;
  for (const [circuitName, switchgear, peak, pts] of circuits) {
    const c = create('distributioncircuits', { name: circuitName, distribution_system_id: distribution, distribution_room: 'LV room', switchgear, peak_load: peak, peak_current: Math.round((peak * 1000) / (Math.sqrt(3) * 400)), customers: circuitName.slice(3) });
    for (const pt of pts) registry.bind(ctx, registry.get('distributioncircuits'), circuitPoints, c, { point_id: pointIds[pt] });
  }

  // the microgrid panel: the campus as a microgrid whose devices name the demo points
  const microgrid = create('microgrids', { name: 'Demo Campus microgrid', address: 'Demo Campus', postal_code: '10115', latitude: 52.52, longitude: 13.405, capacity: 300, contact_id: contact, cost_center_id: cc, svg: svgSource, description: 'PV, battery, EV chargers and two buildings behind one grid connection' });
  const device = (key: string, name: string, fields: Record<string, unknown>) => create(key, { name, microgrid_id: microgrid, capacity: 100, ...fields });
  device('microgridgrids', 'Utility connection', { power_point_id: pointIds['Grid Power'] });
  device('microgridphotovoltaics', 'Rooftop PV', { power_point_id: pointIds['PV Power'], capacity: 120 });
  device('microgridbatteries', 'Yard battery', { power_point_id: pointIds['Battery Power'], soc_point_id: pointIds['Battery SOC'], capacity: 200 });
  device('microgridevchargers', 'EV charger 1', { power_point_id: pointIds['EV Charger 1 Power'], capacity: 22 });
  device('microgridevchargers', 'EV charger 2', { power_point_id: pointIds['EV Charger 2 Power'], capacity: 22 });
  device('microgridloads', 'Building A', { power_point_id: pointIds['Building A Power'] });
  device('microgridloads', 'Building B', { power_point_id: pointIds['Building B Power'] });
  device('microgridpowerconversionsystems', 'Battery inverter', { run_state_point_id: pointIds['Battery Breaker'] });

  // the energy flow diagram: where the campus's power comes from and goes to, each link sized by a meter
  const flowMeter = (meterName: string, pointName: string, space: number) => {
    const id = electricityMeter(meterName, pointName, space, { is_counted: false });
    return (store.db.prepare('SELECT uuid FROM meters WHERE id = ?').get(id) as { uuid: string }).uuid;
  };
  const flow = create('energyflowdiagrams', { name: 'Demo Campus power flow', description: 'Grid and PV into the main busbar, out to the buildings, the battery and the chargers' });
  const node = (n: string) => create('energyflownodes', { name: n, energy_flow_diagram_id: flow });
  const nodes = Object.fromEntries(['Utility grid', 'PV array', 'Main busbar', 'Building A', 'Building B', 'EV chargers', 'Battery'].map((n) => [n, node(n)]));
  const link = (from: string, to: string, uuid: string) => create('energyflowlinks', { energy_flow_diagram_id: flow, source_node_id: nodes[from], target_node_id: nodes[to], meter_uuid: uuid });
  link('Utility grid', 'Main busbar', flowMeter('Grid Power Meter', 'Grid Power', campus));
  link('PV array', 'Main busbar', flowMeter('PV Power Meter', 'PV Power', childSpaces['Energy Yard']));
  link('Main busbar', 'Building A', flowMeter('Building A Meter', 'Building A Power', childSpaces['Building A']));
  link('Main busbar', 'Building B', flowMeter('Building B Meter', 'Building B Power', childSpaces['Building B']));
  link('Main busbar', 'EV chargers', flowMeter('EV Chargers Meter', 'EV Power', childSpaces['Energy Yard']));
  link('Main busbar', 'Battery', flowMeter('Battery Meter', 'Battery Power', childSpaces['Energy Yard']));

  // the storage panel: the yard battery as a container in a power station, with a day schedule
  const container = create('energystoragecontainers', { name: 'Yard container', rated_capacity: 200, rated_power: 100, contact_id: contact, cost_center_id: cc, svg_id: sldSvg, description: '200 kWh / 100 kW' });
  const nested = (key: string, fields: Record<string, unknown>) => create(key, { energy_storage_container_id: container, ...fields });
  nested('energystoragecontainerbatteries', { name: 'Rack 1', soc_point_id: pointIds['Battery SOC'], power_point_id: pointIds['Battery Power'], rated_capacity: 200, rated_power: 100, nominal_voltage: 768 });
  nested('energystoragecontainergrids', { name: 'Yard feeder', power_point_id: pointIds['Grid Power'], capacity: 250 });
  nested('energystoragecontainerschedules', { start_time_of_day: '00:00:00', end_time_of_day: '06:59:59', peak_type: 'offpeak', power: -50 });
  nested('energystoragecontainerschedules', { start_time_of_day: '17:00:00', end_time_of_day: '20:59:59', peak_type: 'onpeak', power: 80 });
  const station = create('energystoragepowerstations', { name: 'Demo Campus storage', address: 'Energy Yard', postal_code: '10115', latitude: 52.52, longitude: 13.405, capacity: 200, contact_id: contact, cost_center_id: cc, description: 'Battery storage of the demo campus' });
  registry.bind(ctx, registry.get('energystoragepowerstations'), registry.get('energystoragepowerstations').relations!.find((r) => r.name === 'containers')!, station, { energy_storage_container_id: container });

  // control: the battery setpoint falls back to 0 kW; peak shaving keeps the import under 180 kW (the evening
  // peak of Building B) and recharges from the midday PV surplus, within the SOC limits and a 20 % reserve
  create('controlpoints', { point_id: pointIds['Battery Setpoint'], fallback: 'value', fallback_value: 0, deadband: 2, description: 'idle when no controller or operator asks for power; changes under 2 kW are not rewritten' });
  create('storagecontrols', {
    name: 'Yard battery control',
    energy_storage_container_id: container,
    setpoint_point_id: pointIds['Battery Setpoint'],
    soc_point_id: pointIds['Battery SOC'],
    battery_power_point_id: pointIds['Battery Power'],
    grid_power_point_id: pointIds['Grid Power'],
    timezone_id: tz,
    tariff_id: tariff,
    rated_power: 100,
    soc_floor: 10,
    soc_ceiling: 95,
    backup_reserve: 20,
    peak_shaving: true,
    import_limit: 180,
    recharge_below: 100,
    schedules: false,
    time_of_use: false,
    description: 'Peak shaving of the campus connection',
  });
}

/** The connection of a demo data source, by name (null when the demo data source was deleted). */
export function demoConnection(store: Store, name: string): { id: number; connection: Record<string, unknown> } | null {
  const row = store.db.prepare('SELECT id, connection FROM data_sources WHERE name = ?').get(name) as { id: number; connection: string } | undefined;
  if (!row) return null;
  try {
    return { id: row.id, connection: JSON.parse(row.connection) };
  } catch {
    return null;
  }
}
