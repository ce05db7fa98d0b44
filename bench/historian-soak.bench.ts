/**
 * Historian soak: 10,000 trended points (HISTORIAN_SOAK_POINTS) published on the value bus of a real runtime once a
 * second, in real time, for HISTORIAN_SOAK_MIN minutes (3 by default; the issue's figure is 15). Prints, per minute:
 * CPU of the process (% of one core), bytes written (/proc/self/io write_bytes: what reached the page cache as
 * dirty file pages, and wchar: what went through write()), their ratio to the data (24 bytes a value), RSS and the
 * event loop's delay (p99, max) and what held it longer than 20 ms (bench/support/long-tasks.ts: the longest holds,
 * each split into running, waiting for a core and blocked, with the GC pauses and the sections it overlapped: the
 * historian's transactions, each value bus listener). The values come as data sources deliver them: a scan of
 * HISTORIAN_SOAK_BATCH values (10,000) at a time, the scans spread over the second. HISTORIAN_SOAK_POINTS=50000 is
 * the 50k figure. Steady state is what counts: the first minute still grows the files. At the end: memory
 * per point (RSS, JS heap and buffers against the empty runtime); HISTORIAN_SOAK_SNAPSHOT=file writes a heap
 * snapshot (`npx tsx bench/heap-summary.ts file` sums it by constructor).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import type { Historian } from '../src/core/historian/feature';
import type { Checkpointer } from '../src/core/store/checkpointer';
import { createRuntime } from '../src/core/runtime';
import type { ValueListener } from '../src/core/values/bus';
import { LongTasks } from './support/long-tasks';
import { QUALITY_INDEX, ValueBatchBuilder } from '../src/core/values/batch';

const GOOD = QUALITY_INDEX.get('good')!;

const POINTS = Number(process.env.HISTORIAN_SOAK_POINTS ?? 10_000);
const MINUTES = Number(process.env.HISTORIAN_SOAK_MIN ?? 3);
/** values a data source delivers at once (its scan) */
const BATCH = Number(process.env.HISTORIAN_SOAK_BATCH ?? 10_000);
/** bytes of data in one value (point id, time and value as a row of the old table kept them, about) */
const VALUE_BYTES = 24;

function io(): { write: number; wchar: number } {
  try {
    const text = fs.readFileSync('/proc/self/io', 'utf8');
    return { write: Number(/^write_bytes: (\d+)/m.exec(text)?.[1] ?? 0), wchar: Number(/^wchar: (\d+)/m.exec(text)?.[1] ?? 0) };
  } catch {
    return { write: 0, wchar: 0 };
  }
}
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-soak-'));
  const runtime = createRuntime({ dataDir: dir, port: 0, seed: 'empty', adminPassword: 'Bench-Soak-1', log: () => undefined });
  await runtime.start();
  try {
    const ctx = runtime.context!;
    const base = process.memoryUsage();
    const db = ctx.store.db;
    const ids: number[] = [];
    ctx.store.tx(() => {
      const gw = db.prepare("INSERT INTO gateways (uuid, name) VALUES ('soak-gw', 'Soak')").run().lastInsertRowid;
      const ds = db.prepare("INSERT INTO data_sources (uuid, name, gateway_id, protocol, connection, status) VALUES ('soak-ds', 'Soak', ?, 'manual', '{}', 'online')").run(gw).lastInsertRowid;
      const ins = db.prepare("INSERT INTO points (name, data_source_id, object_type, units, ratio, offset_constant, is_trend, is_virtual, address) VALUES (?, ?, 'ANALOG_VALUE', 'kW', 1, 0, 1, 0, '{}')");
      for (let i = 0; i < POINTS; i++) ids.push(Number(ins.run(`S${i}`, ds).lastInsertRowid));
    });
    const historian = ctx.services.get('historian') as Historian;
    historian.refreshTrended();
    // the historian's transactions: how many, and the longest (it holds the event loop while it runs)
    let txs = 0;
    let longest = 0;
    const tasks = new LongTasks(20);
    const write = tasks.wrap('historian transaction', historian.storage.write.bind(historian.storage));
    historian.storage.write = (samples, latest) => {
      const w0 = performance.now();
      write(samples, latest);
      txs++;
      longest = Math.max(longest, performance.now() - w0);
    };
    // every listener of the value bus timed by name (historian take, live stream, alarms, ...)
    const bus = ctx.values as unknown as { listeners: ValueListener[] };
    bus.listeners = bus.listeners.map((l, i) => tasks.wrap(`bus listener ${l.name || i}`, l));
    process.stdout.write(`${POINTS.toLocaleString('en-US')} trended points at 1 s for ${MINUTES} min; data ${mb(POINTS * 60 * VALUE_BYTES)} a minute\n`);
    // one timer per data source's scan of BATCH points, their phases spread over the second
    const timers: NodeJS.Timeout[] = [];
    const sources = Math.ceil(POINTS / BATCH);
    for (let d = 0; d < sources; d++) {
      const mine = ids.slice(d * BATCH, (d + 1) * BATCH);
      let scan = 0;
      const publish = tasks.wrap('scan published (bench)', () => {
        const ts = Date.now();
        // a float32 register reading, as most meters give (a 4-byte value), packed as acquisition's scan packs it
        const batch = new ValueBatchBuilder(mine.length);
        for (let k = 0; k < mine.length; k++) batch.pushNumber(mine[k], Math.fround(50 + 10 * Math.sin(scan / 7 + k)), GOOD, ts);
        scan++;
        ctx.values.publish(batch.finish());
      });
      timers.push(setTimeout(() => timers.push(setInterval(publish, 1000)), (d * 1000) / sources));
    }
    // WAL checkpoints run in a worker thread (store/checkpointer.ts): how many, and how long they took there
    const checkpointer = ctx.services.get('checkpointer') as Checkpointer | undefined;
    let cps = checkpointer?.stats().count ?? 0;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    tasks.start();
    const rows: string[] = [];
    let io0 = io();
    let cpu0 = process.cpuUsage();
    let t0 = performance.now();
    for (let m = 1; m <= MINUTES; m++) {
      await new Promise((r) => setTimeout(r, 60_000));
      const io1 = io();
      const cpu = process.cpuUsage(cpu0);
      const wall = (performance.now() - t0) / 1000;
      const data = (POINTS * wall * VALUE_BYTES);
      const line =
        `minute ${m}: CPU ${(((cpu.user + cpu.system) / 1e6 / wall) * 100).toFixed(1)} %, ` +
        `write_bytes ${mb(((io1.write - io0.write) / wall) * 60)}/min (${((io1.write - io0.write) / data).toFixed(1)}x data), ` +
        `wchar ${mb(((io1.wchar - io0.wchar) / wall) * 60)}/min (${((io1.wchar - io0.wchar) / data).toFixed(1)}x), ` +
        `RSS ${mb(process.memoryUsage().rss)}, loop delay max ${(loop.max / 1e6).toFixed(0)} ms p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms, ` +
        `${txs} historian transactions, longest ${longest.toFixed(0)} ms` +
        (checkpointer ? `; checkpoints in the worker ${checkpointer.stats().count - cps}, longest so far ${checkpointer.stats().longestMs.toFixed(0)} ms, WAL ${checkpointer.stats().lastLog} pages at the last` : '');
      const held = tasks.report(3);
      const line2 =
        `  event loop held > 20 ms ${held.count} times, of which the thread ran > 20 ms in ${held.ranOver} (at most ${held.longestRan.toFixed(0)} ms)` +
        held.lines.map((l) => `\n    ${l}`).join('') +
        `\n  sections: ${tasks.sectionReport()}`;
      cps = checkpointer?.stats().count ?? 0;
      txs = 0;
      longest = 0;
      rows.push(line);
      process.stdout.write(`${line}, load ${os.loadavg()[0].toFixed(1)}\n${line2}\n`);
      loop.reset();
      io0 = io1;
      cpu0 = process.cpuUsage();
      t0 = performance.now();
    }
    for (const t of timers) clearTimeout(t);
    tasks.stop();
    const m = process.memoryUsage();
    process.stdout.write(
      `memory: RSS ${mb(m.rss)} (empty runtime ${mb(base.rss)}: ${Math.round((m.rss - base.rss) / POINTS).toLocaleString('en-US')} bytes per point), ` +
        `JS heap ${mb(m.heapUsed)} (${Math.round((m.heapUsed - base.heapUsed) / POINTS).toLocaleString('en-US')} bytes per point), ` +
        `buffers ${mb(m.arrayBuffers)} (${Math.round((m.arrayBuffers - base.arrayBuffers) / POINTS).toLocaleString('en-US')} bytes per point)\n`,
    );
    if (process.env.HISTORIAN_SOAK_SNAPSHOT) process.stdout.write(`heap snapshot: ${v8.writeHeapSnapshot(process.env.HISTORIAN_SOAK_SNAPSHOT)}\n`);
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('switchyard.db'));
    process.stdout.write(`store files: ${files.map((f) => `${f} ${mb(fs.statSync(path.join(dir, f)).size)}`).join(', ')}\n`);
  } finally {
    await runtime.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
