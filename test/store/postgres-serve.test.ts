/**
 * The whole store on PostgreSQL, in the server as it ships: `npm run serve -- --database postgres://...` in a child
 * process against a throw-away PostgreSQL (Debian's), driven only through the API: configuration (several entity
 * families, a duplicate name, a reference that blocks a delete), the historian (values written, a trend read back),
 * alarms (a limit alarm raised and acknowledged) and energy (a cumulative meter's hours checked against the
 * differences computed here). The rows are then looked up in PostgreSQL itself, and the data directory holds no
 * SQLite store.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';
import { login, ROOT, CLI_COMMAND } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

interface Alarm {
  id: number;
  condition: string;
  state: string;
  point_id: number | null;
  acknowledged: boolean;
  ack_comment: string | null;
}

describe.runIf(hasPostgres())('the store on PostgreSQL, in the server as it ships', () => {
  let peer: PostgresPeer;
  let server: ApiServer;
  let dataDir: string;
  const ok = async <T>(method: string, route: string, data?: unknown): Promise<T> => {
    const r = await server.api<T>(method, route, data);
    if (r.status >= 300) throw new Error(`${method} ${route} -> ${r.status} ${JSON.stringify(r.body)}${r.status >= 500 ? `\n${server.served.output().slice(-3000)}` : ''}`);
    return r.body;
  };
  const sql = async <T>(text: string, values: unknown[] = []): Promise<T[]> => {
    const pool = new pg.Pool({ connectionString: peer.url, max: 1 });
    try {
      return (await pool.query<T>(text, values)).rows;
    } finally {
      await pool.end();
    }
  };

  beforeAll(async () => {
    peer = await startPostgres();
    server = await startServer('--empty', ['--database', peer.url]);
    const args = server.served.child.spawnargs;
    dataDir = args[args.indexOf('--data-dir') + 1];
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await peer?.stop();
  });

  it('keeps the configuration in PostgreSQL: create, read, update, delete; a duplicate name and a referenced row are refused with 400', async () => {
    const gw = await ok<{ id: number }>('POST', '/gateways', { name: 'PG Gateway' });
    const ds = await ok<{ id: number }>('POST', '/datasources', { name: 'PG Manual', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    const point = await ok<{ id: number }>('POST', '/points', { name: 'PG Point', data_source_id: ds.id, object_type: 'ANALOG_VALUE', units: 'kW', is_trend: true, address: '{}' });
    const space = (await ok<{ id: number; name: string }[]>('GET', '/spaces'))[0];
    const cc = await ok<{ id: number }>('POST', '/costcenters', { name: 'PG Cost Center' });
    const cats = await ok<{ id: number; name: string }[]>('GET', '/energycategories');
    const meter = await ok<{ id: number }>('POST', '/meters', {
      name: 'PG Meter',
      energy_category_id: cats.find((c) => c.name === 'Electricity')!.id,
      is_counted: true,
      hourly_low_limit: 0,
      hourly_high_limit: 100,
      cost_center_id: cc.id,
    });
    await ok('POST', `/spaces/${space.id}/meters`, { meter_id: meter.id });
    expect((await ok<{ id: number }[]>('GET', `/spaces/${space.id}/meters`)).map((m) => m.id)).toContain(meter.id);

    // read and update
    expect(await ok('GET', `/points/${point.id}`)).toMatchObject({ id: point.id, name: 'PG Point', units: 'kW', is_trend: true });
    await ok('PUT', `/points/${point.id}`, { name: 'PG Point renamed', data_source_id: ds.id, object_type: 'ANALOG_VALUE', units: 'MW', is_trend: true, address: '{}' });
    expect(await ok('GET', `/points/${point.id}`)).toMatchObject({ name: 'PG Point renamed', units: 'MW' });

    // a duplicate name: a 400 naming the field, nothing written
    const dup = await server.api<{ description: string; field?: string }>('POST', '/gateways', { name: 'PG Gateway' });
    expect(dup.status).toBe(400);
    expect(dup.body.field).toBe('name');
    expect((await ok<{ name: string }[]>('GET', '/gateways')).filter((g) => g.name === 'PG Gateway')).toHaveLength(1);
    // a reference to nothing: 404 naming the field (MyEMS's answer), nothing written
    const dangling = await server.api<{ field?: string }>('POST', '/datasources', { name: 'Nowhere', gateway_id: 999_999, protocol: 'manual', connection: '{}' });
    expect(dangling.status).toBe(404);
    expect(dangling.body.field).toBe('gateway_id');
    // a data source its points still use cannot be deleted
    const refused = await server.api<{ description: string }>('DELETE', `/datasources/${ds.id}`);
    expect(refused.status).toBe(400);
    expect(refused.body.description).toMatch(/THERE_IS_RELATION_WITH_POINTS/);

    // delete what nothing uses
    const spare = await ok<{ id: number }>('POST', '/gateways', { name: 'PG Spare' });
    expect((await server.api('DELETE', `/gateways/${spare.id}`)).status).toBe(204);
    expect((await server.api('GET', `/gateways/${spare.id}`)).status).toBe(404);

    // it is PostgreSQL that holds them, and no SQLite store was made
    const rows = await sql<{ name: string; units: string }>('SELECT name, units FROM points WHERE id = $1', [point.id]);
    expect(rows).toEqual([{ name: 'PG Point renamed', units: 'MW' }]);
    expect(await sql('SELECT id FROM gateways WHERE id = $1', [spare.id])).toEqual([]);
    expect(fs.existsSync(dataDir)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'switchyard.db'))).toBe(false);
  }, 180_000);

  it('keeps written values in the historian and reads them back as a trend', async () => {
    const gw = await ok<{ id: number }>('POST', '/gateways', { name: 'Hand GW' });
    const ds = await ok<{ id: number }>('POST', '/datasources', { name: 'Hand entry', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    const point = await ok<{ id: number }>('POST', '/points', { name: 'Setpoint', data_source_id: ds.id, object_type: 'ANALOG_VALUE', units: 'kW', high_limit: 100, low_limit: 0, is_trend: true, address: '{}' });
    const written = [40, 60.5, 80];
    const from = new Date(Date.now() - 60_000).toISOString();
    for (const v of written) {
      const w = await server.api('PUT', `/points/${point.id}/write`, { value: v });
      expect(w.status, JSON.stringify(w.body)).toBe(200);
      await server.waitLatest(point.id, (l) => l.value === v, `the written ${v}`);
    }
    const trend = await waitFor(
      async () => {
        const t = await ok<{ values: { value: number; utc_date_time: string }[] }>('GET', `/points/${point.id}/trend?startdatetime=${from}&enddatetime=${new Date(Date.now() + 60_000).toISOString()}`);
        return t.values.length >= written.length ? t.values : null;
      },
      'the trend of the written values',
      30_000,
    );
    expect(trend.map((s) => s.value)).toEqual(written);
    const times = trend.map((s) => Date.parse(s.utc_date_time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  }, 180_000);

  it('raises a limit alarm on a simulated value above its high limit, and acknowledges it', async () => {
    const gw = await ok<{ id: number }>('POST', '/gateways', { name: 'Sim GW' });
    const ds = await ok<{ id: number }>('POST', '/datasources', { name: 'Sim', gateway_id: gw.id, protocol: 'simulation', connection: '{"interval_in_seconds":1}' });
    const point = await ok<{ id: number }>('POST', '/points', {
      name: 'Feeder current',
      data_source_id: ds.id,
      object_type: 'ANALOG_VALUE',
      units: 'A',
      high_limit: 100,
      low_limit: 0,
      is_trend: true,
      address: JSON.stringify({ waveform: 'constant', offset: 120 }),
    });
    await ok('POST', '/pointalarms', { point_id: point.id, deadband: 5, high_priority: 'HIGH' });
    const hi = await waitFor(
      async () => (await ok<Alarm[]>('GET', '/alarms?state=active')).find((a) => a.point_id === point.id && a.condition === 'HI'),
      'the HI alarm',
      60_000,
    );
    expect(hi).toMatchObject({ state: 'UNACK', acknowledged: false });
    const acked = await ok<Alarm>('PUT', `/alarms/${hi.id}/ack`, { comment: 'checked on PostgreSQL' });
    expect(acked).toMatchObject({ acknowledged: true, ack_comment: 'checked on PostgreSQL' });
    expect((await ok<Alarm[]>('GET', '/alarms?state=all')).find((a) => a.id === hi.id)).toMatchObject({ acknowledged: true });
    const rows = await sql<{ ack_comment: string }>('SELECT ack_comment FROM alarms WHERE id = $1', [hi.id]);
    expect(rows).toEqual([{ ack_comment: 'checked on PostgreSQL' }]);
  }, 180_000);

  it('computes a cumulative meter hourly energy from imported readings, equal to the differences computed here', async () => {
    const gw = await ok<{ id: number }>('POST', '/gateways', { name: 'Energy GW' });
    const ds = await ok<{ id: number }>('POST', '/datasources', { name: 'Loggers', gateway_id: gw.id, protocol: 'manual', connection: '{}' });
    const cats = await ok<{ id: number; name: string }[]>('GET', '/energycategories');
    const cc = await ok<{ id: number }>('POST', '/costcenters', { name: 'Energy CC' });
    const p = await ok<{ id: number }>('POST', '/points', { name: 'Main kWh', data_source_id: ds.id, object_type: 'ENERGY_VALUE', units: 'kWh', ratio: 1, is_trend: true, address: '{}' });
    const m = await ok<{ id: number }>('POST', '/meters', {
      name: 'Main Meter',
      energy_category_id: cats.find((c) => c.name === 'Electricity')!.id,
      is_counted: true,
      hourly_low_limit: 0,
      hourly_high_limit: 1000,
      cost_center_id: cc.id,
    });
    await ok('POST', `/meters/${m.id}/points`, { point_id: p.id });
    // a register read every 15 minutes for four hours
    const start = Date.parse('2026-03-02T00:00:00Z');
    const readings: [number, number][] = [];
    let register = 5000;
    for (let i = 0; i <= 16; i++) {
      readings.push([start + i * 900_000, register]);
      register += 0.5 + ((i * 7) % 5) * 1.5;
    }
    const imported = await ok<{ imported: number }>('POST', `/points/${p.id}/history`, readings.map(([t, v]) => ({ utc_date_time: new Date(t).toISOString(), value: v })));
    expect(imported.imported).toBe(readings.length);
    // by hand: an hour's energy is the register at its end minus the register at its start
    const at = (t: number) => readings.find(([ts]) => ts === t)![1];
    const expected = [0, 1, 2, 3].map((h) => at(start + (h + 1) * 3_600_000) - at(start + h * 3_600_000));
    let last: unknown;
    const hours = await waitFor(
      async () => {
        const r = await ok<{ values: { value: number | null }[] }>('GET', `/meters/${m.id}/energy?startdatetime=2026-03-02T00:00:00Z&enddatetime=2026-03-02T04:00:00Z&periodtype=hourly`);
        last = r;
        return r.values.length === 4 && r.values.every((v) => v.value !== null) ? r.values : null;
      },
      'the hourly energy',
      60_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; last answer ${JSON.stringify(last)}; server:\n${server.served.output().slice(-3000)}`);
    });
    expect(hours.map((h) => h.value)).toEqual(expected);
    // and it is PostgreSQL's energy table that holds them
    const stored = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM energy_hourly WHERE meter_id = $1 AND value IS NOT NULL', [m.id]);
    expect(Number(stored[0].n)).toBeGreaterThanOrEqual(4);
    // the historian's segments are partitioned by month: the imported readings made March 2026's partition
    const parts = await sql<{ name: string; bound: string }>(
      "SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sample_segments'::regclass",
    );
    expect(parts).toContainEqual({ name: 'sample_segments_p202603', bound: `FOR VALUES FROM ('${Date.UTC(2026, 2, 1)}') TO ('${Date.UTC(2026, 3, 1)}')` });
    const inMarch = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM sample_segments_p202603 WHERE point_id = $1', [p.id]);
    expect(Number(inMarch[0].n)).toBeGreaterThan(0);
    // retention drops whole months as partitions: 200 days back from today lies after March 2026, so its partition
    // goes with exactly the readings it held, and the months after it stay
    const cut = await ok<{ retention_days: number; purged: number }>('PUT', '/settings/historian', { retention_days: 200 });
    expect(cut.purged).toBe(readings.length);
    const after = await sql<{ name: string }>("SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'sample_segments'::regclass");
    expect(after.map((x) => x.name)).not.toContain('sample_segments_p202603');
    expect(after.length).toBe(parts.length - 1);
  }, 180_000);

  it('resets the administrator password on the PostgreSQL store from the command line', async () => {
    const out = execFileSync(process.execPath, [...CLI_COMMAND, 'reset-password', '--data-dir', dataDir, '--database', peer.url, '--user', 'administrator'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, SWITCHYARD_NEW_PASSWORD: 'Reset-On-Postgres-1' },
    });
    expect(out).toContain('password of administrator reset');
    const { headers } = await login(server.url, 'administrator', 'Reset-On-Postgres-1');
    expect(headers['User-UUID']).toMatch(/\w/);
    expect((await sql<{ n: string }>("SELECT COUNT(*) AS n FROM audit_log WHERE action = 'user.reset_password' AND user_name = 'cli'"))[0].n).toBe('1');
  }, 120_000);

  it('logged no PostgreSQL error from any feature while it ran', () => {
    expect(server.served.output()).not.toMatch(/\[PostgreSQL [0-9A-Z]{5}\]|internal error/);
  });
});
