import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CounterMarks, HOUR_MS } from '../../src/core/alarms/counters';
import { alarmMigrations } from '../../src/core/alarms/repository';
import { openStore } from '../../src/core/store/store';
import { ValueBatch } from '../../src/core/values/batch';

describe('energy counter marks', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-counters-'));
  const store = openStore(dir, [alarmMigrations]);
  store.db.exec("CREATE TABLE points (id INTEGER PRIMARY KEY, object_type TEXT); INSERT INTO points VALUES (1, 'ENERGY_VALUE'), (2, 'ANALOG_VALUE');");
  afterAll(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const H = Date.UTC(2026, 0, 1, 0, 0, 0);

  it('sums increments inside and across consecutive hours, survives a counter reset, and ignores non-counters and bad quality', () => {
    const c = new CounterMarks(store);
    const v = (point_id: number, value: number, ts: number, quality: 'good' | 'comm_fail' = 'good') => c.take(ValueBatch.of([{ point_id, value, quality, ts }]));
    v(1, 100, H + 10_000);
    v(1, 110, H + 1_800_000);
    v(1, 999_999, H + 1_900_000, 'comm_fail'); // ignored
    v(1, 120, H + HOUR_MS + 5_000); // hour 2: +10 across the boundary
    v(1, 150, H + HOUR_MS + 3_000_000);
    v(1, 5, H + 2 * HOUR_MS + 1_000); // a reset: that step counts nothing
    v(1, 25, H + 2 * HOUR_MS + 2_000_000);
    v(1, 40, H + HOUR_MS + 100); // late value for a closed hour: ignored
    v(2, 1e6, H + 10_000); // not a counter
    expect(c.consumption(1, H, H + HOUR_MS)).toBe(10);
    expect(c.consumption(1, H + HOUR_MS, H + 2 * HOUR_MS)).toBe(30);
    expect(c.consumption(1, H, H + 3 * HOUR_MS)).toBe(10 + 10 + 30 + 0 + 20);
    expect(c.consumption(2, H, H + 3 * HOUR_MS)).toBeNull();
    expect(c.consumption(1, H + 5 * HOUR_MS, H + 6 * HOUR_MS)).toBeNull();
    // the marks are in the store: a new instance (after a restart) answers the same
    expect(new CounterMarks(store).consumption(1, H, H + 3 * HOUR_MS)).toBe(70);
  });
});
