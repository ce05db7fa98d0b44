// Loaded with `node --import` into a served product by bench/memory.bench.ts: it changes nothing in the product and
// prints, every PROBE_EVERY_MS, one line `PROBE {json}` to stderr with process.memoryUsage() (rss, heapUsed,
// heapTotal, external, arrayBuffers), the CPU used since the last line and the event loop's delay (p50/p99/max,
// perf_hooks.monitorEventLoopDelay at 5 ms resolution) since the last line, and the holds of the loop over 20 ms
// split as bench/support/long-tasks.ts splits them (holds: how many, in how many the main thread itself ran over
// 20 ms, the longest with its ran / waited for a core / blocked ms and the GC pauses in it). SIGUSR2 writes a heap snapshot into
// PROBE_SNAPSHOT_DIR and prints `PROBE_SNAPSHOT file`.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import { watchHolds } from './schedstat.mjs';

const every = Number(process.env.PROBE_EVERY_MS ?? 5000);
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const HOLD_MS = 20;
const round = (x) => Math.round(x * 10) / 10;
let holds = [];
let gcs = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcs.push([e.startTime, e.startTime + e.duration]);
}).observe({ entryTypes: ['gc'] });
// PROBE_HOLDS=1: each hold also as a line `PROBE_HOLD start end ran waited`, its times in microseconds of the
// monotonic clock V8's CPU profiles use (bench/support/hold-profile.ts finds what ran in it)
const toProfileClock = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
watchHolds(HOLD_MS, (h) => {
  holds.push(h);
  if (process.env.PROBE_HOLDS) process.stderr.write(`PROBE_HOLD ${Math.round(h.start * 1000 + toProfileClock)} ${Math.round(h.end * 1000 + toProfileClock)} ${round(h.ran)} ${round(h.waited)}\n`);
});
function holdSummary() {
  const list = holds;
  holds = [];
  let worst = null;
  for (const h of list) if (!worst || h.end - h.start > worst.end - worst.start) worst = h;
  const gcIn = (h) => gcs.reduce((sum, [a, b]) => sum + Math.max(0, Math.min(b, h.end) - Math.max(a, h.start)), 0);
  const out = {
    n: list.length,
    ranOver: list.filter((h) => h.ran > HOLD_MS).length,
    worst: worst && { wall: round(worst.end - worst.start), ran: round(worst.ran), waited: round(worst.waited), blocked: round(Math.max(0, worst.end - worst.start - worst.ran - worst.waited)), gc: round(gcIn(worst)) },
  };
  gcs = gcs.filter(([, b]) => b > performance.now() - 1000);
  return out;
}
let cpu0 = process.cpuUsage();
let t0 = performance.now();
const ms = (ns) => Math.round(ns / 1e5) / 10;
setInterval(() => {
  const m = process.memoryUsage();
  const c = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  const line = {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    cpu: (c.user + c.system) / 1000 / wall,
    loop: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
    holds: holdSummary(),
  };
  loop.reset();
  cpu0 = process.cpuUsage();
  t0 = performance.now();
  process.stderr.write(`PROBE ${JSON.stringify(line)}\n`);
}, every).unref();
// PROBE_ALLOC=1: a sampling allocation profile from the start, the objects that were collected included (what
// makes garbage, not only what stays); SIGUSR2 then writes it (PROBE_PROFILE file) instead of a heap snapshot
const session = process.env.PROBE_ALLOC ? new inspector.Session() : null;
if (session) {
  session.connect();
  session.post('HeapProfiler.enable');
  session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
process.on('SIGUSR2', () => {
  if (session) {
    session.post('HeapProfiler.stopSampling', (err, r) => {
      const file = path.join(process.env.PROBE_SNAPSHOT_DIR ?? '.', `probe-${process.pid}.heapprofile`);
      fs.writeFileSync(file, JSON.stringify(err ? { error: String(err) } : r.profile));
      process.stderr.write(`PROBE_PROFILE ${file}\n`);
    });
    return;
  }
  const file = v8.writeHeapSnapshot(path.join(process.env.PROBE_SNAPSHOT_DIR ?? '.', `probe-${process.pid}-${Date.now()}.heapsnapshot`));
  process.stderr.write(`PROBE_SNAPSHOT ${file}\n`);
});
