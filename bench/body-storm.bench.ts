/**
 * A storm of large bodies against the server as users run it (`npm run serve` in a child process, so that the
 * figures are the server's alone): 20 MB login bodies (refused 413 while they arrive), 2 MB configuration bodies
 * (413), bodies nested 100,000 levels deep (400 before parsing), and 19 MB point lists (accepted by size, parsed,
 * refused row by row), STORM_CLIENTS at a time, STORM_REQUESTS in all. Prints the server's resident memory
 * (/proc/PID/status VmRSS) before, its peak during the storm (sampled every 50 ms, and the kernel's VmHWM), and
 * after (at once, and 10 s later), the answers by status, and the worst /api/health time during the storm.
 */
import fs from 'node:fs';
import { startServer } from '../test/support/server';

const CLIENTS = Number(process.env.STORM_CLIENTS ?? 16);
const REQUESTS = Number(process.env.STORM_REQUESTS ?? 64);
const MB = 1024 * 1024;

const memory = (pid: number) => {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(text)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
};
const mb = (v: number) => `${v.toFixed(0)} MB`;

export async function run(): Promise<void> {
  const server = await startServer('--empty');
  const pid = server.served.child.pid!;
  try {
    const gw = (await server.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    const ds = (await server.api<{ id: number }>('POST', '/datasources', { name: 'Bus', gateway_id: gw, protocol: 'simulation', connection: { interval_in_seconds: 1 } })).body.id;
    const point = (await server.api<{ id: number }>('POST', '/points', { name: 'P', data_source_id: ds, object_type: 'ANALOG_VALUE', address: { waveform: 'sine' } })).body.id;
    // warm up: every kind of request once with a small body
    for (let i = 0; i < 20; i++) {
      await server.api('GET', '/points');
      await server.api('PUT', `/points/${point}`, { name: 'P', data_source_id: ds, object_type: 'ANALOG_VALUE', address: { waveform: 'sine' } });
    }
    await new Promise((r) => setTimeout(r, 2000));
    const before = memory(pid);

    const login = JSON.stringify({ data: { name: 'administrator', password: 'p'.repeat(20 * MB) } });
    const config = JSON.stringify({ data: { name: 'P', description: 'd'.repeat(2 * MB) } });
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const pointList = `name,object_type,address.waveform\r\n${'x'.repeat(19 * MB)},ANALOG_VALUE,sine\r\n`;
    const kinds = [
      () => fetch(`${server.url}/api/users/login`, { method: 'PUT', body: login }),
      () => fetch(`${server.url}/api/points/${point}`, { method: 'PUT', headers: server.headers, body: config }),
      () => fetch(`${server.url}/api/points/${point}`, { method: 'PUT', headers: server.headers, body: deep }),
      () => fetch(`${server.url}/api/datasources/${ds}/pointlist`, { method: 'POST', headers: { ...server.headers, 'Content-Type': 'text/csv' }, body: pointList }),
    ];
    const statuses = new Map<string, number>();
    let peak = before.rss;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, memory(pid).rss);
      } catch {
        /* the server is gone: the storm's results say so */
      }
    }, 50);
    let worstHealth = 0;
    let storming = true;
    const health = (async () => {
      while (storming) {
        const t = performance.now();
        await fetch(`${server.url}/api/health`).catch(() => undefined);
        worstHealth = Math.max(worstHealth, performance.now() - t);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < REQUESTS) {
          const i = next++;
          const kind = ['login 20 MB', 'config 2 MB', 'deep 100k', 'point list 19 MB'][i % kinds.length];
          let key: string;
          try {
            const r = await kinds[i % kinds.length]();
            await r.arrayBuffer();
            key = `${kind} -> ${r.status}`;
          } catch (e) {
            key = `${kind} -> closed by the server while sending (${(e as Error).message})`;
          }
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          if (process.env.STORM_VERBOSE) process.stderr.write(`${key}\n`);
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    storming = false;
    await health;
    clearInterval(sampler);
    const atOnce = memory(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const later = memory(pid);
    const alive = (await fetch(`${server.url}/api/health`)).status;
    process.stdout.write(
      `${REQUESTS} large requests, ${CLIENTS} at a time, in ${seconds.toFixed(1)} s: ${[...statuses].map(([k, n]) => `${k} x${n}`).join(', ')}\n` +
        `server RSS: before ${mb(before.rss)}, peak ${mb(peak)} (VmHWM ${mb(later.hwm)}), right after ${mb(atOnce.rss)}, 10 s later ${mb(later.rss)}; ` +
        `worst /api/health during the storm ${worstHealth.toFixed(0)} ms; health afterwards ${alive}\n`,
    );
  } finally {
    await server.stop();
  }
}
