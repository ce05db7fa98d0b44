/**
 * Switchyard and Node-RED polling the same 10,000 holding registers of the same pymodbus peers at the same
 * interval, at the same time: Switchyard as users start it (`npm run serve`: the built out/main/cli.js in a child
 * process, one modbus-tcp data source per peer, the points imported as a point list), Node-RED 4.1 with
 * node-red-contrib-modbus (bench/nodered: one modbus-client per peer, one modbus-read per block). For each:
 * CPU % of one core (utime + stime from /proc/PID/stat), RSS median and max (sampled each second), and Modbus
 * reads completed against the reads due (dropped or late reads), over the measured minutes after a warm-up.
 */
import os from 'node:os';
import type { DataSourceDiagnostics as Diagnostics } from '../../src/core/acquisition/contracts';
import { startPymodbus, type Peer } from '../../test/peers/peers';
import { freePort } from '../../test/support/process';
import { startServer, type ApiServer } from '../../test/support/server';
import { waitFor } from '../../test/support/wait';
import { blocksOf, type PeerBlocks } from '../nodered/flow';
import { startNodeRed, type RunningNodeRed } from '../nodered/nodered';
import { installedNodeRed, noderedDir } from '../nodered/setup';
import { Sampler } from '../support/proc';

export interface SideBySideOptions {
  /** measured minutes, after the warm-up */
  minutes: number;
  warmupS: number;
  /** pymodbus peers; the registers are shared out between them */
  peers: number;
  /** points (one register each, or two with float32) */
  points: number;
  float32: boolean;
  /** Switchyard's points trended (historian on) */
  history: boolean;
  intervalS: number;
  /** Switchyard first, then Node-RED, instead of both at once (the peers then serve one client at a time) */
  apart: boolean;
  /** Node-RED's modbus-client nodes (connections) per peer; each sends its queued reads one at a time */
  noderedClients: number;
}

/** Options from the command line (`--minutes 2 --peers 4 --float32 --no-history --apart --nodered-clients 1 --warmup 15`) or the environment (ACQ_MINUTES, ...). */
export function sideBySideOptions(argv = process.argv.slice(2), env = process.env): SideBySideOptions {
  const arg = (name: string): string | undefined => {
    const i = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
    if (i < 0) return undefined;
    return argv[i].includes('=') ? argv[i].split('=')[1] : argv[i + 1];
  };
  const num = (name: string, envName: string, dflt: number) => {
    const v = Number(arg(name) ?? env[envName] ?? dflt);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
    return v;
  };
  return {
    minutes: num('minutes', 'ACQ_MINUTES', 2),
    warmupS: num('warmup', 'ACQ_WARMUP_S', 15),
    peers: Math.round(num('peers', 'ACQ_PEERS', 4)),
    points: Math.round(num('points', 'ACQ_POINTS', 10_000)),
    float32: argv.includes('--float32') || env.ACQ_FLOAT32 === '1',
    history: !(argv.includes('--no-history') || env.ACQ_HISTORY === '0'),
    intervalS: num('interval', 'ACQ_INTERVAL_S', 1),
    apart: argv.includes('--apart') || env.ACQ_APART === '1',
    noderedClients: Math.round(num('nodered-clients', 'ACQ_NODERED_CLIENTS', 1)),
  };
}

const MB = 1024 * 1024;
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
const pct = (a: number, b: number) => (b > 0 ? `${((a / b) * 100).toFixed(1)} %` : '-');
const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

async function startSwitchyard(o: SideBySideOptions, peers: Peer[], width: 1 | 2): Promise<{ server: ApiServer; sources: number[] }> {
  const server = await startServer('--empty');
  const sources: number[] = [];
  try {
    const per = o.points / o.peers;
    for (const [p, peer] of peers.entries()) {
      const ds = await server.createSource(`Peer ${p}`, 'modbus-tcp', { host: '127.0.0.1', port: peer.port, interval_in_seconds: o.intervalS, timeout_ms: 2000 });
      sources.push(ds);
      const rows = ['name,object_type,units,is_trend,address.slave_id,address.function_code,address.offset,address.number_of_registers,address.format'];
      for (let i = 0; i < per; i++) rows.push(`P${p}-${i},ANALOG_VALUE,kW,${o.history},1,3,${i * width},${width},${width === 2 ? '>f' : '>H'}`);
      const r = await fetch(`${server.url}/api/datasources/${ds}/pointlist`, { method: 'POST', headers: { ...server.headers, 'Content-Type': 'text/csv' }, body: rows.join('\r\n') });
      if (r.status !== 200 && r.status !== 201) throw new Error(`point-list import: ${r.status} ${await r.text()}`);
    }
    // every source scanning its whole plan
    for (const ds of sources) {
      await waitFor(
        async () => {
          const d = (await server.api<Diagnostics>('GET', `/datasources/${ds}/diagnostics`)).body;
          return d.status === 'online' && d.requests_per_scan > 0 && d.responses_total > d.requests_per_scan;
        },
        `data source ${ds} scanning`,
        120_000,
        500,
      );
    }
  } catch (e) {
    await server.stop();
    throw e;
  }
  return { server, sources };
}

async function switchyardCounters(server: ApiServer, sources: number[]): Promise<{ responses: number; planned: number; errors: number; scanMs: number[] }> {
  const all = await Promise.all(sources.map(async (ds) => (await server.api<Diagnostics>('GET', `/datasources/${ds}/diagnostics`)).body));
  return {
    responses: all.reduce((n, d) => n + d.responses_total, 0),
    planned: all.reduce((n, d) => n + d.requests_per_scan, 0),
    errors: all.reduce((n, d) => n + Object.values(d.errors).reduce((a, b) => a + b, 0), 0),
    scanMs: all.map((d) => d.scan_duration_ms ?? NaN),
  };
}

/** One of the two measured: its process, and its count of reads completed and failed so far. */
interface Contender {
  who: string;
  pid: number;
  counters(): Promise<{ done: number; failed: number; failures: Record<string, number> }>;
  /** a line said after the figures */
  after?(): Promise<string>;
}

interface Result {
  who: string;
  cpu: number;
  rss: { median: number; max: number };
  done: number;
  failed: number;
  failures: Record<string, number>;
  due: number;
  seconds: number;
  note: string;
}

/** Warms up, then measures the contenders over the same minutes: CPU, RSS each second, reads at both ends. */
async function measure(contenders: Contender[], o: SideBySideOptions, readsPerScan: number): Promise<Result[]> {
  const samplers = contenders.map((c) => new Sampler(c.pid));
  try {
    for (const s of samplers) s.start(1000);
    await new Promise((r) => setTimeout(r, o.warmupS * 1000));
    const c0 = await Promise.all(contenders.map((c) => c.counters()));
    const t0 = performance.now();
    const minuteMs = 60_000;
    const endAt = t0 + o.minutes * minuteMs;
    process.stdout.write(`  per minute   ${contenders.map((c) => `${c.who} CPU, RSS`.padEnd(22)).join(' | ')}  (load average)\n`);
    for (let m = 1; performance.now() < endAt; m++) {
      const until = Math.min(endAt, t0 + m * minuteMs);
      await new Promise((r) => setTimeout(r, Math.max(0, until - performance.now())));
      const from = t0 + (m - 1) * minuteMs;
      const cells = samplers.map((s) => `${f1(s.cpuPercent(from, until + 500)).padStart(5)} %, ${f0(s.rss(from, until + 500).median / MB).padStart(4)} MB`.padEnd(22));
      process.stdout.write(`  minute ${String(m).padStart(2)}    ${cells.join(' | ')}  (${load()})\n`);
    }
    const c1 = await Promise.all(contenders.map((c) => c.counters()));
    const t1 = performance.now();
    const seconds = (t1 - t0) / 1000;
    const due = readsPerScan * (seconds / o.intervalS);
    const results: Result[] = [];
    for (const [i, c] of contenders.entries()) {
      const failures: Record<string, number> = {};
      for (const [k, n] of Object.entries(c1[i].failures)) if (n - (c0[i].failures[k] ?? 0) > 0) failures[k] = n - (c0[i].failures[k] ?? 0);
      results.push({
        who: c.who,
        cpu: samplers[i].cpuPercent(t0, t1 + 500),
        rss: samplers[i].rss(t0, t1 + 500),
        done: c1[i].done - c0[i].done,
        failed: c1[i].failed - c0[i].failed,
        failures,
        due,
        seconds,
        note: c.after ? await c.after() : '',
      });
    }
    process.stdout.write(`  measured ${f0(seconds)} s, load average now ${load()}\n`);
    return results;
  } finally {
    for (const s of samplers) s.stop();
  }
}

export async function sideBySide(o: SideBySideOptions = sideBySideOptions()): Promise<void> {
  const width: 1 | 2 = o.float32 ? 2 : 1;
  if (o.points % o.peers !== 0) throw new Error(`${o.points} points do not share out evenly between ${o.peers} peers`);
  const registersPerPeer = (o.points / o.peers) * width;
  const install = installedNodeRed();
  const blocks: PeerBlocks[] = [];
  const peers: Peer[] = [];
  let sy: { server: ApiServer; sources: number[] } | null = null;
  let nr: RunningNodeRed | null = null;
  try {
    for (let p = 0; p < o.peers; p++) {
      const peer = await startPymodbus({ port: await freePort(), slaves: { '1': {} }, sequential_hr: registersPerPeer });
      peers.push(peer);
      blocks.push({ port: peer.port, unit: 1, blocks: blocksOf(registersPerPeer, width) });
    }
    const readsPerScan = blocks.reduce((n, b) => n + b.blocks.length, 0);
    process.stdout.write(
      `side by side: ${o.points.toLocaleString('en-US')} points (${o.float32 ? 'float32, two registers' : 'one holding register'} each) on ${o.peers} pymodbus peer(s), ` +
        `${readsPerScan} reads of ${blocks[0].blocks[0].length} registers every ${o.intervalS} s; Switchyard history ${o.history ? 'on' : 'off'}; ` +
        `${o.apart ? 'one after the other' : 'at the same time'}; ${o.warmupS} s warm-up, ${o.minutes} min measured; ${os.cpus().length} cores, load average ${load()}\n`,
    );
    if (install)
      process.stdout.write(
        `  Node-RED ${install.nodeRed}, node-red-contrib-modbus ${install.contribModbus} (${install.modbusLibrary}), from ${install.dir}; ${o.noderedClients} modbus-client(s) per peer\n`,
      );
    else
      process.stdout.write(
        `  Node-RED is not installed, so Switchyard is measured alone. To compare, install it (outside the project, ~2 min):\n` +
          `    npx tsx bench/nodered/setup.ts      (into ${noderedDir()}; SWITCHYARD_NODERED_DIR=... to choose)\n`,
      );

    const startSy = async (): Promise<Contender> => {
      sy = await startSwitchyard(o, peers, width);
      const { server, sources } = sy;
      const planned = (await switchyardCounters(server, sources)).planned;
      if (planned !== readsPerScan) process.stdout.write(`  note: Switchyard plans ${planned} reads per scan, Node-RED's flow ${readsPerScan}\n`);
      return {
        who: 'Switchyard',
        pid: server.served.child.pid!,
        counters: async () => {
          const c = await switchyardCounters(server, sources);
          return { done: c.responses, failed: c.errors, failures: {} };
        },
        after: async () => `Switchyard's last scan of each source: ${(await switchyardCounters(server, sources)).scanMs.map((x) => `${f0(x)} ms`).join(', ')}`,
      };
    };
    const startNr = async (): Promise<Contender> => {
      const running = await startNodeRed(install!, blocks, o.intervalS, o.noderedClients);
      nr = running;
      return {
        who: 'Node-RED',
        pid: running.pid,
        counters: async () => {
          const s = await running.stats();
          return { done: s.reads, failed: s.failed + s.errors, failures: s.failures };
        },
      };
    };

    const results: Result[] = [];
    if (o.apart) {
      results.push(...(await measure([await startSy()], o, readsPerScan)));
      await sy!.server.stop();
      sy = null;
      if (install) results.push(...(await measure([await startNr()], o, readsPerScan)));
    } else {
      const contenders = [await startSy()];
      if (install) contenders.push(await startNr());
      results.push(...(await measure(contenders, o, readsPerScan)));
    }

    for (const r of results) {
      process.stdout.write(
        `  ${r.who.padEnd(11)} CPU ${f1(r.cpu).padStart(5)} % of one core; RSS median ${f0(r.rss.median / MB)} MB, max ${f0(r.rss.max / MB)} MB; ` +
          `reads completed ${r.done} of ${f0(r.due)} due in ${f0(r.seconds)} s (${pct(r.done, r.due)}); failed ${r.failed}; ` +
          `neither (late: still queued, or a scan started late) ${f0(Math.max(0, r.due - r.done - r.failed))}\n`,
      );
      const why = Object.entries(r.failures).map(([k, n]) => `${n} x "${k}"`);
      if (why.length) process.stdout.write(`    failed reads: ${why.join('; ')}\n`);
      if (r.note) process.stdout.write(`    ${r.note}\n`);
    }
    if (results.length === 2) {
      const [a, b] = results;
      process.stdout.write(
        `  Switchyard / Node-RED: CPU ${(a.cpu / b.cpu).toFixed(2)}x, RSS median ${(a.rss.median / b.rss.median).toFixed(2)}x, RSS max ${(a.rss.max / b.rss.max).toFixed(2)}x, ` +
          `reads completed ${(a.done / a.due / (b.done / b.due)).toFixed(3)}x\n`,
      );
    }
  } finally {
    const running = nr as RunningNodeRed | null;
    const server = sy as { server: ApiServer } | null;
    await running?.stop();
    await server?.server.stop();
    for (const p of peers) await p.stop();
  }
}
