/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the COMMIT of whichever
 * transaction crosses 1,000 WAL pages: it copies ~4 MB into the database file and syncs it while the event loop
 * waits (hundreds of ms on a busy disk). The runtime turns it off on its connection (wal_autocheckpoint = 0) and a
 * worker thread with its own connection to the same file runs PASSIVE checkpoints every `everyMs`: they copy what
 * no reader still needs and never block the writer (no lock the main connection waits on), so once a checkpoint
 * has caught up the next write starts the WAL again from its beginning and the file stays small.
 * If the worker cannot start or dies, the main connection's automatic checkpoint is turned back on: never a WAL
 * that grows without bound.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Store } from './store';

/** the pages after which SQLite checkpoints in COMMIT by itself (its default), restored when the worker stops */
const AUTO_CHECKPOINT_PAGES = 1000;
export const CHECKPOINT_EVERY_MS = 1000;

export interface CheckpointStats {
  /** checkpoints run */
  count: number;
  /** the longest one, ms (in the worker: the event loop is not held meanwhile) */
  longestMs: number;
  /** frames in the WAL at the last checkpoint, and how many of them it copied */
  lastLog: number;
  lastCheckpointed: number;
  /** checkpoints that could not copy every frame (a reader still used them) */
  partial: number;
}

export interface Checkpointer {
  /** figures the worker last reported */
  stats(): CheckpointStats;
  /** runs one checkpoint now and resolves with its figures (tests, benches) */
  checkpoint(): Promise<CheckpointStats>;
  /** a last checkpoint, the worker's connection closed, the automatic checkpoint back on the main connection */
  stop(): Promise<void>;
}

// CommonJS evaluated as the worker's script (eval: no separate file to locate in out/ or in a packaged app)
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 0');
// a checkpoint copies WAL frames into the database file and does not need this connection's page cache: a few
// pages are enough (SQLite's default would let it grow to 2 MB of memory that nothing reads again)
db.pragma('cache_size = 16');
const stats = { count: 0, longestMs: 0, lastLog: 0, lastCheckpointed: 0, partial: 0 };
const run = () => {
  const t0 = performance.now();
  const [r] = db.pragma('wal_checkpoint(PASSIVE)');
  const ms = performance.now() - t0;
  stats.count++;
  if (ms > stats.longestMs) stats.longestMs = ms;
  stats.lastLog = r.log;
  stats.lastCheckpointed = r.checkpointed;
  if (r.busy || r.checkpointed < r.log) stats.partial++;
};
const safe = () => { try { run(); } catch (e) { parentPort.postMessage({ type: 'error', message: e.message }); } };
const timer = setInterval(() => { safe(); parentPort.postMessage({ type: 'stats', stats }); }, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'now') { safe(); parentPort.postMessage({ type: 'now', stats }); }
  if (m === 'stop') {
    clearInterval(timer);
    safe();
    db.close();
    parentPort.postMessage({ type: 'stopped', stats });
    parentPort.close();
  }
});
parentPort.postMessage({ type: 'ready' });
`;

export function startCheckpointer(store: Store, log: (line: string) => void, everyMs = CHECKPOINT_EVERY_MS): Checkpointer {
  let stats: CheckpointStats = { count: 0, longestMs: 0, lastLog: 0, lastCheckpointed: 0, partial: 0 };
  const autoOn = () => {
    if (store.db.open) store.db.pragma(`wal_autocheckpoint = ${AUTO_CHECKPOINT_PAGES}`);
  };
  let worker: Worker | null = null;
  const waiting: ((s: CheckpointStats) => void)[] = [];
  let stopped: Promise<void> | null = null;
  try {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    worker = new Worker(WORKER, { eval: true, workerData: { file: store.file, driver, everyMs }, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 } });
    store.db.pragma('wal_autocheckpoint = 0');
  } catch (e) {
    log(`store: checkpoints stay in the write path (${(e as Error).message})`);
    autoOn();
  }
  worker?.unref();
  worker?.on('message', (m: { type: string; stats?: CheckpointStats; message?: string }) => {
    if (m.stats) stats = m.stats;
    if (m.type === 'error') log(`store: checkpoint failed: ${m.message}`);
    if (m.type === 'now') waiting.shift()?.(stats);
  });
  worker?.on('error', (e) => log(`store: the checkpoint worker failed (${e.message}); checkpoints are back in the write path`));
  worker?.on('exit', () => {
    // a worker that ends (stopped, or failed) leaves the checkpoints to SQLite's automatic ones again
    autoOn();
    worker = null;
    for (const w of waiting.splice(0)) w(stats);
  });
  return {
    stats: () => stats,
    checkpoint() {
      const w = worker;
      if (!w) return Promise.resolve(stats);
      return new Promise((resolve) => {
        waiting.push(resolve);
        w.postMessage('now');
      });
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        const w = worker;
        if (!w) return resolve();
        // a worker that does not end within a few seconds (it never should: PASSIVE does not wait) is ended, so a
        // stop never hangs; nothing is lost, the main connection checkpoints when it closes
        const force = setTimeout(() => void w.terminate(), 5000);
        w.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        w.postMessage('stop');
      });
      return stopped;
    },
  };
}
