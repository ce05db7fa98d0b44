/**
 * The central store's one interface on both backends: SQLite (the installation's store) and PostgreSQL (a
 * throw-away cluster started by the test). Sites, devices, the metric catalog, history (a repeated metric+time kept
 * once, read in time order), latest values never moved back by an older one; on PostgreSQL also the partitions
 * (created ahead, and on demand for old values), versioned migrations and a newer database refused.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCentralStore, partitionName, partitionStart } from '../../src/core/central/pg';
import { centralSqliteMigrations, metricKey, sqliteCentralStore, type CentralStore } from '../../src/core/central/storage';
import { openStore, type Store } from '../../src/core/store/store';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';
import { freePort, ROOT, serve, SERVE_COMMAND } from '../support/process';

hasPostgres();

const DAY = 86_400_000;

function contract(name: string, make: () => Promise<CentralStore>) {
  describe(`central store on ${name}`, { timeout: 120_000 }, () => {
    let store: CentralStore;
    beforeAll(async () => {
      store = await make();
      await store.open();
    });

    it('keeps sites, devices, the catalog, history in time order and the newest latest value', async () => {
      const site = await store.site(1, 'Plants', 'edge-1');
      expect(await store.site(1, 'Plants', 'edge-1')).toBe(site);
      const other = await store.site(2, 'Plants', 'edge-1');
      expect(other).not.toBe(site);
      await store.saveHealth(site, { online: true, bd_seq: 3, last_birth: 1000, last_death: null, last_seen: 2000, seq_gaps: 1, rebirths: 2, values_received: 7 });
      await store.saveDevice(site, { device_id: 'meter-1', online: true, last_birth: 1500, last_death: null });
      await store.saveDevice(site, { device_id: 'meter-2', online: false, last_birth: 1500, last_death: 1800 });
      const ids = await store.defineMetrics(site, [
        { device_id: '', name: 'bdSeq', alias: null, datatype: 'UInt64', unit: null },
        { device_id: 'meter-1', name: 'Power', alias: 7, datatype: 'Double', unit: 'kW' },
        { device_id: 'meter-1', name: 'Status', alias: 8, datatype: 'String', unit: null },
      ]);
      const power = ids.get(metricKey('meter-1', 'Power'))!;
      const status = ids.get(metricKey('meter-1', 'Status'))!;
      // a rebirth with a new alias updates the same metric
      const again = await store.defineMetrics(site, [{ device_id: 'meter-1', name: 'Power', alias: 9, datatype: 'Double', unit: 'kW' }]);
      expect(again.get(metricKey('meter-1', 'Power'))).toBe(power);

      const t0 = Date.UTC(2026, 11, 1, 23, 59, 58, 500);
      // out of order and across a day boundary, one repeated
      const samples = [3, 0, 2, 1, 2].map((i) => ({ metric_id: power, ts: t0 + i * 1000, num: 10 + i, text: null, historical: i < 2 }));
      await store.write(samples, [{ metric_id: power, ts: t0 + 3000, num: 13, text: null }]);
      await store.write([{ metric_id: status, ts: t0, num: null, text: 'running', historical: false }], [{ metric_id: status, ts: t0, num: null, text: 'running' }]);
      // an older latest value does not replace a newer one
      await store.write([], [{ metric_id: power, ts: t0, num: 10, text: null }]);

      const h = await store.history(power, t0, t0 + 10_000, 100);
      expect(h).toEqual([0, 1, 2, 3].map((i) => ({ ts: t0 + i * 1000, num: 10 + i, text: null, historical: i < 2 })));
      expect(await store.history(power, t0 + 1000, t0 + 2000, 100)).toHaveLength(2);
      expect(await store.history(power, t0, t0 + 10_000, 2)).toHaveLength(2);

      const metrics = await store.metrics(site);
      expect(metrics.map((m) => [m.device_id, m.name])).toEqual([['', 'bdSeq'], ['meter-1', 'Power'], ['meter-1', 'Status']]);
      expect(metrics.find((m) => m.id === power)).toMatchObject({ alias: 9, unit: 'kW', last_num: 13, last_ts: t0 + 3000 });
      expect(metrics.find((m) => m.id === status)).toMatchObject({ last_text: 'running', last_ts: t0 });

      const sites = await store.sites();
      expect(sites.find((s) => s.id === site)).toMatchObject({ host_config_id: 1, group_id: 'Plants', edge_node_id: 'edge-1', online: true, bd_seq: 3, last_birth: 1000, seq_gaps: 1, rebirths: 2, values_received: 7, devices: 2, devices_online: 1 });
      expect((await store.devices(site)).map((d) => [d.device_id, d.online, d.last_death])).toEqual([['meter-1', true, null], ['meter-2', false, 1800]]);
    });
  });
}

let sqliteDir = '';
let sqlite: Store | null = null;
contract('SQLite', async () => {
  sqliteDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-central-'));
  sqlite = openStore(sqliteDir, [centralSqliteMigrations]);
  return sqliteCentralStore(sqlite);
});

let peer: PostgresPeer | null = null;
const pgStores: PgCentralStore[] = [];
contract('PostgreSQL', async () => {
  peer = await startPostgres();
  const s = new PgCentralStore({ url: peer.url, partition: 'day' });
  pgStores.push(s);
  return s;
});

describe('PostgreSQL specifics', { timeout: 120_000 }, () => {
  it('creates day partitions ahead and on demand, migrates once and refuses a newer schema', async () => {
    const store = pgStores[0];
    const starts = await store.partitionStarts();
    const today = partitionStart(Date.now(), 'day');
    for (let i = -1; i <= 3; i++) expect(starts).toContain(today + i * DAY);
    // the test's values of 2026-12-01/02 got theirs on demand
    expect(starts).toContain(Date.UTC(2026, 11, 1));
    expect(starts).toContain(Date.UTC(2026, 11, 2));

    // a value from years ago gets its own partition, and is found there
    const old = Date.UTC(2020, 1, 29, 12);
    const site = await store.site(9, 'Old', 'edge');
    const ids = await store.defineMetrics(site, [{ device_id: '', name: 'x', alias: null, datatype: 'Double', unit: null }]);
    await store.write([{ metric_id: ids.get(metricKey('', 'x'))!, ts: old, num: 1.5, text: null, historical: true }], []);
    const client = new pg.Pool({ connectionString: peer!.url, max: 1 });
    try {
      const inPart = await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${partitionName(Date.UTC(2020, 1, 29))}`);
      expect(Number(inPart.rows[0].n)).toBe(1);
      const kind = await client.query<{ strategy: string }>("SELECT partstrat AS strategy FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid WHERE c.relname = 'central_history'");
      expect(kind.rows[0].strategy).toBe('r');
      const migrations = await client.query<{ version: number }>("SELECT version FROM schema_migrations WHERE feature = 'central'");
      expect(migrations.rows.map((r) => r.version)).toEqual([1]);

      // a second server opening the same database migrates nothing and keeps the database's partition width
      const second = new PgCentralStore({ url: peer!.url, partition: 'week' });
      await second.open();
      expect(second.partitionWidth).toBe('day');
      await second.close();

      await client.query("INSERT INTO schema_migrations (feature, version, name, applied_at) VALUES ('central', 99, 'future', 'now')");
      const newer = new PgCentralStore({ url: peer!.url });
      await expect(newer.open()).rejects.toThrow(/newer Switchyard/);
      await newer.close();
      await client.query("DELETE FROM schema_migrations WHERE version = 99");
    } finally {
      await client.end();
    }
  });

  it('partitions a new database by ISO week when asked', async () => {
    const client = new pg.Pool({ connectionString: peer!.url.replace(/\/switchyard$/, '/postgres'), max: 1 });
    await client.query('CREATE DATABASE weekly');
    await client.end();
    const store = new PgCentralStore({ url: peer!.url.replace(/\/switchyard$/, '/weekly'), partition: 'week' });
    try {
      await store.open();
      const starts = await store.partitionStarts();
      expect(starts).toHaveLength(5);
      for (const s of starts) expect(new Date(s).getUTCDay()).toBe(1); // Mondays
      expect(starts[1] - starts[0]).toBe(7 * DAY);
      expect(partitionStart(Date.UTC(2026, 11, 6, 23), 'week')).toBe(Date.UTC(2026, 10, 30)); // Sunday -> the Monday before
    } finally {
      await store.close();
    }
  });
});

describe('switchyard migrate --database', { timeout: 240_000 }, () => {
  it('brings a new central database to this build\'s schema, as migrate does for the SQLite store', async () => {
    const admin = new pg.Pool({ connectionString: peer!.url.replace(/\/switchyard$/, '/postgres'), max: 1 });
    await admin.query('CREATE DATABASE migrated');
    await admin.end();
    const url = peer!.url.replace(/\/switchyard$/, '/migrated');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-central-migrate-'));
    try {
      const served = await serve(['--port', String(await freePort()), '--data-dir', dir, '--empty'], { SWITCHYARD_ADMIN_PASSWORD: 'Migrate-Pass-1' });
      await served.stop();
      const out = execFileSync(process.execPath, [SERVE_COMMAND[0], 'migrate', '--data-dir', dir, '--database', url, '--database-partition', 'week'], { cwd: ROOT, encoding: 'utf8' });
      expect(out).toContain('central database postgres://switchyard@127.0.0.1');
      const c = new pg.Pool({ connectionString: url, max: 1 });
      try {
        expect((await c.query("SELECT version FROM schema_migrations WHERE feature = 'central'")).rows).toEqual([{ version: 1 }]);
        expect((await c.query("SELECT value FROM central_meta WHERE key = 'partition_width'")).rows).toEqual([{ value: 'week' }]);
      } finally {
        await c.end();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

afterAll(async () => {
  for (const s of pgStores) await s.close().catch(() => undefined);
  await peer?.stop();
  sqlite?.close();
  if (sqliteDir) fs.rmSync(sqliteDir, { recursive: true, force: true });
});
