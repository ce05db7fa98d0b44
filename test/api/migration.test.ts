import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/core/runtime';
import { STORE_FILE, StoreVersionError } from '../../src/core/store/store';
import { startTestRuntime } from '../support/runtime';

const digest = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('store versions', () => {
  it('upgrades a store made by an older version in place, keeping its data', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-migrate-'));
    const first = await startTestRuntime({ dataDir });
    const cc = (await first.api<{ id: number }>('POST', '/costcenters', { name: 'Old CC', external_id: 'X' })).body.id;
    const meter = (await first.api<{ id: number }>('POST', '/meters', { name: 'Old meter', energy_category_id: 1, cost_center_id: cc })).body.id;
    await first.runtime.stop();

    // make it look like a store from before the historian and before meters had hourly_high_limit
    const db = new Database(path.join(dataDir, STORE_FILE));
    db.exec(`DROP TABLE sample_segments; DROP TABLE sample_log; DROP TABLE sample_ranges; DROP TABLE point_latest; DELETE FROM schema_migrations WHERE feature = 'historian';
             ALTER TABLE meters DROP COLUMN hourly_high_limit;`);
    db.close();

    const again = await startTestRuntime({ dataDir });
    try {
      const m = await again.api<{ name: string; hourly_high_limit: number | null }>('GET', `/meters/${meter}`);
      expect(m.status).toBe(200);
      expect(m.body.name).toBe('Old meter');
      expect('hourly_high_limit' in m.body).toBe(true);
      const versions = again.ctx.store.db.prepare("SELECT version FROM schema_migrations WHERE feature = 'historian'").all();
      expect(versions.length).toBeGreaterThan(0);
      expect(again.ctx.store.db.prepare("SELECT name FROM sqlite_master WHERE name = 'sample_segments'").get()).toBeTruthy();
    } finally {
      await again.stop();
      // the directory was given to the runtime, so the test removes it
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a store from a newer version with a clear message and leaves it untouched', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-newer-'));
    const first = await startTestRuntime({ dataDir });
    await first.runtime.stop();
    const file = path.join(dataDir, STORE_FILE);
    const db = new Database(file);
    db.pragma('journal_mode = DELETE');
    db.prepare("INSERT INTO schema_migrations (feature, version, name, applied_at) VALUES ('core', 999, 'from the future', '2030-01-01')").run();
    db.close();
    const before = digest(file);
    const runtime = createRuntime({ dataDir, port: 0, log: () => undefined });
    const err = await runtime.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoreVersionError);
    expect(String((err as Error).message)).toMatch(/newer|version/i);
    expect(digest(file)).toBe(before);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
