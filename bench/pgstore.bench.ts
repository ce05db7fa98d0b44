/**
 * The store on PostgreSQL against SQLite, statement by statement: the same better-sqlite3-shaped calls the features
 * make (a select by id, an insert with its lastInsertRowid, a transaction of 10 inserts), timed one by one on each
 * backend; prints the medians and the ratio. PostgreSQL is a throw-away cluster with its durable defaults.
 * `npm run bench -- pgstore`
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PgDatabase } from '../src/core/store/pg/db';
import { startPostgres } from '../test/peers/postgres';

type Db = Pick<Database.Database, 'prepare' | 'exec' | 'transaction'>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function measure(db: Db, n: number): Record<string, number> {
  db.exec('CREATE TABLE bench_points (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, units TEXT, high_limit REAL)');
  const insert = db.prepare('INSERT INTO bench_points (name, units, high_limit) VALUES (?, ?, ?)');
  const select = db.prepare('SELECT * FROM bench_points WHERE id = ?');
  const times: Record<string, number[]> = { insert: [], select: [], 'transaction of 10 inserts': [] };
  let k = 0;
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    insert.run(`p${k++}`, 'kW', 100);
    times.insert.push(performance.now() - t);
    t = performance.now();
    select.get(1 + (i % k));
    times.select.push(performance.now() - t);
    if (i % 10 === 0) {
      t = performance.now();
      db.transaction(() => {
        for (let j = 0; j < 10; j++) insert.run(`p${k++}`, 'kW', 100);
      })();
      times['transaction of 10 inserts'].push(performance.now() - t);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, xs]) => [name, median(xs)]));
}

export async function run(): Promise<void> {
  const n = 500;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-bench-pgstore-'));
  const sqlite = new Database(path.join(dir, 'bench.db'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  const lite = measure(sqlite, n);
  sqlite.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const peer = await startPostgres({ durable: true });
  let pgFigures: Record<string, number>;
  try {
    const pg = new PgDatabase(peer.url);
    pgFigures = measure(pg as unknown as Db, n);
    pg.close();
  } finally {
    await peer.stop();
  }
  process.stdout.write(`load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} cores; ${n} statements of each kind, medians:\n`);
  for (const name of Object.keys(lite)) {
    process.stdout.write(`  ${name.padEnd(28)} SQLite ${(lite[name] * 1000).toFixed(0).padStart(6)} µs   PostgreSQL ${(pgFigures[name] * 1000).toFixed(0).padStart(6)} µs   (${(pgFigures[name] / lite[name]).toFixed(1)}x)\n`);
  }
}
