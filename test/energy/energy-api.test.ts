import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { energySetup, hourly, t } from './support';

interface Row {
  start_datetime_local: string;
  utc_date_time: string;
  hours: number;
  value: number | null;
  cost: number | null;
  kgco2e: number | null;
  missing_hours: number;
  flagged_hours: number;
  missing: boolean;
  flagged: boolean;
}

let rt: TestRuntime;
let s: Awaited<ReturnType<typeof energySetup>>;
const ids: Record<string, { meter: number; point: number }> = {};
let site = 0;
let hall = 0;
let excluded = 0;

const energy = () => rt.ctx.services.get('energy') as EnergyService;
const settled = () => energy().settled();
const read = async (meter: number, start: string, end: string, periodtype: string) => {
  const r = await rt.api<{ values: Row[]; timezone: string }>('GET', `/meters/${meter}/energy?startdatetime=${start}&enddatetime=${end}&periodtype=${periodtype}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};

beforeAll(async () => {
  rt = await startTestRuntime();
  s = await energySetup(rt.api);
  site = await s.space('Site', 'Europe/Berlin');
  hall = await s.space('Hall', 'Europe/Berlin', site);
  excluded = await s.space('Not counted', 'Europe/Berlin', site, { is_input_counted: false });
  const tou = await s.costCenter('TOU', [
    {
      name: 'Day/night',
      tariff_type: 'timeofuse',
      valid_from: '2026-01-01T00:00:00',
      valid_through: '2027-01-01T00:00:00',
      timeofuse: [
        { start_time_of_day: '08:00:00', end_time_of_day: '20:00:00', peak_type: 'onpeak', price: 0.3 },
        { start_time_of_day: '20:00:00', end_time_of_day: '08:00:00', peak_type: 'offpeak', price: 0.1 },
      ],
    },
  ]);
  const block = await s.costCenter('Block', [
    {
      name: 'Tiers',
      tariff_type: 'block',
      valid_from: '2026-01-01T00:00:00',
      valid_through: '2027-01-01T00:00:00',
      block: [
        { start_amount: 0, end_amount: 100, price: 0.2 },
        { start_amount: 100, end_amount: 200, price: 0.3 },
        { start_amount: 200, end_amount: 1e9, price: 0.5 },
      ],
    },
  ]);
  ids.a = await s.meter('A reset spike gap', {});
  ids.b = await s.meter('B wrap', { address: { format: 'uint32' }, high: 1000 });
  ids.c = await s.meter('C DST', { costCenter: tou });
  ids.e = await s.meter('E block', { costCenter: block, high: 1000 });
  await s.bind(hall, 'meters', { meter_id: ids.a.meter });
  await s.bind(excluded, 'meters', { meter_id: ids.b.meter });
  await s.bind(site, 'meters', { meter_id: ids.c.meter });
  await s.bind(site, 'meters', { meter_id: ids.e.meter });

  // A: half-hourly readings with a reset at 01:30, a 355 kWh jump in half an hour at 04:00, a two-hour gap 05:00-07:00
  await s.history(ids.a.point, [
    ['2026-03-09T23:00:00Z', 1000],
    ['2026-03-09T23:30:00Z', 1010],
    ['2026-03-10T00:00:00Z', 1020],
    ['2026-03-10T00:30:00Z', 1030],
    ['2026-03-10T01:00:00Z', 1040],
    ['2026-03-10T01:30:00Z', 5],
    ['2026-03-10T02:00:00Z', 15],
    ['2026-03-10T02:30:00Z', 25],
    ['2026-03-10T03:00:00Z', 35],
    ['2026-03-10T03:30:00Z', 45],
    ['2026-03-10T04:00:00Z', 400],
    ['2026-03-10T04:30:00Z', 410],
    ['2026-03-10T05:00:00Z', 420],
    ['2026-03-10T07:00:00Z', 440],
    ['2026-03-10T07:30:00Z', 450],
    ['2026-03-10T08:00:00Z', 460],
  ]);
  // B: a uint32 register wrapping at 2^32 = 4294967296
  await s.history(ids.b.point, [
    ['2026-03-10T00:00:00+01:00', 4294967200],
    ['2026-03-10T00:30:00+01:00', 4294967280],
    ['2026-03-10T01:00:00+01:00', 50],
    ['2026-03-10T01:30:00+01:00', 100],
    ['2026-03-10T02:00:00+01:00', 150],
  ]);
  // C: the spring-forward day, hour i (0..22) rising i+1 kWh; and the fall-back day, hour i (0..24) rising i+1
  await s.history(ids.c.point, hourly('2026-03-28T23:00:00Z', 5000, Array.from({ length: 23 }, (_, i) => i + 1)));
  await s.history(ids.c.point, hourly('2026-10-24T22:00:00Z', 9000, Array.from({ length: 25 }, (_, i) => i + 1)));
  // E: 60 kWh an hour from 22:00 local on 31 March to 04:00 local on 1 April
  await s.history(ids.e.point, hourly('2026-03-31T20:00:00Z', 0, [60, 60, 60, 60, 60, 60]));
  await settled();
}, 120_000);

afterAll(async () => {
  await rt?.stop();
});

describe('meter energy from a cumulative register', () => {
  it('counts rises around a reset, flags the jump, keeps the gap missing', async () => {
    const r = await read(ids.a.meter, '2026-03-10T00:00:00', '2026-03-10T10:00:00', 'hourly');
    expect(r.timezone).toBe('Europe/Berlin');
    // local 00:00 = 23:00Z: 10+10; 01:00 local: 20; 02:00 local (01Z): 0 for the drop, then 10; 03:00 (02Z): 20;
    // 04:00 (03Z): 10 + 355, flagged; 05:00 (04Z): 20; 06:00 and 07:00 local fall in the gap; 08:00 (07Z): 20
    expect(r.values.map((v) => v.value)).toEqual([20, 20, 10, 20, null, 20, null, null, 20, null]);
    expect(r.values.map((v) => v.flagged)).toEqual([false, false, false, false, true, false, false, false, false, false]);
    expect(r.values.map((v) => v.missing)).toEqual([false, false, false, false, false, false, true, true, false, true]);
    const d = await read(ids.a.meter, '2026-03-10T00:00:00', '2026-03-11T00:00:00', 'daily');
    // 20+20+10+20+20+20 = 110 (the flagged 365 is kept out); 6 known hours, 1 flagged, 17 missing
    expect(d.values).toHaveLength(1);
    expect(d.values[0]).toMatchObject({ value: 110, hours: 24, flagged_hours: 1, missing_hours: 17 });
  });

  it('counts what went round a uint32 register', async () => {
    const r = await read(ids.b.meter, '2026-03-10T00:00:00', '2026-03-10T02:00:00', 'hourly');
    // 80 + (4294967296 - 4294967280) + 50 = 146; then 50 + 50
    expect(r.values.map((v) => v.value)).toEqual([146, 100]);
  });

  it('has a 23-hour spring-forward day and a 25-hour fall-back day in Europe/Berlin', async () => {
    const spring = await read(ids.c.meter, '2026-03-29T00:00:00', '2026-03-30T00:00:00', 'daily');
    // 1+2+...+23 = 276
    expect(spring.values).toEqual([expect.objectContaining({ start_datetime_local: '2026-03-29T00:00:00', hours: 23, value: 276, missing_hours: 0 })]);
    const hours = await read(ids.c.meter, '2026-03-29T00:00:00', '2026-03-30T00:00:00', 'hourly');
    expect(hours.values).toHaveLength(23);
    expect(hours.values.map((v) => v.start_datetime_local.slice(11, 13)).slice(0, 4)).toEqual(['00', '01', '03', '04']);
    expect(hours.values.map((v) => v.value)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
    const fall = await read(ids.c.meter, '2026-10-25T00:00:00', '2026-10-26T00:00:00', 'daily');
    // 1+2+...+25 = 325
    expect(fall.values).toEqual([expect.objectContaining({ hours: 25, value: 325, missing_hours: 0 })]);
    const fallHours = await read(ids.c.meter, '2026-10-25T00:00:00', '2026-10-26T00:00:00', 'hourly');
    expect(fallHours.values.map((v) => v.start_datetime_local.slice(11, 13)).slice(0, 5)).toEqual(['00', '01', '02', '02', '03']);
  });

  it('prices time of use by the local hour of the site', async () => {
    const d = await read(ids.c.meter, '2026-03-29T00:00:00', '2026-03-30T00:00:00', 'daily');
    // local hours of the 23: 0,1,3,4,...,23 (hour i is local i+1 from i = 2 on); on-peak 08-20 local = i 7..18,
    // rising 8..19: 162 kWh at 0.30; the other 114 kWh at 0.10: 48.6 + 11.4 = 60
    expect(d.values[0].cost).toBeCloseTo(60, 9);
    // carbon from the category's factor (Electricity 0.5703 kgCO2e/kWh)
    expect(d.values[0].kgco2e).toBeCloseTo(276 * 0.5703, 9);
  });

  it('prices blocks by the billing month, resetting on the 1st', async () => {
    const m = await read(ids.e.meter, '2026-03-01T00:00:00', '2026-05-01T00:00:00', 'monthly');
    // March: 60 at 0.2 = 12, then 40 at 0.2 + 20 at 0.3 = 14 -> 26
    // April: 12, 14, then 60 at 0.3 = 18, then 20 at 0.3 + 40 at 0.5 = 26 -> 70
    expect(m.values.map((v) => v.value)).toEqual([120, 240]);
    expect(m.values[0].cost).toBeCloseTo(26, 9);
    expect(m.values[1].cost).toBeCloseTo(70, 9);
  });
});

describe('spaces', () => {
  it('sums its counted meters and the child spaces that count into it', async () => {
    const start = t('2026-03-09T23:00:00Z');
    const end = t('2026-04-30T22:00:00Z');
    const q = (kind: 'spaces' | 'meters', id: number) => energy().query({ kind, id, start, end, periodType: 'daily' });
    const total = (id: number) => q('spaces', id).categories[0].values.reduce<number>((a, v) => a + (v ?? 0), 0);
    // Site = C (276) + E (120 + 240) + Hall's A (110); B sits in a child space that is not counted
    expect(total(site)).toBeCloseTo(276 + 360 + 110, 9);
    expect(total(hall)).toBeCloseTo(110, 9);
    const siteSeries = q('spaces', site).categories[0];
    const parts = [ids.a, ids.c, ids.e].map((x) => q('meters', x.meter).categories[0]);
    siteSeries.values.forEach((v, i) => {
      const sum = parts.reduce<number | null>((a, p) => (p.values[i] === null ? a : (a ?? 0) + p.values[i]!), null);
      expect(v).toBe(sum);
    });
    expect(siteSeries.cost.reduce<number>((a, c) => a + (c ?? 0), 0)).toBeCloseTo(60 + 26 + 70, 9);
  });
});

describe('late backfill', () => {
  it('fills the gap it covers and changes no other hour', async () => {
    const before = await read(ids.a.meter, '2026-03-10T00:00:00', '2026-03-10T10:00:00', 'hourly');
    const r = await s.history(ids.a.point, [
      ['2026-03-10T05:30:00Z', 425],
      ['2026-03-10T06:00:00Z', 430],
      ['2026-03-10T06:30:00Z', 435],
      ['2026-03-10T08:00:00Z', 460],
    ]);
    expect(r).toMatchObject({ imported: 4, replaced: 1 });
    await settled();
    const after = await read(ids.a.meter, '2026-03-10T00:00:00', '2026-03-10T10:00:00', 'hourly');
    // local 06:00 (05Z) = 420 -> 430 = 10, local 07:00 (06Z) = 430 -> 440 = 10
    const changed = after.values.map((v, i) => (v.value !== before.values[i].value ? [v.start_datetime_local.slice(11, 13), v.value] : null)).filter(Boolean);
    expect(changed).toEqual([
      ['06', 10],
      ['07', 10],
    ]);
  });
});

describe('bad input', () => {
  it('answers 400 naming the parameter and changes nothing', async () => {
    const m = ids.a.meter;
    const cases: [string, string][] = [
      [`/meters/999999/energy?startdatetime=2026-03-10T00:00:00&enddatetime=2026-03-11T00:00:00&periodtype=daily`, 'id'],
      [`/meters/${m}/energy?startdatetime=2026-03-10T00:00:00&enddatetime=2026-03-11T00:00:00&periodtype=fortnightly`, 'periodtype'],
      [`/meters/${m}/energy?startdatetime=2026-03-11T00:00:00&enddatetime=2026-03-10T00:00:00&periodtype=daily`, 'enddatetime'],
      [`/meters/${m}/energy?startdatetime=2020-01-01T00:00:00&enddatetime=2026-03-10T00:00:00&periodtype=hourly`, 'enddatetime'],
      [`/meters/${m}/energy?enddatetime=2026-03-10T00:00:00&periodtype=daily`, 'startdatetime'],
      [`/meters/${m}/energy?startdatetime=yesterday&enddatetime=2026-03-10T00:00:00&periodtype=daily`, 'startdatetime'],
    ];
    for (const [route, field] of cases) {
      const r = await rt.api<{ field: string; title: string }>('GET', route);
      expect(r.status, route).toBe(400);
      expect(r.body.field, route).toBe(field);
    }
  });

  it('refuses a history import with a bad row and writes nothing', async () => {
    const p = ids.b.point;
    const trend = async () => (await rt.api<{ values: unknown[] }>('GET', `/points/${p}/trend?startdatetime=2026-06-01T00:00:00Z&enddatetime=2026-06-02T00:00:00Z`)).body.values.length;
    let r = await rt.api<{ field: string }>('POST', `/points/${p}/history`, [
      { utc_date_time: '2026-06-01T00:00:00Z', value: 1 },
      { utc_date_time: '2026-06-01T01:00:00', value: 2 },
    ]);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('data[1].utc_date_time');
    r = await rt.api<{ field: string }>('POST', `/points/${p}/history`, [{ utc_date_time: '2026-06-01T00:00:00Z', value: 'many' }]);
    expect(r.status).toBe(400);
    expect(r.body.field).toBe('data[0].value');
    const csv = await fetch(`${rt.url}/api/points/${p}/history`, {
      method: 'POST',
      headers: { ...rt.headers, 'Content-Type': 'text/csv' },
      body: 'utc_date_time,value\n2026-06-01T00:00:00Z,1\n2026-06-01T01:00:00Z,x\n',
    });
    expect(csv.status).toBe(400);
    expect(((await csv.json()) as { message: string }).message).toMatch(/row 3/);
    expect(await trend()).toBe(0);
  });

  it('imports three weeks of 1-minute readings (a 1.7 MB body, over the default body limit) into hand-computed hours', async () => {
    const m = await s.meter('Minute logger', { high: 1000 });
    const start = t('2026-07-01T00:00:00Z');
    // 0.5 kWh a minute, and 1 kWh a minute in the first hour of each UTC day: 30 kWh an hour, 60 in hour 0
    const rows: [string, number][] = [];
    let v = 1000;
    for (let i = 0; i <= 21 * 1440; i++) {
      rows.push([new Date(start + i * 60_000).toISOString(), Math.round(v * 1000) / 1000]);
      v += i % 1440 < 60 ? 1 : 0.5;
    }
    expect(JSON.stringify({ data: rows.map(([utc_date_time, value]) => ({ utc_date_time, value })) }).length).toBeGreaterThan(1.6 * 1024 * 1024);
    expect(await s.history(m.point, rows)).toMatchObject({ imported: 21 * 1440 + 1, replaced: 0 });
    await settled();
    const r = await rt.api<{ values: Row[] }>('GET', `/meters/${m.meter}/energy?startdatetime=2026-07-01T00:00:00Z&enddatetime=2026-07-22T00:00:00Z&periodtype=hourly`);
    expect(r.body.values).toHaveLength(21 * 24);
    r.body.values.forEach((x, i) => expect(x.value, x.utc_date_time).toBeCloseTo(i % 24 === 0 ? 60 : 30, 6));
  });

  it('imports text/csv and says how many were replaced', async () => {
    const p = ids.b.point;
    const post = (body: string) => fetch(`${rt.url}/api/points/${p}/history`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': 'text/csv' }, body });
    let r = await post('utc_date_time,value\n2026-06-01T00:00:00Z,1\n2026-06-01T02:00:00+01:00,2\n');
    expect(await r.json()).toMatchObject({ imported: 2, replaced: 0 });
    r = await post('utc_date_time,value\r\n2026-06-01T00:00:00Z,3\r\n2026-06-01T01:00:00Z,4\r\n');
    expect(await r.json()).toMatchObject({ imported: 2, replaced: 2 });
    const audit = await rt.api<unknown>('GET', '/auditlogs');
    expect(JSON.stringify(audit.body)).toContain('history.import');
  });
});
