import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createRuntime, type Runtime, type RuntimeContext } from '../../src/core/runtime';
import { login } from './process';

export const ADMIN_PASSWORD = 'Switchyard-Test-1';

export interface TestRuntime {
  runtime: Runtime;
  url: string;
  dataDir: string;
  ctx: RuntimeContext;
  /** the administrator's session headers */
  headers: Record<string, string>;
  api<T = unknown>(method: string, route: string, data?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/**
 * A real runtime in this process on an ephemeral loopback port with a fresh data directory. With
 * SWITCHYARD_TEST_DATABASE (a PostgreSQL server's URL; `test/peers/with-postgres.ts` sets it) its store is a fresh
 * database on that server instead of SQLite, dropped at stop: an API test file runs unchanged on PostgreSQL.
 */
export async function startTestRuntime(opts: { seed?: 'demo' | 'empty'; dataDir?: string } = {}): Promise<TestRuntime> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sy-test-'));
  // a restart on the same data directory finds the same database; the runtime that made it drops it
  const reused = testDatabases.get(dataDir);
  const database = reused ? null : process.env.SWITCHYARD_TEST_DATABASE ? await createTestDatabase(process.env.SWITCHYARD_TEST_DATABASE) : null;
  if (database) testDatabases.set(dataDir, database.url);
  const databaseUrl = reused ?? database?.url;
  const runtime = createRuntime({ dataDir, port: 0, seed: opts.seed ?? 'empty', adminPassword: ADMIN_PASSWORD, log: () => undefined, ...(databaseUrl ? { database: { url: databaseUrl } } : {}) });
  const { url } = await runtime.start();
  const { headers } = await login(url, 'administrator', ADMIN_PASSWORD);
  const api = async <T>(method: string, route: string, data?: unknown) => {
    const r = await fetch(`${url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // plain text answer
    }
    return { status: r.status, body: body as T };
  };
  return {
    runtime,
    url,
    dataDir,
    ctx: runtime.context!,
    headers,
    api,
    async stop() {
      await runtime.stop();
      if (database) {
        testDatabases.delete(dataDir);
        await database.drop();
      }
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const testDatabases = new Map<string, string>();

/** A fresh database on the PostgreSQL server at serverUrl; drop() removes it. */
export async function createTestDatabase(serverUrl: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `sy_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  const run = async (sql: string) => {
    const pool = new pg.Pool({ connectionString: admin.href, max: 1 });
    try {
      await pool.query(sql);
    } finally {
      await pool.end();
    }
  };
  await run(`CREATE DATABASE ${name}`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.href, drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export { waitFor } from './wait';
