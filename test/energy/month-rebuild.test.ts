/**
 * A store written before the monthly roll-up table (energy migration 2) has hourly and daily rows and no monthly
 * ones; migration 3 lists its meters and the pipeline rebuilds their months after the start.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { STORE_FILE } from '../../src/core/store/store';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { energySetup, t } from './support';

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-test-months-'));
let rt: TestRuntime | null = null;

afterAll(async () => {
  await rt?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('monthly roll-ups of an older store', () => {
  it('are rebuilt from the daily ones after the start, in the meter zone', async () => {
    rt = await startTestRuntime({ dataDir });
    const s = await energySetup(rt.api);
    const site = await s.space('Store site', 'Europe/Berlin');
    const m = await s.meter('Old meter', { high: 1000 });
    await s.bind(site, 'meters', { meter_id: m.meter });
    // 10 kWh an hour from 2026-03-30 00:00 to 2026-04-02 00:00 Berlin time (+02:00): 72 hours, 48 of them in
    // March (local) and 24 in April
    const rows: [string, number][] = [];
    const start = t('2026-03-29T22:00:00Z');
    for (let h = 0; h <= 72; h++) rows.push([new Date(start + h * 3_600_000).toISOString(), 1000 + 10 * h]);
    await s.history(m.point, rows);
    const energy = () => rt!.ctx.services.get('energy') as EnergyService;
    await energy().settled();
    const monthly = () => energy().query({ kind: 'meters', id: m.meter, start: t('2026-02-28T23:00:00Z'), end: t('2026-04-30T22:00:00Z'), periodType: 'monthly' }).categories[0].values;
    // March local ends at 2026-03-31T22:00Z: 48 hours (30 and 31 March) = 480; 1 April local = 240
    expect(monthly()).toEqual([480, 240]);
    await rt.stop();
    rt = null;

    // make it a store from before the monthly table: no monthly rows, energy migrations up to 2
    const db = new Database(path.join(dataDir, STORE_FILE));
    expect((db.prepare('SELECT COUNT(*) FROM energy_monthly').pluck().get() as number) > 0).toBe(true);
    db.exec("DELETE FROM energy_monthly; DROP TABLE energy_month_rebuilds; DELETE FROM schema_migrations WHERE feature = 'energy' AND version = 3;");
    expect(db.prepare('SELECT COUNT(*) FROM energy_daily').pluck().get()).toBe(3);
    db.close();

    rt = await startTestRuntime({ dataDir });
    await energy().settled();
    expect(monthly()).toEqual([480, 240]);
    // the same through the plain read, with the month's hours
    const r = await rt.api<{ values: { start_datetime_local: string; value: number; hours: number }[] }>('GET', `/meters/${m.meter}/energy?startdatetime=2026-03-01T00:00:00&enddatetime=2026-05-01T00:00:00&periodtype=monthly`);
    expect(r.body.values.map((v) => [v.start_datetime_local, v.value, v.hours])).toEqual([
      ['2026-03-01T00:00:00', 480, 743],
      ['2026-04-01T00:00:00', 240, 720],
    ]);
    const left = rt.ctx.store.db.prepare('SELECT COUNT(*) FROM energy_month_rebuilds').pluck().get();
    expect(left).toBe(0);
  }, 180_000);
});
