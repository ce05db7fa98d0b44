/**
 * One "server" of test/store/pg-partitions.test.ts: the historian's storage on a PostgreSQL store (its own
 * synchronous connection, as a server has), started as a child process so that two of them really run at once.
 * Usage: tsx pg-partition-peer.ts <url> <dataDir> <barrier key> write <point id> <first month ms> <months>
 *        tsx pg-partition-peer.ts <url> <dataDir> <barrier key> purge <before ms>
 * Both wait on the PostgreSQL advisory lock <barrier key>, which the test holds until both are waiting, then:
 * write: one sample on the 15th of each month (+ the point id in seconds) for the point, every segment stored;
 * purge: the historian's retention (its partition drop, then what is left row by row), printing "PURGED <samples>".
 */
import { historianMigrations } from '../../src/core/historian/migrations';
import { sqliteStorage } from '../../src/core/historian/storage';
import { openStore } from '../../src/core/store/store';

const [url, dir, barrier, mode, ...args] = process.argv.slice(2);
const store = openStore(dir, [historianMigrations], { database: url });
const storage = sqliteStorage(store);
process.stdout.write('READY\n');
store.db.prepare('SELECT pg_advisory_lock(?)').get(Number(barrier));
store.db.prepare('SELECT pg_advisory_unlock(?)').get(Number(barrier));
if (mode === 'write') {
  const [point, first, months] = args.map(Number);
  for (let m = 0; m < months; m++) {
    const d = new Date(first);
    const ts = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + m, 15) + point * 1000;
    storage.write([{ point_id: point, ts, value: m, quality: 'good' }], []);
  }
  storage.seal();
  process.stdout.write('WRITTEN\n');
} else {
  let n = 0;
  for (const k of storage.purge(Number(args[0]))) n += k;
  process.stdout.write(`PURGED ${n}\n`);
}
store.close();
