/**
 * Sparkplug edge publishing: 10,000 points (10 data sources = 10 devices of 1,000 metrics) all changing once per
 * 1 s scan, published as DDATA to mosquitto on loopback by the runtime's own edge node.
 * CPU of publishing = (process CPU with the edge node) - (process CPU of the same scans without it), per second of
 * wall time, as a share of one core; also the time spent inside the edge (value intake with deadbands + the tick:
 * encoding and MQTT writes). Every value is checked as counted by the node (published.values).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';
import type { SparkplugService } from '../src/core/sparkplug/service';
import type { PointValue } from '../src/core/values/bus';
import { startMosquitto } from '../test/peers/peers';
import { freePort } from '../test/support/process';
import { ValueBatch } from '../src/core/values/batch';

const DEVICES = 10;
const PER_DEVICE = 1000;
const SCANS = 15;
/** seconds of broker outage (SPARKPLUG_OUTAGE_S; 3600 measures the one-hour outage of 36 M values) */
const OUTAGE = Number(process.env.SPARKPLUG_OUTAGE_S) || 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  const port = await freePort();
  let broker = await startMosquitto(port);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-spb-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: 'Bench-Spb-1', log: () => undefined });
  const { url } = await runtime.start();
  try {
    const ctx = runtime.context!;
    const db = ctx.store.db;
    const ids: number[] = [];
    ctx.store.tx(() => {
      const gw = db.prepare("INSERT INTO gateways (uuid, name) VALUES ('bench-gw', 'Bench')").run().lastInsertRowid;
      const ins = db.prepare("INSERT INTO points (name, data_source_id, object_type, units, ratio, offset_constant, is_trend, is_virtual, address) VALUES (?, ?, 'ANALOG_VALUE', 'kW', 1, 0, 0, 0, '{}')");
      for (let d = 0; d < DEVICES; d++) {
        const ds = db.prepare("INSERT INTO data_sources (uuid, name, gateway_id, protocol, connection, status) VALUES (?, ?, ?, 'manual', '{}', 'online')").run(`bench-ds-${d}`, `Device ${d}`, gw).lastInsertRowid;
        for (let i = 0; i < PER_DEVICE; i++) ids.push(Number(ins.run(`P${i}`, ds).lastInsertRowid));
      }
    });
    let scanNo = 0;
    const scans = async (n: number) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let s = 0; s < n; s++) {
        scanNo++;
        const now = Date.now();
        const batch: PointValue[] = ids.map((id) => ({ point_id: id, value: scanNo + id / 100_000, quality: 'good', ts: now }));
        ctx.values.publish(ValueBatch.of(batch));
        await sleep(1000);
      }
      const c = process.cpuUsage(cpu0);
      return (c.user + c.system) / 1000 / (performance.now() - t0);
    };

    await scans(3); // warm-up
    const without = await scans(SCANS);

    const login = (await (await fetch(`${url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name: 'administrator', password: 'Bench-Spb-1' } }) })).json()) as { user_uuid: string; token: string };
    const headers = { 'User-UUID': login.user_uuid, Token: login.token, 'Content-Type': 'application/json' };
    const created = (await (await fetch(`${url}/api/sparkplugnodes`, { method: 'POST', headers, body: JSON.stringify({ data: { name: 'Bench', broker_url: `mqtt://127.0.0.1:${port}`, group_id: 'Bench', edge_node_id: 'E1', publish_interval_ms: 250 } }) })).json()) as { id: number };
    const service = ctx.services.get('sparkplug') as SparkplugService;
    for (let i = 0; i < 200 && service.status(created.id)?.state !== 'online'; i++) await sleep(50);
    if (service.status(created.id)?.state !== 'online') throw new Error(`the edge node did not come online: ${JSON.stringify(service.status(created.id))}`);
    await scans(3); // warm-up with the node
    const before = service.status(created.id)!.published.values;
    const cpuWith: number[] = [];
    for (let k = 0; k < 3; k++) cpuWith.push(await scans(SCANS / 3));
    await sleep(500);
    const sent = service.status(created.id)!.published.values - before;
    const withNode = median(cpuWith);
    const share = Math.max(0, withNode - median([without]));
    process.stdout.write(
      `${DEVICES * PER_DEVICE} points changing every 1 s (${DEVICES} devices), ${SCANS} scans: ${sent}/${DEVICES * PER_DEVICE * SCANS} values published as DDATA\n` +
        `process CPU without the edge node ${(without * 100).toFixed(1)} % of a core, with it ${(withNode * 100).toFixed(1)} % (median of 3 runs of ${SCANS / 3} s)\n` +
        `publishing (the difference): ${(share * 100).toFixed(1)} % of one core (goal < 10 %)\n`,
    );

    // store-and-forward: an outage of OUTAGE scans, then the catch-up while live scans go on
    await broker.stop();
    for (let i = 0; i < 200 && service.status(created.id)?.state === 'online'; i++) await sleep(50);
    const spillCpu = await scans(OUTAGE);
    await sleep(500);
    const held = service.status(created.id)!.outbox;
    broker = await startMosquitto(port);
    const hist0 = service.status(created.id)!.published.historical_values;
    // live scans go on during the catch-up
    let liveScans = 0;
    let catching = true;
    const liveLoop = (async () => {
      while (catching) {
        liveScans++;
        await scans(1);
      }
    })();
    for (let i = 0; i < 400 && service.status(created.id)?.state !== 'online'; i++) await sleep(25);
    const t0 = performance.now();
    while (service.status(created.id)!.outbox.values > 0 && performance.now() - t0 < Math.max(120_000, OUTAGE * 1000)) await sleep(20);
    const took = (performance.now() - t0) / 1000;
    catching = false;
    await liveLoop;
    const caught = service.status(created.id)!.published.historical_values - hist0;
    const live = liveScans;
    process.stdout.write(
      `outage of ${OUTAGE} s: ${held.values} values held in ${held.messages} outbox messages (${(held.bytes / 1024 / 1024).toFixed(1)} MB), process CPU while holding ${(spillCpu * 100).toFixed(1)} % of a core\n` +
        `catch-up: ${caught} historical values sent in ${took.toFixed(1)} s (${Math.round(caught / took)} values/s, from online to an empty outbox) while ${live} live scans went on; ` +
        `${service.status(created.id)!.outbox.values} values still held at the end, ${service.status(created.id)!.outbox.dropped} dropped; ` +
        `at that rate a one-hour outage of 10,000 points (36 M values) takes about ${Math.round(36e6 / (caught / took) / 60)} min\n`,
    );
  } finally {
    await runtime.stop();
    await broker.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
