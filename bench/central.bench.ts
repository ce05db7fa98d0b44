/**
 * Central ingest into PostgreSQL: 100 Sparkplug edges x 1,000 metrics at 1 s (100,000 values/s offered).
 * 1. The store alone: PgCentralStore.write (COPY) of one second's 100,000 values per batch on one connection and on
 *    CENTRAL_WRITERS in parallel (and with the latest values), rows/s and rows per CPU-second.
 * 2. The whole path: edges in a child process (bench/support/sparkplug-edges.mjs: sparkplug-payload + mqtt) ->
 *    mosquitto -> SparkplugHost (decode, sessions, aliases, seq) -> batched writes into PostgreSQL; offered vs
 *    stored values/s, the host's backlog each second, CPU seconds per second of this process (host + client) and
 *    of PostgreSQL's processes. A backlog that keeps growing is saturation; the figures say which side is the limit.
 * PostgreSQL runs with its durable defaults (fsync on), in a cluster the benchmark makes and removes.
 * Knobs: CENTRAL_EDGES (100), CENTRAL_METRICS (1000), CENTRAL_SECONDS (20), CENTRAL_WRITERS (4 parallel write connections).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SparkplugHost } from '../src/core/central/host';
import { PgCentralStore } from '../src/core/central/pg';
import { metricKey, type CentralSample } from '../src/core/central/storage';
import { startMosquitto } from '../test/peers/peers';
import { startPostgres } from '../test/peers/postgres';
import { freePort } from '../test/support/process';

const EDGES = Number(process.env.CENTRAL_EDGES ?? 100);
const METRICS = Number(process.env.CENTRAL_METRICS ?? 1000);
const SECONDS = Number(process.env.CENTRAL_SECONDS ?? 20);
const WRITERS = Number(process.env.CENTRAL_WRITERS ?? 4);
const here = path.dirname(fileURLToPath(import.meta.url));
const TICK = 100; // clock ticks per second of /proc/<pid>/stat (Linux default)

/** CPU seconds used so far by a process and its children, live and ended (PostgreSQL's backends are children of the postmaster). */
function treeCpu(root: number): number {
  let ticks = 0;
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const pid = Number(d);
      const ppid = Number(f[1]);
      if (pid === root || ppid === root) ticks += Number(f[11]) + Number(f[12]);
      // children that ended (a pool's backends closing) are counted in the postmaster's cutime/cstime once reaped
      if (pid === root) ticks += Number(f[13]) + Number(f[14]);
    } catch {
      // the process ended meanwhile
    }
  }
  return ticks / TICK;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor(s.length / 2)] : 0;
};
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function run(): Promise<void> {
  const db = await startPostgres({ durable: true });
  const broker = await startMosquitto(await freePort());
  const pgPid = db.child.pid!;
  try {
    process.stdout.write(`PostgreSQL (durable defaults) and mosquitto on loopback; ${EDGES} edges x ${METRICS} metrics at 1 s = ${fmt(EDGES * METRICS)} values/s offered\n`);

    // 1. the store alone: COPY on one connection, then on CENTRAL_WRITERS in parallel (without and with latest values)
    {
      const seconds = Math.min(SECONDS, 6);
      let base = Date.now() - 4 * seconds * 1000;
      const ids: number[] = [];
      for (const [writers, withLatest] of [[1, false], [WRITERS, false], [WRITERS, true]] as const) {
        const store = new PgCentralStore({ url: db.url, writers });
        await store.open();
        if (!ids.length) {
          for (let e = 0; e < EDGES; e++) {
            const site = await store.site(1, 'StoreOnly', `edge-${e}`);
            const defs = Array.from({ length: METRICS }, (_, i) => ({ device_id: 'dev', name: `m${i + 1}`, alias: i + 1, datatype: 'Double', unit: null }));
            const m = await store.defineMetrics(site, defs);
            for (const d of defs) ids.push(m.get(metricKey('dev', d.name))!);
          }
        }
        const per: number[] = [];
        const cpu0 = process.cpuUsage();
        const pg0 = treeCpu(pgPid);
        const w0 = performance.now();
        for (let s = 0; s < seconds; s++) {
          const ts = base + s * 1000;
          const samples: CentralSample[] = ids.map((id, i) => ({ metric_id: id, ts, num: s + i / 1000, text: null, historical: false }));
          const latest = withLatest ? samples.map((x) => ({ metric_id: x.metric_id, ts: x.ts, num: x.num, text: null })) : [];
          const a = performance.now();
          await store.write(samples, latest);
          per.push(samples.length / ((performance.now() - a) / 1000));
        }
        base += seconds * 1000;
        const wall = (performance.now() - w0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        const pgCpu = treeCpu(pgPid) - pg0;
        const clientCpu = (cpu.user + cpu.system) / 1e6;
        process.stdout.write(
          `store alone (COPY, ${writers} connection${writers > 1 ? 's' : ''}), ${withLatest ? 'history + every latest value' : 'history only'}: ${fmt(median(per))} rows/s median over ${seconds} batches of ${fmt(ids.length)}; ` +
            `CPU s per wall s: client ${(clientCpu / wall).toFixed(2)}, PostgreSQL ${(pgCpu / wall).toFixed(2)}; ` +
            `${fmt((ids.length * seconds) / Math.max(0.01, pgCpu))} rows per PostgreSQL CPU-second, ${fmt((ids.length * seconds) / Math.max(0.01, clientCpu))} per client CPU-second; COPY straight ${store.copies.direct}, staged ${store.copies.staged}\n`,
        );
        await store.close();
      }
    }

    // 2. the whole path through the broker and the host
    {
      const store = new PgCentralStore({ url: db.url, writers: WRITERS });
      const host = new SparkplugHost(
        { id: 2, name: 'bench', broker_url: `mqtt://127.0.0.1:${broker.port}`, host_id: 'bench-central', group_ids: 'Bench', username: null, password: null, tls_ca: null, tls_cert: null, tls_key: null, tls_verify: 1 },
        store,
        (line) => {
          if (!/seq|rebirth/i.test(line)) process.stdout.write(`  host: ${line}\n`);
        },
      );
      await store.open();
      await host.start();
      await new Promise((r) => setTimeout(r, 1000)); // subscribed
      const child = spawn(process.execPath, [path.join(here, 'support', 'sparkplug-edges.mjs'), `mqtt://127.0.0.1:${broker.port}`, String(EDGES), String(METRICS), String(SECONDS), 'Bench'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      const lines: string[] = [];
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const parts = out.split('\n');
        out = parts.pop()!;
        lines.push(...parts);
      });
      const until = async (ok: () => boolean, ms: number) => {
        const t = Date.now();
        while (!ok() && Date.now() - t < ms) await new Promise((r) => setTimeout(r, 50));
        return ok();
      };
      if (!(await until(() => lines.includes('READY'), 120_000))) throw new Error('the edges did not get ready');
      // births written: the catalog of every edge is in
      await until(() => host.written >= EDGES * METRICS, 120_000);
      const birthRows = host.written;
      child.stdin.write('GO\n');
      const cpu0 = process.cpuUsage();
      const pg0 = treeCpu(pgPid);
      const t0 = performance.now();
      const backlog: number[] = [];
      const batches: number[] = [];
      while (!lines.some((l) => l.startsWith('DONE'))) {
        await new Promise((r) => setTimeout(r, 1000));
        const st = host.status();
        backlog.push(st.pending_samples);
        batches.push(st.batch_rows);
        if (performance.now() - t0 > (SECONDS + 120) * 1000) break;
      }
      const sentLine = lines.find((l) => l.startsWith('DONE')) ?? '';
      const sent = Number(/sent=(\d+)/.exec(sentLine)?.[1] ?? NaN);
      const offeredWall = (performance.now() - t0) / 1000;
      // drain: until everything sent is stored, or nothing more is stored for 60 s (then the rest was lost on the way)
      const drainT = performance.now();
      let progress = performance.now();
      let prev = host.written;
      while (host.written - birthRows < sent && performance.now() - progress < 60_000 && performance.now() - drainT < 300_000) {
        await new Promise((r) => setTimeout(r, 250));
        if (host.written !== prev) {
          prev = host.written;
          progress = performance.now();
        }
      }
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const pgCpu = treeCpu(pgPid) - pg0;
      const got = host.written - birthRows;
      const lateLines = lines.filter((l) => l.startsWith('SECOND')).map((l) => Number(/late_ms=(\d+)/.exec(l)?.[1] ?? 0));
      process.stdout.write(
        `whole path: offered ${fmt(sent / SECONDS)} values/s for ${SECONDS} s (${fmt(sent)} values; publisher late by ${median(lateLines)} ms median); ` +
          `stored ${fmt(got)} (${((got / sent) * 100).toFixed(1)} %) in ${wall.toFixed(1)} s (drain after the last publish ${((performance.now() - drainT) / 1000).toFixed(1)} s)\n` +
          `  host backlog (received, not yet committed) sampled each second while offered: median ${fmt(median(backlog))}, max ${fmt(Math.max(...backlog))} values; ` +
          `write step (sized by time) median ${fmt(median(batches))} rows on ${WRITERS} connections; COPY straight ${store.copies.direct}, staged ${store.copies.staged}\n` +
          `  CPU s per wall s during the run: host process ${((cpu.user + cpu.system) / 1e6 / wall).toFixed(2)}, PostgreSQL ${(pgCpu / wall).toFixed(2)}; end-to-end ingest ${fmt(got / wall)} values/s; ` +
          `${fmt(got / Math.max(0.01, (cpu.user + cpu.system) / 1e6))} values per host CPU-second, ${fmt(got / Math.max(0.01, pgCpu))} per PostgreSQL CPU-second\n` +
          `  (offered window ${offeredWall.toFixed(1)} s; machine: ${(await import('node:os')).cpus().length} cores, load ${(await import('node:os')).loadavg()[0].toFixed(1)})\n`,
      );
      child.kill('SIGKILL');
      await host.stop();
      await store.close();
    }
  } finally {
    await broker.stop();
    await db.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  run().then(
    () => process.exit(0),
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
}
