/**
 * Time partitions on PostgreSQL (src/core/store/pg/partitions.ts), the one mechanism of the historian's segments and
 * the central history, with several servers on one database:
 * - the central store (asynchronous pool): two stores write values of the same old days at once (both make those
 *   partitions), then run retention at once: no error, each old partition dropped exactly once, the rest intact;
 * - the historian (the synchronous store connection): two child processes, released together by an advisory lock
 *   the test holds, write samples of the same 24 new months at once, then run the historian's retention at once:
 *   no error, exactly the old months gone, every other sample kept, the samples removed counted once.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg, { type Pool } from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgCentralStore } from '../../src/core/central/pg';
import type { CentralSample } from '../../src/core/central/storage';
import { partitionName, rangeOf } from '../../src/core/store/pg/partitions';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';
import { ROOT } from '../support/process';

hasPostgres();

const DAY = 86_400_000;
const PEER = path.join(ROOT, 'test', 'store', 'pg-partition-peer.ts');

describe('partition ranges and names', () => {
  it('days, ISO weeks from Monday and calendar months, in UTC', () => {
    const t = Date.UTC(2026, 11, 6, 23, 59); // a Sunday
    expect(rangeOf(t, 'day')).toEqual({ from: Date.UTC(2026, 11, 6), to: Date.UTC(2026, 11, 7) });
    expect(rangeOf(t, 'week')).toEqual({ from: Date.UTC(2026, 10, 30), to: Date.UTC(2026, 11, 7) });
    expect(rangeOf(t, 'month')).toEqual({ from: Date.UTC(2026, 11, 1), to: Date.UTC(2027, 0, 1) });
    expect(rangeOf(Date.UTC(2024, 1, 29, 12), 'month')).toEqual({ from: Date.UTC(2024, 1, 1), to: Date.UTC(2024, 2, 1) });
    expect(partitionName({ table: 'h', width: 'week', key: 'timestamptz' }, Date.UTC(2026, 10, 30))).toBe('h_p20261130');
    expect(partitionName({ table: 's', width: 'month', key: 'ms' }, Date.UTC(2026, 2, 1))).toBe('s_p202603');
    expect(partitionName({ table: 's', width: 'month', key: 'ms' }, Date.UTC(1969, 11, 1))).toBe('s_pm196912');
  });
});

describe('partitions shared by two servers on one PostgreSQL database', { timeout: 240_000 }, () => {
  let peer: PostgresPeer;
  let admin: Pool;
  const dirs: string[] = [];

  beforeAll(async () => {
    peer = await startPostgres();
    admin = new pg.Pool({ connectionString: peer.url.replace(/\/switchyard$/, '/postgres'), max: 1 });
  });

  afterAll(async () => {
    await admin?.end();
    await peer?.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  async function database(name: string): Promise<string> {
    await admin.query(`CREATE DATABASE ${name}`);
    return peer.url.replace(/\/switchyard$/, `/${name}`);
  }

  async function partitionsOf(c: Pool, table: string): Promise<string[]> {
    const { rows } = await c.query<{ name: string }>('SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass ORDER BY 1', [table]);
    return rows.map((r) => r.name);
  }

  it('central store: two servers make the same partitions at once, and drop the old ones at once, each once', async () => {
    const url = await database('central2');
    const a = new PgCentralStore({ url, partition: 'day' });
    const b = new PgCentralStore({ url, partition: 'day' });
    const check = new pg.Pool({ connectionString: url, max: 1 });
    try {
      await Promise.all([a.open(), b.open()]);
      const [siteA, siteB] = await Promise.all([a.site(1, 'G', 'edge-a'), b.site(2, 'G', 'edge-b')]);
      const def = { device_id: '', name: 'P', alias: 1, datatype: 'Double', unit: null };
      const idA = [...(await a.defineMetrics(siteA, [def])).values()][0];
      const idB = [...(await b.defineMetrics(siteB, [def])).values()][0];
      // March 2019: a value every hour of 30 days, from both servers at once (both need the same 30 new partitions)
      const hours = (metric: number): CentralSample[] =>
        Array.from({ length: 30 * 24 }, (_, h) => ({ metric_id: metric, ts: Date.UTC(2019, 2, 1) + h * 3_600_000, num: h, text: null, historical: true }));
      await Promise.all([a.write(hours(idA), []), b.write(hours(idB), [])]);
      const march = (d: number) => `central_history_p201903${String(d).padStart(2, '0')}`;
      const all = await partitionsOf(check, 'central_history');
      expect(all.filter((n) => n.startsWith('central_history_p201903'))).toEqual(Array.from({ length: 30 }, (_, i) => march(i + 1)));
      const count = async () => Number((await check.query<{ n: string }>("SELECT COUNT(*) AS n FROM central_history WHERE ts < '2019-04-01Z'")).rows[0].n);
      expect(await count()).toBe(2 * 30 * 24);

      // retention from 2019-03-21 06:00 on both at once: days 1 to 20 go (each dropped by one of them), 21 straddles
      const cut = Date.UTC(2019, 2, 21, 6);
      const [ra, rb] = await Promise.all([a.prune(cut), b.prune(cut)]);
      expect([...ra.partitions, ...rb.partitions].sort()).toEqual(Array.from({ length: 20 }, (_, i) => march(i + 1)));
      const left = await partitionsOf(check, 'central_history');
      expect(left.filter((n) => n.startsWith('central_history_p201903'))).toEqual(Array.from({ length: 10 }, (_, i) => march(i + 21)));
      expect(left.filter((n) => n < 'central_history_p20190321')).toEqual([]);
      expect(await count()).toBe(2 * 10 * 24);
      // both still write (their partition caches were refreshed): a value of today, and none older than the cut
      await Promise.all([a.write([{ metric_id: idA, ts: Date.now(), num: 1, text: null, historical: false }], []), b.write([{ metric_id: idB, ts: cut - DAY, num: 1, text: null, historical: false }], [])]);
      expect(await count()).toBe(2 * 10 * 24);
      expect((await partitionsOf(check, 'central_history')).filter((n) => n < 'central_history_p20190321')).toEqual([]);
    } finally {
      await check.end();
      await Promise.allSettled([a.close(), b.close()]);
    }
  });

  /** runs the peer script once per argument list, all released at the same moment; their stdout, each exited 0 */
  async function together(url: string, key: number, runs: string[][]): Promise<string[]> {
    const children: ReturnType<typeof spawn>[] = [];
    try {
      // the barrier: an advisory lock in the peers' database, held until every peer waits for it
      const holderPool = new pg.Pool({ connectionString: url, max: 1 });
      const holder = await holderPool.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [key]);
        const outs = runs.map(() => ({ out: '', err: '' }));
        const exits = runs.map((args, i) => {
          const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-pgpart-'));
          dirs.push(dir);
          const c = spawn(process.execPath, ['--import', 'tsx', PEER, url, dir, String(key), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
          children.push(c);
          c.stdout?.on('data', (d: Buffer) => (outs[i].out += d.toString()));
          c.stderr?.on('data', (d: Buffer) => (outs[i].err += d.toString()));
          return new Promise<number | null>((resolve) => c.once('exit', (code) => resolve(code)));
        });
        // released only once every peer waits on the barrier
        const deadline = Date.now() + 120_000;
        for (;;) {
          const { rows } = await holder.query<{ n: number }>("SELECT COUNT(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1", [key]);
          if (rows[0].n === runs.length) break;
          if (children.some((c) => c.exitCode !== null)) break;
          if (Date.now() > deadline) throw new Error(`peers did not reach the barrier:\n${outs.map((o) => o.out + o.err).join('\n')}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        await holder.query('SELECT pg_advisory_unlock($1)', [key]);
        const codes = await Promise.all(exits);
        codes.forEach((code, i) => expect(code, outs[i].err).toBe(0));
        return outs.map((o) => o.out);
      } finally {
        holder.release();
        await holderPool.end();
      }
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  }

  it('historian: two servers write the same new months at once, then run retention at once', async () => {
    const url = await database('historian2');
    const check = new pg.Pool({ connectionString: url, max: 1 });
    try {
      // points 1 and 2, a sample in the middle of each month of 2024 and 2025, both servers at once
      const first = String(Date.UTC(2024, 0, 1));
      const wrote = await together(url, 7101, [
        ['write', '1', first, '24'],
        ['write', '2', first, '24'],
      ]);
      expect(wrote.every((o) => o.includes('WRITTEN'))).toBe(true);
      const months = (year: number) => Array.from({ length: 12 }, (_, m) => `sample_segments_p${year}${String(m + 1).padStart(2, '0')}`);
      expect(await partitionsOf(check, 'sample_segments')).toEqual([...months(2024), ...months(2025)]);
      const perMonth = async () =>
        (await check.query<{ m: string; n: string }>("SELECT to_char(to_timestamp(t0 / 1000.0) AT TIME ZONE 'UTC', 'YYYYMM') AS m, SUM(n) AS n FROM sample_segments GROUP BY 1 ORDER BY 1")).rows.map((r) => [r.m, Number(r.n)]);
      expect(await perMonth()).toEqual([...months(2024), ...months(2025)].map((n) => [n.slice(-6), 2]));

      // retention keeping 2025 on both at once: 2024's months go as partitions (the historian drops those ending a
      // segment span before the cut-off), nothing else moves; the 24 samples removed are counted once between them
      const cut = Date.UTC(2025, 0, 1) + 60_000;
      const purged = await together(url, 7102, [
        ['purge', String(cut)],
        ['purge', String(cut)],
      ]);
      const counts = purged.map((o) => Number(/PURGED (\d+)/.exec(o)?.[1]));
      expect(counts[0] + counts[1]).toBe(24);
      expect(await partitionsOf(check, 'sample_segments')).toEqual(months(2025));
      expect(await perMonth()).toEqual(months(2025).map((n) => [n.slice(-6), 2]));
    } finally {
      await check.end();
    }
  });
});
