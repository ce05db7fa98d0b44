/**
 * The peak-type split (toppeak/onpeak/midpeak/offpeak/deep) of energy, cost and carbon reports, from a
 * time-of-use tariff with five peak types and seven periods a day (one across midnight), and the reports'
 * `parameters`: the tariff's price changes and the trends of the subject's points (own and through a sensor),
 * downsampled when long, empty in quick mode. Every expected number is computed here from the input series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { buildPlant, DAILY, riseM1, riseM2, START_UTC, HOURS, type Plant } from './fixture';
import type { EnergyService } from '../../src/core/energy/contract';

let rt: TestRuntime;
let plant: Plant;
let lab: number;
let m3: number;
let p3: number;
let costCenter: number;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** the five-type tariff by local hour of day: 22-02 offpeak, 02-06 deep, 06-08 offpeak, 08-10 onpeak, 10-12 toppeak, 12-18 onpeak, 18-22 midpeak */
const PERIODS: [number, number, string, number][] = [
  [22, 2, 'offpeak', 0.12],
  [2, 6, 'deep', 0.05],
  [6, 8, 'offpeak', 0.12],
  [8, 10, 'onpeak', 0.3],
  [10, 12, 'toppeak', 0.45],
  [12, 18, 'onpeak', 0.3],
  [18, 22, 'midpeak', 0.2],
];
const periodOf = (k: number) => PERIODS.find(([a, b]) => (a < b ? k >= a && k < b : k >= a || k < b))!;
const riseM3 = (h: number) => 1 + (h % 5) + (h % 24 === 11 ? 3 : 0);
/** local days 1 and 2 (2 and 3 March): the reporting period of DAILY with data */
const split = (rise: (h: number) => number, type: string, weight: (k: number) => number = () => 1, days = [1, 2], of: (k: number) => string = (k) => periodOf(k)[2]) =>
  days.flatMap((d) => Array.from({ length: 24 }, (_, k) => (of(k) === type ? rise(d * 24 + k) * weight(k) : 0))).reduce((a, b) => a + b, 0);

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
const iso = (ms: number) => new Date(ms).toISOString();
/** local Berlin text of a UTC instant in March 2026 before the DST change (UTC+1) */
const berlin = (ms: number) => new Date(ms + 3_600_000).toISOString().slice(0, 19);

// a temperature every 15 minutes over the three days; a pressure every minute (4,320 samples: downsampled)
const temp = (i: number) => 20 + Math.sin(i / 7) * 3;
const pressure = (i: number) => (i === 2_000 ? 9.5 : 2 + (i % 13) / 10);

beforeAll(async () => {
  rt = await startTestRuntime();
  plant = await buildPlant(rt);
  const ds = (await ok<{ id: number }[]>('GET', '/datasources'))[0].id;
  const zones = await ok<{ id: number; iana_name: string }[]>('GET', '/timezones');
  const tz = zones.find((z) => z.iana_name === 'Europe/Berlin')!.id;
  costCenter = (await ok<{ id: number }>('POST', '/costcenters', { name: 'Five peak types' })).id;
  const tariff = await ok<{ id: number }>('POST', '/tariffs', {
    name: 'Five types',
    energy_category_id: plant.electricity.id,
    unit_of_price: 'EUR/kWh',
    tariff_type: 'timeofuse',
    valid_from: '2026-01-01T00:00:00',
    valid_through: '2027-01-01T00:00:00',
    timeofuse: PERIODS.map(([a, b, peak_type, price]) => ({ start_time_of_day: `${String(a).padStart(2, '0')}:00:00`, end_time_of_day: `${String(b).padStart(2, '0')}:00:00`, peak_type, price })),
  });
  await ok('POST', `/costcenters/${costCenter}/tariffs`, { tariff_id: tariff.id });
  lab = (await ok<{ id: number }>('POST', '/spaces', { name: 'Lab', parent_space_id: plant.site, area: 40, timezone_id: tz, cost_center_id: costCenter })).id;
  const point = (name: string, object_type: string, units: string) =>
    ok<{ id: number }>('POST', '/points', { name, data_source_id: ds, object_type, units, ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
  p3 = (await point('M3 energy', 'ENERGY_VALUE', 'kWh')).id;
  m3 = (await ok<{ id: number }>('POST', '/meters', { name: 'M3', energy_category_id: plant.electricity.id, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: costCenter })).id;
  await ok('POST', `/meters/${m3}/points`, { point_id: p3 });
  await ok('POST', `/spaces/${lab}/meters`, { meter_id: m3 });
  let v = 500;
  const rows = [{ utc_date_time: iso(START_UTC), value: v }];
  for (let h = 0; h < HOURS; h++) rows.push({ utc_date_time: iso(START_UTC + (h + 1) * 3_600_000), value: (v += riseM3(h)) });
  await ok('POST', `/points/${p3}/history`, rows);
  // the lab's own temperature point, and a pressure point through a sensor
  const t = (await point('Lab temperature', 'ANALOG_VALUE', '°C')).id;
  await ok('POST', `/spaces/${lab}/points`, { point_id: t });
  await ok('POST', `/points/${t}/history`, Array.from({ length: 288 }, (_, i) => ({ utc_date_time: iso(START_UTC + i * 900_000), value: temp(i) })));
  const pr = (await point('Lab pressure', 'ANALOG_VALUE', 'bar')).id;
  const sensor = (await ok<{ id: number }>('POST', '/sensors', { name: 'Lab sensor' })).id;
  await ok('POST', `/sensors/${sensor}/points`, { point_id: pr });
  await ok('POST', `/spaces/${lab}/sensors`, { sensor_id: sensor });
  await ok('POST', `/points/${pr}/history`, Array.from({ length: 4_320 }, (_, i) => ({ utc_date_time: iso(START_UTC + i * 60_000), value: pressure(i) })));
  await (rt.ctx.services.get('energy') as EnergyService).settled();
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

describe('peak types of the time-of-use tariff', () => {
  it('meterenergy / metercost / metercarbon split the reporting period by the peak type of each hour', async () => {
    const e = (await get(`meterenergy?meterid=${m3}&${DAILY}&quickmode=true`)).reporting_period;
    for (const type of ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep']) expect(e[type], type).toBeCloseTo(split(riseM3, type), 9);
    // every hour has a type: the split adds up to the total
    expect(e.toppeak + e.onpeak + e.midpeak + e.offpeak + e.deep).toBeCloseTo(e.total_in_category, 9);
    // hand-checked for one type: toppeak is 10:00-12:00 of two days
    expect(e.toppeak).toBe(riseM3(24 + 10) + riseM3(24 + 11) + riseM3(48 + 10) + riseM3(48 + 11));
    const price = (k: number) => periodOf(k)[3];
    const c = (await get(`metercost?meterid=${m3}&${DAILY}&quickmode=true`)).reporting_period;
    for (const type of ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep']) expect(c[type], type).toBeCloseTo(split(riseM3, type, price), 9);
    // an hourly report splits the hours it already has: the same numbers for one day
    const hr = (await get(`meterenergy?meterid=${m3}&periodtype=hourly&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-03T00:00:00&quickmode=true`)).reporting_period;
    for (const type of ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep']) expect(hr[type], type).toBe(split(riseM3, type, () => 1, [1]));
    const k = (await get(`metercarbon?meterid=${m3}&${DAILY}&quickmode=true`)).reporting_period;
    expect(k.midpeak).toBeCloseTo(split(riseM3, 'midpeak') * plant.electricity.kgco2e, 9);
  }, 120_000);

  it('space reports give one split per energy category (toppeaks, onpeaks, ... deeps); the fixture tariff has two types', async () => {
    const r = (await get(`spaceenergycategory?spaceid=${lab}&${DAILY}&quickmode=true`)).reporting_period;
    expect(r.toppeaks).toEqual([split(riseM3, 'toppeak')]);
    expect(r.deeps[0]).toBeCloseTo(split(riseM3, 'deep'), 9);
    expect(r.offpeaks[0]).toBeCloseTo(split(riseM3, 'offpeak'), 9);
    // the hall's cost center has 08-20 onpeak, else offpeak: its split is by that tariff
    const twoTypes = (k: number) => (k >= 8 && k < 20 ? 'onpeak' : 'offpeak');
    const h = (await get(`spacecost?spaceid=${plant.hall}&${DAILY}&quickmode=true`)).reporting_period;
    expect(h.onpeaks[0]).toBeCloseTo(split(riseM1, 'onpeak', () => 0.3, [1, 2], twoTypes), 9);
    expect(h.offpeaks[0]).toBeCloseTo(split(riseM1, 'offpeak', () => 0.1, [1, 2], twoTypes), 9);
    expect(h.toppeaks).toEqual([0]);
    const s = (await get(`spaceenergycategory?spaceid=${plant.site}&${DAILY}&quickmode=true`)).reporting_period;
    const both = (type: string) => split(riseM1, type, () => 1, [1, 2], twoTypes) + split(riseM2, type, () => 1, [1, 2], twoTypes);
    // the site holds M1, M2 and the lab's M3 (whose hours are typed by the site's tariff, as MyEMS does)
    expect(s.onpeaks[0]).toBeCloseTo(both('onpeak') + split(riseM3, 'onpeak', () => 1, [1, 2], twoTypes), 9);
    expect(s.onpeaks[0] + s.offpeaks[0]).toBeCloseTo(s.subtotals[0], 9);
  }, 120_000);
});

describe('peak types without a time-of-use tariff', () => {
  it("a subject whose cost center has no time-of-use tariff has every type 0 (MyEMS's zeros), its energy unchanged", async () => {
    const empty = (await ok<{ id: number }>('POST', '/costcenters', { name: 'No tariff' })).id;
    const tz = (await ok<{ id: number; iana_name: string }[]>('GET', '/timezones')).find((z) => z.iana_name === 'Europe/Berlin')!.id;
    const put = (cc: number) => ok('PUT', `/spaces/${lab}`, { name: 'Lab', parent_space_id: plant.site, area: 40, timezone_id: tz, cost_center_id: cc });
    await put(empty);
    try {
      const r = (await get(`spaceenergycategory?spaceid=${lab}&${DAILY}&quickmode=true`)).reporting_period;
      expect([r.toppeaks, r.onpeaks, r.midpeaks, r.offpeaks, r.deeps]).toEqual([[0], [0], [0], [0], [0]]);
      expect(r.subtotals[0]).toBe([1, 2].reduce((a, d) => a + Array.from({ length: 24 }, (_, k) => riseM3(d * 24 + k)).reduce((x, y) => x + y, 0), 0));
    } finally {
      await put(costCenter);
    }
  }, 120_000);
});

describe('parameters', () => {
  it("spaceenergycategory: the tariff's price changes, the lab's own point and its sensor's point over the reporting period", async () => {
    const r = await get(`spaceenergycategory?spaceid=${lab}&${DAILY}`);
    const p = r.parameters;
    expect(p.names).toEqual(['TARIFF-Electricity', 'Lab temperature (°C)', 'Lab pressure (bar)']);
    // reporting 2 March 00:00 .. 5 March 00:00 local: a change at every period start, plus the first hour
    const wantTs: string[] = [];
    const wantV: number[] = [];
    let last: number | null = null;
    for (let d = 2; d <= 4; d++)
      for (let k = 0; k < 24; k++) {
        const price = periodOf(k)[3];
        if (price !== last) {
          wantTs.push(`2026-03-0${d}T${String(k).padStart(2, '0')}:00:00`);
          wantV.push(price);
        }
        last = price;
      }
    expect(p.timestamps[0]).toEqual(wantTs);
    expect(p.values[0]).toEqual(wantV);
    // the temperature: every sample from 2 March 00:00 local (= 1 March 23:00Z, index 96) to the end of its data
    const tIdx = Array.from({ length: 288 }, (_, i) => i).filter((i) => START_UTC + i * 900_000 >= Date.parse('2026-03-01T23:00:00Z'));
    expect(p.timestamps[1]).toEqual(tIdx.map((i) => berlin(START_UTC + i * 900_000)));
    expect(p.values[1]).toEqual(tIdx.map(temp));
    // 2,880 pressure samples in the period: downsampled to at most 1,000, keeping the first, the last and the spike
    expect(p.values[2].length).toBeLessThanOrEqual(1_000);
    expect(p.values[2].length).toBeGreaterThan(500);
    expect(p.timestamps[2][0]).toBe('2026-03-02T00:00:00');
    expect(p.timestamps[2].at(-1)).toBe(berlin(START_UTC + 4_319 * 60_000));
    expect(Math.max(...p.values[2])).toBe(9.5);
    expect(p.timestamps[2][p.values[2].indexOf(9.5)]).toBe(berlin(START_UTC + 2_000 * 60_000));
    expect(r.excel_bytes_base64.length).toBeGreaterThan(1000);

    // quick mode: no parameters, as MyEMS
    const q = await get(`spaceenergycategory?spaceid=${lab}&${DAILY}&quickmode=true`);
    expect(q.parameters).toEqual({ names: [], timestamps: [], values: [] });
  }, 120_000);

  it("meterenergy and metertrend: the meter's own point (its cumulative readings); the load report has the lab's points", async () => {
    const m = (await get(`meterenergy?meterid=${m3}&${DAILY}`)).parameters;
    expect(m.names).toEqual(['TARIFF-Electricity', 'M3 energy (kWh)']);
    // readings at every hour from 2 March 00:00 local (hour 24 of the series) to the last one (hour 72)
    let v = 500;
    const readings = [v];
    for (let h = 0; h < HOURS; h++) readings.push((v += riseM3(h)));
    expect(m.values[1]).toEqual(readings.slice(24));
    expect(m.timestamps[1][0]).toBe('2026-03-02T00:00:00');
    const t = (await get(`metertrend?meterid=${m3}&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-03T00:00:00`)).parameters;
    expect(t.names).toEqual(['M3 energy (kWh)']);
    expect(t.values[0]).toEqual(readings.slice(24, 48));
    const l = (await get(`spaceload?spaceid=${lab}&${DAILY}`)).parameters;
    expect(l.names).toEqual(['TARIFF-Electricity', 'Lab temperature (°C)', 'Lab pressure (bar)']);
  }, 120_000);
});
