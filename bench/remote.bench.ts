/**
 * What making remote metrics points costs the central server (central/remote.ts), on a real runtime (historian,
 * alarms, live stream listening on the value bus): a birth of 1,000 metrics (points created through the entity
 * registry), then SECONDS data messages of 1,000 values each handed to the host observer as the Sparkplug host
 * would. Prints the point creation time, the CPU per value of the observer (value bus, alarms, live stream,
 * historian queue) and of the historian's writes, and the bytes the historian adds per value: the price of keeping
 * remote values twice (central_history and the historian). Compare with the host's own ingest cost (docs/central.md).
 * Knobs: REMOTE_METRICS (1000), REMOTE_SECONDS (60).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';
import type { Historian } from '../src/core/historian/feature';
import type { RemotePoints } from '../src/core/central/remote';
import type { NodeSession } from '../src/core/central/sessions';
import { metricKey } from '../src/core/central/storage';
import type { Metric, Payload } from '../src/core/central/wire';

const METRICS = Number(process.env.REMOTE_METRICS ?? 1000);
const SECONDS = Number(process.env.REMOTE_SECONDS ?? 60);

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const dirBytes = (dir: string): number => fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-remote-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: 'Bench-Remote-1', log: () => undefined });
  await runtime.start();
  try {
    const ctx = runtime.context!;
    const remote = ctx.services.get('remotePoints') as RemotePoints;
    const historian = ctx.services.get('historian') as Historian;
    const hostId = Number(ctx.store.db.prepare("INSERT INTO central_hosts (uuid, name, broker_url, host_id, group_ids, is_active) VALUES ('bench-host', 'Bench host', 'mqtt://127.0.0.1:1', 'bench', 'Bench', 0)").run().lastInsertRowid);
    // the session the host would hold after the births: metric ids and aliases 1..METRICS of device "meter"
    const session: NodeSession = {
      siteId: 1,
      group: 'Bench',
      node: 'edge-1',
      health: { online: true, bd_seq: 0, last_birth: Date.now(), last_death: null, last_seen: Date.now(), seq_gaps: 0, rebirths: 0, values_received: 0 },
      expectedSeq: null,
      aliases: new Map(),
      names: new Map(),
      devices: new Map([['meter', { device_id: 'meter', online: true, last_birth: Date.now(), last_death: null }]]),
      lastRebirth: 0,
    };
    for (let i = 1; i <= METRICS; i++) {
      session.aliases.set(i, i);
      session.names.set(metricKey('meter', `M${i}`), i);
    }
    const metric = (i: number, ts: number, v: number, named: boolean): Metric => ({ name: named ? `M${i}` : null, alias: i, datatype: 'Double', ts, num: v, text: null, historical: false, isNull: false, unit: 'kW', quality: null });
    const payload = (metrics: Metric[]): Payload => ({ timestamp: Date.now(), seq: 0, metrics });
    const topic = (type: 'NBIRTH' | 'DBIRTH' | 'DDATA', device = '') => ({ group: 'Bench', type, node: 'edge-1', device });

    historian.flush();
    const bytes0 = dirBytes(dataDir);
    const t0 = Date.now() - SECONDS * 1000;
    const b0 = performance.now();
    remote.take(hostId, topic('NBIRTH'), payload([]), session);
    remote.take(hostId, topic('DBIRTH', 'meter'), payload(Array.from({ length: METRICS }, (_, k) => metric(k + 1, t0, 0, true))), session);
    const birthMs = performance.now() - b0;
    const points = ctx.store.db.prepare("SELECT COUNT(*) FROM points WHERE name LIKE 'meter/M%'").pluck().get() as number;
    historian.flush();
    const written0 = historian.written;

    const perMessage: number[] = [];
    const c0 = cpuMs();
    for (let s = 1; s <= SECONDS; s++) {
      const ts = t0 + s * 1000;
      const p = payload(Array.from({ length: METRICS }, (_, k) => metric(k + 1, ts, 50 + ((k + s) % 40), false)));
      const m0 = cpuMs();
      remote.take(hostId, topic('DDATA', 'meter'), p, session);
      perMessage.push(cpuMs() - m0);
      // the historian writes on its own timer, as in the server
      if (s % 10 === 0) await new Promise((r) => setTimeout(r, 300));
    }
    const observerMs = cpuMs() - c0;
    const expected = SECONDS * METRICS;
    const w0 = cpuMs();
    for (let i = 0; i < 400 && historian.written - written0 < expected; i++) await new Promise((r) => setTimeout(r, 50));
    historian.flush();
    const totalMs = observerMs + (cpuMs() - w0);
    const written = historian.written - written0;
    const bytes = dirBytes(dataDir) - bytes0;

    const us = (msTotal: number) => ((msTotal * 1000) / expected).toFixed(2);
    process.stdout.write(`birth of ${METRICS} metrics: ${points} points created through the registry in ${birthMs.toFixed(0)} ms\n`);
    process.stdout.write(`${SECONDS} data messages x ${METRICS} values: observer (bus, alarms, live, historian queue) median ${median(perMessage).toFixed(1)} ms CPU per message = ${((median(perMessage) * 1000) / METRICS).toFixed(2)} µs per value\n`);
    process.stdout.write(`whole cost incl. the historian's writes and timers: ${us(totalMs)} µs CPU per value (${Math.round(expected / (totalMs / 1000)).toLocaleString('en-US')} values per CPU-second); historian wrote ${written} of ${expected}\n`);
    process.stdout.write(`historian storage added: ${bytes.toLocaleString('en-US')} bytes = ${(bytes / expected).toFixed(1)} bytes per value (WAL and segments as on disk now)\n`);
  } finally {
    await runtime.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
