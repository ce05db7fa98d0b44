/**
 * Configuration changes are incremental: 1,000 points created one by one (POST /api/points, as a commissioning
 * tool or a script does) into a running runtime with a scanning data source. Every create re-plans only its own
 * data source and its own alarms, so the time per create at 1,000 points should be about the time at 100 (it
 * grew with the number of points when every change rebuilt every plan). Prints the median and mean per-create time
 * of the first 100 and of the last 100 creates and the ratio of the means (the mean includes the re-planning). `CONFIG_POINTS=2000` to change the count.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';

const COUNT = Number(process.env.CONFIG_POINTS ?? 1000);
const PASSWORD = 'Bench-Config-1';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-config-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: PASSWORD, log: () => undefined });
  const { url } = await runtime.start();
  try {
    const login = (await (await fetch(`${url}/api/users/login`, { method: 'PUT', body: JSON.stringify({ data: { name: 'administrator', password: PASSWORD } }) })).json()) as { user_uuid: string; token: string };
    const headers = { 'User-UUID': login.user_uuid, Token: login.token };
    const post = async (route: string, data: unknown) => {
      const r = await fetch(`${url}/api${route}`, { method: 'POST', headers, body: JSON.stringify({ data }) });
      if (r.status !== 201) throw new Error(`${route}: ${r.status} ${await r.text()}`);
      return (await r.json()) as { id: number };
    };
    const gw = await post('/gateways', { name: 'GW' });
    // one busy source that keeps scanning, and the one the points go to
    const busy = await post('/datasources', { name: 'Busy', gateway_id: gw.id, protocol: 'simulation', connection: { interval_in_seconds: 0.5 } });
    for (let i = 0; i < 50; i++) await post('/points', { name: `Busy ${i}`, data_source_id: busy.id, object_type: 'ANALOG_VALUE', high_limit: 100, is_trend: false, address: { waveform: 'sine' } });
    const target = await post('/datasources', { name: 'Target', gateway_id: gw.id, protocol: 'simulation', connection: { interval_in_seconds: 1 } });
    const times: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < COUNT; i++) {
      const t = performance.now();
      await post('/points', { name: `P ${i}`, data_source_id: target.id, object_type: 'ANALOG_VALUE', units: 'kW', high_limit: 90, low_limit: 10, is_trend: i % 2 === 0, address: { waveform: 'sine', amplitude: 50, offset: 50 } });
      times.push(performance.now() - t);
    }
    const total = (performance.now() - t0) / 1000;
    const first = times.slice(0, 100);
    const last = times.slice(-100);
    process.stdout.write(
      `${COUNT} single creates in ${total.toFixed(1)} s; per create, first 100: median ${median(first).toFixed(2)} ms, mean ${mean(first).toFixed(2)} ms; ` +
        `last 100: median ${median(last).toFixed(2)} ms, mean ${mean(last).toFixed(2)} ms; ratio of the means ${(mean(last) / mean(first)).toFixed(2)}\n`,
    );
  } finally {
    await runtime.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
