import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, login, serve, type Served } from '../support/process';
import { waitFor } from '../support/runtime';

let served: Served | null = null;
let dir = '';
afterAll(async () => {
  await served?.stop('SIGTERM');
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

interface Row {
  value: number | null;
  cost: number | null;
  hours: number;
  missing_hours: number;
}

describe('energy in the server as it ships', () => {
  it('gives the demo plant a month of energy with cost, and turns an imported logger export into hand-computed hours', async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-energy-'));
    served = await serve(['--port', String(await freePort()), '--data-dir', dir, '--demo'], { SWITCHYARD_ADMIN_PASSWORD: 'Energy#123' }, 60_000);
    const { headers } = await login(served.url, 'administrator', 'Energy#123');
    const get = async <T>(route: string) => {
      const r = await fetch(`${served!.url}/api${route}`, { headers });
      return { status: r.status, body: (await r.json()) as T };
    };
    const meters = (await get<{ id: number; name: string }[]>('/meters')).body;
    const grid = meters.find((m) => m.name === 'Grid Meter')!;
    // yesterday in the campus's zone: 24 (or 23/25) hours of history, priced by the demo's time-of-use tariff
    const today = DateTime.now().setZone('Europe/Berlin').startOf('day');
    const yesterday = today.minus({ days: 1 });
    const fmt = (d: DateTime) => d.toFormat("yyyy-MM-dd'T'HH:mm:ss");
    const day = await waitFor(
      async () => {
        const r = await get<{ values: Row[] }>(`/meters/${grid.id}/energy?startdatetime=${fmt(yesterday)}&enddatetime=${fmt(today)}&periodtype=daily`);
        return r.status === 200 && r.body.values[0]?.value !== null ? r.body.values[0] : null;
      },
      'the demo history to become energy',
      60_000,
    );
    expect(day.missing_hours).toBe(0);
    expect(day.value!).toBeGreaterThan(100);
    expect(day.cost!).toBeGreaterThan(0);

    // a new meter on a new point, fed by a CSV export: 3 readings, hour 00 rises 12.5, hour 01 rises 7.5
    const post = async <T>(route: string, data: unknown) => {
      const r = await fetch(`${served!.url}/api${route}`, { method: 'POST', headers, body: JSON.stringify({ data }) });
      return (await r.json()) as T;
    };
    const gw = await post<{ id: number }>('/gateways', { name: 'Logger GW' });
    const ds = await post<{ id: number }>('/datasources', { name: 'Logger', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    const point = await post<{ id: number }>('/points', { name: 'Logger kWh', data_source_id: ds.id, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
    const cats = (await get<{ id: number; name: string }[]>('/energycategories')).body;
    const cc = (await get<{ id: number }[]>('/costcenters')).body[0];
    const meter = await post<{ id: number }>('/meters', { name: 'Logger Meter', energy_category_id: cats.find((c) => c.name === 'Electricity')!.id, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 100, cost_center_id: cc.id });
    await post(`/meters/${meter.id}/points`, { point_id: point.id });
    const csv = await fetch(`${served.url}/api/points/${point.id}/history`, {
      method: 'POST',
      headers: { ...headers, 'Content-Type': 'text/csv' },
      body: 'utc_date_time,value\n2026-01-10T00:00:00Z,100\n2026-01-10T01:00:00Z,112.5\n2026-01-10T02:00:00Z,120\n',
    });
    expect(await csv.json()).toMatchObject({ imported: 3, replaced: 0 });
    const hours = await waitFor(
      async () => {
        const r = await get<{ values: Row[] }>(`/meters/${meter.id}/energy?startdatetime=2026-01-10T00:00:00Z&enddatetime=2026-01-10T03:00:00Z&periodtype=hourly`);
        return r.body.values?.[1]?.value !== null && r.body.values?.[1]?.value !== undefined ? r.body.values : null;
      },
      'the imported hours',
      30_000,
    );
    expect(hours.map((h) => h.value)).toEqual([12.5, 7.5, null]);
  }, 180_000);
});
