/**
 * Distribution system, microgrid and energy storage reports. A microgrid's battery and an energy storage
 * container's battery name charge meter MC and discharge meter MD, loaded through POST /api/points/{id}/history
 * with 40 days of hourly readings ending at the current hour (the installation is in UTC, so local days are UTC
 * days); the expected energy, cost (08-20 at 0.30, else 0.10) and carbon of each day and month are computed
 * here from the same rises, for the windows the answer names (the last 7 days, this month, this year).
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { login } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { reportClient, type Json } from './fixture';


const HOUR = 3_600_000;
const H0 = Math.floor(Date.now() / HOUR) * HOUR;
const FIRST = H0 - 40 * 24 * HOUR;
/** energy of the hour starting at t (UTC ms) */
const charge = (t: number) => 2 + ((t / HOUR) % 5);
const discharge = (t: number) => 1 + ((t / HOUR) % 3);
const price = (t: number) => (new Date(t).getUTCHours() >= 8 && new Date(t).getUTCHours() < 20 ? 0.3 : 0.1);

/** the sum of f over the loaded hours in [from, to); null when none is loaded */
const over = (f: (t: number) => number, from: number, to: number): number | null => {
  let s: number | null = null;
  for (let t = Math.max(from, FIRST); t < Math.min(to, H0); t += HOUR) s = (s ?? 0) + f(t);
  return s;
};
const dayOf = (label: string) => Date.parse(`${label}T00:00:00Z`);
const monthOf = (label: string) => {
  const s = Date.parse(`${label}-01T00:00:00Z`);
  const d = new Date(s);
  return [s, Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)] as const;
};

let rt: TestRuntime;
let kgco2e = 0;
let mc = 0;
let md = 0;
let microgrid = 0;
let station = 0;
let system = 0;
let adminUuid = '';
let socPoint = 0;

const { get, ok, must } = reportClient(() => rt);

beforeAll(async () => {
  rt = await startTestRuntime();
  const gw = await must<{ id: number }>('POST', '/gateways', { name: 'GW' });
  const ds = await must<{ id: number }>('POST', '/datasources', { name: 'BMS', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
  const elec = (await must<{ id: number; name: string; kgco2e: number }[]>('GET', '/energycategories')).find((c) => c.name === 'Electricity')!;
  kgco2e = elec.kgco2e;
  const utc = (await must<{ id: number; iana_name: string }[]>('GET', '/timezones')).find((z) => z.iana_name === 'UTC')!.id;
  const cc = (await must<{ id: number }>('POST', '/costcenters', { name: 'Storage' })).id;
  const tariff = await must<{ id: number }>('POST', '/tariffs', {
    name: 'Day/night',
    energy_category_id: elec.id,
    unit_of_price: 'EUR/kWh',
    tariff_type: 'timeofuse',
    valid_from: '2000-01-01T00:00:00',
    valid_through: '2100-01-01T00:00:00',
    timeofuse: [
      { start_time_of_day: '08:00:00', end_time_of_day: '20:00:00', peak_type: 'onpeak', price: 0.3 },
      { start_time_of_day: '20:00:00', end_time_of_day: '08:00:00', peak_type: 'offpeak', price: 0.1 },
    ],
  });
  await must('POST', `/costcenters/${cc}/tariffs`, { tariff_id: tariff.id });
  await must('PUT', '/spaces/1', { name: 'Root', area: 1, timezone_id: utc, cost_center_id: cc });
  const contact = (await must<{ id: number }>('POST', '/contacts', { name: 'Operator', email: 'op@plant.test', phone: '1' })).id;
  const point = async (name: string, objectType: string, units: string) =>
    (await must<{ id: number }>('POST', '/points', { name, data_source_id: ds.id, object_type: objectType, units, ratio: 1, is_trend: true, is_virtual: false, address: '{}' })).id;
  const meter = async (name: string, f: (t: number) => number) => {
    const p = await point(`${name} energy`, 'ENERGY_VALUE', 'kWh');
    const m = await must<{ id: number }>('POST', '/meters', { name, energy_category_id: elec.id, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: cc });
    await must('POST', `/meters/${m.id}/points`, { point_id: p });
    let v = 100;
    const rows = [{ utc_date_time: new Date(FIRST).toISOString(), value: v }];
    for (let t = FIRST; t < H0; t += HOUR) {
      v += f(t);
      rows.push({ utc_date_time: new Date(t + HOUR).toISOString(), value: v });
    }
    await must('POST', `/points/${p}/history`, rows);
    return m.id;
  };
  mc = await meter('MC', charge);
  md = await meter('MD', discharge);
  // the SOC point has a reading a minute ago; the grid power point's is two hours old
  socPoint = await point('SOC', 'ANALOG_VALUE', '%');
  await must('POST', `/points/${socPoint}/history`, [{ utc_date_time: new Date(Date.now() - 60_000).toISOString(), value: 57.5 }]);
  const gridPower = await point('Grid power', 'ANALOG_VALUE', 'kW');
  await must('POST', `/points/${gridPower}/history`, [{ utc_date_time: new Date(Date.now() - 2 * HOUR).toISOString(), value: 12 }]);

  const users = await must<{ id: number; name: string; uuid: string }[]>('GET', '/users');
  const admin = users.find((u) => u.name === 'administrator')!;
  adminUuid = admin.uuid;
  microgrid = (await must<{ id: number }>('POST', '/microgrids', { name: 'Island', capacity: 500, contact_id: contact, cost_center_id: cc })).id;
  await must('POST', '/microgridbatteries', { name: 'Battery', microgrid_id: microgrid, charge_meter_id: mc, discharge_meter_id: md, soc_point_id: socPoint, capacity: 200 });
  await must('POST', '/microgridgrids', { name: 'Grid', microgrid_id: microgrid, power_point_id: gridPower, capacity: 300 });
  await must('POST', '/microgridschedules', { microgrid_id: microgrid, start_time_of_day: '08:00:00', end_time_of_day: '12:00:00', peak_type: 'onpeak', power: 50 });
  await must('POST', `/microgrids/${microgrid}/users`, { user_id: admin.id });
  const container = (await must<{ id: number }>('POST', '/energystoragecontainers', { name: 'C1', rated_capacity: 1000, rated_power: 250, contact_id: contact, cost_center_id: cc })).id;
  await must('POST', `/energystoragecontainers/${container}/batteries`, { name: 'Rack', charge_meter_id: mc, discharge_meter_id: md, soc_point_id: socPoint, rated_capacity: 1000, rated_power: 250, nominal_voltage: 800 });
  await must('POST', `/energystoragecontainers/${container}/grids`, { name: 'Grid', buy_meter_id: md, capacity: 100 });
  station = (await must<{ id: number }>('POST', '/energystoragepowerstations', { name: 'Station', capacity: 1000, contact_id: contact, cost_center_id: cc })).id;
  await must('POST', `/energystoragepowerstations/${station}/containers`, { energy_storage_container_id: container });
  await must('POST', `/energystoragepowerstations/${station}/users`, { user_id: admin.id });

  system = (await must<{ id: number }>('POST', '/distributionsystems', { name: 'LV board', svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' })).id;
  const circuit = (await must<{ id: number }>('POST', '/distributioncircuits', { name: 'Feeder 1', distribution_system_id: system, distribution_room: 'Room A', switchgear: 'Q1', peak_load: 100, peak_current: 160 })).id;
  await must('POST', `/distributioncircuits/${circuit}/points`, { point_id: socPoint });
  await must('POST', `/distributioncircuits/${circuit}/points`, { point_id: gridPower });
  await (rt.ctx.services.get('energy') as EnergyService).settled();
}, 180_000);
afterAll(async () => {
  await rt?.stop();
});

/** checks one window of a collection answer against the hand sums */
function checkWindow(w: { timestamps_array: string[][]; values_array: (number | null)[][] }, f: (t: number) => number, monthly: boolean) {
  expect(w.timestamps_array.length).toBe(1);
  const ts = w.timestamps_array[0];
  expect(ts.length).toBeGreaterThan(0);
  ts.forEach((label, i) => {
    const [from, to] = monthly ? monthOf(label) : [dayOf(label), dayOf(label) + 24 * HOUR];
    const want = over(f, from, to);
    if (want === null) expect(w.values_array[0][i], label).toBeNull();
    else expect(w.values_array[0][i], label).toBeCloseTo(want, 6);
  });
}

describe('microgrid and energy storage collections: charge and discharge of the user\'s plants', () => {
  it('microgridsenergy: the last 7 days and this month per day, this year per month', async () => {
    const r = await ok(`microgridsenergy?useruuid=${adminUuid}`);
    expect(r.microgrid_names).toEqual(['Island']);
    const rep = r.reporting;
    expect(rep.charge_7_days.timestamps_array[0].length).toBe(7);
    expect(rep.charge_7_days.timestamps_array[0][6]).toBe(new Date(Date.now()).toISOString().slice(0, 10));
    checkWindow(rep.charge_7_days, charge, false);
    checkWindow(rep.discharge_7_days, discharge, false);
    checkWindow(rep.charge_this_month, charge, false);
    checkWindow(rep.discharge_this_year, discharge, true);
    expect(rep.charge_this_year.timestamps_array[0][0]).toBe(`${new Date().getUTCFullYear()}-01`);
  }, 120_000);

  it('billing (time-of-use cost) and carbon; the energy storage station answers the same for its containers', async () => {
    const b = await ok(`microgridsbilling?useruuid=${adminUuid}`);
    expect(b.unit).toBe('EUR');
    checkWindow(b.reporting.charge_7_days, (t) => charge(t) * price(t), false);
    checkWindow(b.reporting.discharge_this_month, (t) => discharge(t) * price(t), false);
    const c = await ok(`microgridscarbon?useruuid=${adminUuid}`);
    checkWindow(c.reporting.charge_this_year, (t) => charge(t) * kgco2e, true);

    const s = await ok(`energystoragepowerstationsenergy?useruuid=${adminUuid}`);
    expect(s.energy_storage_power_station_names).toEqual(['Station']);
    checkWindow(s.reporting.charge_7_days, charge, false);
    checkWindow(s.reporting.discharge_this_year, discharge, true);
    const sc = await ok(`energystoragepowerstationcollectioncarbon?useruuid=${adminUuid}`);
    checkWindow(sc.reporting.discharge_7_days, (t) => discharge(t) * kgco2e, false);
    const sb = await ok(`energystoragepowerstationsbilling?useruuid=${adminUuid}&quickmode=true`);
    checkWindow(sb.reporting.charge_this_month, (t) => charge(t) * price(t), false);
  }, 120_000);

  it('the collection workbook holds the 7-day table and a chart', async () => {
    const r = await ok(`microgridsenergy?useruuid=${adminUuid}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(r.excel_bytes_base64, 'base64') as never);
    const ws = wb.worksheets[0];
    expect(ws.getImages().length).toBe(1);
    const rows: unknown[][] = [];
    ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    const yesterday = new Date(H0 - 24 * HOUR).toISOString().slice(0, 10);
    const line = rows.find((x) => x[0] === yesterday)!;
    expect(line[1]).toBeCloseTo(over(charge, dayOf(yesterday), dayOf(yesterday) + 24 * HOUR)!, 6);
  }, 120_000);
});

describe('lists and details', () => {
  it('microgridlist and energystoragepowerstationlist: the user\'s plants with their live values', async () => {
    const l = await ok('microgridlist');
    expect(l.length).toBe(1);
    expect(l[0]).toMatchObject({ name: 'Island', rated_capacity: 500, battery_soc_point_value: 57.5, grid_power_point_value: 12, is_online: true });
    expect(l[0].contact.name).toBe('Operator');
    const s = await ok('energystoragepowerstationlist');
    expect(s.map((x: Json) => x.name)).toEqual(['Station']);
    expect(s[0].battery_soc_point_value).toBe(57.5);
  }, 120_000);

  it('microgriddetails and energystoragepowerstationdetails: hourly device energy, today and total indicators, schedule, points', async () => {
    const from = new Date(H0 - 6 * HOUR).toISOString().slice(0, 19);
    const to = new Date(H0).toISOString().slice(0, 19);
    const d = await ok(`microgriddetails?id=${microgrid}&reportingperiodstartdatetime=${from}&reportingperiodenddatetime=${to}&quickmode=true`);
    expect(d.microgrid.name).toBe('Island');
    expect(d.reporting_period.names).toEqual(['Battery.Charge', 'Battery.Discharge']);
    expect(d.reporting_period.values[0].length).toBe(6);
    d.reporting_period.values[0].forEach((v: number, i: number) => expect(v).toBeCloseTo(charge(H0 - (6 - i) * HOUR), 9));
    expect(d.reporting_period.subtotals[1]).toBeCloseTo(over(discharge, H0 - 6 * HOUR, H0)!, 9);
    const today = Math.floor(Date.now() / (24 * HOUR)) * 24 * HOUR;
    const t = over(charge, today, today + 24 * HOUR);
    if (t === null) expect(d.energy_indicators.today_charge_energy_value).toBeNull();
    else expect(d.energy_indicators.today_charge_energy_value).toBeCloseTo(t, 6);
    expect(d.energy_indicators.total_charge_energy_value).toBeCloseTo(over(charge, FIRST, H0)!, 6);
    expect(d.energy_indicators.total_discharge_energy_value).toBeCloseTo(over(discharge, FIRST, H0)!, 6);
    expect(d.revenue_indicators.total_discharge_revenue_value).toBeCloseTo(over((x) => discharge(x) * price(x), FIRST, H0)!, 6);
    expect(d.carbon_indicators.total_charge_carbon_value).toBeCloseTo(over(charge, FIRST, H0)! * kgco2e, 6);
    expect(d.schedule.schedule_list).toEqual([{ start_time_of_day: '08:00:00', end_time_of_day: '12:00:00', peak_type: 'onpeak', power: 50 }]);
    expect(d.parameters.names).toEqual(['Battery.battery_soc (%)', 'Grid.grid_power (kW)']);
    expect(d.parameters.values[0]).toEqual([57.5]);

    const s = await ok(`energystoragepowerstationdetails?id=${station}&quickmode=true`);
    expect(s.energy_storage_power_station.name).toBe('Station');
    // the specification document's parameter name
    expect((await ok(`energystoragepowerstationdetails?energystoragepowerstationdetailsid=${station}&quickmode=true`)).energy_storage_power_station.id).toBe(station);
    expect(s.reporting_period.names).toEqual(['C1.Rack.Charge', 'C1.Rack.Discharge', 'C1.Grid.Buy']);
    // the last 3 days by default, up to the current hour (which has no energy yet)
    expect(s.reporting_period.values[0].length).toBe(72);
    expect(s.reporting_period.values[0][71]).toBeNull();
    s.reporting_period.timestamps[0].forEach((label: string, i: number) => {
      const want = over(charge, Date.parse(`${label}Z`), Date.parse(`${label}Z`) + HOUR);
      if (want === null) expect(s.reporting_period.values[0][i]).toBeNull();
      else expect(s.reporting_period.values[0][i]).toBeCloseTo(want, 9);
    });
    expect(s.energy_indicators.total_discharge_energy_value).toBeCloseTo(over(discharge, FIRST, H0)!, 6);

    const wbRes = await fetch(`${rt.url}/api/reports/microgriddetails/export?id=${microgrid}&reportingperiodstartdatetime=${from}&reportingperiodenddatetime=${to}`, { headers: rt.headers });
    expect(wbRes.status).toBe(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(await wbRes.arrayBuffer()) as never);
    const rows: unknown[][] = [];
    wb.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows.find((x) => x[0] === 'Subtotal')![1]).toBeCloseTo(over(charge, H0 - 6 * HOUR, H0)!, 6);
  }, 120_000);

  it('distributionsystem: circuits with their points; a value older than 30 minutes is null', async () => {
    const r = await ok(`distributionsystem?distributionsystemid=${system}`);
    expect(Array.isArray(r)).toBe(true);
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ name: 'Feeder 1', distribution_room: 'Room A', switchgear: 'Q1', peak_load: 100, peak_current: 160 });
    const byName = Object.fromEntries(r[0].points.map((p: Json) => [p.name, p]));
    expect(byName.SOC.value).toBe(57.5);
    expect(byName['Grid power'].value).toBeNull();
    expect(byName['Grid power'].quality).toBe('good');
  }, 60_000);
});

describe('plant dashboards', () => {
  it('energystoragepowerstationdashboard and microgriddashboard: status and total charge/discharge energy, billing, carbon', async () => {
    const d = await ok(`energystoragepowerstationdashboard?useruuid=${adminUuid}&periodtype=daily`);
    expect(d.total_online).toBe(1);
    expect(d.total_rated_capacity).toBe(1000);
    expect(d.energy_storage_power_stations.map((x: Json) => [x.name, x.status])).toEqual([['Station', 'online']]);
    const all = (f: (t: number) => number) => over(f, FIRST, H0)!;
    expect(d.energy_storage_power_stations[0].subtotal_charge_energy).toBeCloseTo(all(charge), 6);
    expect(d.total_discharge_energy).toBeCloseTo(all(discharge), 6);
    expect(d.total_charge_billing).toBeCloseTo(all((t) => charge(t) * price(t)), 6);
    expect(d.total_discharge_carbon).toBeCloseTo(all(discharge) * kgco2e, 6);
    const m = await ok(`microgriddashboard?useruuid=${adminUuid}&quickmode=true`);
    expect(m.microgrids[0].name).toBe('Island');
    expect(m.total_charge_energy).toBeCloseTo(all(charge), 6);
  }, 120_000);
});

describe('one energy storage station', () => {
  it('itemenergy / itemcarbon: the collection windows for one station by id', async () => {
    const r = await ok(`energystoragepowerstationitemenergy?id=${station}&quickmode=true`);
    expect(r.energy_storage_power_station.name).toBe('Station');
    checkWindow(r.reporting.charge_7_days, charge, false);
    checkWindow(r.reporting.discharge_this_month, discharge, false);
    const c = await ok(`energystoragepowerstationitemcarbon?id=${station}&quickmode=true`);
    checkWindow(c.reporting.charge_this_year, (t) => charge(t) * kgco2e, true);
  }, 120_000);

  it('reportingenergy and reportingbilling: per day of a chosen period by device role, subtotals, the peak-type split', async () => {
    const today = Math.floor(H0 / (24 * HOUR)) * 24 * HOUR;
    const from = today - 3 * 24 * HOUR;
    const q = `id=${station}&periodtype=daily&reportingperiodstartdatetime=${new Date(from).toISOString().slice(0, 19)}&reportingperiodenddatetime=${new Date(today).toISOString().slice(0, 19)}`;
    const r = await ok(`energystoragepowerstationreportingenergy?${q}&quickmode=true`);
    const rp = r.reporting_period;
    expect(rp.names).toEqual(['Charge', 'Discharge', 'Grid buy']);
    expect(rp.timestamps[0]).toEqual([0, 1, 2].map((d) => new Date(from + d * 24 * HOUR).toISOString().slice(0, 10)));
    [0, 1, 2].forEach((d) => {
      expect(rp.values[0][d]).toBeCloseTo(over(charge, from + d * 24 * HOUR, from + (d + 1) * 24 * HOUR)!, 6);
      expect(rp.values[2][d]).toBeCloseTo(over(discharge, from + d * 24 * HOUR, from + (d + 1) * 24 * HOUR)!, 6);
    });
    expect(rp.subtotals[1]).toBeCloseTo(over(discharge, from, today)!, 6);
    const onpeak = over((t) => (price(t) === 0.3 ? charge(t) : 0), from, today)!;
    expect(rp.onpeaks[0]).toBeCloseTo(onpeak, 6);
    expect(rp.offpeaks[0]).toBeCloseTo(over(charge, from, today)! - onpeak, 6);
    expect(rp.toppeaks[0]).toBe(0);

    const b = await ok(`energystoragepowerstationreportingbilling?${q}`);
    expect(b.reporting_period.units[0]).toBe('EUR');
    expect(b.reporting_period.subtotals[0]).toBeCloseTo(over((t) => charge(t) * price(t), from, today)!, 6);
    expect(b.reporting_period.onpeaks[0]).toBeCloseTo(over((t) => (price(t) === 0.3 ? charge(t) * 0.3 : 0), from, today)!, 6);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(b.excel_bytes_base64, 'base64') as never);
    expect(wb.worksheets[0].getImages().length).toBe(1);

    const noType = await get(`energystoragepowerstationreportingenergy?id=${station}&reportingperiodstartdatetime=2026-01-01T00:00:00&reportingperiodenddatetime=2026-01-02T00:00:00`);
    expect(noType.status).toBe(400);
    expect(noType.body.field).toBe('periodtype');
    const tooLong = await get(`energystoragepowerstationreportingenergy?id=${station}&periodtype=hourly&reportingperiodstartdatetime=2026-01-01T00:00:00&reportingperiodenddatetime=2026-03-01T00:00:00`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.description).toBe('API.PERIOD_TOO_LONG');
  }, 120_000);
});

describe('parameters and privileges', () => {
  it('400s name the parameter, 404 for an unknown plant; another user\'s plants are 403 for a non-administrator', async () => {
    const bad = async (path: string, field: string) => {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      expect(r.body.field, path).toBe(field);
    };
    await bad('distributionsystem', 'distributionsystemid');
    await bad('distributionsystem?distributionsystemid=x', 'distributionsystemid');
    await bad('microgriddetails', 'id');
    await bad('microgriddetails?uuid=nope', 'uuid');
    await bad(`microgriddetails?id=${microgrid}&reportingperiodstartdatetime=yesterday`, 'reportingperiodstartdatetime');
    await bad(`microgriddetails?id=${microgrid}&reportingperiodstartdatetime=2026-01-01T00:00:00&reportingperiodenddatetime=2026-03-01T00:00:00`, 'reportingperiodenddatetime');
    await bad('microgridsenergy?useruuid=00000000-0000-0000-0000-000000000000', 'useruuid');
    expect((await get('microgriddetails?id=9999')).status).toBe(404);
    expect((await get('distributionsystem?distributionsystemid=9999')).status).toBe(404);

    const tz = (await must<{ id: number }[]>('GET', '/timezones'))[0].id;
    const space = (await must<{ id: number }>('POST', '/spaces', { name: 'Elsewhere', parent_space_id: 1, area: 1, timezone_id: tz })).id;
    const priv = (await must<{ id: number }>('POST', '/privileges', { name: 'Elsewhere', data: JSON.stringify({ spaces: [space] }) })).id;
    await must('POST', '/users', { name: 'viewer2', display_name: 'Viewer', email: 'v2@plant.test', password: 'Viewer-Two-22', privilege_id: priv });
    const { headers } = await login(rt.url, 'viewer2', 'Viewer-Two-22');
    expect((await get(`microgridsenergy?useruuid=${adminUuid}`, headers)).status).toBe(403);
    expect((await get(`energystoragepowerstationlist?useruuid=${adminUuid}`, headers)).status).toBe(403);
    // its own plants: none bound to it
    const own = await get('microgridlist', headers);
    expect(own.status).toBe(200);
    expect(own.body).toEqual([]);
    expect((await get('microgridsenergy?quickmode=true', headers)).body.microgrid_names).toEqual([]);
  }, 120_000);
});
