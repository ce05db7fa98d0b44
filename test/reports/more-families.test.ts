/**
 * Report families that had no test of their own: energy item (space, equipment), offline meter energy /
 * cost / carbon from an uploaded workbook, meterrealtime (latest point values and today's hourly energy),
 * and space output / income / efficiency (an equipment's output meter against the space's input). Everything
 * is loaded through the API; every expected number is computed here from the input series.
 */
import ExcelJS from 'exceljs';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { buildPlant, DAILY, HOURS, price, START_UTC, type Plant } from './fixture';
import { ValueBatch } from '../../src/core/values/batch';

let rt: TestRuntime;
let plant: Plant;
let ds: number;
let tz: number;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const riseA = (h: number) => 1 + (h % 3);
const riseB = (h: number) => 2 + (h % 2) * 2 + (h % 24 === 9 ? 6 : 0);
const day = (rise: (h: number) => number, d: number, w: (k: number) => number = () => 1) => Array.from({ length: 24 }, (_, k) => rise(d * 24 + k) * w(k)).reduce((a, b) => a + b, 0);

const get = async (path: string) => {
  const r = await fetch(`${rt.url}/api/reports/${path}`, { headers: rt.headers });
  const body = (await r.json()) as Json;
  expect(r.status, JSON.stringify(body).slice(0, 400)).toBe(200);
  return body;
};
async function ok<T>(method: string, route: string, data?: unknown): Promise<T> {
  const r = await rt.api<T>(method, route, data);
  if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const settled = () => (rt.ctx.services.get('energy') as EnergyService).settled();
const iso = (ms: number) => new Date(ms).toISOString();

async function meter(name: string, item: number | null, readings: { utc_date_time: string; value: number }[]) {
  const p = await ok<{ id: number }>('POST', '/points', { name: `${name} energy`, data_source_id: ds, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
  const m = await ok<{ id: number }>('POST', '/meters', { name, energy_category_id: plant.electricity.id, energy_item_id: item, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: plant.costCenter });
  await ok('POST', `/meters/${m.id}/points`, { point_id: p.id });
  if (readings.length) await ok('POST', `/points/${p.id}/history`, readings);
  return { m: m.id, p: p.id };
}
const series = (rise: (h: number) => number) => {
  let v = 100;
  const rows = [{ utc_date_time: iso(START_UTC), value: v }];
  for (let h = 0; h < HOURS; h++) rows.push({ utc_date_time: iso(START_UTC + (h + 1) * 3_600_000), value: (v += rise(h)) });
  return rows;
};
const space = async (name: string) => (await ok<{ id: number }>('POST', '/spaces', { name, parent_space_id: null, area: 10, timezone_id: tz, cost_center_id: plant.costCenter, is_input_counted: true, is_output_counted: true })).id;

let lighting: number;
let hvac: number;
let a: { m: number; p: number };
let b: { m: number; p: number };
let workshop: number;
let plantRoom: number;
let boiler: number;

beforeAll(async () => {
  rt = await startTestRuntime();
  plant = await buildPlant(rt);
  ds = (await ok<{ id: number }[]>('GET', '/datasources'))[0].id;
  tz = (await ok<{ id: number; iana_name: string }[]>('GET', '/timezones')).find((z) => z.iana_name === 'Europe/Berlin')!.id;
  lighting = (await ok<{ id: number }>('POST', '/energyitems', { name: 'Lighting', energy_category_id: plant.electricity.id })).id;
  hvac = (await ok<{ id: number }>('POST', '/energyitems', { name: 'HVAC', energy_category_id: plant.electricity.id })).id;
  a = await meter('MA', lighting, series(riseA));
  b = await meter('MB', hvac, series(riseB));
  // the workshop consumes through MA (lighting) and MB (HVAC)
  workshop = await space('Workshop');
  await ok('POST', `/spaces/${workshop}/meters`, { meter_id: a.m });
  await ok('POST', `/spaces/${workshop}/meters`, { meter_id: b.m });
  // the plant room consumes through MA; its boiler takes MA in and gives MB out
  plantRoom = await space('Plant room');
  await ok('POST', `/spaces/${plantRoom}/meters`, { meter_id: a.m });
  boiler = (await ok<{ id: number }>('POST', '/equipments', { name: 'Boiler', is_input_counted: true, is_output_counted: true, cost_center_id: plant.costCenter })).id;
  await ok('POST', `/equipments/${boiler}/meters`, { meter_id: a.m, is_output: false });
  await ok('POST', `/equipments/${boiler}/meters`, { meter_id: b.m, is_output: true });
  await ok('POST', `/spaces/${plantRoom}/equipments`, { equipment_id: boiler });
  await settled();
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

describe('energy item reports', () => {
  it('spaceenergyitem: one series per energy item, daily values, null for the day without data, subtotals and rates', async () => {
    const r = await get(`spaceenergyitem?spaceid=${workshop}&${DAILY}&quickmode=true`);
    const rp = r.reporting_period;
    expect(rp.names).toEqual(['Lighting', 'HVAC']);
    expect(rp.energy_item_ids).toEqual([lighting, hvac]);
    expect(rp.units).toEqual(['kWh', 'kWh']);
    expect(rp.timestamps[0]).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
    expect(rp.values[0]).toEqual([day(riseA, 1), day(riseA, 2), null]);
    expect(rp.values[1]).toEqual([day(riseB, 1), day(riseB, 2), null]);
    expect(rp.subtotals).toEqual([day(riseA, 1) + day(riseA, 2), day(riseB, 1) + day(riseB, 2)]);
    expect(rp.missing_periods).toEqual([1, 1]);
    expect(r.base_period.subtotals).toEqual([day(riseA, 0), day(riseB, 0)]);
    expect(rp.increment_rates[1]).toBeCloseTo((day(riseB, 1) + day(riseB, 2) - day(riseB, 0)) / day(riseB, 0), 12);
    expect(rp.rates[0][0]).toBeCloseTo((day(riseA, 1) - day(riseA, 0)) / day(riseA, 0), 12);
    // the item's category tariff types the hours: 08-20 onpeak, else offpeak
    expect(rp.onpeaks[1]).toBe([1, 2].reduce((s, d) => s + day(riseB, d, (k) => (k >= 8 && k < 20 ? 1 : 0)), 0));
    expect(rp.subtotals_per_unit_area[0]).toBeCloseTo((day(riseA, 1) + day(riseA, 2)) / 10, 12);
  }, 120_000);

  it('equipmentenergyitem: the boiler consumes lighting only (MB is its output)', async () => {
    const r = await get(`equipmentenergyitem?equipmentid=${boiler}&${DAILY}&quickmode=true`);
    expect(r.equipment.name).toBe('Boiler');
    expect(r.reporting_period.names).toEqual(['Lighting']);
    expect(r.reporting_period.subtotals).toEqual([day(riseA, 1) + day(riseA, 2)]);
  }, 120_000);
});

describe('parameters of an equipment', () => {
  it("equipmentenergycategory lists the tariff and the equipment's parameters of type point (not its constants)", async () => {
    const t = await ok<{ id: number }>('POST', '/points', { name: 'Boiler flow', data_source_id: ds, object_type: 'ANALOG_VALUE', units: '°C', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
    // one sample an hour over the three days: 72 samples, 48 of them in the reporting period's two days with data
    await ok('POST', `/points/${t.id}/history`, Array.from({ length: HOURS }, (_, h) => ({ utc_date_time: iso(START_UTC + h * 3_600_000), value: 60 + (h % 7) })));
    await ok('POST', `/equipments/${boiler}/parameters`, { name: 'flow', parameter_type: 'point', point_id: t.id });
    await ok('POST', `/equipments/${boiler}/parameters`, { name: 'rated', parameter_type: 'constant', constant: '90' });
    const r = await get(`equipmentenergycategory?equipmentid=${boiler}&${DAILY}`);
    expect(r.parameters.names).toEqual(['TARIFF-Electricity', 'Boiler flow (°C)']);
    // reporting from 2 March local (hour 24 of the series) on
    expect(r.parameters.values[1]).toEqual(Array.from({ length: HOURS - 24 }, (_, k) => 60 + ((k + 24) % 7)));
    expect(r.parameters.timestamps[1][0]).toBe('2026-03-02T00:00:00');
    expect(r.parameters.timestamps[1].at(-1)).toBe('2026-03-03T23:00:00');
  }, 120_000);
});

describe('space output, income and efficiency', () => {
  it("the plant room's output is its boiler's output meter; income its cost; efficiency output / input per day and overall", async () => {
    const out = await get(`spaceoutput?spaceid=${plantRoom}&${DAILY}&quickmode=true`);
    expect(out.space.name).toBe('Plant room');
    expect(out.reporting_period.values[0]).toEqual([day(riseB, 1), day(riseB, 2), null]);
    expect(out.reporting_period.subtotals[0]).toBe(day(riseB, 1) + day(riseB, 2));
    expect(out.base_period.subtotals[0]).toBe(day(riseB, 0));
    const income = await get(`spaceincome?spaceid=${plantRoom}&${DAILY}&quickmode=true`);
    expect(income.reporting_period.values[0][0]).toBeCloseTo(day(riseB, 1, price), 9);
    expect(income.reporting_period.total).toBeCloseTo(day(riseB, 1, price) + day(riseB, 2, price), 9);
    expect(income.reporting_period.total_unit).toBe('EUR');
    const eff = await get(`spaceefficiency?spaceid=${plantRoom}&${DAILY}&quickmode=true`);
    const e = eff.reporting_period_efficiency;
    expect(e.names).toEqual(['Electricity/Electricity']);
    expect(e.values[0][0]).toBeCloseTo(day(riseB, 1) / day(riseA, 1), 12);
    expect(e.values[0][1]).toBeCloseTo(day(riseB, 2) / day(riseA, 2), 12);
    expect(e.values[0][2]).toBeNull();
    const cum = (day(riseB, 1) + day(riseB, 2)) / (day(riseA, 1) + day(riseA, 2));
    expect(e.cumulations[0]).toBeCloseTo(cum, 12);
    const baseCum = day(riseB, 0) / day(riseA, 0);
    expect(eff.base_period_efficiency.cumulations[0]).toBeCloseTo(baseCum, 12);
    expect(e.increment_rates[0]).toBeCloseTo((cum - baseCum) / baseCum, 12);
  }, 120_000);
});

describe('offline meter reports', () => {
  it('offlinemeterenergy / cost / carbon: the uploaded day values, spread over the hours and priced by the time-of-use tariff', async () => {
    const om = await ok<{ id: number }>('POST', '/offlinemeters', { name: 'Gate by hand', energy_category_id: plant.electricity.id, cost_center_id: plant.costCenter, hourly_low_limit: 0, hourly_high_limit: 100 });
    const yard = await space('Yard');
    await ok('POST', `/spaces/${yard}/offlinemeters`, { offline_meter_id: om.id });
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Offline');
    ws.getCell('A2').value = 2026;
    ws.getCell('B2').value = 3;
    const row = ws.getRow(3);
    row.getCell(1).value = om.id;
    row.getCell(2).value = 'Gate by hand';
    row.getCell(3).value = 'kWh';
    const days = [48, 72, 24, 36];
    days.forEach((v, i) => (row.getCell(4 + i).value = v));
    const up = await fetch(`${rt.url}/api/offlinemeterfiles?file_name=march.xlsx`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': 'application/octet-stream' }, body: Buffer.from(await wb.xlsx.writeBuffer()) });
    expect(up.status).toBe(201);
    await settled();

    const e = await get(`offlinemeterenergy?offlinemeterid=${om.id}&${DAILY}&quickmode=true`);
    expect(e.offline_meter.name).toBe('Gate by hand');
    expect(e.reporting_period.timestamps).toEqual(['2026-03-02', '2026-03-03', '2026-03-04']);
    expect(e.reporting_period.values).toEqual([72, 24, 36]);
    expect(e.reporting_period.total_in_category).toBe(132);
    expect(e.base_period.total_in_category).toBe(48);
    expect(e.reporting_period.increment_rate).toBeCloseTo((132 - 48) / 48, 12);
    expect(e.reporting_period.total_in_kgce).toBeCloseTo(132 * plant.electricity.kgce, 9);
    // an even spread: half of each day's value falls in 08-20 (onpeak)
    expect(e.reporting_period.onpeak).toBeCloseTo(66, 9);
    expect(e.reporting_period.offpeak).toBeCloseTo(66, 9);
    // each hour is value / 24, priced 0.30 in 08-20 and 0.10 otherwise: a day costs value * (12 * 0.3 + 12 * 0.1) / 24
    const c = await get(`offlinemetercost?offlinemeterid=${om.id}&${DAILY}&quickmode=true`);
    expect(c.reporting_period.values[0]).toBeCloseTo(72 * 0.2, 9);
    expect(c.reporting_period.total_in_category).toBeCloseTo(132 * 0.2, 9);
    expect(c.reporting_period.total_unit).toBe('EUR');
    const k = await get(`offlinemetercarbon?offlinemeterid=${om.id}&${DAILY}&quickmode=true`);
    expect(k.reporting_period.values[2]).toBeCloseTo(36 * plant.electricity.kgco2e, 9);
    // an offline meter has no points: the parameters hold the tariff only
    const full = await get(`offlinemeterenergy?offlinemeterid=${om.id}&${DAILY}`);
    expect(full.parameters.names).toEqual(['TARIFF-Electricity']);
    expect(full.parameters.values[0]).toEqual([0.1, 0.3, 0.1, 0.3, 0.1, 0.3, 0.1]);
  }, 120_000);
});

describe('meterrealtime', () => {
  it("the latest value of each of the meter's points and today's hourly energy", async () => {
    // today's local hours in Berlin up to the current one: readings at each hour start, rising by 3 + k
    const now = DateTime.now().setZone('Europe/Berlin');
    const midnight = now.startOf('day').toMillis();
    const full = Math.floor((Date.now() - midnight) / 3_600_000);
    const rows: { utc_date_time: string; value: number }[] = [];
    let v = 7000;
    for (let k = 0; k <= full; k++) {
      rows.push({ utc_date_time: iso(midnight + k * 3_600_000), value: v });
      v += 3 + k;
    }
    const r = await meter('MR', null, rows);
    const power = await ok<{ id: number }>('POST', '/points', { name: 'MR power', data_source_id: ds, object_type: 'ANALOG_VALUE', units: 'kW', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
    await ok('POST', `/meters/${r.m}/points`, { point_id: power.id });
    await ok('POST', `/points/${power.id}/history`, [
      { utc_date_time: iso(midnight), value: 11 },
      { utc_date_time: iso(midnight + 60_000), value: 12.5 },
    ]);
    await ok('POST', `/spaces/${workshop}/meters`, { meter_id: r.m });
    await settled();

    const j = await get(`meterrealtime?meterid=${r.m}&quickmode=true`);
    expect(j.meter.name).toBe('MR');
    const hoursToday = now.endOf('day').diff(now.startOf('day'), 'hours').hours;
    expect(j.energy_value.values).toHaveLength(Math.round(hoursToday));
    // hour k has the rise from reading k to k + 1: 3 + k for the full hours, null after
    const want = j.energy_value.values.map((_: unknown, k: number) => (k < full ? 3 + k : null));
    expect(j.energy_value.values).toEqual(want);
    expect(j.energy_value.total).toBe(want.reduce((s: number, x: number | null) => s + (x ?? 0), 0));
    expect(j.energy_value.timestamps[0]).toBe(`${now.toFormat('yyyy-MM-dd')}T00:00:00`);
    // the latest values: stored ones (the history import) until a newer one arrives on the value bus
    expect(j.parameters.names).toEqual(['MR energy (kWh)', 'MR power (kW)']);
    expect(j.parameters.values).toEqual([[rows.at(-1)!.value], [12.5]]);
    expect(j.parameters.qualities).toEqual(['good', 'good']);
    rt.ctx.values.publish(ValueBatch.of([{ point_id: power.id, value: 14.25, quality: 'good', ts: Date.now() }]));
    const j2 = await get(`meterrealtime?meterid=${r.m}&quickmode=true`);
    expect(j2.parameters.values[1]).toEqual([14.25]);
  }, 120_000);
});
