import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

/** A real runtime in this process on an ephemeral loopback port with a fresh data directory. */
export async function startTestRuntime(opts: { seed?: 'demo' | 'empty'; dataDir?: string } = {}): Promise<TestRuntime> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sy-test-'));
  const runtime = createRuntime({ dataDir, port: 0, seed: opts.seed ?? 'empty', adminPassword: ADMIN_PASSWORD, log: () => undefined });
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
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export { waitFor } from './wait';
