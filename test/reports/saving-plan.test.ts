/**
 * Saving, plan and meter tracking reports against a plant filled through POST /api/points/{id}/history:
 * 14 days of hourly readings of meter MA (hall, Europe/Berlin) from 2026-03-01T00:00 local; the expected
 * baseline ("10 of 10": per local hour, the mean of the 10 most recent days with data before the period),
 * plans, savings and register readings are computed here from the same rises.
 */
import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { login } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { reportClient, type Json } from './fixture';


const START_UTC = Date.parse('2026-02-28T23:00:00Z'); // 2026-03-01T00:00 in Berlin (UTC+1, no DST change in March before the 29th)
const DAYS = 14;
/** energy of day d (0 = 2026-03-01), local hour h */
const rise = (d: number, h: number) => 1 + (h >= 8 && h < 18 ? 3 : 0) + (d % 3) + (h === 12 ? 0.5 * d : 0);
const day = (d: number) => Array.from({ length: 24 }, (_, h) => rise(d, h)).reduce((a, b) => a + b, 0);
/** the baseline of local hour h for a period starting on day `first`: the mean of the 10 days before it (all have data) */
const baselineHour = (first: number, h: number) => {
  const days = Array.from({ length: Math.min(10, first) }, (_, k) => first - 1 - k);
  return days.reduce((a, d) => a + rise(d, h), 0) / days.length;
};
const baselineDay = (first: number) => Array.from({ length: 24 }, (_, h) => baselineHour(first, h)).reduce((a, b) => a + b, 0);
/** the register after n hours */
const register = (n: number) => {
  let v = 5000;
  for (let k = 0; k < n; k++) v += rise(Math.floor(k / 24), k % 24);
  return v;
};

let rt: TestRuntime;
let site = 0;
let hall = 0;
let other = 0;
let ma = 0;
let mb = 0;
let chiller = 0;
let elec: { id: number; kgce: number; kgco2e: number };

// the whole API: reports and the energy plans they read
const { get, ok, must } = reportClient(() => rt, '');

beforeAll(async () => {
  rt = await startTestRuntime();
  const gw = await must<{ id: number }>('POST', '/gateways', { name: 'GW' });
  const ds = await must<{ id: number }>('POST', '/datasources', { name: 'Loggers', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
  const cats = await must<{ id: number; name: string; kgce: number; kgco2e: number }[]>('GET', '/energycategories');
  elec = cats.find((c) => c.name === 'Electricity')!;
  const berlin = (await must<{ id: number; iana_name: string }[]>('GET', '/timezones')).find((z) => z.iana_name === 'Europe/Berlin')!.id;
  const cc = (await must<{ id: number }>('POST', '/costcenters', { name: 'CC' })).id;
  await must('PUT', '/spaces/1', { name: 'Root', area: 100, timezone_id: berlin, cost_center_id: cc });
  site = (await must<{ id: number }>('POST', '/spaces', { name: 'Site', parent_space_id: 1, area: 100, timezone_id: berlin, cost_center_id: cc })).id;
  hall = (await must<{ id: number }>('POST', '/spaces', { name: 'Hall', parent_space_id: site, area: 40, timezone_id: berlin, cost_center_id: cc })).id;
  other = (await must<{ id: number }>('POST', '/spaces', { name: 'Other', parent_space_id: 1, area: 10, timezone_id: berlin, cost_center_id: cc })).id;
  const meter = async (name: string, space: number) => {
    const p = await must<{ id: number }>('POST', '/points', { name: `${name} energy`, data_source_id: ds.id, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
    const m = await must<{ id: number }>('POST', '/meters', { name, energy_category_id: elec.id, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: cc });
    await must('POST', `/meters/${m.id}/points`, { point_id: p.id });
    await must('POST', `/spaces/${space}/meters`, { meter_id: m.id });
    return { m: m.id, p: p.id };
  };
  const a = await meter('MA', hall);
  // MB has a point but no readings: tracking counts it as a meter without readings
  mb = (await meter('MB', site)).m;
  ma = a.m;
  chiller = (await must<{ id: number }>('POST', '/equipments', { name: 'Chiller', is_input_counted: true, is_output_counted: false, cost_center_id: cc })).id;
  await must('POST', `/equipments/${chiller}/meters`, { meter_id: ma, is_output: false });
  await must('POST', `/spaces/${hall}/equipments`, { equipment_id: chiller });
  const rows = Array.from({ length: DAYS * 24 + 1 }, (_, k) => ({ utc_date_time: new Date(START_UTC + k * 3_600_000).toISOString(), value: register(k) }));
  await must('POST', `/points/${a.p}/history`, rows);
  await (rt.ctx.services.get('energy') as EnergyService).settled();
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

/** each value within 1e-9 of the expected one (sums of an hourly spread), nulls exactly */
const close = (got: (number | null)[], want: (number | null)[]) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => (w === null ? expect(got[i]).toBeNull() : expect(got[i]).toBeCloseTo(w, 9)));
};

/** base 2026-03-12, reporting 2026-03-13 .. 2026-03-16 (the 15th has no data) */
const PERIODS = 'periodtype=daily&baseperiodstartdatetime=2026-03-12T00:00:00&baseperiodenddatetime=2026-03-13T00:00:00&reportingperiodstartdatetime=2026-03-13T00:00:00&reportingperiodenddatetime=2026-03-16T00:00:00';

describe('saving reports: baseline ("10 of 10" over the hourly energy) − actual', () => {
  it('spacesaving: baseline, actual and saving per day, subtotals, kgce/kgco2e, per area, base period with its own baseline, child spaces', async () => {
    const r = await ok(`reports/spacesaving?spaceid=${site}&${PERIODS}&quickmode=true`);
    const rp = r.reporting_period;
    expect(rp.names).toEqual(['Electricity']);
    expect(rp.energy_category_ids).toEqual([elec.id]);
    expect(rp.timestamps).toEqual([['2026-03-13', '2026-03-14', '2026-03-15']]);
    // the reporting period's baseline comes from 2026-03-03 .. 2026-03-12 (days 2..11)
    const b = baselineDay(12);
    expect(rp.values_baseline[0][0]).toBeCloseTo(b, 9);
    expect(rp.values_baseline[0][1]).toBeCloseTo(b, 9);
    expect(rp.values_baseline[0][2]).toBeCloseTo(b, 9);
    expect(rp.values_actual[0][0]).toBeCloseTo(day(12), 9);
    expect(rp.values_actual[0][1]).toBeCloseTo(day(13), 9);
    expect(rp.values_actual[0][2]).toBeNull();
    expect(rp.values_saving[0][0]).toBeCloseTo(b - day(12), 9);
    expect(rp.values_saving[0][1]).toBeCloseTo(b - day(13), 9);
    // no actual energy on the 15th: nothing saved, the hours are missing
    expect(rp.values_saving[0][2]).toBeNull();
    expect(rp.missing_hours).toEqual([24]);
    expect(rp.missing_periods).toEqual([1]);
    const saving = 2 * b - day(12) - day(13);
    expect(rp.subtotals_saving[0]).toBeCloseTo(saving, 9);
    expect(rp.subtotals_in_kgce_saving[0]).toBeCloseTo(saving * elec.kgce, 9);
    expect(rp.total_in_kgco2e_saving).toBeCloseTo(saving * elec.kgco2e, 9);
    expect(rp.subtotals_per_unit_area_saving[0]).toBeCloseTo(saving / 100, 9);
    // the base period (2026-03-12) is measured against 2026-03-02 .. 2026-03-11 (days 1..10)
    const bb = baselineDay(11) - day(11);
    expect(r.base_period.values_saving[0][0]).toBeCloseTo(bb, 9);
    expect(r.base_period.subtotals_saving[0]).toBeCloseTo(bb, 9);
    expect(rp.increment_rates_saving[0]).toBeCloseTo((saving - bb) / Math.abs(bb), 9);
    expect(r.child_space.child_space_names_array).toEqual([['Hall']]);
    expect(r.child_space.subtotals_saving_array[0][0]).toBeCloseTo(saving, 9);
    expect(r).not.toHaveProperty('excel_bytes_base64');
  }, 120_000);

  it('metersaving and equipmentsaving: the same numbers in the meter shape; an hourly report uses the profile hour by hour', async () => {
    const m = await ok(`reports/metersaving?meterid=${ma}&${PERIODS}&quickmode=true`);
    const b = baselineDay(12);
    expect(m.meter).toMatchObject({ name: 'MA', energy_category_name: 'Electricity', unit_of_measure: 'kWh' });
    expect(m.reporting_period.timestamps).toEqual(['2026-03-13', '2026-03-14', '2026-03-15']);
    expect(m.reporting_period.values_saving[0]).toBeCloseTo(b - day(12), 9);
    expect(m.reporting_period.total_in_category_saving).toBeCloseTo(2 * b - day(12) - day(13), 9);
    expect(m.reporting_period.total_in_kgco2e_saving).toBeCloseTo((2 * b - day(12) - day(13)) * elec.kgco2e, 9);
    expect(m.base_period.total_in_category_saving).toBeCloseTo(baselineDay(11) - day(11), 9);

    const e = await ok(`reports/equipmentsaving?equipmentid=${chiller}&${PERIODS}&quickmode=true`);
    expect(e.equipment.name).toBe('Chiller');
    expect(e.reporting_period.subtotals_saving[0]).toBeCloseTo(2 * b - day(12) - day(13), 9);

    const h = await ok(`reports/metersaving?meterid=${ma}&periodtype=hourly&reportingperiodstartdatetime=2026-03-13T10:00:00&reportingperiodenddatetime=2026-03-13T14:00:00&quickmode=true`);
    expect(h.reporting_period.timestamps).toEqual(['2026-03-13T10:00:00', '2026-03-13T11:00:00', '2026-03-13T12:00:00', '2026-03-13T13:00:00']);
    [10, 11, 12, 13].forEach((hr, i) => {
      expect(h.reporting_period.values_baseline[i]).toBeCloseTo(baselineHour(12, hr), 9);
      expect(h.reporting_period.values_saving[i]).toBeCloseTo(baselineHour(12, hr) - rise(12, hr), 9);
    });
    // no base period: no base values and no rate
    expect(h.base_period.values_saving).toEqual([]);
    expect(h.reporting_period.increment_rate_saving).toBeNull();
  }, 120_000);

  it('the saving workbook holds baseline, actual and saving per day and a chart image', async () => {
    const r = await ok(`reports/spacesaving?spaceid=${hall}&${PERIODS}`);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(r.excel_bytes_base64, 'base64') as never);
    const ws = wb.worksheets[0];
    expect(ws.getImages().length).toBeGreaterThanOrEqual(1);
    const rows: unknown[][] = [];
    ws.eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    const line = rows.find((x) => x[0] === '2026-03-13')!;
    expect(line[1]).toBeCloseTo(baselineDay(12), 6);
    expect(line[2]).toBeCloseTo(day(12), 6);
    expect(line[3]).toBeCloseTo(baselineDay(12) - day(12), 6);
    expect(rows.find((x) => x[0] === '2026-03-15')![3] ?? null).toBeNull();
  }, 120_000);
});

describe('plan reports: uploaded plan − actual', () => {
  it('a monthly plan spread over its hours; a later daily plan replaces it; spaceplan and meterplan compare it with the actual energy', async () => {
    // 3100 kWh for March (31 days of 24 hours, no DST change in Berlin before the 29th... which is in March: 743 hours)
    const month = await rt.api<Json>('POST', '/energyplans', { subject: 'space', subject_id: hall, energy_category_id: elec.id, values: [{ start_datetime: '2026-03-01T00:00:00', end_datetime: '2026-04-01T00:00:00', value: 3100 }] });
    expect(month.status, JSON.stringify(month.body)).toBe(201);
    expect(month.body).toMatchObject({ stored: 1, replaced: 0, timezone: 'Europe/Berlin' });
    const perDay = (3100 / 743) * 24;
    const p = await ok(`reports/spaceplan?spaceid=${hall}&${PERIODS}&quickmode=true`);
    const rp = p.reporting_period;
    expect(rp.values_plan[0][0]).toBeCloseTo(perDay, 9);
    expect(rp.values_plan[0][2]).toBeCloseTo(perDay, 9);
    expect(rp.values_saving[0][0]).toBeCloseTo(perDay - day(12), 9);
    expect(rp.values_saving[0][1]).toBeCloseTo(perDay - day(13), 9);
    expect(rp.values_saving[0][2]).toBeNull();
    expect(rp.subtotals_saving[0]).toBeCloseTo(2 * perDay - day(12) - day(13), 9);
    expect(rp.subtotals_per_unit_area_saving[0]).toBeCloseTo((2 * perDay - day(12) - day(13)) / 40, 9);
    expect(p.base_period.values_plan[0][0]).toBeCloseTo(perDay, 9);

    // daily plans for the 13th and 14th replace the monthly one (it overlaps them)
    const days = await rt.api<Json>('POST', '/energyplans', {
      subject: 'spaces',
      subject_id: hall,
      values: [
        { start_datetime: '2026-03-13T00:00:00', end_datetime: '2026-03-14T00:00:00', value: 90 },
        { start_datetime: '2026-03-14T00:00:00', end_datetime: '2026-03-15T00:00:00', value: '95.5' },
      ],
      energy_category_id: elec.id,
    });
    expect(days.status, JSON.stringify(days.body)).toBe(201);
    expect(days.body).toMatchObject({ stored: 2, replaced: 1 });
    const listed = await ok(`energyplans?subject=space&subjectid=${hall}`);
    expect(listed.map((x: Json) => [x.start_datetime, x.end_datetime, x.value])).toEqual([
      ['2026-03-13T00:00:00', '2026-03-14T00:00:00', 90],
      ['2026-03-14T00:00:00', '2026-03-15T00:00:00', 95.5],
    ]);
    const p2 = await ok(`reports/spaceplan?spaceid=${hall}&${PERIODS}&quickmode=true`);
    close(p2.reporting_period.values_plan[0], [90, 95.5, null]);
    expect(p2.reporting_period.values_saving[0][0]).toBeCloseTo(90 - day(12), 9);
    expect(p2.reporting_period.subtotals_saving[0]).toBeCloseTo(90 + 95.5 - day(12) - day(13), 9);
    expect(p2.base_period.values_plan[0]).toEqual([null]);

    // a meter's plan: its own category by default; from a workbook
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Plan');
    ws.addRow(['subject', 'subject id', 'energy category id', 'start', 'end', 'value']);
    ws.addRow(['meter', ma, null, '2026-03-13T00:00:00', '2026-03-14T00:00:00', 100]);
    ws.addRow(['meter', ma, null, '2026-03-14T00:00:00', '2026-03-16T00:00:00', 240]);
    const b64 = Buffer.from(await wb.xlsx.writeBuffer()).toString('base64');
    const imp = await rt.api<Json>('POST', '/energyplans/import', { file_bytes_base64: b64 });
    expect(imp.status, JSON.stringify(imp.body)).toBe(201);
    expect(imp.body.groups).toEqual([{ subject: 'meter', subject_id: ma, energy_category_id: elec.id, stored: 2, replaced: 0 }]);
    const m = await ok(`reports/meterplan?meterid=${ma}&${PERIODS}&quickmode=true`);
    close(m.reporting_period.values_plan, [100, 120, 120]);
    expect(m.reporting_period.values_saving[0]).toBeCloseTo(100 - day(12), 9);
    expect(m.reporting_period.values_saving[2]).toBeNull();
    expect(m.reporting_period.total_in_category_saving).toBeCloseTo(100 + 120 - day(12) - day(13), 9);

    // longer than the year of hours the pipeline answers at once: read in chunks
    const long = await ok(`reports/meterplan?meterid=${ma}&periodtype=monthly&reportingperiodstartdatetime=2025-01-01T00:00:00&reportingperiodenddatetime=2026-12-01T00:00:00&quickmode=true`);
    const march = long.reporting_period.timestamps.indexOf('2026-03');
    expect(long.reporting_period.timestamps.length).toBe(23);
    expect(long.reporting_period.values_plan[march]).toBeCloseTo(340, 9);
    expect(long.reporting_period.values_actual[march]).toBeCloseTo(Array.from({ length: DAYS }, (_, d) => day(d)).reduce((a, b) => a + b, 0), 9);
    expect(long.reporting_period.values_saving[march]).toBeCloseTo(100 + 120 - day(12) - day(13), 9);
    expect(long.reporting_period.values_plan[march - 1]).toBeNull();
    const years = await get(`reports/spacesaving?spaceid=${site}&periodtype=yearly&reportingperiodstartdatetime=2020-01-01T00:00:00&reportingperiodenddatetime=2027-12-01T00:00:00&quickmode=true`);
    expect(years.status).toBe(200);
    expect(years.body.reporting_period.timestamps[0]).toEqual(['2020', '2021', '2022', '2023', '2024', '2025', '2026', '2027']);
  }, 120_000);

  it('bad plans are 400s naming the field and store nothing; deleting removes the spans inside the window', async () => {
    const before = await ok(`energyplans?subject=space&subjectid=${hall}`);
    const bad = async (data: unknown, field: string) => {
      const r = await rt.api<Json>('POST', '/energyplans', data);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.field).toBe(field);
    };
    await bad({ subject: 'planet', subject_id: hall, values: [] }, 'subject');
    await bad({ subject: 'space', subject_id: 'x', values: [] }, 'subject_id');
    await bad({ subject: 'space', subject_id: hall, energy_category_id: elec.id, values: [] }, 'values');
    await bad({ subject: 'space', subject_id: hall, energy_category_id: elec.id, values: [{ start_datetime: '2026-03-13T00:00:00', end_datetime: '2026-03-14T00:00:00', value: 'lots' }] }, 'values[0].value');
    await bad({ subject: 'space', subject_id: hall, energy_category_id: elec.id, values: [{ start_datetime: '2026-03-13T00:00:00', end_datetime: '2026-03-12T00:00:00', value: 1 }] }, 'values[0].end_datetime');
    await bad({ subject: 'space', subject_id: hall, energy_category_id: elec.id, values: [{ start_datetime: 'soon', end_datetime: '2026-03-12T00:00:00', value: 1 }] }, 'values[0].start_datetime');
    await bad(
      {
        subject: 'space',
        subject_id: hall,
        energy_category_id: elec.id,
        values: [
          { start_datetime: '2026-03-13T00:00:00', end_datetime: '2026-03-15T00:00:00', value: 1 },
          { start_datetime: '2026-03-14T00:00:00', end_datetime: '2026-03-16T00:00:00', value: 1 },
        ],
      },
      'values[1].start_datetime',
    );
    const imp = await rt.api<Json>('POST', '/energyplans/import', { file_bytes_base64: Buffer.from('not a workbook').toString('base64') });
    expect(imp.status).toBe(400);
    expect(imp.body.field).toBe('file_bytes_base64');
    expect(await ok(`energyplans?subject=space&subjectid=${hall}`)).toEqual(before);
    expect((await rt.api('POST', '/energyplans', { subject: 'space', subject_id: 99999, energy_category_id: elec.id, values: [] })).status).toBe(404);

    const del = await fetch(`${rt.url}/api/energyplans?subject=space&subjectid=${hall}&startdatetime=2026-03-14T00:00:00&enddatetime=2026-03-15T00:00:00`, { method: 'DELETE', headers: rt.headers });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({ deleted: 1 });
    expect((await ok(`energyplans?subject=space&subjectid=${hall}`)).length).toBe(1);
  }, 120_000);
});

describe('meter tracking', () => {
  it('register readings at both ends for the meters of a space and its sub-spaces, integrity rates', async () => {
    const r = await ok(`reports/metertracking?spaceid=${site}&energyCategory=all&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-05T06:00:00&quickmode=true`);
    expect(r.meters.map((m: Json) => m.meter_name)).toEqual(['MA', 'MB']);
    const a = r.meters[0];
    expect(a).toMatchObject({ space_name: 'Hall', energy_category_name: 'Electricity', cost_center_name: 'CC' });
    expect(a.start_value).toBeCloseTo(register(24), 9);
    expect(a.end_value).toBeCloseTo(register(4 * 24 + 6), 9);
    expect(a.difference_value).toBeCloseTo(register(4 * 24 + 6) - register(24), 9);
    expect(r.meters[1]).toMatchObject({ meter_name: 'MB', space_name: 'Site', start_value: null, end_value: null, difference_value: null });
    expect(r.start_integrity_rate).toBe(0.5);
    expect(r.full_integrity_rate).toBe(0.5);
    // only the hall: one meter
    const h = await ok(`reports/metertracking?spaceid=${hall}&energyCategory=${elec.id}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-03T00:00:00`);
    expect(h.meters.length).toBe(1);
    expect(h.full_integrity_rate).toBe(1);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(h.excel_bytes_base64, 'base64') as never);
    const rows: unknown[][] = [];
    wb.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows.find((x) => x[0] === 'MA')![6]).toBeCloseTo(register(48) - register(24), 6);
  }, 120_000);

  it('equipmenttracking: the equipment of a space and its sub-spaces, with a workbook', async () => {
    const r = await ok(`reports/equipmenttracking?spaceid=${site}`);
    expect(r.equipments).toEqual([{ id: chiller, equipment_name: 'Chiller', equipment_uuid: expect.any(String), space_name: 'Hall', cost_center_name: 'CC', description: null }]);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(r.excel_bytes_base64, 'base64') as never);
    const rows: unknown[][] = [];
    wb.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows.some((x) => x[0] === 'Chiller' && x[1] === 'Hall')).toBe(true);
    expect((await ok(`reports/equipmenttracking?spaceid=${other}&quickmode=true`)).equipments).toEqual([]);
    expect((await get('reports/equipmenttracking?spaceid=x')).body.field).toBe('spaceid');
  }, 60_000);

  it('parameters: 400 naming energyCategory, the dates; 404 for an unknown category', async () => {
    const base = `reports/metertracking?spaceid=${site}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-03T00:00:00`;
    expect((await get(base)).body.field).toBe('energyCategory');
    expect((await get(`${base}&energyCategory=electric`)).body.field).toBe('energyCategory');
    expect((await get(`${base}&energyCategory=999`)).status).toBe(404);
    const r = await get(`reports/metertracking?spaceid=${site}&energyCategory=all&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-02T00:10:00`);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('reportingperiodenddatetime');
  }, 60_000);
});

describe('privileges and parameters', () => {
  it('a user limited to another space gets 403 on saving, plan, tracking and the plans of the hall; 400s name the parameter', async () => {
    const priv = (await must<{ id: number }>('POST', '/privileges', { name: 'Other only', data: JSON.stringify({ spaces: [other] }) })).id;
    await must('POST', '/users', { name: 'otherviewer', display_name: 'Other', email: 'other@plant.test', password: 'Other-Viewer-1', privilege_id: priv });
    const { headers } = await login(rt.url, 'otherviewer', 'Other-Viewer-1');
    for (const path of [
      `reports/spacesaving?spaceid=${hall}&${PERIODS}&quickmode=true`,
      `reports/spaceplan?spaceid=${site}&${PERIODS}&quickmode=true`,
      `reports/metersaving?meterid=${ma}&${PERIODS}&quickmode=true`,
      `reports/equipmentplan?equipmentid=${chiller}&${PERIODS}&quickmode=true`,
      `reports/metertracking?spaceid=${site}&energyCategory=all&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-03T00:00:00`,
      `reports/equipmenttracking?spaceid=${hall}`,
      `energyplans?subject=space&subjectid=${hall}`,
    ]) {
      expect((await get(path, headers)).status, path).toBe(403);
    }
    expect((await get(`reports/spacesaving?spaceid=${other}&${PERIODS}&quickmode=true`, headers)).status).toBe(200);
    expect((await get(`reports/metersaving?meterid=${mb}&${PERIODS}&quickmode=true`, headers)).status).toBe(403);

    const noType = await get(`reports/spacesaving?spaceid=${site}&reportingperiodstartdatetime=2026-03-13T00:00:00&reportingperiodenddatetime=2026-03-16T00:00:00`);
    expect(noType.status).toBe(400);
    expect(noType.body.field).toBe('periodtype');
    const badId = await get(`reports/storeplan?storeid=x&${PERIODS}`);
    expect(badId.status).toBe(400);
    expect(badId.body.field).toBe('storeid');
  }, 120_000);
});
