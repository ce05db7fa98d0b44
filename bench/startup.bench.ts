/**
 * Headless server start-up: time from spawning `serve` (the built bundle, as `npm run serve` runs it) to the first
 * answered health check, on a fresh data directory (seeding included) and on an existing one, `--empty` and `--demo`.
 * Beside the wall time it prints the child's CPU time at that moment (utime + stime from /proc/PID/stat), which the
 * load of other work on a shared machine moves much less. Goal (issue #17): < 1 s empty, < 1.5 s demo.
 * `STARTUP_RUNS` sets the starts per case (default 5).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, serve } from '../test/support/process';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const TICK_MS = 10; // USER_HZ is 100 on Linux

/** The process's CPU time so far in ms, or NaN where /proc is not there. */
function cpuMs(pid: number | undefined): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS; // utime, stime (fields 14 and 15)
  } catch {
    return NaN;
  }
}

async function once(dir: string, args: string[]): Promise<{ health: number; cpu: number }> {
  const t0 = performance.now();
  const s = await serve(['--port', String(await freePort()), '--data-dir', dir, ...args], { SWITCHYARD_ADMIN_PASSWORD: 'Bench#123' });
  try {
    const r = await fetch(`${s.url}/api/health`);
    if (r.status !== 200) throw new Error(`health answered ${r.status}`);
    const health = performance.now() - t0;
    return { health, cpu: cpuMs(s.child.pid) };
  } finally {
    await s.stop('SIGTERM');
  }
}

export async function run(): Promise<void> {
  const runs = Number(process.env.STARTUP_RUNS ?? 5);
  for (const seed of ['--empty', '--demo']) {
    const fresh: { health: number; cpu: number }[] = [];
    const warm: { health: number; cpu: number }[] = [];
    for (let i = 0; i < runs; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-start-'));
      try {
        fresh.push(await once(dir, [seed]));
        warm.push(await once(dir, [seed]));
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
    const show = (xs: { health: number; cpu: number }[]) => `median ${median(xs.map((x) => x.health)).toFixed(0)} ms wall, ${median(xs.map((x) => x.cpu)).toFixed(0)} ms CPU`;
    console.log(`serve ${seed} (${runs} starts each, load ${os.loadavg()[0].toFixed(1)}): fresh data dir ${show(fresh)}; existing data dir ${show(warm)} (goal < ${seed === '--empty' ? 1000 : 1500} ms)`);
  }
}
