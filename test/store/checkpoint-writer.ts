/**
 * A store written as fast as it goes while the checkpoint worker checkpoints every 5 ms, until it is killed.
 * Usage: tsx checkpoint-writer.ts <dataDir>; prints "COMMITTED <n>" after every 50th commit (rows 0..n-1 are then
 * durable) and "CHECKPOINTS <count>" as the worker reports them.
 */
import { startCheckpointer } from '../../src/core/store/checkpointer';
import { openStore } from '../../src/core/store/store';

const store = openStore(process.argv[2], [
  { feature: 'test', migrations: [{ version: 1, name: 'rows', up: (db) => db.exec('CREATE TABLE rows (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)') }] },
]);
const checkpointer = startCheckpointer(store, (line) => process.stderr.write(`${line}\n`), 5);
const insert = store.db.prepare('INSERT INTO rows (n, pad) VALUES (?, ?)');
const pad = Buffer.alloc(900, 7);
let n = 0;
let commits = 0;
const step = () => {
  // a few pages per transaction, so the WAL grows and is checkpointed many times a second
  store.tx(() => {
    for (let k = 0; k < 20; k++) insert.run(n++, pad);
  });
  if (++commits % 50 === 0) process.stdout.write(`COMMITTED ${n} CHECKPOINTS ${checkpointer.stats().count}\n`);
  setImmediate(step);
};
step();
