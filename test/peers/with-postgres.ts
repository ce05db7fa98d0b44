/**
 * Runs test files against the store on PostgreSQL: starts a throw-away PostgreSQL (test/peers/postgres.ts), sets
 * SWITCHYARD_TEST_DATABASE so that every `startTestRuntime` gets a fresh database on it, runs vitest on the files
 * given, and stops PostgreSQL. `npx tsx test/peers/with-postgres.ts test/api/entities.test.ts`
 */
import { spawn } from 'node:child_process';
import { startPostgres } from './postgres';

const files = process.argv.slice(2);
const peer = await startPostgres();
let code: number;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['vitest', 'run', ...files], { stdio: 'inherit', env: { ...process.env, SWITCHYARD_TEST_DATABASE: peer.url } });
    child.once('exit', (c) => resolve(c ?? 1));
  });
} finally {
  await peer.stop();
}
process.exit(code);
