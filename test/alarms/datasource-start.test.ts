/**
 * A data source's OFFLINE alarm across a start-up, on the service's own clock: the status a store holds before
 * acquisition starts ('offline' from the last run's stop, or the column's default in a fresh store) is not a fact
 * about now. Acquisition marks its sources 'connecting' when it is composed, after the alarm service was made; a
 * start-up slower than one scan interval between the two (a fresh --demo seeding its history, a loaded machine)
 * must raise no alarm. A source that really goes offline afterwards still raises one within two scan intervals.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alarmMigrations } from '../../src/core/alarms/repository';
import { AlarmService } from '../../src/core/alarms/service';
import { openStore, type Store } from '../../src/core/store/store';
import { ValueBus } from '../../src/core/values/bus';

const T0 = Date.UTC(2026, 11, 2, 8, 0, 0);
const SCAN_MS = 1_000;
const TICK_MS = 250;

describe('data source OFFLINE alarm around start-up', () => {
  let dir: string;
  let store: Store;
  let svc: AlarmService;
  let now = T0;

  const setup = (status: string) => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-dsstart-'));
    store = openStore(dir, [alarmMigrations]);
    store.db.exec(`CREATE TABLE data_sources (id INTEGER PRIMARY KEY, name TEXT, protocol TEXT, status TEXT, connection TEXT);
      CREATE TABLE points (id INTEGER PRIMARY KEY, name TEXT, units TEXT, object_type TEXT, data_source_id INTEGER,
        high_limit REAL, low_limit REAL, higher_limit REAL, lower_limit REAL);`);
    store.db.prepare("INSERT INTO data_sources VALUES (1, 'PLC', 'modbus-tcp', ?, ?)").run(status, JSON.stringify({ interval_in_seconds: SCAN_MS / 1000 }));
    now = T0;
    svc = new AlarmService({ store, bus: new ValueBus(), tickMs: 0, now: () => now });
  };
  const setStatus = (s: string) => store.db.prepare('UPDATE data_sources SET status = ? WHERE id = 1').run(s);
  /** the service's ticks after now up to `until`, as its timer runs them */
  const runTo = (until: number) => {
    while (now < until) {
      now = Math.min(until, now + TICK_MS);
      svc.tick(now);
    }
  };
  const offline = () => svc.list('all').filter((a) => a.source === 'datasource' && a.condition === 'OFFLINE');

  afterEach(() => {
    svc.stop();
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  for (const left of ['offline', 'connecting']) {
    it(`raises none while start-up takes three scan intervals with the status the last run left (${left}), then one within two intervals of a real loss`, () => {
      setup(left);
      // acquisition's compose, after the alarm service was made
      setStatus('connecting');
      now = T0 + 3 * SCAN_MS;
      svc.start();
      runTo(T0 + 6 * SCAN_MS);
      expect(offline()).toEqual([]);
      setStatus('online');
      runTo(T0 + 8 * SCAN_MS);
      expect(offline()).toEqual([]);

      // the device dies: the first failed scan marks the source offline; the alarm follows within two intervals
      const lost = now;
      setStatus('offline');
      runTo(lost + 2 * SCAN_MS);
      const raised = offline();
      expect(raised).toHaveLength(1);
      expect(raised[0]).toMatchObject({ name: 'PLC OFFLINE', state: 'UNACK', active: true });
      expect(Date.parse(String(raised[0].activated_datetime)) - lost).toBeLessThanOrEqual(2 * SCAN_MS);
    });
  }

  it('withdraws a pending OFFLINE when the source is back before its delay ends (no raise-and-clear at once)', () => {
    setup('online');
    svc.start();
    runTo(T0 + SCAN_MS);
    const lost = now;
    setStatus('offline');
    runTo(lost + SCAN_MS);
    // back just before the tick at which the delay (from the first tick that saw it offline) would be over
    setStatus('online');
    runTo(lost + 3 * SCAN_MS);
    expect(offline()).toEqual([]);
  });
});
