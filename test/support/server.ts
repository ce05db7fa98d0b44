/**
 * A Switchyard server as users start it (`npm run serve`'s built JavaScript in a child process, see process.ts),
 * driven only through its HTTP API: data sources and points are created, values read and writes sent the way a
 * commissioning engineer or a script does. stop() ends the child by its PID and removes the data directory.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, login, serve, type Served } from './process';
import { waitFor } from './wait';

export const SERVER_PASSWORD = 'Child-Server-Pass-1';

export interface Latest {
  point_id: number;
  value: number | string | null;
  quality: string;
  utc_date_time: string | null;
}

export interface ApiServer {
  served: Served;
  url: string;
  headers: Record<string, string>;
  api<T = unknown>(method: string, route: string, data?: unknown): Promise<{ status: number; body: T }>;
  /** a data source on a gateway of its own; connection as an object */
  createSource(name: string, protocol: string, connection: Record<string, unknown>): Promise<number>;
  createPoint(dataSourceId: number, name: string, address: Record<string, unknown>, extra?: Record<string, unknown>): Promise<number>;
  latest(pointId: number): Promise<Latest>;
  /** waits (generously: the machine may be loaded) until the point's latest value satisfies `ok` */
  waitLatest(pointId: number, ok: (l: Latest) => boolean, what: string, timeoutMs?: number): Promise<Latest>;
  status(dataSourceId: number): Promise<string>;
  stop(): Promise<void>;
}

/** `command`: what node runs (default: `npm run serve`'s script; e.g. the bundle out/main/cli.js with 'serve') */
export async function startServer(seed: '--demo' | '--empty' = '--empty', extraArgs: string[] = [], command?: string[]): Promise<ApiServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-child-'));
  let served: Served;
  try {
    served = await serve(['--port', String(await freePort()), '--data-dir', dataDir, seed, ...extraArgs], { SWITCHYARD_ADMIN_PASSWORD: SERVER_PASSWORD }, undefined, command);
  } catch (e) {
    fs.rmSync(dataDir, { recursive: true, force: true });
    throw e;
  }
  const stop = async () => {
    await served.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let headers: Record<string, string>;
  try {
    ({ headers } = await login(served.url, 'administrator', SERVER_PASSWORD));
  } catch (e) {
    await stop();
    throw e;
  }
  const api = async <T>(method: string, route: string, data?: unknown) => {
    const r = await fetch(`${served.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // plain text answer
    }
    return { status: r.status, body: body as T };
  };
  const must = async (method: string, route: string, data: unknown): Promise<number> => {
    const r = await api<{ id: number }>(method, route, data);
    if (r.status !== 201) throw new Error(`${method} ${route}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  };
  const latest = async (pointId: number) => (await api<Latest>('GET', `/points/${pointId}/latest`)).body;
  return {
    served,
    url: served.url,
    headers,
    api,
    async createSource(name, protocol, connection) {
      const gateway = await must('POST', '/gateways', { name: `${name} gateway` });
      return must('POST', '/datasources', { name, gateway_id: gateway, protocol, connection: JSON.stringify(connection) });
    },
    createPoint(dataSourceId, name, address, extra = {}) {
      return must('POST', '/points', { name, data_source_id: dataSourceId, object_type: 'ANALOG_VALUE', is_trend: true, address: JSON.stringify(address), ...extra });
    },
    latest,
    async waitLatest(pointId, ok, what, timeoutMs = 30_000) {
      let last: Latest | undefined;
      try {
        return await waitFor(async () => {
          last = await latest(pointId);
          return ok(last) && last;
        }, what, timeoutMs, 100);
      } catch (e) {
        throw new Error(`${(e as Error).message}; last value of point ${pointId}: ${JSON.stringify(last)}`, { cause: e });
      }
    },
    async status(dataSourceId) {
      return (await api<{ status: string }>('GET', `/datasources/${dataSourceId}`)).body.status;
    },
    stop,
  };
}
