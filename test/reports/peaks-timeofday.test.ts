/**
 * The peak-type split of daily (and longer) reports is typed from the energy service's sums by local time of
 * day, not hour by hour: it must still follow the local clock across a DST change and switch tariffs where a
 * tariff's validity ends in the middle of a day. Four Berlin days (27-30 March 2026, the 29th has 23 hours) of
 * hourly readings; tariff A (08-20 onpeak, else offpeak) until 2026-03-29T12:00 local, tariff B (06-22 midpeak,
 * else deep) from then. Every expected number is computed here, hour by hour, from the input series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { startTestRuntime, type TestRuntime } from '../support/runtime';

let rt: TestRuntime;
let meter: number;
let elecKgco2e: number;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const TYPES = ['toppeak', 'onpeak', 'midpeak', 'offpeak', 'deep'];
/** 2026-03-27T00:00 in Berlin (UTC+1); 95 hours up to 2026-03-31T00:00 (UTC+2) */
const START = Date.parse('2026-03-26T23:00:00Z');
const HOURS = 95;
const DST = Date.parse('2026-03-29T01:00:00Z');
const rise = (h: number) => 1 + (h % 7) + (h % 24 === 5 ? 4 : 0);

/** local text of UTC hour h: UTC+1 before the change, UTC+2 after */
const local = (h: number) => {
  const utc = START + h * 3_600_000;
  return new Date(utc + (utc < DST ? 1 : 2) * 3_600_000).toISOString().slice(0, 19);
};
const typeOf = (h: number): [string, number] => {
  const text = local(h);
  const k = Number(text.slice(11, 13));
  if (text < '2026-03-29T12:00:00') return k >= 8 && k < 20 ? ['onpeak', 0.3] : ['offpeak', 0.1];
  return k >= 6 && k < 22 ? ['midpeak', 0.2] : ['deep', 0.05];
};
const expected = (type: string, weight: (price: number) => number = () => 1) =>
  Array.from({ length: HOURS }, (_, h) => h).reduce((a, h) => (typeOf(h)[0] === type ? a + rise(h) * weight(typeOf(h)[1]) : a), 0);

async function ok<T>(method: string, route: string, data?: unknown): Promise<T> {
  const r = await rt.api<T>(method, route, data);
  if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const get = async (path: string) => {
  const r = await fetch(`${rt.url}/api/reports/${path}`, { headers: rt.headers });
  const body = (await r.json()) as Json;
  expect(r.status, JSON.stringify(body).slice(0, 400)).toBe(200);
  return body.reporting_period as Json;
};
const PERIOD = 'baseperiodstartdatetime=2026-03-26T00:00:00&baseperiodenddatetime=2026-03-27T00:00:00&reportingperiodstartdatetime=2026-03-27T00:00:00&reportingperiodenddatetime=2026-03-31T00:00:00&quickmode=true';

beforeAll(async () => {
  rt = await startTestRuntime();
  const gw = await ok<{ id: number }>('POST', '/gateways', { name: 'GW' });
  const ds = await ok<{ id: number }>('POST', '/datasources', { name: 'Loggers', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
  const elec = (await ok<{ id: number; name: string; kgco2e: number }[]>('GET', '/energycategories')).find((c) => c.name === 'Electricity')!;
  elecKgco2e = elec.kgco2e;
  const berlin = (await ok<{ id: number; iana_name: string }[]>('GET', '/timezones')).find((z) => z.iana_name === 'Europe/Berlin')!.id;
  const cc = (await ok<{ id: number }>('POST', '/costcenters', { name: 'Two tariffs' })).id;
  const tariff = async (name: string, from: string, through: string, tou: [string, string, string, number][]) => {
    const t = await ok<{ id: number }>('POST', '/tariffs', {
      name,
      energy_category_id: elec.id,
      unit_of_price: 'EUR/kWh',
      tariff_type: 'timeofuse',
      valid_from: from,
      valid_through: through,
      timeofuse: tou.map(([start_time_of_day, end_time_of_day, peak_type, price]) => ({ start_time_of_day, end_time_of_day, peak_type, price })),
    });
    await ok('POST', `/costcenters/${cc}/tariffs`, { tariff_id: t.id });
  };
  await tariff('A', '2026-01-01T00:00:00', '2026-03-29T12:00:00', [['08:00:00', '20:00:00', 'onpeak', 0.3], ['20:00:00', '08:00:00', 'offpeak', 0.1]]);
  await tariff('B', '2026-03-29T12:00:00', '2027-01-01T00:00:00', [['06:00:00', '22:00:00', 'midpeak', 0.2], ['22:00:00', '06:00:00', 'deep', 0.05]]);
  await ok('PUT', '/spaces/1', { name: 'Root', area: 100, timezone_id: berlin, cost_center_id: cc });
  const space = (await ok<{ id: number }>('POST', '/spaces', { name: 'Plant', parent_space_id: 1, area: 100, timezone_id: berlin, cost_center_id: cc })).id;
  const p = await ok<{ id: number }>('POST', '/points', { name: 'M energy', data_source_id: ds.id, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
  meter = (await ok<{ id: number }>('POST', '/meters', { name: 'M', energy_category_id: elec.id, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: cc })).id;
  await ok('POST', `/meters/${meter}/points`, { point_id: p.id });
  await ok('POST', `/spaces/${space}/meters`, { meter_id: meter });
  let v = 1000;
  const rows = [{ utc_date_time: new Date(START).toISOString(), value: v }];
  for (let h = 0; h < HOURS; h++) rows.push({ utc_date_time: new Date(START + (h + 1) * 3_600_000).toISOString(), value: (v += rise(h)) });
  await ok('POST', `/points/${p.id}/history`, rows);
  await (rt.ctx.services.get('energy') as EnergyService).settled();
}, 120_000);
afterAll(async () => {
  await rt?.stop();
});

describe('peak split by local time of day', () => {
  it('a daily report across the DST change and a tariff change at noon types each hour by its local time and tariff', async () => {
    // the hand sums: each type occurs, and every hour has one
    expect(TYPES.map((t) => expected(t) > 0)).toEqual([false, true, true, true, true]);
    const e = await get(`meterenergy?meterid=${meter}&periodtype=daily&${PERIOD}`);
    for (const t of TYPES) expect(e[t], t).toBeCloseTo(expected(t), 9);
    expect(e.onpeak + e.offpeak + e.midpeak + e.deep).toBeCloseTo(e.total_in_category, 9);
    // written out for one type: tariff B's midpeak hours are 29 March 12-22 and 30 March 06-22 local (UTC+2)
    const at = (iso: string) => (Date.parse(iso) - START) / 3_600_000;
    let mid = 0;
    for (let h = at('2026-03-29T10:00:00Z'); h < at('2026-03-29T20:00:00Z'); h++) mid += rise(h);
    for (let h = at('2026-03-30T04:00:00Z'); h < at('2026-03-30T20:00:00Z'); h++) mid += rise(h);
    expect(e.midpeak).toBe(mid);
    const c = await get(`metercost?meterid=${meter}&periodtype=daily&${PERIOD}`);
    for (const t of TYPES) expect(c[t], t).toBeCloseTo(expected(t, (price) => price), 9);
    const k = await get(`metercarbon?meterid=${meter}&periodtype=monthly&${PERIOD}`);
    for (const t of TYPES) expect(k[t], t).toBeCloseTo(expected(t) * elecKgco2e, 9);
  }, 120_000);

  it('an hourly report (typed hour by hour) gives the same split as the daily one', async () => {
    const daily = await get(`meterenergy?meterid=${meter}&periodtype=daily&${PERIOD}`);
    const hourly = await get(`meterenergy?meterid=${meter}&periodtype=hourly&${PERIOD}`);
    for (const t of TYPES) expect(hourly[t], t).toBeCloseTo(daily[t], 9);
  }, 120_000);
});
