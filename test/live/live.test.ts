import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

interface Msg {
  type: string;
  values?: { point_id: number; value: number; quality: string; utc_date_time: string }[];
}

function open(url: string, headers?: Record<string, string>): Promise<{ ws: WebSocket; messages: Msg[]; closed: Promise<number> }> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/live`, { headers });
  const messages: Msg[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

describe('live stream /api/live', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => rt?.stop());

  it('closes 4401 when the first message is not a valid auth', async () => {
    const a = await open(rt.url);
    a.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [1] }));
    expect(await a.closed).toBe(4401);
    const b = await open(rt.url);
    b.ws.send(JSON.stringify({ type: 'auth', user_uuid: rt.headers['User-UUID'], token: 'wrong' }));
    expect(await b.closed).toBe(4401);
    const c = await open(rt.url, { 'User-UUID': 'nobody', Token: 'nothing' });
    expect(await c.closed).toBe(4401);
  });

  it('authenticates, sends current values at once, then at most one batch per 100 ms with the newest value of each point', async () => {
    rt.ctx.values.publish([{ point_id: 11, value: 1, quality: 'good', ts: Date.now() }]);
    const c = await open(rt.url);
    c.ws.send(JSON.stringify({ type: 'auth', user_uuid: rt.headers['User-UUID'], token: rt.headers.Token }));
    await waitFor(() => c.messages.find((m) => m.type === 'ready'), 'ready');
    c.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [11, 12] }));
    const snapshot = await waitFor(() => c.messages.find((m) => m.type === 'values'), 'snapshot');
    expect(snapshot.values).toEqual([expect.objectContaining({ point_id: 11, value: 1, quality: 'good' })]);
    const before = c.messages.length;
    // 1 kHz updates for one second
    const t0 = Date.now();
    let i = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let k = 0; k < 10; k++) rt.ctx.values.publish([{ point_id: 12, value: ++i, quality: 'good', ts: Date.now() }, { point_id: 13, value: i, quality: 'good', ts: Date.now() }]);
        if (Date.now() - t0 >= 1000) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    await waitFor(() => c.messages.at(-1)?.values?.some((v) => v.point_id === 12 && v.value === i), 'the newest value', 2000);
    const batches = c.messages.slice(before).filter((m) => m.type === 'values');
    expect(batches.length).toBeLessThanOrEqual(13);
    expect(batches.length).toBeGreaterThanOrEqual(5);
    for (const b of batches) {
      expect(b.values!.every((v) => v.point_id === 12)).toBe(true); // 13 was never subscribed
      expect(b.values).toHaveLength(1); // coalesced per point
    }
    c.ws.close();
  });

  it('accepts the API headers on the upgrade request', async () => {
    const c = await open(rt.url, { 'User-UUID': rt.headers['User-UUID'], Token: rt.headers.Token });
    await waitFor(() => c.messages.find((m) => m.type === 'ready'), 'ready');
    c.ws.close();
  });

  it('a client that never reads neither blocks the others nor grows without bound', async () => {
    const slow = await open(rt.url, { 'User-UUID': rt.headers['User-UUID'], Token: rt.headers.Token });
    const fast = await open(rt.url, { 'User-UUID': rt.headers['User-UUID'], Token: rt.headers.Token });
    await waitFor(() => slow.messages.length && fast.messages.length, 'both ready');
    const ids = Array.from({ length: 2000 }, (_, k) => 1000 + k);
    slow.ws.send(JSON.stringify({ type: 'subscribe', point_ids: ids }));
    fast.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [1000] }));
    await new Promise((r) => setTimeout(r, 100));
    // stop reading on the slow client's socket: the server's writes pile up in its buffers
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const hub = rt.ctx.services.get('live') as { clients: Set<{ subscribed: Set<number>; pending?: Map<number, unknown> }> };
    const rss0 = process.memoryUsage().rss;
    const payload = 'x'.repeat(200);
    for (let round = 0; round < 60; round++) {
      rt.ctx.values.publish(ids.map((id) => ({ point_id: id, value: `${payload}${round}` as unknown as number, quality: 'good' as const, ts: Date.now() })));
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitFor(() => fast.messages.at(-1)?.values?.[0]?.value === (`${payload}59` as unknown as number), 'the fast client keeps up', 3000);
    for (const c of hub.clients) {
      const pending = (c as unknown as { pending: Map<number, unknown> }).pending;
      expect(pending.size).toBeLessThanOrEqual(c.subscribed.size);
    }
    expect(process.memoryUsage().rss - rss0).toBeLessThan(200 * 1024 * 1024);
    slow.ws.terminate();
    fast.ws.close();
  });
});
