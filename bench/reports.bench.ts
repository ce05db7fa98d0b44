/**
 * Reports over the energy pipeline, through HTTP on a real runtime:
 * 1. a space report (energy category, daily, one year) over 50 meters below the space (10 child spaces of 5
 *    meters), loaded through POST /api/points/{id}/history; without Excel (quickmode) and with Excel;
 * 2. the dashboard (monthly, one year) for a user whose privilege names 100 spaces.
 * Targets (issue #14): < 300 ms without Excel, < 2 s with Excel, dashboard < 500 ms.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EnergyService } from '../src/core/energy/contract';
import { createRuntime } from '../src/core/runtime';

const PASSWORD = 'Bench-Reports-1';
/** SWITCHYARD_BENCH_REPORT_METERS=5 for a short run while developing */
const METERS = Number(process.env.SWITCHYARD_BENCH_REPORT_METERS ?? 50);
const HOURS = 366 * 24;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-reports-'));
  const rt = createRuntime({ dataDir: dir, port: 0, seed: 'empty', adminPassword: PASSWORD, log: () => undefined });
  try {
    const { url } = await rt.start();
    const login = async (name: string, password: string) => {
      const r = await fetch(`${url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name, password } }) });
      const b = (await r.json()) as { user_uuid: string; token: string };
      return { 'User-UUID': b.user_uuid, Token: b.token, 'Content-Type': 'application/json' };
    };
    const admin = await login('administrator', PASSWORD);
    const api = async <T>(method: string, route: string, data?: unknown): Promise<T> => {
      const r = await fetch(`${url}/api${route}`, { method, headers: admin, body: data === undefined ? undefined : JSON.stringify({ data }) });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${method} ${route}: ${r.status} ${text.slice(0, 300)}`);
      return (text ? JSON.parse(text) : null) as T;
    };
    const gw = await api<{ id: number }>('POST', '/gateways', { name: 'GW' });
    const ds = await api<{ id: number }>('POST', '/datasources', { name: 'Loggers', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    const elec = (await api<{ id: number; name: string }[]>('GET', '/energycategories')).find((c) => c.name === 'Electricity')!.id;
    const berlin = (await api<{ id: number; iana_name: string }[]>('GET', '/timezones')).find((z) => z.iana_name === 'Europe/Berlin')!.id;
    const cc = await api<{ id: number }>('POST', '/costcenters', { name: 'TOU' });
    const tariff = await api<{ id: number }>('POST', '/tariffs', {
      name: 'Day/night',
      energy_category_id: elec,
      unit_of_price: 'EUR/kWh',
      tariff_type: 'timeofuse',
      valid_from: '2025-01-01T00:00:00',
      valid_through: '2027-01-01T00:00:00',
      timeofuse: [
        { start_time_of_day: '08:00:00', end_time_of_day: '20:00:00', peak_type: 'onpeak', price: 0.3 },
        { start_time_of_day: '20:00:00', end_time_of_day: '08:00:00', peak_type: 'offpeak', price: 0.1 },
      ],
    });
    await api('POST', `/costcenters/${cc.id}/tariffs`, { tariff_id: tariff.id });
    const space = async (name: string, parent: number | null) => (await api<{ id: number }>('POST', '/spaces', { name, parent_space_id: parent, area: 100, timezone_id: berlin, cost_center_id: cc.id })).id;
    const site = await space('Site', null);
    const children: number[] = [];
    for (let i = 0; i < 10; i++) children.push(await space(`Building ${i + 1}`, site));
    // 90 more small spaces below the buildings: the dashboard user's privilege names 100 spaces
    const small: number[] = [];
    for (let i = 0; i < 90; i++) small.push(await space(`Room ${i + 1}`, children[i % 10]));

    const start = Date.parse('2025-01-01T00:00:00+01:00');
    const t0 = Date.now();
    for (let m = 0; m < METERS; m++) {
      const p = await api<{ id: number }>('POST', '/points', { name: `M${m} energy`, data_source_id: ds.id, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, is_virtual: false, address: '{}' });
      const meter = await api<{ id: number }>('POST', '/meters', { name: `M${m}`, energy_category_id: elec, is_counted: true, hourly_low_limit: 0, hourly_high_limit: 1000, cost_center_id: cc.id });
      await api('POST', `/meters/${meter.id}/points`, { point_id: p.id });
      await api('POST', `/spaces/${children[m % 10]}/meters`, { meter_id: meter.id });
      let v = 0;
      const rows = [];
      for (let h = 0; h <= HOURS; h++) {
        rows.push({ utc_date_time: new Date(start + h * 3_600_000).toISOString(), value: Math.round(v * 1000) / 1000 });
        v += 5 + ((h * 7 + m) % 11);
      }
      await api('POST', `/points/${p.id}/history`, rows);
    }
    await (rt.context!.services.get('energy') as EnergyService).settled();
    console.log(`loaded ${METERS} meters x ${HOURS} hours through the history import in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const q =
      'periodtype=daily&baseperiodstartdatetime=2024-01-01T00:00:00&baseperiodenddatetime=2025-01-01T00:00:00&reportingperiodstartdatetime=2025-01-01T00:00:00&reportingperiodenddatetime=2026-01-01T00:00:00';
    // wall time, and the process's CPU time per request (the server runs in this process): on a shared,
    // loaded machine the CPU time is the steadier figure
    const time = async (route: string, headers: Record<string, string>, n: number) => {
      const wall: number[] = [];
      const cpu: number[] = [];
      let body = '';
      for (let i = 0; i < n; i++) {
        const a = performance.now();
        const c = process.cpuUsage();
        const r = await fetch(`${url}/api/reports/${route}`, { headers });
        body = await r.text();
        if (r.status !== 200) throw new Error(`${route}: ${r.status} ${body.slice(0, 300)}`);
        const d = process.cpuUsage(c);
        wall.push(performance.now() - a);
        cpu.push((d.user + d.system) / 1000);
      }
      return { ms: median(wall), cpu: median(cpu), bytes: body.length };
    };
    const fig = (x: { ms: number; cpu: number }) => `median ${x.ms.toFixed(0)} ms wall, ${x.cpu.toFixed(0)} ms CPU`;
    console.log(`machine load average: ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores`);
    await time(`spaceenergycategory?spaceid=${site}&${q}&quickmode=true`, admin, 2);
    const quick = await time(`spaceenergycategory?spaceid=${site}&${q}&quickmode=true`, admin, 10);
    console.log(`space energy category, daily, 1 year, ${METERS} meters in 10 child spaces, quickmode: ${fig(quick)} (target < 300 ms)`);
    const excel = await time(`spaceenergycategory?spaceid=${site}&${q}`, admin, 5);
    console.log(`the same with excel_bytes_base64: ${fig(excel)}, ${(excel.bytes / 1024).toFixed(0)} KiB answer (target < 2 s)`);

    const priv = await api<{ id: number }>('POST', '/privileges', { name: '100 spaces', data: JSON.stringify({ spaces: [...children, ...small] }) });
    await api('POST', '/users', { name: 'manager', display_name: 'Manager', email: 'manager@site.example', password: 'Manager-Pass-1', privilege_id: priv.id });
    const manager = await login('manager', 'Manager-Pass-1');
    const dq = 'periodtype=monthly&baseperiodstartdatetime=2024-01-01T00:00:00&baseperiodenddatetime=2025-01-01T00:00:00&reportingperiodstartdatetime=2025-01-01T00:00:00&reportingperiodenddatetime=2026-01-01T00:00:00&quickmode=true';
    await time(`dashboard?${dq}`, manager, 2);
    const dash = await time(`dashboard?${dq}`, manager, 10);
    console.log(`dashboard, monthly, 1 year, user with 100 spaces (50 meters): ${fig(dash)} (target < 500 ms)`);
  } finally {
    await rt.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
