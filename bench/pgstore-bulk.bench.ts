/**
 * The bulk paths on the PostgreSQL store, through the API of a runtime on a throw-away PostgreSQL (durable
 * defaults): a history import of N 1-minute readings (POST /api/points/{id}/history, default 100,000) and a
 * point-list import of M rows (POST /api/datasources/{id}/pointlist, default 10,000); wall time and round trips
 * to PostgreSQL of each. `SWITCHYARD_BULK=off` runs them one statement per row, as before store/batch.ts:
 * `npm run bench -- pgstore-bulk` and `SWITCHYARD_BULK=off npm run bench -- pgstore-bulk`.
 * PGBULK_HISTORY / PGBULK_POINTS choose the sizes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRuntime } from '../src/core/runtime';
import { pgRoundTrips } from '../src/core/store/pg/bridge';
import { startPostgres } from '../test/peers/postgres';
import { createTestDatabase } from '../test/support/runtime';

const PASSWORD = 'Bench-PgBulk-1';

export async function run(): Promise<void> {
  const nHistory = Number(process.env.PGBULK_HISTORY ?? 100_000);
  const nPoints = Number(process.env.PGBULK_POINTS ?? 10_000);
  const peer = await startPostgres({ durable: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-pgbulk-'));
  const database = await createTestDatabase(peer.url);
  const runtime = createRuntime({ dataDir, port: 0, seed: 'empty', adminPassword: PASSWORD, log: () => undefined, database: { url: database.url } });
  try {
    const { url } = await runtime.start();
    const login = (await (await fetch(`${url}/api/users/login`, { method: 'PUT', body: JSON.stringify({ data: { name: 'administrator', password: PASSWORD } }) })).json()) as { user_uuid: string; token: string };
    const headers = { 'User-UUID': login.user_uuid, Token: login.token };
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${url}/api${p}`, { method: 'POST', headers, body: JSON.stringify({ data: body }) });
      const answer = (await res.json()) as { id: number };
      if (res.status !== 201) throw new Error(`POST ${p}: ${res.status} ${JSON.stringify(answer)}`);
      return answer;
    };
    const gateway = await post('/gateways', { name: 'Bench gateway' });
    const ds = await post('/datasources', { name: 'Bench', gateway_id: gateway.id, protocol: 'simulation', connection: '{"interval_in_seconds":3600}' });
    const point = await post('/points', { name: 'Bench meter', data_source_id: ds.id, object_type: 'ANALOG_VALUE', is_trend: true, address: { waveform: 'constant' } });
    const timed = async (what: string, f: () => Promise<Response>) => {
      const trips = pgRoundTrips.count;
      const before = new Map(pgRoundTrips.bySql ?? []);
      const t = performance.now();
      const res = await f();
      const body = (await res.text()).slice(0, 120);
      const s = (performance.now() - t) / 1000;
      process.stdout.write(`  ${what.padEnd(34)} ${res.status} in ${s.toFixed(2).padStart(7)} s, ${String(pgRoundTrips.count - trips).padStart(7)} round trips  ${res.status >= 300 ? body : ''}\n`);
      // with SWITCHYARD_PG_PROFILE=1: the statements that made most of them
      const top = [...(pgRoundTrips.bySql ?? [])].map(([q, n]) => [q, n - (before.get(q) ?? 0)] as const).filter(([, n]) => n > 0);
      for (const [q, n] of top.sort((a, b) => b[1] - a[1]).slice(0, 3)) process.stdout.write(`    ${String(n).padStart(7)}  ${q.replace(/\s+/g, ' ').slice(0, 110)}\n`);
    };
    const start = Date.UTC(2026, 0, 1);
    const rows = Array.from({ length: nHistory }, (_, i) => `{"utc_date_time":"${new Date(start + i * 60_000).toISOString()}","value":${(i * 0.25).toFixed(2)}}`);
    process.stdout.write(`load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; bulk statements ${process.env.SWITCHYARD_BULK === 'off' ? 'OFF (one per row)' : 'on'}:\n`);
    await timed(`history import, ${nHistory} rows`, () => fetch(`${url}/api/points/${point.id}/history`, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: `{"data":[${rows.join(',')}]}` }));
    const lines = ['name,object_type,units,address.waveform'];
    for (let r = 0; r < nPoints; r++) lines.push(`Imported ${r},ANALOG_VALUE,kW,constant`);
    await timed(`point-list import, ${nPoints} rows`, () => fetch(`${url}/api/datasources/${ds.id}/pointlist`, { method: 'POST', headers: { ...headers, 'Content-Type': 'text/csv' }, body: lines.join('\r\n') }));
  } finally {
    await runtime.stop();
    await database.drop();
    await peer.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}
