/**
 * Historian: 10,000 and 50,000 trended points sampled every second.
 * 1. (HISTORIAN_SCHEMA=1 only, it is slow) The schema choice: the same load into `samples` as a WITHOUT ROWID table keyed (point_id, ts) and as a
 *    rowid table with a (point_id, ts) index; rows per second, file size, a one-hour trend read.
 * 2. The real path: the Historian's write-behind queue fed by the value bus of a real runtime, 10,000 and 50,000
 *    values per simulated one-second scan; values/s (wall and per CPU-second), how long the event loop is held
 *    (monitorEventLoopDelay), bytes written per minute (/proc/self/io); a day's trend of one point (raw and
 *    downsampled to 1000) and a purge.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import type { RuntimeContext } from '../src/core/feature';
import type { Historian } from '../src/core/historian/feature';
import { Downsampler } from '../src/core/historian/storage';
import { createRuntime } from '../src/core/runtime';
import type { PointValue } from '../src/core/values/bus';
import { ValueBatch } from '../src/core/values/batch';

const POINTS = 10_000;
const SCANS = 120;
/** values per simulated second through the runtime path */
const RATES = [10_000, 50_000];
/** bytes of data in one value (point id, time and value as SQLite keeps them, about) */
const VALUE_BYTES = 24;

/** bytes this process has written through write() (what SQLite hands the kernel), from /proc/self/io */
function writtenBytes(): number {
  try {
    const io = fs.readFileSync('/proc/self/io', 'utf8');
    return Number(/^wchar: (\d+)/m.exec(io)?.[1] ?? 0);
  } catch {
    return 0;
  }
}
/** values a data source publishes at once (a device's scan): the bench publishes a second's values in such batches */
const DEVICE_BATCH = 1000;

/**
 * The real path at `ids.length` values per simulated second: publish a scan on the value bus, let the historian's
 * timer flush (slices with a turn for the event loop) write it, next scan. Prints values/s, how long the event loop
 * was held (the historian's transactions, and the loop delay over everything, the bus's other listeners included)
 * and what was written per minute at that rate.
 */
async function runtimePath(ctx: RuntimeContext, historian: Historian, ids: number[], scans: number): Promise<void> {
  // clear of the trend day below, and an hour apart per rate (10k: 1 h, 50k: 5 h), so no run rewrites another's samples
  const start = Date.now() - 86_400_000 * 2 + (ids.length / 10_000) * 3_600_000;
  const drain = () => (historian as unknown as { drain(): Promise<void> }).drain();
  const writeMs: number[] = [];
  const storageWrite = historian.storage.write.bind(historian.storage);
  historian.storage.write = (samples, latest) => {
    const w0 = performance.now();
    storageWrite(samples, latest);
    writeMs.push(performance.now() - w0);
  };
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  const publishMs: number[] = [];
  const io0 = writtenBytes();
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  loopDelay.enable();
  try {
    for (let s = 0; s < scans; s++) {
      const ts = start + s * 1000;
      const batch: PointValue[] = ids.map((id, k) => ({ point_id: id, value: Math.fround(50 + 10 * Math.sin(s / 7 + k)), quality: 'good', ts }));
      for (let b = 0; b < batch.length; b += DEVICE_BATCH) {
        const p0 = performance.now();
        ctx.values.publish(ValueBatch.of(batch.slice(b, b + DEVICE_BATCH)));
        publishMs.push(performance.now() - p0);
        await new Promise((r) => setImmediate(r));
      }
      await drain();
    }
  } finally {
    loopDelay.disable();
    historian.storage.write = storageWrite;
  }
  const wall = (performance.now() - wall0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const bytes = writtenBytes() - io0;
  const values = ids.length * scans;
  process.stdout.write(
    `runtime path at ${fmt(ids.length)} values/scan, ${scans} scans: ${fmt(values / wall)} values/s through the bus into SQLite; ` +
      `CPU ${((cpu.user + cpu.system) / 1000 / scans).toFixed(0)} ms per scan = ${fmt(values / ((cpu.user + cpu.system) / 1e6))} values per CPU-second (wall time suffers on a shared machine)\n` +
      `  historian transactions: ${writeMs.length}, hold the loop p50 ${pct(writeMs, 50).toFixed(1)} ms, p99 ${pct(writeMs, 99).toFixed(1)} ms, max ${Math.max(...writeMs).toFixed(1)} ms; ` +
      `publish of a device's 1,000 values to all bus listeners p50 ${pct(publishMs, 50).toFixed(1)} ms; event loop delay p99 ${(loopDelay.percentile(99) / 1e6).toFixed(1)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms\n` +
      `  written ${mb((bytes / scans) * 60)} per minute at one scan a second (${(bytes / (values * VALUE_BYTES)).toFixed(1)}x the ${mb(values * VALUE_BYTES / scans * 60)} of data)\n`,
  );
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

function dbSize(file: string): number {
  return [file, `${file}-wal`].reduce((n, f) => n + (fs.existsSync(f) ? fs.statSync(f).size : 0), 0);
}

function schemaVariant(dir: string, name: string, ddl: string): void {
  const file = path.join(dir, `${name}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.exec(ddl);
  const insert = db.prepare('INSERT OR REPLACE INTO samples (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, NULL, 0)');
  const batch = db.transaction((scan: number) => {
    const ts = 1_700_000_000_000 + scan * 1000;
    for (let p = 1; p <= POINTS; p++) insert.run(p, ts, Math.sin(scan / 10 + p));
  });
  const t0 = performance.now();
  for (let s = 0; s < SCANS; s++) batch(s);
  const seconds = (performance.now() - t0) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const r0 = performance.now();
  const rows = db.prepare('SELECT ts, value FROM samples WHERE point_id = ? AND ts >= ? AND ts <= ? ORDER BY ts').all(4321, 0, Number.MAX_SAFE_INTEGER).length;
  const readMs = performance.now() - r0;
  process.stdout.write(
    `schema ${name.padEnd(13)} ${fmt((POINTS * SCANS) / seconds)} rows/s, ${mb(dbSize(file))} for ${fmt(POINTS * SCANS)} rows, one point's ${rows} samples read in ${readMs.toFixed(2)} ms\n`,
  );
  db.close();
}

export async function run(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-historian-'));
  try {
    if (process.env.HISTORIAN_SCHEMA) schemaVariant(
      dir,
      'without-rowid',
      'CREATE TABLE samples (point_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, text_value TEXT, quality INTEGER NOT NULL, PRIMARY KEY (point_id, ts)) WITHOUT ROWID',
    );
    if (process.env.HISTORIAN_SCHEMA) schemaVariant(
      dir,
      'rowid+index',
      'CREATE TABLE samples (point_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, text_value TEXT, quality INTEGER NOT NULL); CREATE UNIQUE INDEX samples_point_ts ON samples (point_id, ts)',
    );

    const dataDir = path.join(dir, 'runtime');
    const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: 'Bench-Historian-1', log: () => undefined });
    await runtime.start();
    try {
      const ctx = runtime.context!;
      const db = ctx.store.db;
      const ids: number[] = [];
      ctx.store.tx(() => {
        const gw = db.prepare("INSERT INTO gateways (uuid, name) VALUES ('bench-gw', 'Bench')").run().lastInsertRowid;
        const ds = db.prepare("INSERT INTO data_sources (uuid, name, gateway_id, protocol, connection, status) VALUES ('bench-ds', 'Bench', ?, 'manual', '{}', 'online')").run(gw).lastInsertRowid;
        const ins = db.prepare("INSERT INTO points (name, data_source_id, object_type, units, ratio, offset_constant, is_trend, is_virtual, address) VALUES (?, ?, 'ANALOG_VALUE', 'kW', 1, 0, 1, 0, '{}')");
        for (let i = 0; i < Math.max(...RATES); i++) ids.push(Number(ins.run(`P${i}`, ds).lastInsertRowid));
      });
      const historian = ctx.services.get('historian') as Historian;
      historian.refreshTrended();

      // simulated seconds at 10k values each (HISTORIAN_SCANS); at least two minutes, so that segments are stored
      const SCANS = Number(process.env.HISTORIAN_SCANS ?? 150);
      for (const rate of RATES) await runtimePath(ctx, historian, ids.slice(0, rate), rate === RATES[0] ? SCANS : Math.max(60, Math.round((SCANS * RATES[0]) / rate)));
      const start = Date.now() - SCANS * 1000;

      // one point with a day of 1 s samples: the trend endpoint's work, raw and downsampled
      const pointId = ids[4321];
      const dayStart = start - 86_400_000;
      for (let k = 0; k < 86_400; k += 3600) {
        ctx.values.publish(ValueBatch.of(Array.from({ length: 3600 }, (_, j) => ({ point_id: pointId, value: Math.sin((k + j) / 600) * 100, quality: 'good' as const, ts: dayStart + (k + j) * 1000 }))));
        historian.flush();
      }
      let t = performance.now();
      let n = 0;
      for (const _ of historian.storage.scan(pointId, dayStart, start - 1)) n++;
      const rawMs = performance.now() - t;
      t = performance.now();
      const b = historian.storage.bounds(pointId, dayStart, start - 1)!;
      const d = new Downsampler(b.first, b.last, 1000);
      for (const s of historian.storage.scan(pointId, dayStart, start - 1)) d.add(s);
      const down = d.result().samples.length;
      const downMs = performance.now() - t;
      process.stdout.write(`trend of one point over a day: ${fmt(n)} raw samples read in ${rawMs.toFixed(0)} ms; downsampled to ${down} (maxpoints=1000) in ${downMs.toFixed(0)} ms\n`);
      process.stdout.write(`store file after the runs above: ${mb(dbSize(ctx.store.file))}\n`);

      t = performance.now();
      let purged = 0;
      let longestStep = 0;
      let s0 = performance.now();
      for (const n of historian.storage.purge(start + (SCANS / 2) * 1000)) {
        purged += n;
        longestStep = Math.max(longestStep, performance.now() - s0);
        s0 = performance.now();
      }
      process.stdout.write(`purge of half the history: ${fmt(purged)} samples in ${(performance.now() - t).toFixed(0)} ms, longest step ${longestStep.toFixed(1)} ms\n`);
      process.stdout.write(`RSS ${mb(process.memoryUsage().rss)}\n`);
    } finally {
      await runtime.stop();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
