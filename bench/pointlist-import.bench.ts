/**
 * Point-list import on a running plant: a CSV of N points (500, 10,000, 100,000; `POINTLIST_ROWS=500,10000`
 * to choose) is posted to a simulation data source of the demo runtime while its devices are being scanned and
 * one more source scans every 0.1 s. Prints the import's wall time, the event-loop delay seen by a 10 ms timer
 * during the import and the second after it (what a scan, the API and the live stream wait at worst), and the
 * longest gap between two values of the 0.1 s source meanwhile.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';

const SIZES = (process.env.POINTLIST_ROWS ?? '500,10000,100000').split(',').map(Number);
const PASSWORD = 'Bench-Import-1';

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-import-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'demo', adminPassword: PASSWORD, log: () => undefined });
  const { url } = await runtime.start();
  try {
    const login = (await (await fetch(`${url}/api/users/login`, { method: 'PUT', body: JSON.stringify({ data: { name: 'administrator', password: PASSWORD } }) })).json()) as { user_uuid: string; token: string };
    const headers = { 'User-UUID': login.user_uuid, Token: login.token };
    const ctx = runtime.context!;
    let batches = 0;
    ctx.values.subscribe(() => batches++);
    const fast = (await (
      await fetch(`${url}/api/datasources`, { method: 'POST', headers, body: JSON.stringify({ data: { name: 'Fast', gateway_id: 1, protocol: 'simulation', connection: '{"interval_in_seconds":0.1}' } }) })
    ).json()) as { id: number };
    const probe = (await (
      await fetch(`${url}/api/points`, { method: 'POST', headers, body: JSON.stringify({ data: { name: 'Probe', data_source_id: fast.id, object_type: 'ANALOG_VALUE', is_trend: false, address: { waveform: 'ramp' } } }) })
    ).json()) as { id: number };
    let lastProbe = performance.now();
    let worstScanGap = 0;
    ctx.values.subscribe((b) => {
      if (!b.toArray().some((v) => v.point_id === probe.id)) return;
      const now = performance.now();
      worstScanGap = Math.max(worstScanGap, now - lastProbe);
      lastProbe = now;
    });
    for (const [i, n] of SIZES.entries()) {
      const ds = (await (
        await fetch(`${url}/api/datasources`, {
          method: 'POST',
          headers,
          // scanned hourly: the figures are the import's own disturbance, not that of reading 100,000 more points a second
          body: JSON.stringify({ data: { name: `Import ${i}`, gateway_id: 1, protocol: 'simulation', connection: '{"interval_in_seconds":3600}' } }),
        })
      ).json()) as { id: number };
      const lines = ['name,object_type,units,address.waveform'];
      for (let r = 0; r < n; r++) lines.push(`Imported ${i}-${r},ANALOG_VALUE,kW,constant`);
      const csv = lines.join('\r\n');
      let worst = 0;
      let last = performance.now();
      const lag = setInterval(() => {
        const now = performance.now();
        worst = Math.max(worst, now - last - 10);
        last = now;
      }, 10);
      const batchesBefore = batches;
      worstScanGap = 0;
      lastProbe = performance.now();
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const res = await fetch(`${url}/api/datasources/${ds.id}/pointlist`, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/csv' }, body: csv });
      const body = (await res.json()) as { imported?: number; message?: string };
      const seconds = (performance.now() - t0) / 1000;
      // the configuration change reaches acquisition, alarms and the historian after the answer: wait for it
      await new Promise((r) => setTimeout(r, 1000));
      clearInterval(lag);
      // CPU of the whole process over the import and the second after it: less at the mercy of the other sessions' load than the wall time
      const cpu = process.cpuUsage(cpu0);
      const total = ctx.store.db.prepare('SELECT COUNT(*) AS n FROM points').get() as { n: number };
      process.stdout.write(
        `${String(n).padStart(7)} rows: ${res.status} imported ${body.imported ?? body.message} in ${seconds.toFixed(2)} s (CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s); worst event-loop delay ${worst.toFixed(0)} ms; ` +
          `longest gap between two scans of the 0.1 s source ${worstScanGap.toFixed(0)} ms; ${batches - batchesBefore} value batches meanwhile; ${total.n} points in the store\n`,
      );
    }
  } finally {
    await runtime.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
