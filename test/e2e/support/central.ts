/**
 * A central server as shipped on a throw-away PostgreSQL (`--database`) with a Sparkplug host configured on a
 * mosquitto broker, a connected test edge node and Chromium on its screens: what the central e2e tests share.
 */
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { TestEdge } from '../../central/edge';
import { startMosquitto, type Peer } from '../../peers/peers';
import { startPostgres, type PostgresPeer } from '../../peers/postgres';
import { freePort } from '../../support/process';
import { type E2eServer, startE2e } from './browser';

export interface CentralE2e {
  e2e: E2eServer;
  page: Page;
  edge: TestEdge;
  /** console errors of the page, each with the URL it came from */
  consoleErrors: string[];
  /** stops the broker, or starts it again on the same port */
  broker(up: boolean): Promise<void>;
  stop(): Promise<void>;
}

export async function startCentralE2e(password: string, hostId: string, group: string, node: string): Promise<CentralE2e> {
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const port = await freePort();
    let broker: Peer | null = await startMosquitto(port);
    stops.push(async () => broker?.stop());
    const setBroker = async (up: boolean) => {
      if (!up) await broker?.stop();
      broker = up ? (broker ?? (await startMosquitto(port))) : null;
    };
    const db: PostgresPeer = await startPostgres();
    stops.push(() => db.stop());
    const e2e = await startE2e('--empty', password, { width: 1366, height: 900 }, ['--database', db.url]);
    stops.push(() => e2e.stop());
    const consoleErrors: string[] = [];
    e2e.page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`${m.text()} ${m.location().url}`));
    const r = await fetch(`${e2e.server.url}/api/sparkplughosts`, {
      method: 'POST',
      headers: e2e.headers,
      body: JSON.stringify({ data: { name: 'Control room', broker_url: `mqtt://127.0.0.1:${port}`, host_id: hostId, group_ids: group } }),
    });
    expect(r.status).toBe(201);
    const edge = new TestEdge(`mqtt://127.0.0.1:${port}`, group, node);
    stops.push(() => edge.end());
    await edge.connect();
    return { e2e, page: e2e.page, edge, consoleErrors, broker: setBroker, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
