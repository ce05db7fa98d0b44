/**
 * Crash safety, measured on the server as users run it: a child-process server scanning a trended point every
 * 0.1 s is killed with SIGKILL five times and restarted on the same data directory. After each kill the store
 * passes `PRAGMA integrity_check`, the samples written before it are all there, and only the tail younger than the
 * flush interval documented in docs/historian.md (250 ms; allowed 4x plus one scan for a loaded machine's
 * scheduling, as test/historian/sigkill.test.ts does) is missing; after each restart scanning resumes.
 */
import Database from 'better-sqlite3';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLUSH_MS } from '../../src/core/historian/feature';
import { sqliteStorage } from '../../src/core/historian/storage';
import type { Store } from '../../src/core/store/store';
import { freePort, login, serve, type Served } from '../support/process';
import { waitFor } from '../support/wait';

const PASSWORD = 'Crash-Test-Pass-1';
const KILLS = 5;
const SCAN_MS = 100;

describe('repeated SIGKILL of a scanning server', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-crash-'));
  let served: Served | null = null;
  afterAll(async () => {
    await served?.stop('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async () => {
    served = await serve(['--port', String(await freePort()), '--data-dir', dataDir, '--empty'], { SWITCHYARD_ADMIN_PASSWORD: PASSWORD });
    const { headers } = await login(served.url, 'administrator', PASSWORD);
    const api = async <T>(method: string, route: string, data?: unknown) => {
      const r = await fetch(`${served!.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
      return { status: r.status, body: (await r.json()) as T };
    };
    return api;
  };
  /** every stored sample of the point, read from the closed store as the next start reads it */
  const samples = (pointId: number) => {
    const db = new Database(path.join(dataDir, 'switchyard.db'));
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      return [...sqliteStorage({ db } as Store).scan(pointId, 0, Date.now() + 60_000)] as { ts: number; value: number }[];
    } finally {
      db.close();
    }
  };

  it(`${KILLS} kills during 0.1 s scans: integrity ok, nothing lost but the last flush interval`, async () => {
    let api = await start();
    const gw = (await api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    const ds = (await api<{ id: number }>('POST', '/datasources', { name: 'Fast', gateway_id: gw, protocol: 'simulation', connection: { interval_in_seconds: SCAN_MS / 1000 } })).body.id;
    const point = await api<{ id: number }>('POST', '/points', { name: 'Ramp', data_source_id: ds, object_type: 'ANALOG_VALUE', is_trend: true, address: { waveform: 'ramp' } });
    expect(point.status).toBe(201);
    const pointId = point.body.id;
    const losses: number[] = [];
    let kept = 0;
    for (let k = 0; k < KILLS; k++) {
      if (k > 0) api = await start();
      // scanning (again): a sample newer than this start is stored
      const since = Date.now();
      await waitFor(async () => {
        const l = (await api<{ utc_date_time: string | null; quality: string }>('GET', `/points/${pointId}/latest`)).body;
        return l.quality === 'good' && l.utc_date_time !== null && Date.parse(l.utc_date_time.endsWith('Z') ? l.utc_date_time : `${l.utc_date_time}Z`) >= since - 1000;
      }, `scanning after start ${k + 1}`, 60_000);
      await new Promise((r) => setTimeout(r, 1000 + 300 * k));
      const killedAt = Date.now();
      await served!.stop('SIGKILL');
      served = null;
      const rows = samples(pointId);
      // what earlier runs stored is still there, and this run added to it
      expect(rows.length).toBeGreaterThan(kept);
      kept = rows.length;
      for (let i = 1; i < rows.length; i++) expect(rows[i].ts).toBeGreaterThan(rows[i - 1].ts);
      const lost = killedAt - rows[rows.length - 1].ts;
      losses.push(lost);
      expect(lost, `kill ${k + 1}: the newest stored sample is ${lost} ms older than the kill`).toBeLessThan(FLUSH_MS * 4 + SCAN_MS);
    }
    process.stdout.write(`crash-restarts: ${KILLS} kills; ${kept} samples kept; newest stored sample before each kill: ${losses.map((l) => `${l} ms`).join(', ')} (flush interval ${FLUSH_MS} ms)\n`);
  }, 600_000);
});
