/**
 * equipmentcomparison and combinedequipmentcomparison (MyEMS keys: equipment1/2 or combined_equipment1/2,
 * energy_category, reporting_period1/2, diff): the fixture's Chiller (meter M1, in the hall) against a Pump
 * (meter M2, in the site), and a combined equipment holding the Chiller against one holding the Pump. Every
 * expected number is computed here from the fixture's hourly rises; 400s name the parameter, a user limited to
 * the hall cannot compare against the site's equipment, and the catalog offers both reports with their extra
 * pickers.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { buildPlant, dayEnergy, riseM1, riseM2, type Plant, reportClient, type Json } from './fixture';

let rt: TestRuntime;
let plant: Plant;
let pump: number;
let roomA: number;
let roomB: number;


const { get, ok, must } = reportClient(() => rt);
/** four local days: 1-3 March have the fixture's 72 hours, 4 March none */
const Q = 'periodtype=daily&reportingperiodstartdatetime=2026-03-01T00:00:00&reportingperiodenddatetime=2026-03-05T00:00:00';
const days = (rise: (h: number) => number) => [0, 1, 2].map((d) => dayEnergy(rise, d));

beforeAll(async () => {
  rt = await startTestRuntime();
  plant = await buildPlant(rt);
  pump = (await must<{ id: number }>('POST', '/equipments', { name: 'Pump', is_input_counted: true, is_output_counted: false, cost_center_id: plant.costCenter })).id;
  await must('POST', `/equipments/${pump}/meters`, { meter_id: plant.m2, is_output: false });
  await must('POST', `/spaces/${plant.site}/equipments`, { equipment_id: pump });
  roomA = (await must<{ id: number }>('POST', '/combinedequipments', { name: 'Plant room A', is_input_counted: true, is_output_counted: false, cost_center_id: plant.costCenter })).id;
  await must('POST', `/combinedequipments/${roomA}/equipments`, { equipment_id: plant.equipment });
  await must('POST', `/spaces/${plant.hall}/combinedequipments`, { combined_equipment_id: roomA });
  roomB = (await must<{ id: number }>('POST', '/combinedequipments', { name: 'Plant room B', is_input_counted: true, is_output_counted: false, cost_center_id: plant.costCenter })).id;
  await must('POST', `/combinedequipments/${roomB}/equipments`, { equipment_id: pump });
  await must('POST', `/spaces/${plant.site}/combinedequipments`, { combined_equipment_id: roomB });
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

describe('equipment and combined equipment comparison', () => {
  it('equipmentcomparison: both equipments per day, null for the day without data, the difference and its total', async () => {
    const r = await ok(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${pump}&energycategoryid=${plant.electricity.id}&${Q}&quickmode=true`);
    expect(r.equipment1).toEqual({ id: plant.equipment, name: 'Chiller' });
    expect(r.equipment2).toEqual({ id: pump, name: 'Pump' });
    expect(r.energy_category).toEqual({ id: plant.electricity.id, name: 'Electricity', unit_of_measure: 'kWh' });
    const a = days(riseM1);
    const b = days(riseM2);
    expect(r.reporting_period1.timestamps).toEqual(['2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04']);
    expect(r.reporting_period1.values).toEqual([...a, null]);
    expect(r.reporting_period2.values).toEqual([...b, null]);
    // riseM2 is 2 kWh every hour: 48 a day
    expect(b).toEqual([48, 48, 48]);
    expect(r.reporting_period1.total_in_category).toBe(a[0] + a[1] + a[2]);
    expect(r.reporting_period1.missing_periods).toBe(1);
    expect(r.diff.values).toEqual([a[0] - 48, a[1] - 48, a[2] - 48, null]);
    expect(r.diff.total_in_category).toBe(a[0] + a[1] + a[2] - 144);
    expect(r.excel_bytes_base64).toBeUndefined();
    // the workbook: the table's rows parse back to the same numbers, with the chart image
    const full = await ok(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${pump}&energycategoryid=${plant.electricity.id}&${Q}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(full.excel_bytes_base64, 'base64') as unknown as ArrayBuffer);
    const ws = wb.worksheets[0];
    const cells: unknown[][] = [];
    ws.eachRow((row) => cells.push((row.values as unknown[]).slice(1)));
    const day2 = cells.find((c) => c[0] === '2026-03-02');
    expect(day2).toEqual(['2026-03-02', a[1], 48, a[1] - 48]);
    expect(ws.getImages().length).toBeGreaterThan(0);
  }, 120_000);

  it('combinedequipmentcomparison: the combined equipments through their equipment', async () => {
    const r = await ok(`combinedequipmentcomparison?combinedequipmentid1=${roomA}&combinedequipmentid2=${roomB}&energycategoryid=${plant.electricity.id}&${Q}&quickmode=true`);
    expect(r.combined_equipment1).toEqual({ id: roomA, name: 'Plant room A' });
    expect(r.combined_equipment2).toEqual({ id: roomB, name: 'Plant room B' });
    const a = days(riseM1);
    expect(r.reporting_period1.values).toEqual([...a, null]);
    expect(r.reporting_period2.values).toEqual([48, 48, 48, null]);
    expect(r.diff.total_in_category).toBe(a[0] + a[1] + a[2] - 144);
    // a category neither has: every value null, totals 0
    const water = (await must<{ id: number; name: string }[]>('GET', '/energycategories')).find((c) => c.id !== plant.electricity.id)!;
    const w = await ok(`combinedequipmentcomparison?combinedequipmentid1=${roomA}&combinedequipmentid2=${roomB}&energycategoryid=${water.id}&${Q}&quickmode=true`);
    expect(w.reporting_period1.values).toEqual([null, null, null, null]);
    expect(w.diff.total_in_category).toBe(0);
  }, 120_000);

  it('bad parameters are 400s naming them, unknown subjects 404s', async () => {
    const base = `energycategoryid=${plant.electricity.id}&${Q}&quickmode=true`;
    const field = async (path: string) => {
      const r = await get(path);
      expect(r.status, path).toBe(400);
      return r.body.field;
    };
    expect(await field(`equipmentcomparison?equipmentid2=${pump}&${base}`)).toBe('equipmentid1');
    expect(await field(`equipmentcomparison?equipmentid1=${plant.equipment}&${base}`)).toBe('equipmentid2');
    expect(await field(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=x&${base}`)).toBe('equipmentid2');
    expect(await field(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${pump}&${Q}`)).toBe('energycategoryid');
    expect(await field(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${pump}&energycategoryid=-1&${Q}`)).toBe('energycategoryid');
    expect(await field(`combinedequipmentcomparison?combinedequipmentid1=${roomA}&combinedequipmentuuid2=nope&${base}`)).toBe('combinedequipmentuuid2');
    expect(await field(`combinedequipmentcomparison?combinedequipmentid1=${roomA}&combinedequipmentid2=${roomB}&energycategoryid=${plant.electricity.id}&periodtype=fortnightly&reportingperiodstartdatetime=2026-03-01T00:00:00&reportingperiodenddatetime=2026-03-05T00:00:00`)).toBe('periodtype');
    expect((await get(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=99999&${base}`)).status).toBe(404);
    expect((await get(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${pump}&energycategoryid=99999&${Q}`)).status).toBe(404);
  }, 120_000);

  it("a user limited to the hall compares nothing with the site's equipment (403) and reads its own", async () => {
    const priv = await must<{ id: number }>('POST', '/privileges', { name: 'Hall only', data: JSON.stringify({ spaces: [plant.hall] }) });
    await must('POST', '/users', { name: 'hallcompare', display_name: 'Hall', email: 'hallcompare@plant.test', password: 'Hall-Compare-1', privilege_id: priv.id });
    const { headers } = await login(rt.url, 'hallcompare', 'Hall-Compare-1');
    const cat = `energycategoryid=${plant.electricity.id}&${Q}&quickmode=true`;
    expect((await get(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${pump}&${cat}`, headers)).status).toBe(403);
    expect((await get(`equipmentcomparison?equipmentid1=${pump}&equipmentid2=${plant.equipment}&${cat}`, headers)).status).toBe(403);
    expect((await get(`combinedequipmentcomparison?combinedequipmentid1=${roomA}&combinedequipmentid2=${roomB}&${cat}`, headers)).status).toBe(403);
    const own = await get(`equipmentcomparison?equipmentid1=${plant.equipment}&equipmentid2=${plant.equipment}&${cat}`, headers);
    expect(own.status).toBe(200);
    expect(own.body.diff.values).toEqual([0, 0, 0, null]);
  }, 120_000);

  it('the catalog offers both with a second subject and the energy category to pick', async () => {
    const list = await must<Json[]>('GET', '/reports/catalog');
    const e = list.find((r) => r.name === 'equipmentcomparison')!;
    expect(e.subject).toEqual({ kind: 'equipments', param: 'equipmentid1', label: 'Equipment' });
    expect(e.extra.map((x: Json) => x.param)).toEqual(['equipmentid2', 'energycategoryid']);
    expect(e.base).toBe(false);
    const c = list.find((r) => r.name === 'combinedequipmentcomparison')!;
    expect(c.subject.param).toBe('combinedequipmentid1');
    expect(c.extra.map((x: Json) => x.kind)).toEqual(['combinedequipments', 'energycategories']);
  }, 120_000);
});
