import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TREND_POINTS, Historian, MAX_TREND_SAMPLES } from '../../src/core/historian/feature';
import { historianMigrations, sqliteStorage } from '../../src/core/historian/storage';
import { openStore } from '../../src/core/store/store';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { ValueBatch } from '../../src/core/values/batch';

describe('historian: latest values, trends and retention through the API', () => {
  let rt: TestRuntime;
  let trended: number;
  let untrended: number;

  beforeAll(async () => {
    rt = await startTestRuntime();
    // points entered by hand: acquisition never publishes for them, so the values here are the test's own
    const gw = await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' });
    const ds = await rt.api<{ id: number }>('POST', '/datasources', { name: 'Hand entry', gateway_id: gw.body.id, protocol: 'manual', connection: '{}' });
    const p1 = await rt.api<{ id: number }>('POST', '/points', { name: 'Trended', data_source_id: ds.body.id, object_type: 'ANALOG_VALUE', units: 'kW', ratio: 1, is_trend: true, is_virtual: false, address: '{"waveform":"constant"}' });
    const p2 = await rt.api<{ id: number }>('POST', '/points', { name: 'Not trended', data_source_id: ds.body.id, object_type: 'ANALOG_VALUE', units: 'kW', ratio: 1, is_trend: false, is_virtual: false, address: '{"waveform":"constant"}' });
    expect(p1.status, JSON.stringify(p1.body)).toBe(201);
    trended = p1.body.id;
    untrended = p2.body.id;
  });
  afterAll(async () => rt?.stop());

  it('answers the latest value with its quality, and stale before any value', async () => {
    const before = await rt.api('GET', `/points/${trended}/latest`);
    expect(before.body).toEqual({ point_id: trended, value: null, quality: 'stale', utc_date_time: null });
    rt.ctx.values.publish(ValueBatch.of([{ point_id: trended, value: 42.5, quality: 'good', ts: Date.parse('2026-11-20T10:00:00Z') }]));
    const after = await rt.api('GET', `/points/${trended}/latest`);
    expect(after.body).toEqual({ point_id: trended, value: 42.5, quality: 'good', utc_date_time: '2026-11-20T10:00:00.000Z' });
    expect((await rt.api('GET', '/points/999999/latest')).status).toBe(404);
  });

  it('stores samples of trended points only and answers a time range', async () => {
    const t0 = Date.parse('2026-11-21T00:00:00Z');
    const batch = [];
    for (let i = 0; i < 3600; i++) batch.push({ point_id: trended, value: i === 1234 ? 1e6 : i === 2345 ? -1e6 : Math.sin(i / 100), quality: 'good' as const, ts: t0 + i * 1000 });
    rt.ctx.values.publish(ValueBatch.of(batch));
    rt.ctx.values.publish(ValueBatch.of([{ point_id: untrended, value: 1, quality: 'good', ts: t0 }]));
    const all = await rt.api<{ values: { value: number; utc_date_time: string }[]; downsampled: boolean }>('GET', `/points/${trended}/trend?startdatetime=2026-11-21T00:00:00&enddatetime=2026-11-21T01:00:00&maxpoints=${MAX_TREND_SAMPLES}`);
    expect(all.status).toBe(200);
    expect(all.body.values).toHaveLength(3600);
    expect(all.body.downsampled).toBe(false);
    const none = await rt.api<{ values: unknown[] }>('GET', `/points/${untrended}/trend?startdatetime=2026-11-21T00:00:00&enddatetime=2026-11-21T01:00:00`);
    expect(none.body.values).toHaveLength(0);
  });

  it('downsamples to maxpoints keeping the minimum and the maximum', async () => {
    const r = await rt.api<{ values: { value: number; utc_date_time: string }[]; downsampled: boolean }>('GET', `/points/${trended}/trend?startdatetime=2026-11-21T00:00:00Z&enddatetime=2026-11-21T01:00:00Z&maxpoints=200`);
    expect(r.body.downsampled).toBe(true);
    expect(r.body.values.length).toBeLessThanOrEqual(200);
    expect(r.body.values.length).toBeGreaterThan(100);
    const values = r.body.values.map((v) => v.value);
    expect(Math.max(...values)).toBe(1e6);
    expect(Math.min(...values)).toBe(-1e6);
    const times = r.body.values.map((v) => Date.parse(v.utc_date_time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });

  it("answers a screen's width without maxpoints and at most MAX_TREND_SAMPLES with it, downsampled beyond", async () => {
    const t0 = Date.parse('2026-11-10T00:00:00Z');
    const n = MAX_TREND_SAMPLES + 500;
    for (let k = 0; k < n; k += 10_000) {
      rt.ctx.values.publish(ValueBatch.of(Array.from({ length: Math.min(10_000, n - k) }, (_, j) => ({ point_id: trended, value: k + j === 77_777 ? 5e6 : (k + j) % 100, quality: 'good' as const, ts: t0 + (k + j) * 100 }))));
    }
    const range = 'startdatetime=2026-11-10T00:00:00&enddatetime=2026-11-11T00:00:00';
    const r = await rt.api<{ values: { value: number }[]; downsampled: boolean }>('GET', `/points/${trended}/trend?${range}`);
    expect(r.status).toBe(200);
    expect(r.body.downsampled).toBe(true);
    expect(r.body.values.length).toBeLessThanOrEqual(DEFAULT_TREND_POINTS);
    expect(r.body.values.length).toBeGreaterThan(DEFAULT_TREND_POINTS / 2);
    expect(r.body.values.some((v) => v.value === 5e6)).toBe(true);
    const most = await rt.api<{ values: { value: number }[]; downsampled: boolean }>('GET', `/points/${trended}/trend?${range}&maxpoints=${MAX_TREND_SAMPLES}`);
    expect(most.body.downsampled).toBe(true);
    expect(most.body.values.length).toBeLessThanOrEqual(MAX_TREND_SAMPLES);
    expect(most.body.values.length).toBeGreaterThan(DEFAULT_TREND_POINTS);
    expect(most.body.values.some((v) => v.value === 5e6)).toBe(true);
    const over = await rt.api<{ field: string }>('GET', `/points/${trended}/trend?maxpoints=${MAX_TREND_SAMPLES + 1}`);
    expect(over.status).toBe(400);
    expect(over.body.field).toBe('maxpoints');
  });

  it('rejects bad dates and ranges naming the parameter', async () => {
    const bad = await rt.api<{ field: string }>('GET', `/points/${trended}/trend?startdatetime=yesterday`);
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('startdatetime');
    const reversed = await rt.api<{ field: string }>('GET', `/points/${trended}/trend?startdatetime=2026-11-21T01:00:00&enddatetime=2026-11-21T00:00:00`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.field).toBe('enddatetime');
    const mp = await rt.api<{ field: string }>('GET', `/points/${trended}/trend?maxpoints=abc`);
    expect(mp.body.field).toBe('maxpoints');
  });

  it('purges samples older than the retention setting', async () => {
    const old = Date.now() - 40 * 86_400_000;
    rt.ctx.values.publish(ValueBatch.of([{ point_id: trended, value: 7, quality: 'good', ts: old }]));
    const range = `/points/${trended}/trend?startdatetime=${new Date(old - 1000).toISOString()}&enddatetime=${new Date(old + 1000).toISOString()}`;
    expect((await rt.api<{ values: unknown[] }>('GET', range)).body.values).toHaveLength(1);
    const bad = await rt.api<{ field: string }>('PUT', '/settings/historian', { retention_days: 0 });
    expect(bad.body.field).toBe('retention_days');
    const set = await rt.api<{ retention_days: number; purged: number }>('PUT', '/settings/historian', { retention_days: 30 });
    expect(set.body.retention_days).toBe(30);
    expect(set.body.purged).toBeGreaterThanOrEqual(1);
    expect((await rt.api<{ values: unknown[] }>('GET', range)).body.values).toHaveLength(0);
    expect((await rt.api<{ retention_days: number }>('GET', '/settings/historian')).body.retention_days).toBe(30);
  });

  it('records a point from the moment is_trend is switched on, and forgets a deleted point', async () => {
    const t = Date.parse('2026-11-19T00:00:00Z');
    const range = (id: number) => `/points/${id}/trend?startdatetime=2026-11-19T00:00:00&enddatetime=2026-11-19T00:01:00`;
    rt.ctx.values.publish(ValueBatch.of([{ point_id: untrended, value: 1, quality: 'good', ts: t }]));
    expect((await rt.api<{ values: unknown[] }>('GET', range(untrended))).body.values).toHaveLength(0);
    const row = (await rt.api<Record<string, unknown>>('GET', `/points/${untrended}`)).body;
    const put = await rt.api('PUT', `/points/${untrended}`, { ...row, is_trend: true });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    rt.ctx.values.publish(ValueBatch.of([{ point_id: untrended, value: 2, quality: 'good', ts: t + 1000 }]));
    expect((await rt.api<{ values: { value: number }[] }>('GET', range(untrended))).body.values.map((v) => v.value)).toEqual([2]);

    expect((await rt.api('DELETE', `/points/${untrended}`)).status).toBe(204);
    const left = rt.ctx.store.db.prepare('SELECT (SELECT COUNT(*) FROM sample_segments WHERE point_id = ?) + (SELECT COUNT(*) FROM point_latest WHERE point_id = ?) AS n').get(untrended, untrended) as { n: number };
    expect(left.n).toBe(0);
    const historian = rt.ctx.services.get('historian') as Historian;
    expect([...historian.storage.scan(untrended, 0, Date.now())]).toEqual([]);
    expect(historian.storage.latest(untrended)).toBeUndefined();
    expect((await rt.api('GET', range(untrended))).status).toBe(404);
  });

  it('keeps the latest value across a restart', async () => {
    rt.ctx.values.publish(ValueBatch.of([{ point_id: trended, value: 99, quality: 'out_of_range', ts: Date.parse('2026-11-22T00:00:00Z') }]));
    const dataDir = rt.dataDir;
    await rt.runtime.stop();
    const { startTestRuntime: again } = await import('../support/runtime');
    const rt2 = await again({ dataDir });
    try {
      const r = await waitFor(async () => (await rt2.api<{ value: number; quality: string }>('GET', `/points/${trended}/latest`)).body, 'latest after restart');
      expect(r).toMatchObject({ value: 99, quality: 'out_of_range' });
    } finally {
      await rt2.stop();
    }
  });
});

describe('historian write-behind queue', () => {
  it('keeps the values of a failed write for the next flush', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-hist-'));
    const store = openStore(dir, [historianMigrations]);
    try {
      const storage = sqliteStorage(store);
      const realWrite = storage.write;
      let failures = 1;
      storage.write = (samples, latest) => {
        if (failures-- > 0) throw new Error('database is locked');
        realWrite(samples, latest);
      };
      const lines: string[] = [];
      const h = new Historian(storage, () => [1], (id) => id === 1, () => 365, (l) => lines.push(l));
      h.refreshTrended();
      h.take(ValueBatch.of([{ point_id: 1, value: 1, quality: 'good', ts: 1000 }, { point_id: 2, value: 5, quality: 'good', ts: 1000 }]));
      h.flush();
      expect(lines.join()).toMatch(/could not be written/);
      expect(storage.latest(1)).toBeUndefined();
      h.take(ValueBatch.of([{ point_id: 1, value: 2, quality: 'bad', ts: 2000 }]));
      h.flush();
      expect([...storage.scan(1, 0, 10_000)].map((s) => s.value)).toEqual([1, 2]);
      expect(storage.latest(1)).toMatchObject({ value: 2, quality: 'bad', ts: 2000 });
      expect(storage.latest(2)).toMatchObject({ value: 5 });
      expect([...storage.scan(2, 0, 10_000)]).toEqual([]); // not trended
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlite sample storage', () => {
  it('scans a range across read pages: every sample once, in time order, bounds inclusive', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-hist-'));
    const store = openStore(dir, [historianMigrations]);
    try {
      const storage = sqliteStorage(store);
      storage.write(Array.from({ length: 20_000 }, (_, i) => ({ point_id: 3, value: i % 3 ? i : `t${i}`, quality: i % 5 ? ('good' as const) : ('comm_fail' as const), ts: 5000 + i * 7 })), []);
      const got = [...storage.scan(3, 5000 + 7, 5000 + 19_998 * 7)];
      expect(got).toHaveLength(19_998);
      got.forEach((s, k) => {
        const i = k + 1;
        expect(s).toEqual({ ts: 5000 + i * 7, value: i % 3 ? i : `t${i}`, quality: i % 5 ? 'good' : 'comm_fail' });
      });
      expect([...storage.scan(3, 0, 4999)]).toEqual([]);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('purges in steps exactly the samples older than the bound, for every point', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-hist-'));
    const store = openStore(dir, [historianMigrations]);
    try {
      const storage = sqliteStorage(store);
      const mk = (point_id: number, n: number) => Array.from({ length: n }, (_, i) => ({ point_id, value: i, quality: 'good' as const, ts: 1_000_000 + i * 1000 }));
      storage.write([...mk(1, 12_345), ...mk(2, 10), ...mk(7, 6000)], []);
      const bound = 1_000_000 + 11_000 * 1000; // points 1 and 7 lose 11,000 and 6,000; point 2 loses 10
      const steps = [...storage.purge(bound)];
      expect(steps.reduce((a, b) => a + b, 0)).toBe(11_000 + 10 + 6000);
      expect(Math.max(...steps)).toBeLessThanOrEqual(5000);
      expect([...storage.scan(1, 0, Number.MAX_SAFE_INTEGER)].map((s) => s.value)).toEqual(Array.from({ length: 1345 }, (_, i) => 11_000 + i));
      expect([...storage.scan(2, 0, Number.MAX_SAFE_INTEGER)]).toEqual([]);
      expect([...storage.scan(7, 0, Number.MAX_SAFE_INTEGER)]).toEqual([]);
      expect(storage.bounds(1, 0, Number.MAX_SAFE_INTEGER)).toEqual({ first: bound, last: 1_000_000 + 12_344 * 1000 });
      expect([...storage.purge(bound)]).toEqual([]);
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
