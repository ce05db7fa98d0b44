/**
 * The central store's one interface on both backends: SQLite (the installation's store) and PostgreSQL (a
 * throw-away cluster started by the test). Sites, devices, the metric catalog, history (a repeated metric+time kept
 * once, read in time order), latest values never moved back by an older one; on PostgreSQL also the partitions
 * (created ahead, and on demand for old values), a metric's range read from its partitions only through their index,
 * versioned migrations and a newer database refused.
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
import { freePort, ROOT, serve, CLI_COMMAND } from '../support/process';

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

    it('retention removes history before the cutoff (whole partitions on PostgreSQL) and writes nothing older', async () => {
      const site = await store.site(1, 'Retention', 'edge-r');
      const ids = await store.defineMetrics(site, [
        { device_id: '', name: 'a', alias: null, datatype: 'Double', unit: null },
        { device_id: '', name: 'b', alias: null, datatype: 'Double', unit: null },
      ]);
      const a = ids.get(metricKey('', 'a'))!;
      const b = ids.get(metricKey('', 'b'))!;
      // 2019-03-01 .. 2019-03-05 at noon, and 12,000 values of metric a on 2019-03-02 (more than one SQLite slice)
      const day = (d: number, h = 12) => Date.UTC(2019, 2, d, h);
      const samples = [1, 2, 3, 4, 5].flatMap((d) => [a, b].map((m) => ({ metric_id: m, ts: day(d), num: d, text: null, historical: true })));
      for (let i = 0; i < 12_000; i++) samples.push({ metric_id: a, ts: day(2, 0) + i * 1000, num: i, text: null, historical: true });
      await store.write(samples, []);
      const all = (m: number) => store.history(m, day(1, 0), day(6, 0), 100_000);
      expect(await all(a)).toHaveLength(12_005);

      // keep from 2019-03-03 06:00: on SQLite exactly from there; on PostgreSQL (day partitions) from 2019-03-03 00:00
      const cut = day(3, 6);
      const r = await store.prune(cut);
      const keptFrom = store.kind === 'postgresql' ? day(3, 0) : cut;
      const left = samples.filter((s) => s.ts >= keptFrom);
      expect((await all(a)).map((h) => h.ts)).toEqual(left.filter((s) => s.metric_id === a).map((s) => s.ts).sort((x, y) => x - y));
      expect((await all(b)).map((h) => h.num)).toEqual([3, 4, 5]);
      if (store.kind === 'postgresql') {
        const gone = [partitionName(day(1, 0)), partitionName(day(2, 0))];
        expect(r.partitions).toEqual(gone);
        // really gone: neither a partition of central_history nor a table any more; the straddling one is kept
        const c = new pg.Pool({ connectionString: peer!.url, max: 1 });
        try {
          const parts = (await c.query<{ name: string }>("SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'central_history'")).rows.map((x) => x.name);
          const tables = (await c.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_name LIKE 'central_history_p2019%'")).rows.map((x) => x.name);
          for (const g of gone) {
            expect(parts).not.toContain(g);
            expect(tables).not.toContain(g);
          }
          expect(parts).toContain(partitionName(day(3, 0)));
          expect(tables.sort()).toEqual([3, 4, 5].map((d) => partitionName(day(d, 0))));
        } finally {
          await c.end();
        }
      } else expect(r.rows).toBe(samples.length - left.length);
      // a late replay older than the cutoff is not written (it would be removed again; on PostgreSQL it would bring a partition back)
      await store.write([{ metric_id: b, ts: day(2), num: 99, text: null, historical: true }], []);
      expect((await all(b)).map((h) => h.num)).toEqual([3, 4, 5]);
      // nothing to remove the second time
      expect(await store.prune(cut)).toEqual({ rows: 0, partitions: [] });
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

  it('writes by COPY on parallel connections, and a retried batch (partly stored) stores every value once', async () => {
    const store = pgStores[0];
    const base = 5_000_000; // metric ids of their own (history has no foreign key to the catalog)
    const t0 = Date.UTC(2026, 11, 1, 8);
    const odd = 'tab\there, line\nbreak, cr\r, back\\slash, \\N';
    const row = (i: number) => ({ metric_id: base + (i % 2000), ts: t0 + Math.floor(i / 2000) * 1000, num: i % 7 === 0 ? null : i / 3, text: i % 7 === 0 ? `${odd} ${i}` : null, historical: i % 2 === 0 });
    const first = Array.from({ length: 8000 }, (_, i) => row(i));
    const before = { ...store.copies };
    await store.write(first, []);
    // 8,000 rows over 4 writers: each shard went straight in by COPY
    expect(store.copies.direct - before.direct).toBe(4);
    expect(store.copies.staged - before.staged).toBe(0);
    // the retry of a batch whose shards had partly committed: the 8,000 again plus 4,000 new ones
    const retry = Array.from({ length: 12_000 }, (_, i) => row(i));
    await store.write(retry, []);
    expect(store.copies.staged - before.staged).toBe(4);
    const client = new pg.Pool({ connectionString: peer!.url, max: 1 });
    try {
      const count = await client.query<{ n: string; d: string }>('SELECT COUNT(*) AS n, COUNT(DISTINCT (metric_id, ts)) AS d FROM central_history WHERE metric_id >= $1', [base]);
      expect(Number(count.rows[0].n)).toBe(12_000);
      expect(Number(count.rows[0].d)).toBe(12_000);
    } finally {
      await client.end();
    }
    // values, text with COPY's special characters, nulls and the historical flag come back as written
    const h = await store.history(base + 7, t0, t0 + 10_000, 100);
    expect(h).toEqual([7, 2007, 4007, 6007, 8007, 10_007].map((i) => ({ ts: row(i).ts, num: row(i).num, text: row(i).text, historical: row(i).historical })));
    expect(h[0].text).toBe(`${odd} 7`);
  });

  it('reads a metric\'s time range from the partitions of that range only, through their primary-key index', async () => {
    const store = pgStores[0];
    const base = 8_000_000; // metric ids of their own
    const day0 = Date.UTC(2026, 10, 10);
    // 500 metrics, a value every 10 minutes for 3 days: 216,000 rows over 3 day partitions
    const rows = [];
    for (let t = day0; t < day0 + 3 * DAY; t += 600_000) for (let m = 0; m < 500; m++) rows.push({ metric_id: base + m, ts: t, num: m + (t - day0) / 1e6, text: null, historical: true });
    for (let i = 0; i < rows.length; i += 50_000) await store.write(rows.slice(i, i + 50_000), []);
    const from = day0 + DAY + 6 * 3_600_000;
    const to = from + 2 * 3_600_000;
    const want = rows.filter((r) => r.metric_id === base + 7 && r.ts >= from && r.ts <= to);
    expect(want).toHaveLength(13);
    expect((await store.history(base + 7, from, to, 100)).map((h) => h.ts)).toEqual(want.map((r) => r.ts));
    const client = new pg.Pool({ connectionString: peer!.url, max: 1 });
    try {
      await client.query('ANALYZE central_history');
      // the statement history() runs, as PostgreSQL executes it
      const plan = await client.query<{ 'QUERY PLAN': unknown }>(
        `EXPLAIN (ANALYZE, FORMAT JSON) SELECT round(extract(epoch FROM ts) * 1000)::bigint AS ms, num, text, historical FROM central_history
         WHERE metric_id = $1 AND ts BETWEEN to_timestamp($2 / 1000.0) AND to_timestamp($3 / 1000.0) ORDER BY ts LIMIT $4`,
        [base + 7, from, to, 100],
      );
      const nodes: Record<string, unknown>[] = [];
      const walk = (n: Record<string, unknown>) => {
        nodes.push(n);
        for (const c of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(c);
      };
      walk((plan.rows[0]['QUERY PLAN'] as { Plan: Record<string, unknown> }[])[0].Plan);
      const scanned = nodes.filter((n) => n['Relation Name']);
      const part = partitionName(day0 + DAY);
      // only the day that holds the range is read (the others pruned), by its index: no sequential scan of anything
      expect([...new Set(scanned.map((n) => n['Relation Name']))]).toEqual([part]);
      expect(nodes.filter((n) => n['Node Type'] === 'Seq Scan')).toEqual([]);
      expect(nodes.some((n) => /Index/.test(String(n['Node Type'])) && n['Index Name'] === `${part}_pkey`)).toBe(true);
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
      const out = execFileSync(process.execPath, [...CLI_COMMAND, 'migrate', '--data-dir', dir, '--database', url, '--database-partition', 'week'], { cwd: ROOT, encoding: 'utf8' });
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
