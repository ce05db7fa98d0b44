/**
 * Live stream: value bus -> WebSocket client latency through a real socket on loopback (client in this process).
 * 1. Quiet: one point changing every 250 ms (longer than the batch window): the path's own latency.
 * 2. Load: 10,000 points changing once per simulated 1 s scan, 5 clients each subscribed to all of them:
 *    latency of every value (includes the up-to-100 ms batch window by design), messages and bytes per
 *    client, process CPU per scan and RSS.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { createRuntime } from '../src/core/runtime';
import type { PointValue } from '../src/core/values/bus';
import { ValueBatch } from '../src/core/values/batch';

const POINTS = 10_000;
const CLIENTS = 5;
const SCANS = 20;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

interface BenchClient {
  ws: WebSocket;
  messages: number;
  bytes: number;
  onValues: (values: { point_id: number; value: number }[]) => void;
}

async function connect(url: string, headers: Record<string, string>): Promise<BenchClient> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/live`, { headers });
  const c: BenchClient = { ws, messages: 0, bytes: 0, onValues: () => undefined };
  await new Promise<void>((resolve, reject) => {
    ws.on('message', (d) => {
      const text = String(d);
      const msg = JSON.parse(text) as { type: string; values?: { point_id: number; value: number }[] };
      if (msg.type === 'ready') resolve();
      if (msg.type === 'values') {
        c.messages++;
        c.bytes += text.length;
        c.onValues(msg.values!);
      }
    });
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed ${code}`)));
  });
  return c;
}

export async function run(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-live-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: 'Bench-Live-1', log: () => undefined });
  const { url } = await runtime.start();
  const clients: BenchClient[] = [];
  try {
    const ctx = runtime.context!;
    const login = await fetch(`${url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name: 'administrator', password: 'Bench-Live-1' } }) });
    const s = (await login.json()) as { user_uuid: string; token: string };
    const headers = { 'User-UUID': s.user_uuid, Token: s.token };

    // 1. quiet: one point, a change every 250 ms; the value carries its publication time
    const probe = await connect(url, headers);
    clients.push(probe);
    const quiet: number[] = [];
    probe.onValues = (values) => {
      const now = performance.now();
      for (const v of values) if (v.point_id === 1 && v.value > 0) quiet.push(now - v.value);
    };
    probe.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [1] }));
    await sleep(200);
    for (let i = 0; i < 40; i++) {
      ctx.values.publish(ValueBatch.of([{ point_id: 1, value: performance.now(), quality: 'good', ts: Date.now() }]));
      await sleep(250);
    }
    process.stdout.write(`quiet (1 point, 4 changes/s): publish -> client latency p50 ${pct(quiet, 50).toFixed(2)} ms, p95 ${pct(quiet, 95).toFixed(2)} ms (${quiet.length} samples)\n`);
    probe.ws.close();
    clients.length = 0;

    // 2. load: 10,000 points per scan, CLIENTS clients subscribed to all
    const ids = Array.from({ length: POINTS }, (_, k) => k + 1);
    const publishedAt = new Map<number, number>(); // value -> publication time (values are unique per scan)
    const latency: number[] = [];
    for (let k = 0; k < CLIENTS; k++) {
      const c = await connect(url, headers);
      c.onValues = (values) => {
        const now = performance.now();
        for (const v of values) {
          const t = publishedAt.get(v.value);
          if (t !== undefined) latency.push(now - t);
        }
      };
      c.ws.send(JSON.stringify({ type: 'subscribe', point_ids: ids }));
      clients.push(c);
    }
    await sleep(500);
    for (const c of clients) c.messages = c.bytes = 0;
    const rss0 = process.memoryUsage().rss;
    const cpu0 = process.cpuUsage();
    const publishMs: number[] = [];
    for (let scan = 0; scan < SCANS; scan++) {
      const t = performance.now();
      publishedAt.set(scan + 1, t);
      const batch: PointValue[] = ids.map((id) => ({ point_id: id, value: scan + 1, quality: 'good', ts: Date.now() }));
      ctx.values.publish(ValueBatch.of(batch));
      publishMs.push(performance.now() - t);
      await sleep(1000);
    }
    const cpu = process.cpuUsage(cpu0);
    const expected = POINTS * SCANS * CLIENTS;
    process.stdout.write(
      `load (${POINTS} points per 1 s scan, ${CLIENTS} clients subscribed to all): ${latency.length}/${expected} values received, ` +
        `latency p50 ${pct(latency, 50).toFixed(1)} ms, p95 ${pct(latency, 95).toFixed(1)} ms (batch window 100 ms included)\n` +
        `per client ${(clients[0].messages / SCANS).toFixed(1)} messages/s, ${mb(clients[0].bytes / SCANS)}/s; publish (all bus listeners) p50 ${pct(publishMs, 50).toFixed(1)} ms; ` +
        `process CPU ${((cpu.user + cpu.system) / 1000 / SCANS).toFixed(0)} ms per scan (server and the ${CLIENTS} clients' parsing)\n` +
        `RSS ${mb(process.memoryUsage().rss)} (${mb(process.memoryUsage().rss - rss0)} more than before the load)\n`,
    );
  } finally {
    for (const c of clients) c.ws.terminate();
    await runtime.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
