/**
 * A vitest setup file that `test/peers/with-postgres.ts --profile` adds: after each test, how many round trips to
 * PostgreSQL it made and the statements that made most of them (src/core/store/pg/bridge.ts counts them). This is
 * how a path that makes one round trip per row shows itself.
 */
import { afterEach, beforeEach, expect } from 'vitest';
import { pgRoundTrips } from '../../src/core/store/pg/bridge';

let start = 0;
let before = new Map<string, number>();
beforeEach(() => {
  start = pgRoundTrips.count;
  before = new Map(pgRoundTrips.bySql ?? []);
});
afterEach(() => {
  const top = [...(pgRoundTrips.bySql ?? [])].map(([sql, n]) => [sql, n - (before.get(sql) ?? 0)] as const).filter(([, n]) => n > 0);
  top.sort((a, b) => b[1] - a[1]);
  const lines = top.slice(0, 6).map(([sql, n]) => `    ${String(n).padStart(7)}  ${sql.replace(/\s+/g, ' ').slice(0, 150)}`);
  process.stdout.write(`[pg] ${pgRoundTrips.count - start} round trips: ${expect.getState().currentTestName}\n${lines.join('\n')}\n`);
});
