import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { energySetup, hourly, t } from './support';

let rt: TestRuntime;
let s: Awaited<ReturnType<typeof energySetup>>;
let site = 0;
const energy = () => rt.ctx.services.get('energy') as EnergyService;
const values = (kind: 'meters' | 'virtualmeters' | 'offlinemeters' | 'equipments' | 'combinedequipments' | 'tenants', id: number, start: string, end: string, periodType: 'hourly' | 'daily' = 'hourly', direction?: 'input' | 'output') =>
  energy().query({ kind, id, start: t(start), end: t(end), periodType, direction }).categories[0]?.values ?? [];

beforeAll(async () => {
  rt = await startTestRuntime();
  s = await energySetup(rt.api);
  site = await s.space('Site', 'UTC');
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

describe('virtual meters', () => {
  it('equal their expression hour by hour, missing where an input is missing, and follow their inputs', async () => {
    const a = await s.meter('VA');
    const b = await s.meter('VB');
    await s.history(a.point, hourly('2026-05-01T00:00:00Z', 0, [10, 20, 30, 40]));
    // B has readings for hours 00, 01 and 03 only (02 falls in a 2-hour gap)
    await s.history(b.point, [
      ['2026-05-01T00:00:00Z', 0],
      ['2026-05-01T01:00:00Z', 4],
      ['2026-05-01T02:00:00Z', 10],
      ['2026-05-01T04:00:00Z', 20],
      ['2026-05-01T04:30:00Z', 21],
      ['2026-05-01T05:00:00Z', 22],
    ]);
    const vm = await s.ok<{ id: number }>('POST', '/virtualmeters', {
      name: 'A minus half B',
      energy_category_id: s.electricity,
      cost_center_id: (await s.ok<{ id: number }[]>('GET', '/costcenters'))[0].id,
      expression: { equation: 'x1 - x2 / 2', variables: [{ name: 'x1', meter_type: 'meter', meter_id: a.meter }, { name: 'x2', meter_type: 'meter', meter_id: b.meter }] },
    });
    const double = await s.ok<{ id: number }>('POST', '/virtualmeters', {
      name: 'Twice the virtual',
      energy_category_id: s.electricity,
      cost_center_id: (await s.ok<{ id: number }[]>('GET', '/costcenters'))[0].id,
      expression: { equation: '2 * x1', variables: [{ name: 'x1', meter_type: 'virtual_meter', meter_id: vm.id }] },
    });
    await energy().settled();
    // A: 10, 20, 30, 40, missing; B: 4, 6, missing (gap), missing (gap), 2
    expect(values('meters', b.meter, '2026-05-01T00:00:00Z', '2026-05-01T05:00:00Z')).toEqual([4, 6, null, null, 2]);
    expect(values('virtualmeters', vm.id, '2026-05-01T00:00:00Z', '2026-05-01T05:00:00Z')).toEqual([10 - 4 / 2, 20 - 6 / 2, null, null, null]);
    expect(values('virtualmeters', double.id, '2026-05-01T00:00:00Z', '2026-05-01T05:00:00Z')).toEqual([16, 34, null, null, null]);
    // a late reading for A's hour 04 reaches both virtual meters
    await s.history(a.point, [['2026-05-01T05:00:00Z', 105]]);
    await energy().settled();
    expect(values('virtualmeters', vm.id, '2026-05-01T04:00:00Z', '2026-05-01T05:00:00Z')).toEqual([5 - 2 / 2]);
    expect(values('virtualmeters', double.id, '2026-05-01T04:00:00Z', '2026-05-01T05:00:00Z')).toEqual([8]);

    // a cycle is refused when saved, naming the field, and nothing changes
    const cyc = await rt.api<{ field: string; message: string }>('PUT', `/virtualmeters/${vm.id}`, {
      name: 'A minus half B',
      energy_category_id: s.electricity,
      cost_center_id: (await s.ok<{ id: number }[]>('GET', '/costcenters'))[0].id,
      expression: { equation: 'x1', variables: [{ name: 'x1', meter_type: 'virtual_meter', meter_id: double.id }] },
    });
    expect(cyc.status).toBe(400);
    expect(cyc.body.field).toBe('expression');
    expect(cyc.body.message).toMatch(/depend on itself/);
    const self = await rt.api<{ field: string }>('PUT', `/virtualmeters/${vm.id}`, {
      expression: { equation: 'x1 + 1', variables: [{ name: 'x1', meter_type: 'virtual_meter', meter_id: vm.id }] },
    });
    expect(self.status).toBe(400);
    expect(self.body.field).toBe('expression');
    const missing = await rt.api<{ field: string; message: string }>('PUT', `/virtualmeters/${vm.id}`, {
      expression: { equation: 'x1', variables: [{ name: 'x1', meter_type: 'meter', meter_id: 987654 }] },
    });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/does not exist/);
    expect(values('virtualmeters', vm.id, '2026-05-01T00:00:00Z', '2026-05-01T01:00:00Z')).toEqual([8]);

    // a new expression recomputes the virtual meter and what reads it
    await s.ok('PUT', `/virtualmeters/${vm.id}`, { expression: { equation: 'x1 + x2', variables: [{ name: 'x1', meter_type: 'meter', meter_id: a.meter }, { name: 'x2', meter_type: 'meter', meter_id: b.meter }] } });
    await energy().settled();
    expect(values('virtualmeters', double.id, '2026-05-01T00:00:00Z', '2026-05-01T02:00:00Z')).toEqual([28, 52]);
  }, 60_000);
});

describe('offline meters', () => {
  it('spread each day of an uploaded workbook over the local day, and lose it when the file is deleted', async () => {
    const zone = await s.space('Berlin office', 'Europe/Berlin');
    const cc = (await s.ok<{ id: number }[]>('GET', '/costcenters'))[0].id;
    const om = await s.ok<{ id: number }>('POST', '/offlinemeters', { name: 'Water by hand', energy_category_id: s.electricity, cost_center_id: cc, hourly_low_limit: 0, hourly_high_limit: 100 });
    await s.bind(zone, 'offlinemeters', { offline_meter_id: om.id });
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Offline');
    ws.getCell('A2').value = 2026;
    ws.getCell('B2').value = 3;
    const row = ws.getRow(3);
    row.getCell(1).value = om.id;
    row.getCell(2).value = 'Water by hand';
    row.getCell(3).value = 'kWh';
    // 1 March: 48; 2 March: 72; 3..28 March: 24 each; 29 March (the spring-forward day, 23 hours): 230; 30 March empty: the row ends
    row.getCell(4).value = 48;
    row.getCell(5).value = 72;
    for (let d = 3; d <= 28; d++) row.getCell(3 + d).value = 24;
    row.getCell(3 + 29).value = 230;
    row.getCell(3 + 31).value = 999;
    const bytes = Buffer.from(await wb.xlsx.writeBuffer());
    const up = await fetch(`${rt.url}/api/offlinemeterfiles?file_name=march.xlsx`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': 'application/octet-stream' }, body: bytes });
    expect(up.status).toBe(201);
    const file = (await up.json()) as { id: number };
    await energy().settled();
    // 1 March local = 29 Feb 23:00Z; 48 / 24 = 2 an hour; 2 March 72 / 24 = 3
    const h = values('offlinemeters', om.id, '2026-02-28T23:00:00Z', '2026-03-02T23:00:00Z');
    expect(h).toEqual([...Array(24).fill(2), ...Array(24).fill(3)]);
    const spring = energy().query({ kind: 'offlinemeters', id: om.id, start: t('2026-03-28T23:00:00Z'), end: t('2026-03-29T22:00:00Z'), periodType: 'hourly' });
    expect(spring.periods).toHaveLength(23);
    expect(spring.categories[0].values).toEqual(Array(23).fill(10));
    expect(values('offlinemeters', om.id, '2026-03-30T21:00:00Z', '2026-03-30T23:00:00Z')).toEqual([null, null]);
    const del = await fetch(`${rt.url}/api/offlinemeterfiles/${file.id}`, { method: 'DELETE', headers: rt.headers });
    expect(del.status).toBe(204);

    await energy().settled();
    expect(values('offlinemeters', om.id, '2026-02-28T23:00:00Z', '2026-03-01T01:00:00Z')).toEqual([null, null]);
  }, 60_000);
});

describe('estimation', () => {
  it('fills a gap by interpolation only when asked, marks it, audits it and can be undone', async () => {
    const m = await s.meter('Gappy');
    await s.bind(site, 'meters', { meter_id: m.meter });
    // readings at 00:00 (0), 01:00 (10), then 05:00 (50) and 06:00 (58): a 4-hour gap rising 40
    await s.history(m.point, [
      ['2026-06-01T00:00:00Z', 0],
      ['2026-06-01T01:00:00Z', 10],
      ['2026-06-01T05:00:00Z', 50],
      ['2026-06-01T06:00:00Z', 58],
    ]);
    await energy().settled();
    const read = () => rt.api<{ values: { value: number | null; estimated: boolean; missing: boolean }[] }>('GET', `/meters/${m.meter}/energy?startdatetime=2026-06-01T00:00:00Z&enddatetime=2026-06-01T06:00:00Z&periodtype=hourly`);
    expect((await read()).body.values.map((v) => v.value)).toEqual([10, null, null, null, null, 8]);
    const est = await rt.api<{ id: number; hours: number }>('POST', `/meters/${m.meter}/estimates`, { startdatetime: '2026-06-01T00:00:00Z', enddatetime: '2026-06-02T00:00:00Z' });
    expect(est.status).toBe(201);
    expect(est.body.hours).toBe(4);
    const filled = (await read()).body.values;
    // 40 over 4 hours: 10 each, marked estimated
    expect(filled.map((v) => v.value)).toEqual([10, 10, 10, 10, 10, 8]);
    expect(filled.map((v) => v.estimated)).toEqual([false, true, true, true, true, false]);
    // a recomputation (a changed limit) keeps the estimates
    await s.ok('PUT', `/meters/${m.meter}`, { hourly_high_limit: 90 });
    await energy().settled();
    expect((await read()).body.values.map((v) => v.value)).toEqual([10, 10, 10, 10, 10, 8]);
    const audit = JSON.stringify((await rt.api('GET', '/auditlogs')).body);
    expect(audit).toContain('energy.estimate');
    const undo = await rt.api('DELETE', `/meters/${m.meter}/estimates/${est.body.id}`);
    expect(undo.status).toBe(204);
    expect((await read()).body.values.map((v) => v.value)).toEqual([10, null, null, null, null, 8]);
    const list = await rt.api<{ undone_datetime: string | null }[]>('GET', `/meters/${m.meter}/estimates`);
    expect(list.body[0].undone_datetime).not.toBeNull();
    // bad input names the field
    const bad = await rt.api<{ field: string }>('POST', `/meters/${m.meter}/estimates`, { startdatetime: '2026-06-02T00:00:00Z', enddatetime: '2026-06-01T00:00:00Z' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('enddatetime');
  }, 60_000);
});

describe('configuration changes', () => {
  it('recompute a meter when its limits change: a flagged hour comes back into the totals', async () => {
    const m = await s.meter('Limits', { high: 15 });
    await s.history(m.point, hourly('2026-07-01T00:00:00Z', 0, [10, 20, 10]));
    await energy().settled();
    expect(values('meters', m.meter, '2026-07-01T00:00:00Z', '2026-07-02T00:00:00Z', 'daily')).toEqual([20]);
    await s.ok('PUT', `/meters/${m.meter}`, { hourly_high_limit: 25 });
    await energy().settled();
    expect(values('meters', m.meter, '2026-07-01T00:00:00Z', '2026-07-02T00:00:00Z', 'daily')).toEqual([40]);
  });
});

describe('roll-ups beyond spaces', () => {
  it('sum equipment input and output, and combined equipment with its equipment', async () => {
    const inM = await s.meter('Chiller in');
    const outM = await s.meter('Chiller out');
    const other = await s.meter('Pump in');
    await s.history(inM.point, hourly('2026-08-01T00:00:00Z', 0, [5, 7]));
    await s.history(outM.point, hourly('2026-08-01T00:00:00Z', 0, [15, 21]));
    await s.history(other.point, hourly('2026-08-01T00:00:00Z', 0, [1, 2]));
    const cost_center_id = (await s.ok<{ id: number }[]>('GET', '/costcenters'))[0].id;
    const chiller = await s.ok<{ id: number }>('POST', '/equipments', { name: 'Chiller', is_input_counted: true, is_output_counted: true, cost_center_id });
    await s.ok('POST', `/equipments/${chiller.id}/meters`, { meter_id: inM.meter, is_output: false });
    await s.ok('POST', `/equipments/${chiller.id}/meters`, { meter_id: outM.meter, is_output: true });
    const plant = await s.ok<{ id: number }>('POST', '/combinedequipments', { name: 'Chiller plant', is_input_counted: true, is_output_counted: true, cost_center_id });
    await s.ok('POST', `/combinedequipments/${plant.id}/equipments`, { equipment_id: chiller.id });
    await s.ok('POST', `/combinedequipments/${plant.id}/meters`, { meter_id: other.meter, is_output: false });
    await energy().settled();
    const range = ['2026-08-01T00:00:00Z', '2026-08-01T02:00:00Z'] as const;
    expect(values('equipments', chiller.id, ...range)).toEqual([5, 7]);
    expect(values('equipments', chiller.id, ...range, 'hourly', 'output')).toEqual([15, 21]);
    expect(values('combinedequipments', plant.id, ...range)).toEqual([6, 9]);
    expect(values('combinedequipments', plant.id, ...range, 'hourly', 'output')).toEqual([15, 21]);
  });
});
