import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { startCheckpointer } from '../../src/core/store/checkpointer';
import { openStore, type Store } from '../../src/core/store/store';
import { ROOT, START_DEADLINE_MS } from '../support/process';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-checkpoint-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const rowsFeature = [{ feature: 'test', migrations: [{ version: 1, name: 'rows', up: (db: Database.Database) => db.exec('CREATE TABLE rows (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)') }] }];
const until = async (what: string, ok: () => boolean, ms = 60_000) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

// SQLite's WAL only: a store on PostgreSQL (SWITCHYARD_DATABASE, whole suites run on it) has no checkpointer
describe.skipIf(!!process.env.SWITCHYARD_DATABASE)('WAL checkpoints in a worker thread', () => {
  it('takes the checkpoints off the main connection and keeps the WAL from growing', async () => {
    const store: Store = openStore(tmp(), rowsFeature);
    const cp = startCheckpointer(store, () => undefined, 60_000);
    try {
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
      const insert = store.db.prepare('INSERT INTO rows (n, pad) VALUES (?, ?)');
      // ~2,400 pages: beyond SQLite's automatic checkpoint at 1,000, which is off on this connection
      store.tx(() => {
        for (let n = 0; n < 10_000; n++) insert.run(n, Buffer.alloc(900, 1));
      });
      const big = await cp.checkpoint();
      expect(big.lastLog).toBeGreaterThan(1000);
      expect(big.lastCheckpointed).toBe(big.lastLog);
      // every frame was copied: the next write starts the WAL again from its beginning
      insert.run(10_000, Buffer.alloc(900, 2));
      const small = await cp.checkpoint();
      expect(small.lastLog).toBeLessThan(10);
      expect(small.count).toBe(big.count + 1);
      // what the worker copied is in the database file: a reader sees every row
      const reader = new Database(store.file, { readonly: true });
      expect(reader.prepare('SELECT COUNT(*) FROM rows').pluck().get()).toBe(10_001);
      reader.close();
    } finally {
      await cp.stop();
      // stopped: SQLite's own automatic checkpoint is back on
      expect(store.db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
      store.close();
    }
  });

  it('turns the automatic checkpoint back on when the worker cannot open the store', async () => {
    const store = openStore(tmp(), rowsFeature);
    const lines: string[] = [];
    const cp = startCheckpointer({ ...store, file: path.join(tmp(), 'missing.db') }, (l) => lines.push(l), 10);
    try {
      await until('the worker to fail', () => store.db.pragma('wal_autocheckpoint', { simple: true }) === 1000);
      await until('the failure to be logged', () => lines.some((l) => /checkpoint worker failed/.test(l)));
      expect((await cp.checkpoint()).count).toBe(0);
    } finally {
      await cp.stop();
      store.close();
    }
  });

  it('loses no committed row when the process is killed while the worker checkpoints', async () => {
    const dir = tmp();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'store', 'checkpoint-writer.ts'), dir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    try {
      // killed once the worker has checkpointed many times under the writer
      const report = () => [...out.matchAll(/COMMITTED (\d+) CHECKPOINTS (\d+)/g)].map((m) => ({ committed: Number(m[1]), checkpoints: Number(m[2]) }));
      await until('the writer to checkpoint 50 times', () => (report().at(-1)?.checkpoints ?? 0) >= 50 || child.exitCode !== null, START_DEADLINE_MS);
      expect(child.exitCode, out).toBeNull();
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const committed = report().at(-1)!.committed;
      const db = new Database(path.join(dir, 'switchyard.db'));
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        const { count, max } = db.prepare('SELECT COUNT(*) AS count, MAX(n) AS max FROM rows').get() as { count: number; max: number };
        // every row reported committed is there, and nothing is missing in between
        expect(count).toBeGreaterThanOrEqual(committed);
        expect(max).toBe(count - 1);
      } finally {
        db.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
