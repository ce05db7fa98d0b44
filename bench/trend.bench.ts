/**
 * A day's trend on screen: one trended point with a day of 1 s samples (86,400) in a real in-process runtime,
 * fetched over HTTP as the trend screen does. Prints time (median of several requests) and bytes of the answer
 * without maxpoints (the default: about a screen's width), with maxpoints=2000 (what a 2,000-pixel chart asks
 * for) and with maxpoints=100000 (every sample: the old default).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';
import { ValueBatch } from '../src/core/values/batch';

const PASSWORD = 'Bench-Trend-1';
const SAMPLES = 86_400;
const REPEAT = 5;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-trend-'));
  const rt = createRuntime({ dataDir: dir, port: 0, seed: 'empty', adminPassword: PASSWORD, log: () => undefined });
  try {
    const { url } = await rt.start();
    const ctx = rt.context!;
    const db = ctx.store.db;
    let pointId = 0;
    ctx.store.tx(() => {
      const gw = db.prepare("INSERT INTO gateways (uuid, name) VALUES ('bench-gw', 'Bench')").run().lastInsertRowid;
      const ds = db.prepare("INSERT INTO data_sources (uuid, name, gateway_id, protocol, connection, status) VALUES ('bench-ds', 'Bench', ?, 'manual', '{}', 'online')").run(gw).lastInsertRowid;
      pointId = Number(
        db.prepare("INSERT INTO points (name, data_source_id, object_type, units, ratio, offset_constant, is_trend, is_virtual, address) VALUES ('Day', ?, 'ANALOG_VALUE', 'kW', 1, 0, 1, 0, '{}')").run(ds).lastInsertRowid,
      );
    });
    (ctx.services.get('historian') as { refreshTrended(): void }).refreshTrended();
    const end = Date.now() - 1000;
    const start = end - SAMPLES * 1000;
    for (let k = 0; k < SAMPLES; k += 3600) {
      ctx.values.publish(ValueBatch.of(Array.from({ length: 3600 }, (_, j) => ({ point_id: pointId, value: 100 * Math.sin((k + j) / 600) + ((k + j) % 7), quality: 'good' as const, ts: start + (k + j + 1) * 1000 }))));
    }
    const login = await fetch(`${url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name: 'administrator', password: PASSWORD } }) });
    const s = (await login.json()) as { user_uuid: string; token: string };
    const headers = { 'User-UUID': s.user_uuid, Token: s.token };
    const range = `startdatetime=${new Date(start).toISOString()}&enddatetime=${new Date(end).toISOString()}`;
    for (const extra of ['', '&maxpoints=2000', '&maxpoints=100000']) {
      const ms: number[] = [];
      let bytes = 0;
      let count = 0;
      for (let i = 0; i < REPEAT; i++) {
        const t0 = performance.now();
        const r = await fetch(`${url}/api/points/${pointId}/trend?${range}${extra}`, { headers });
        const text = await r.text();
        ms.push(performance.now() - t0);
        bytes = Buffer.byteLength(text);
        count = (JSON.parse(text) as { values: unknown[] }).values.length;
      }
      process.stdout.write(
        `a day (${SAMPLES.toLocaleString('en-US')} samples) over HTTP, ${extra ? extra.slice(1) : 'no maxpoints'}: median ${median(ms).toFixed(0)} ms (min ${Math.min(...ms).toFixed(0)}), ` +
          `${count.toLocaleString('en-US')} values, ${(bytes / 1024).toFixed(0)} KB\n`,
      );
    }
  } finally {
    await rt.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
