import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { alarmMigrations } from '../../src/core/alarms/repository';
import { AlarmService } from '../../src/core/alarms/service';
import { openStore } from '../../src/core/store/store';
import { ValueBus } from '../../src/core/values/bus';
import { ValueBatch } from '../../src/core/values/batch';

const T0 = Date.UTC(2026, 10, 20, 8, 0, 0);
const MIN = 60_000;

function setup(points: number) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-perf-'));
  const store = openStore(dir, [alarmMigrations]);
  store.db.exec(`CREATE TABLE data_sources (id INTEGER PRIMARY KEY, name TEXT, protocol TEXT, status TEXT, connection TEXT);
    INSERT INTO data_sources VALUES (1, 'PLC', 'modbus-tcp', 'online', '{"interval_in_seconds":1}');
    CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT, units TEXT, object_type TEXT, data_source_id INTEGER,
      high_limit REAL, low_limit REAL, higher_limit REAL, lower_limit REAL);`);
  const ins = store.db.prepare("INSERT INTO points VALUES (?, ?, 'kW', 'ANALOG_VALUE', 1, 10, NULL, NULL, NULL)");
  for (let i = 1; i <= points; i++) ins.run(i, `P${i}`);
  let now = T0;
  const bus = new ValueBus();
  const svc = new AlarmService({ store, bus, tickMs: 0, now: () => now });
  svc.start();
  return {
    svc,
    bus,
    at: (t: number) => (now = t),
    value: (id: number, value: number, ts: number) => bus.publish(ValueBatch.of([{ point_id: id, value, quality: 'good', ts }])),
    close: () => {
      svc.stop();
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('alarm performance (ISA-18.2 / EEMUA 191)', () => {
  const env = setup(40);
  afterAll(() => env.close());

  it('detects a flood (more than 10 in 10 minutes), chattering (3+ transitions a minute), stale alarms and the top ten', () => {
    // a flood: 12 different alarms in 6 minutes
    for (let i = 1; i <= 12; i++) env.value(i, 20, T0 + i * 30_000);
    // 10 alarms spread over 10 hours: no flood
    for (let i = 13; i <= 22; i++) env.value(i, 20, T0 + (i - 12) * 60 * MIN);
    // point 30 chatters: 5 transitions in 40 s
    const c0 = T0 + 11 * 60 * MIN;
    [20, 5, 20, 5, 20].forEach((v, k) => env.value(30, v, c0 + k * 10_000));
    // point 31 goes in and out slowly: 2 transitions per minute at most
    [20, 5, 20, 5].forEach((v, k) => env.value(31, v, c0 + k * 45_000));
    // point 32 has been active for more than a day
    env.value(32, 20, T0 - 25 * 60 * MIN);

    env.at(T0 + 12 * 60 * MIN);
    const r = env.svc.performance(T0 - 26 * 60 * MIN, T0 + 12 * 60 * MIN, 2);
    expect(r.floods).toHaveLength(1);
    expect(r.floods[0]).toMatchObject({ start: new Date(T0 + 30_000).toISOString(), count: 12 });
    expect(Date.parse(r.floods[0].end)).toBe(T0 + 12 * 30_000);
    expect(r.assessment.floods).toBe(true);
    expect(r.chattering.map((c) => c.name)).toEqual(['P30 HI']);
    expect(r.chattering[0].max_transitions_per_minute).toBe(5);
    expect(r.stale.map((s) => s.name)).toEqual(['P32 HI']);
    expect(r.stale[0].hours).toBeGreaterThan(24);
    // activations: 12 + 10 + 3 (P30) + 2 (P31) + 1 (P32)
    expect(r.activations).toBe(28);
    expect(r.operator_positions).toBe(2);
    expect(r.alarms_per_hour).toBeCloseTo(28 / 38, 2);
    expect(r.alarms_per_hour_per_position).toBeCloseTo(28 / 38 / 2, 2);
    expect(r.top10[0]).toMatchObject({ name: 'P30 HI', count: 3 });
    expect(r.top10[1]).toMatchObject({ name: 'P31 HI', count: 2 });
    expect(r.top10).toHaveLength(10);
    expect(r.top10_percent).toBeCloseTo((13 / 28) * 100, 1);
    expect(r.assessment.top10).toBe(true);
    expect(r.priority_distribution).toEqual({ MEDIUM: 28 });
    expect(r.targets.alarms_per_hour_acceptable).toBe(6);
  });

  it('counts acknowledgements per operator and rates the alarm load', () => {
    const ids = env.svc.list('unacknowledged').map((a) => a.id as number);
    ids.slice(0, 4).forEach((id) => env.svc.acknowledge(id, { id: 1, name: 'anna' }));
    ids.slice(4, 5).forEach((id) => env.svc.acknowledge(id, { id: 2, name: 'ben' }));
    const r = env.svc.performance(T0, T0 + 12 * 60 * MIN + 1, 1);
    expect(r.acknowledgements_by_user).toEqual([
      { user_name: 'anna', count: 4, per_hour: expect.any(Number) },
      { user_name: 'ben', count: 1, per_hour: expect.any(Number) },
    ]);
    expect(r.assessment.alarm_rate).toBe('acceptable');
    // a quiet window has no flood, no chattering
    const quiet = env.svc.performance(T0 + 2 * 60 * MIN, T0 + 3 * 60 * MIN, 1);
    expect(quiet.floods).toEqual([]);
    expect(quiet.chattering).toEqual([]);
    expect(quiet.activations).toBe(1);
  });

  it('drops transitions older than the retention, keeping the alarms', () => {
    const before = env.svc.performance(T0 - 26 * 60 * MIN, T0 + 12 * 60 * MIN + 1, 1).activations;
    expect(env.svc.purgeHistory(1)).toBe(1); // P32's activation, 37 hours before "now"
    expect(env.svc.performance(T0 - 26 * 60 * MIN, T0 + 12 * 60 * MIN + 1, 1).activations).toBe(before - 1);
    expect(env.svc.list('all').some((a) => a.name === 'P32 HI')).toBe(true);
  });
});
