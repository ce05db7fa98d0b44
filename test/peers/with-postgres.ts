/**
 * Runs test files against the store on PostgreSQL: starts a throw-away PostgreSQL (test/peers/postgres.ts), sets
 * SWITCHYARD_TEST_DATABASE so that every `startTestRuntime` gets a fresh database on it, runs vitest on the files
 * given, and stops PostgreSQL. `npx tsx test/peers/with-postgres.ts test/api/entities.test.ts`
 * With `--profile` first, prints after each test its round trips to PostgreSQL and the statements that made most
 * of them (test/peers/pg-profile.ts).
 */
import { spawn } from 'node:child_process';
import { startPostgres } from './postgres';

const profile = process.argv[2] === '--profile';
const files = process.argv.slice(profile ? 3 : 2);
const extra = profile ? ['--config', 'test/peers/vitest.pg-profile.config.ts'] : [];
const peer = await startPostgres();
let code: number;
try {
  code = await new Promise<number>((resolve) => {
    const child = spawn('npx', ['vitest', 'run', ...extra, ...files], {
      stdio: 'inherit',
      env: { ...process.env, SWITCHYARD_TEST_DATABASE: peer.url, ...(profile ? { SWITCHYARD_PG_PROFILE: '1' } : {}) },
    });
    child.once('exit', (c) => resolve(c ?? 1));
  });
} finally {
  await peer.stop();
}
process.exit(code);
