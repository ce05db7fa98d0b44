import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FLUSH_MS } from '../../src/core/historian/feature';
import Database from 'better-sqlite3';
import { sqliteStorage } from '../../src/core/historian/storage';
import type { Store } from '../../src/core/store/store';
import { ROOT, START_DEADLINE_MS } from '../support/process';

describe('historian durability', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-sigkill-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it('a SIGKILL loses at most the batch in flight', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test', 'historian', 'publisher.ts'), dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const pointId = await new Promise<number>((resolve, reject) => {
      // waited on with a generous deadline (a loaded machine starts slowly); a publisher that never starts is killed
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`publisher did not start:\n${out}`));
      }, START_DEADLINE_MS);
      child.stdout.on('data', (d) => {
        out += d;
        const m = /POINT (\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.stderr.on('data', (d) => (out += d));
    });
    try {
      await new Promise((r) => setTimeout(r, 2000));
      const killedAt = Date.now();
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      const db = new Database(path.join(dataDir, 'switchyard.db'));
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
        // read as the next start would: the current minute of each point comes back from the write-ahead log
        const rows = [...sqliteStorage({ db } as Store).scan(pointId, 0, Date.now() + 60_000)] as { ts: number; value: number }[];
        expect(rows.length).toBeGreaterThan(100); // about 2,000 on an idle machine, a few hundred on a loaded one
        // nothing lost in the middle: values are consecutive from the first sample on
        rows.forEach((r, k) => expect(r.value).toBe(k));
        // only the tail, younger than about one flush interval (plus scheduling slack on a busy machine), is missing
        const lost = killedAt - rows[rows.length - 1].ts;
        expect(lost).toBeLessThan(FLUSH_MS * 4);
      } finally {
        db.close();
      }
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 180_000);
});
