/**
 * Headless server start-up: time from spawning `serve` to the printed URL and to the first answered
 * health check, on a fresh data directory (seeding included) and on an existing one. Goal: under 3 s.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, serve } from '../test/support/process';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function once(dir: string, args: string[]): Promise<{ ready: number; health: number }> {
  const t0 = performance.now();
  const s = await serve(['--port', String(await freePort()), '--data-dir', dir, ...args], { SWITCHYARD_ADMIN_PASSWORD: 'Bench#123' });
  const ready = performance.now() - t0;
  await fetch(`${s.url}/api/health`);
  const health = performance.now() - t0;
  await s.stop('SIGTERM');
  return { ready, health };
}

export async function run(): Promise<void> {
  for (const seed of ['--empty', '--demo']) {
    const fresh: number[] = [];
    const warm: number[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-start-'));
      fresh.push((await once(dir, [seed])).health);
      warm.push((await once(dir, [seed])).health);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    console.log(`serve ${seed}: fresh data dir median ${median(fresh).toFixed(0)} ms to first health answer; existing data dir median ${median(warm).toFixed(0)} ms (goal < 3000 ms)`);
  }
}
