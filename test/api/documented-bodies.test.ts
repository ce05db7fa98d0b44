/**
 * The MyEMS document's own example bodies (ids replaced by rows created here) are accepted as written, and
 * answered with the documented nested objects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

describe('documented example bodies', () => {
  let rt: TestRuntime;
  const ids: Record<string, number> = {};
  const post = async (path: string, data: unknown) => {
    const r = await rt.api<{ id: number } & Record<string, unknown>>('POST', path, data);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).toBe(201);
    return r.body.id;
  };

  beforeAll(async () => {
    rt = await startTestRuntime();
    ids.cc = await post('/costcenters', { name: 'CC', external_id: '1' });
    ids.contact = await post('/contacts', { name: 'Contact', email: 'c@site.example', phone: '+1 555 0100' });
    ids.gw = await post('/gateways', { name: 'GW' });
    ids.ds = await post('/datasources', { name: 'Modbus1', gateway_id: ids.gw, protocol: 'modbus-tcp', connection: '{"host":"127.0.0.1", "port":502}', description: 'Modbus1' });
    for (const n of [1, 2, 3]) {
      ids[`p${n}`] = await post('/points', { name: `ModbusPoint${n}`, data_source_id: ids.ds, object_type: 'ENERGY_VALUE', units: 'kWh', high_limit: 999999999, low_limit: 0, higher_limit: 1099999998.9, lower_limit: 0, ratio: 1, is_trend: true, is_virtual: false, address: `{"slave_id":1, "function_code":3, "offset":${n * 2}, "number_of_registers":2, "data_format":"float"}`, description: null });
      ids[`m${n}`] = await post('/meters', { name: `Meter${n}`, energy_category_id: 1, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 999, cost_center_id: ids.cc, energy_item_id: null, master_meter_id: null, description: 'meter' });
    }
  });
  afterAll(async () => rt?.stop());

  it('tenants and stores', async () => {
    const tt = await post('/tenanttypes', { name: 'Office1', description: '办公', simplified_code: 'OF1' });
    const tenant = await post('/tenants', { name: 'Starbucks', buildings: 'Building #1', floors: 'L1 L2 L3', rooms: '1201b+2247+3F', area: 418.8, tenant_type_id: tt, is_input_counted: true, is_key_tenant: true, lease_number: '6b0da806', lease_start_datetime: '2021-01-01T00:00:00', lease_end_datetime: '2022-01-01T00:00:00', is_in_lease: true, contact_id: ids.contact, cost_center_id: ids.cc, description: 'my description' });
    const got = (await rt.api<Record<string, unknown>>('GET', `/tenants/${tenant}`)).body;
    expect(got).toMatchObject({ name: 'Starbucks', tenant_type: { id: tt, name: 'Office1' }, contact: { id: ids.contact }, cost_center: { id: ids.cc }, is_key_tenant: true });
    const st = await post('/storetypes', { name: 'Car', description: '汽车', simplified_code: 'CA' });
    await post('/stores', { name: '麦当劳(新王府井店)', address: '北京市东城区王府井大街200号', latitude: 39.909429, longitude: 116.416993, area: 600.0, store_type_id: st, is_input_counted: true, contact_id: ids.contact, cost_center_id: ids.cc, description: 'Classic' });
    await post(`/tenants/${tenant}/meters`, { meter_id: ids.m1 });
  });

  it('equipment with parameters and meters marked as output', async () => {
    const eq = await post('/equipments', { name: 'MyEMS Chiller', is_input_counted: true, is_output_counted: false, cost_center_id: ids.cc, svg: '<svg></svg>', camera_url: 'http://camera.local', description: 'equipment description' });
    await post(`/equipments/${eq}/parameters`, { name: 'test parameter', parameter_type: 'constant', constant: 'test constant', point_id: null, numerator_meter_uuid: null, denominator_meter_uuid: null });
    await post(`/equipments/${eq}/meters`, { meter_id: ids.m3, is_output: true });
    const meters = (await rt.api<{ id: number; is_output: boolean }[]>('GET', `/equipments/${eq}/meters`)).body;
    expect(meters).toEqual([expect.objectContaining({ id: ids.m3, is_output: true })]);
    const bad = await rt.api<{ field: string }>('POST', `/equipments/${eq}/parameters`, { name: 'p2', parameter_type: 'point', point_id: null });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('point_id');
  });

  it('distribution systems, circuits and energy flow diagrams', async () => {
    const sys = await post('/distributionsystems', { name: '示例配电系统2', svg: '<?xml version="1.0" encoding="UTF-8"?><svg width="5cm" height="4cm" version="1.1" xmlns="http://www.w3.org/2000/svg"><rect x=".5cm" y=".5cm" width="2cm" height="1cm"/></svg>', description: 'demo description' });
    const circuit = await post('/distributioncircuits', { name: '51W92', distribution_system_id: sys, distribution_room: 'EW1', switchgear: '51AL9', peak_load: 30, peak_current: 53.6, customers: '地下室应急照明', meters: 'ALE-1102, ALE-1082' });
    await post(`/distributioncircuits/${circuit}/points`, { point_id: String(ids.p1) });
    expect((await rt.api<{ id: number }[]>('GET', `/distributionsystems/${sys}/distributioncircuits`)).body.map((c) => c.id)).toEqual([circuit]);
    const efd = await post('/energyflowdiagrams', { name: 'MyEMS Energy Flow' });
    const a = await post(`/energyflowdiagrams/${efd}/nodes`, { name: '10KV#3' });
    const b = await post(`/energyflowdiagrams/${efd}/nodes`, { name: '10KV Input #1' });
    const uuid = (await rt.api<{ uuid: string }>('GET', `/meters/${ids.m1}`)).body.uuid;
    await post(`/energyflowdiagrams/${efd}/links`, { source_node_id: a, target_node_id: b, meter_uuid: uuid });
    const loop = await rt.api<{ field: string }>('POST', `/energyflowdiagrams/${efd}/links`, { source_node_id: a, target_node_id: a, meter_uuid: uuid });
    expect(loop.body.field).toBe('target_node_id');
  });

  it('microgrids and energy storage', async () => {
    const mg = await post('/microgrids', { name: 'Beijing Office', address: 'Wangfujing Street, Dongcheng District, Beijing', postal_code: '100000', latitude: 39.909429, longitude: 116.416993, capacity: 600.0, architecture_type_id: 1, owner_type_id: 1, contact_id: ids.contact, cost_center_id: ids.cc, svg: '<svg></svg>', description: 'Classic' });
    const battery = await post('/microgridbatteries', { name: 'Battery', microgrid_id: mg, battery_state_point_id: ids.p1, soc_point_id: ids.p2, power_point_id: ids.p3, charge_meter_id: ids.m1, discharge_meter_id: ids.m2, capacity: 30 });
    expect((await rt.api<{ id: number }[]>('GET', `/microgrids/${mg}/batteries`)).body.map((x) => x.id)).toEqual([battery]);
    expect((await rt.api<Record<string, unknown>>('GET', `/microgridbatteries/${battery}`)).body).toMatchObject({ soc_point: { id: ids.p2 }, microgrid: { id: mg } });
    const svg = await post('/svgs', { name: 'ESC', svg: '<svg></svg>' });
    const esc = await post('/energystoragecontainers', { name: 'Beijing Office', rated_capacity: 600.0, rated_power: 200.0, contact_id: ids.contact, cost_center_id: ids.cc, svg_id: String(svg), description: 'Classic' });
    await post(`/energystoragecontainers/${esc}/batteries`, { name: 'Battery', battery_state_point_id: ids.p1, soc_point_id: ids.p2, power_point_id: ids.p3, charge_meter_id: ids.m1, discharge_meter_id: ids.m2, rated_capacity: 300, rated_power: 100, nominal_voltage: 48 });
    await post(`/energystoragecontainers/${esc}/schedules`, { start_time_of_day: '00:00:00', end_time_of_day: '07:00:00', peak_type: 'offpeak', power: 60 });
    const station = await post('/energystoragepowerstations', { name: 'Beijing Office', address: 'Wangfujing Street', postal_code: '100000', latitude: 39.909429, longitude: 116.416993, capacity: 600.0, contact_id: ids.contact, cost_center_id: ids.cc, svg: '<svg></svg>', description: 'Classic' });
    // the document's own bind key for containers
    await post(`/energystoragepowerstations/${station}/containers`, { energy_storage_container_id: esc });
    // a container still in a station cannot be deleted; once unbound, it goes with its batteries and schedules
    const refused = await rt.api<{ description: string }>('DELETE', `/energystoragecontainers/${esc}`);
    expect(refused.status).toBe(400);
    expect(refused.body.description).toBe('API.THERE_IS_RELATION_WITH_ENERGYSTORAGEPOWERSTATIONS');
    expect((await rt.api('DELETE', `/energystoragepowerstations/${station}/containers/${esc}`)).status).toBe(204);
    expect((await rt.api('DELETE', `/energystoragecontainers/${esc}`)).status).toBe(204);
    expect((await rt.api('GET', `/energystoragecontainers/${esc}/batteries`)).status).toBe(404);
  });

  it('working calendars, e-mail servers, advanced reports', async () => {
    const cal = await post('/workingcalendars', { name: 'new_working_calendar', description: 'test' });
    const day = await post(`/workingcalendars/${cal}/nonworkingdays`, { date_local: '2023-03-01', description: 'test' });
    expect((await rt.api('PUT', `/nonworkingdays/${day}`, { date_local: '2023-03-02', working_calendar_id: cal, description: 'test_update3' })).status).toBe(200);
    const es = await post('/emailservers', { host: 'smtp.126.com', port: 25, requires_authentication: true, user_name: 'myems', password: '!MyEMS1', from_addr: 'myems@126.com' });
    expect((await rt.api<Record<string, unknown>>('GET', `/emailservers/${es}`)).body.password).toBeUndefined();
    await post('/advancedreports', { name: 'Space Daily Report1', expression: '{"space_id":1}', is_enabled: true, next_run_datetime: '2023-09-06T20:00:00', is_run_immediately: false });
  });
});
