/**
 * The plant the report tests share, filled only through the API: a site in Europe/Berlin with a hall below it,
 * a time-of-use cost centre (08-20 at 0.30 EUR/kWh, otherwise 0.10), meter M1 in the hall and M2 in the site,
 * both cumulative ENERGY_VALUE points loaded through POST /api/points/{id}/history with 72 hours from
 * 2026-03-01T00:00 local (23:00Z the day before); nothing after 2026-03-04T00:00 local. Expected numbers are
 * computed here from the same rises.
 */
import type { EnergyService } from '../../src/core/energy/contract';
import { expect } from 'vitest';
import type { TestRuntime } from '../support/runtime';

export const START_UTC = Date.parse('2026-02-28T23:00:00Z');
export const HOURS = 72;
/** hourly rise of M1 at hour h (h = 0 is local midnight of 2026-03-01) */
export const riseM1 = (h: number) => (h % 4) + 1 + (h % 24 === 12 ? 5 : 0);
export const riseM2 = (_h: number) => 2;
/** the tariff of a local hour of day (no DST change in these days) */
export const price = (hourOfDay: number) => (hourOfDay >= 8 && hourOfDay < 20 ? 0.3 : 0.1);

export const dayEnergy = (rise: (h: number) => number, day: number) => Array.from({ length: 24 }, (_, k) => rise(day * 24 + k)).reduce((a, b) => a + b, 0);
export const dayCost = (rise: (h: number) => number, day: number) => Array.from({ length: 24 }, (_, k) => rise(day * 24 + k) * price(k)).reduce((a, b) => a + b, 0);
export const dayMax = (rise: (h: number) => number, day: number) => Math.max(...Array.from({ length: 24 }, (_, k) => rise(day * 24 + k)));

export interface Plant {
  site: number;
  hall: number;
  m1: number;
  m2: number;
  p1: number;
  equipment: number;
  costCenter: number;
  electricity: { id: number; kgce: number; kgco2e: number };
}

export type Api = <T>(method: string, route: string, data?: unknown) => Promise<{ status: number; body: T }>;

async function ok<T>(rt: { api: Api }, method: string, route: string, data?: unknown): Promise<T> {
  const r = await rt.api<T>(method, route, data);
  if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** The plant in an in-process test runtime (waits for the energy pipeline to settle). */
export const buildPlant = (rt: TestRuntime): Promise<Plant> => buildPlantWith(rt.api, () => (rt.ctx.services.get('energy') as EnergyService).settled());

/** The plant through any API (a server in a child process: `settled` polls until the energy is there). */
export async function buildPlantWith(api: Api, settled: () => Promise<void>): Promise<Plant> {
  const rt = { api };
  const gw = await ok<{ id: number }>(rt, 'POST', '/gateways', { name: 'Report GW' });
  const ds = await ok<{ id: number }>(rt, 'POST', '/datasources', { name: 'Loggers', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
  const cats = await ok<{ id: number; name: string; kgce: number; kgco2e: number }[]>(rt, 'GET', '/energycategories');
  const e = cats.find((c) => c.name === 'Electricity')!;
  const zones = await ok<{ id: number; iana_name: string }[]>(rt, 'GET', '/timezones');
  const berlin = zones.find((z) => z.iana_name === 'Europe/Berlin')!.id;
  const cc = await ok<{ id: number }>(rt, 'POST', '/costcenters', { name: 'TOU' });
  const tariff = await ok<{ id: number }>(rt, 'POST', '/tariffs', {
    name: 'Day/night',
    energy_category_id: e.id,
    unit_of_price: 'EUR/kWh',
    tariff_type: 'timeofuse',
    valid_from: '2026-01-01T00:00:00',
    valid_through: '2027-01-01T00:00:00',
    timeofuse: [
      { start_time_of_day: '08:00:00', end_time_of_day: '20:00:00', peak_type: 'onpeak', price: 0.3 },
      { start_time_of_day: '20:00:00', end_time_of_day: '08:00:00', peak_type: 'offpeak', price: 0.1 },
    ],
  });
  await ok(rt, 'POST', `/costcenters/${cc.id}/tariffs`, { tariff_id: tariff.id });
  // the site sits under MyEMS's root space (id 1), which is in the site's zone as well
  await ok(rt, 'PUT', '/spaces/1', { name: 'Root', area: 200, timezone_id: berlin, cost_center_id: cc.id });
  const site = (await ok<{ id: number }>(rt, 'POST', '/spaces', { name: 'Site', parent_space_id: 1, area: 200, timezone_id: berlin, cost_center_id: cc.id })).id;
  const hall = (await ok<{ id: number }>(rt, 'POST', '/spaces', { name: 'Hall', parent_space_id: site, area: 50, timezone_id: berlin, cost_center_id: cc.id })).id;
  const meter = async (name: string, space: number, master: number | null = null) => {
    const p = await ok<{ id: number }>(rt, 'POST', '/points', { name: `${name} energy`, data_source_id: ds.id, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
    const m = await ok<{ id: number }>(rt, 'POST', '/meters', { name, energy_category_id: e.id, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: cc.id, master_meter_id: master });
    await ok(rt, 'POST', `/meters/${m.id}/points`, { point_id: p.id });
    await ok(rt, 'POST', `/spaces/${space}/meters`, { meter_id: m.id });
    return { m: m.id, p: p.id };
  };
  const a = await meter('M1', hall);
  // M2 is a submeter of M1 (for the submeters balance)
  const b = await meter('M2', site, a.m);
  const equipment = (await ok<{ id: number }>(rt, 'POST', '/equipments', { name: 'Chiller', is_input_counted: true, is_output_counted: false, cost_center_id: cc.id })).id;
  await ok(rt, 'POST', `/equipments/${equipment}/meters`, { meter_id: a.m, is_output: false });
  await ok(rt, 'POST', `/spaces/${hall}/equipments`, { equipment_id: equipment });
  const load = async (point: number, rise: (h: number) => number) => {
    let v = 1000;
    const rows = [{ utc_date_time: new Date(START_UTC).toISOString(), value: v }];
    for (let h = 0; h < HOURS; h++) {
      v += rise(h);
      rows.push({ utc_date_time: new Date(START_UTC + (h + 1) * 3_600_000).toISOString(), value: v });
    }
    await ok(rt, 'POST', `/points/${point}/history`, rows);
  };
  await load(a.p, riseM1);
  await load(b.p, riseM2);
  await settled();
  return { site, hall, m1: a.m, m2: b.m, p1: a.p, equipment, costCenter: cc.id, electricity: { id: e.id, kgce: e.kgce, kgco2e: e.kgco2e } };
}

/** the query string of a daily report: base 2026-03-01, reporting 2026-03-02 .. 2026-03-05 (the last day has no data) */
export const DAILY = 'periodtype=daily&baseperiodstartdatetime=2026-03-01T00:00:00&baseperiodenddatetime=2026-03-02T00:00:00&reportingperiodstartdatetime=2026-03-02T00:00:00&reportingperiodenddatetime=2026-03-05T00:00:00';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = Record<string, any>;

/**
 * The report API as the report tests call it, on the runtime that rt() returns once beforeAll has started it:
 * get (status and body), ok (the body of a 200, failing with the answer otherwise) and must (a configuration
 * call that has to succeed). Paths are under `/api/<base>` (default the reports; '' for the whole API).
 */
export function reportClient(rt: () => TestRuntime, base = 'reports/') {
  const get = async (path: string, headers = rt().headers) => {
    const r = await fetch(`${rt().url}/api/${base}${path}`, { headers });
    return { status: r.status, body: (await r.json()) as Json };
  };
  const ok = async (path: string) => {
    const r = await get(path);
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(200);
    return r.body;
  };
  const must = async <T = Json>(method: string, route: string, data?: unknown): Promise<T> => {
    const r = await rt().api<T>(method, route, data);
    if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  return { get, ok, must };
}
