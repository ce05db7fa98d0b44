import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { historianMigrations, sqliteStorage } from '../../src/core/historian/storage';
import { migrate, type Store } from '../../src/core/store/store';

describe('historian migration 2: rows ordered by point into time-ordered segments', () => {
  it('keeps every sample of a version 1 store, with its value, text and quality', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-hist-mig-'));
    const db = new Database(path.join(dir, 'h.db'));
    try {
      migrate(db, [{ feature: 'historian', migrations: historianMigrations.migrations.filter((m) => m.version === 1) }]);
      const insert = db.prepare('INSERT INTO samples (point_id, ts, value, text_value, quality) VALUES (?, ?, ?, ?, ?)');
      const t = Date.parse('2026-11-01T00:00:00Z');
      // point 4: 3 hours at 1 s with a text value every 100th and a comm_fail every 7th; point 9: a few, far apart
      const want = new Map<number, { ts: number; value: number | string | null; quality: string }[]>([[4, []], [9, []]]);
      const qualities = ['good', 'bad', 'stale', 'comm_fail'];
      db.transaction(() => {
        for (let i = 0; i < 10_800; i++) {
          const text = i % 100 === 0 ? `state ${i}` : null;
          const value = text ? null : i % 13 === 0 ? null : (i * 1.1) % 50;
          const q = i % 7 === 0 ? 3 : 0;
          insert.run(4, t + i * 1000, value, text, q);
          want.get(4)!.push({ ts: t + i * 1000, value: text ?? value, quality: qualities[q] });
        }
        for (const [k, ts] of [0, 86_400_000, 86_400_000 * 40].entries()) {
          insert.run(9, t + ts, k, null, 1);
          want.get(9)!.push({ ts: t + ts, value: k, quality: 'bad' });
        }
      })();
      migrate(db, [historianMigrations]);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'samples'").get()).toBeUndefined();
      const storage = sqliteStorage({ db } as unknown as Store);
      for (const [p, xs] of want) {
        expect([...storage.scan(p, 0, Date.now() + 86_400_000 * 365)]).toEqual(xs);
        expect(storage.bounds(p, 0, t + 86_400_000 * 365)).toEqual({ first: xs[0].ts, last: xs[xs.length - 1].ts });
        expect(storage.latest(p)).toMatchObject({ ts: xs[xs.length - 1].ts, value: xs[xs.length - 1].value });
      }
      // a range inside: both ends inclusive
      expect([...storage.scan(4, t + 59_000, t + 61_000)].map((s) => s.ts)).toEqual([t + 59_000, t + 60_000, t + 61_000]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
