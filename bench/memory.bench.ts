/**
 * Memory and event loop of the product as shipped: the built server (`npm run serve`, out/main/cli.js, in a child
 * process with bench/support/probe.mjs loaded by `--import`) polling MEMORY_POINTS (10,000) Modbus float32 points
 * at 1 s from MEMORY_PEERS (4) pymodbus peers (the planner reads them in blocks of 124 registers), every point
 * trended, for MEMORY_SEC seconds (120) after the import. Prints the process's RSS, JS heap, external memory and
 * array buffers of the empty server and at steady state (medians of the last half of the run), the bytes per
 * point, the CPU, the event loop delay (p99, max) and the scans that arrived late. MEMORY_SNAPSHOT=1 writes a heap
 * snapshot at the end and sums it by constructor (bench/heap-summary.ts); MEMORY_NODE_FLAGS passes node options to it,
 * MEMORY_OUTPUT=file keeps its output (e.g. with --trace-gc).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSourceDiagnostics } from '../src/core/acquisition/contracts';
import { startPymodbus, type Peer } from '../test/peers/peers';
import { freePort, login, serve, SERVE_COMMAND, type Served } from '../test/support/process';
import { summarize } from './heap-summary';
import { holdProfile } from './support/hold-profile';

const POINTS = Number(process.env.MEMORY_POINTS ?? 10_000);
const PEERS = Number(process.env.MEMORY_PEERS ?? 4);
const SECONDS = Number(process.env.MEMORY_SEC ?? 120);
const PROBE = path.join(path.dirname(new URL(import.meta.url).pathname), 'support', 'probe.mjs');

interface Probe {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  cpu: number;
  loop: { p50: number; p99: number; max: number };
  holds: { n: number; ranOver: number; worst: { wall: number; ran: number; waited: number; blocked: number; gc: number } | null };
}
interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: ProfileNode[];
}
/** a sampling heap profile summed by function (self size), largest first */
function allocationSummary(file: string, top: number): string[] {
  const root = (JSON.parse(fs.readFileSync(file, 'utf8')) as { head: ProfileNode }).head;
  const sums = new Map<string, number>();
  let total = 0;
  const walk = (n: ProfileNode) => {
    const f = n.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*node_modules\//, '').replace(/^.*\/out\//, 'out/')}:${f.lineNumber + 1}`;
    sums.set(key, (sums.get(key) ?? 0) + n.selfSize);
    total += n.selfSize;
    for (const c of n.children) walk(c);
  };
  walk(root);
  return [`total ${mb(total)}`, ...[...sums].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]) => `${mb(v).padStart(9)} ${((v / total) * 100).toFixed(1).padStart(5)} % ${k}`)];
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;

/** the holds of the event loop over 20 ms in some probes: how many, in how many the main thread ran over 20 ms, the worst split */
function holdLine(label: string, steady: Probe[]): string {
  const n = steady.reduce((s, p) => s + p.holds.n, 0);
  const ranOver = steady.reduce((s, p) => s + p.holds.ranOver, 0);
  const worst = steady.map((p) => p.holds.worst).reduce<Probe['holds']['worst']>((w, h) => (h && (!w || h.wall > w.wall) ? h : w), null);
  const split = worst ? `; the longest ${worst.wall} ms: ran ${worst.ran}, waited for a core ${worst.waited}, blocked ${worst.blocked}, in GC ${worst.gc}` : '';
  return `  event loop held > 20 ms ${label}: ${n} times in ${steady.length * 5} s, the main thread itself ran > 20 ms in ${ranOver}${split}`;
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-memory-'));
  const peers: Peer[] = [];
  let server: Served | null = null;
  const per = Math.ceil(POINTS / PEERS);
  const profDir = path.join(dir, 'cpu-profile');
  try {
    for (let i = 0; i < PEERS; i++) peers.push(await startPymodbus({ port: await freePort(), slaves: { '1': {} }, sequential_hr: per * 2 }));
    // MEMORY_NODE_FLAGS: node/V8 options for the served process, to compare (e.g. --max-semi-space-size=4)
    const flags = (process.env.MEMORY_NODE_FLAGS ?? '').split(' ').filter(Boolean);
    // MEMORY_CPU_PROFILE=1: a CPU profile of the served process; at the end, what ran in each hold over 20 ms
    if (process.env.MEMORY_CPU_PROFILE) flags.push('--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=250');
    server = await serve(['--port', '0', '--data-dir', path.join(dir, 'data'), '--empty'], { SWITCHYARD_ADMIN_PASSWORD: 'Bench-Memory-1', PROBE_EVERY_MS: '5000', PROBE_SNAPSHOT_DIR: dir, ...(process.env.MEMORY_ALLOC ? { PROBE_ALLOC: '1' } : {}), ...(process.env.MEMORY_CPU_PROFILE ? { PROBE_HOLDS: '1' } : {}) }, undefined, [
      ...flags,
      '--import',
      PROBE,
      ...SERVE_COMMAND,
    ]);
    const s = server;
    let seen = 0;
    const probes = (): Probe[] =>
      s
        .output()
        .split('\n')
        .filter((l) => l.startsWith('PROBE {'))
        .map((l) => JSON.parse(l.slice(6)) as Probe);
    const nextProbes = async (n: number) => {
      const want = seen + n;
      while (probes().length < want) await sleep(200);
      const all = probes();
      const got = all.slice(seen, want);
      seen = all.length;
      return got;
    };
    const { headers } = await login(s.url, 'administrator', 'Bench-Memory-1');
    const api = async <T>(method: string, p: string, body: unknown, type = 'application/json'): Promise<T> => {
      // a GET carries no body (fetch refuses one)
      const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify({ data: body });
      const r = await fetch(`${s.url}/api${p}`, { method, headers: payload === undefined ? headers : { ...headers, 'Content-Type': type }, body: payload });
      const text = await r.text();
      if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${text}`);
      return JSON.parse(text) as T;
    };
    // the empty server, settled
    await nextProbes(3);
    const empty = (await nextProbes(2)).at(-1)!;
    const gw = await api<{ id: number }>('POST', '/gateways', { name: 'Bench' });
    const t0 = performance.now();
    const sources: number[] = [];
    for (const [i, peer] of peers.entries()) {
      const ds = await api<{ id: number }>('POST', '/datasources', {
        name: `Meters ${i}`,
        gateway_id: gw.id,
        protocol: 'modbus-tcp',
        connection: JSON.stringify({ host: '127.0.0.1', port: peer.port, interval_in_seconds: 1, timeout_ms: 3000 }),
      });
      sources.push(ds.id);
      const n = Math.min(per, POINTS - i * per);
      const lines = ['name,object_type,units,is_trend,address.slave_id,address.function_code,address.offset,address.format'];
      for (let k = 0; k < n; k++) lines.push(`M${i}-${k},ANALOG_VALUE,kW,true,1,3,${k * 2},>f`);
      await api('POST', `/datasources/${ds.id}/pointlist`, lines.join('\r\n'), 'text/csv');
    }
    process.stdout.write(`${POINTS.toLocaleString('en-US')} trended Modbus float32 points at 1 s from ${PEERS} pymodbus peers, served bundle; imported in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    seen = probes().length;
    const run = await nextProbes(Math.max(4, Math.round(SECONDS / 5)));
    const steady = run.slice(Math.floor(run.length / 2));
    const pick = (k: keyof Omit<Probe, 'loop' | 'cpu' | 'holds'>) => median(steady.map((p) => p[k]));
    const row = (name: string, k: keyof Omit<Probe, 'loop' | 'cpu' | 'holds'>) =>
      `  ${name.padEnd(13)} empty ${mb(empty[k]).padStart(9)}   ${POINTS / 1000}k points ${mb(pick(k)).padStart(9)}   ${Math.round((pick(k) - empty[k]) / POINTS)
        .toLocaleString('en-US')
        .padStart(6)} bytes per point`;
    process.stdout.write(
      [
        row('RSS', 'rss'),
        row('JS heap used', 'heapUsed'),
        row('JS heap total', 'heapTotal'),
        row('external', 'external'),
        row('arrayBuffers', 'arrayBuffers'),
        `  CPU ${(median(steady.map((p) => p.cpu)) * 100).toFixed(1)} % of a core (median of ${steady.length} x 5 s)`,
        `  event loop delay per 5 s: p99 median ${median(steady.map((p) => p.loop.p99))} ms (${Math.min(...steady.map((p) => p.loop.p99))}-${Math.max(...steady.map((p) => p.loop.p99))}), max median ${median(steady.map((p) => p.loop.max))} ms (${Math.min(...steady.map((p) => p.loop.max))}-${Math.max(...steady.map((p) => p.loop.max))})`,
        holdLine('in the steady half', steady),
        holdLine('from the import (the first scans, warm-up)', run.slice(0, Math.floor(run.length / 2))),
        `  RSS per 5 s over the run: ${run.map((p) => Math.round(p.rss / 1024 / 1024)).join(' ')} MB`,
      ].join('\n') + '\n',
    );
    const diag = await Promise.all(sources.map((id) => api<DataSourceDiagnostics>('GET', `/datasources/${id}/diagnostics`, undefined)));
    process.stdout.write(`  requests per scan ${diag.map((d) => d.requests_per_scan).join(', ')}; scan ms ${diag.map((d) => d.scan_duration_ms).join(', ')}\n`);
    if (process.env.MEMORY_ALLOC) {
      s.child.kill('SIGUSR2');
      let file: string | undefined;
      for (let i = 0; i < 600 && !file; i++) {
        await sleep(500);
        file = /PROBE_PROFILE (\S+)/.exec(s.output())?.[1];
      }
      if (file) {
        process.stdout.write(`allocations (sampled, collected objects included) by function, from the start:\n`);
        for (const line of allocationSummary(file, 30)) process.stdout.write(`  ${line}\n`);
      }
    }
    if (process.env.MEMORY_SNAPSHOT) {
      s.child.kill('SIGUSR2');
      let file: string | undefined;
      for (let i = 0; i < 600 && !file; i++) {
        await sleep(500);
        file = /PROBE_SNAPSHOT (\S+)/.exec(s.output())?.[1];
      }
      if (file) {
        process.stdout.write(`heap snapshot ${file} (${mb(fs.statSync(file).size)}), by constructor:\n`);
        for (const line of summarize(file, 30)) process.stdout.write(`  ${line}\n`);
        if (process.env.MEMORY_SNAPSHOT !== '1') fs.copyFileSync(file, process.env.MEMORY_SNAPSHOT);
      }
    }
  } finally {
    if (process.env.MEMORY_OUTPUT && server) fs.writeFileSync(process.env.MEMORY_OUTPUT, server.output());
    await server?.stop('SIGTERM');
    if (process.env.MEMORY_CPU_PROFILE && server) for (const line of holdProfile(profDir, server.output())) process.stdout.write(`${line}\n`);
    for (const p of peers) await p.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
