import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveHub } from '../../src/core/live/feature';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { ValueBatch } from '../../src/core/values/batch';

interface Msg {
  type: string;
  values?: { point_id: number; value: number | string; quality: string; utc_date_time: string }[];
  [k: string]: unknown;
}

interface Client {
  ws: WebSocket;
  messages: Msg[];
  closed: Promise<number>;
}

function open(url: string, headers?: Record<string, string>, query = ''): Promise<Client> {
  const ws = new WebSocket(`${url.replace('http', 'ws')}/api/live${query}`, { headers });
  const messages: Msg[] = [];
  ws.on('message', (d) => messages.push(JSON.parse(String(d))));
  const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws, messages, closed }));
    ws.once('error', reject);
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('live stream /api/live', () => {
  let rt: TestRuntime;
  let hub: LiveHub;
  let session: Record<string, string>;
  beforeAll(async () => {
    rt = await startTestRuntime();
    hub = rt.ctx.services.get('live') as LiveHub;
    session = { 'User-UUID': rt.headers['User-UUID'], Token: rt.headers.Token };
  });
  afterAll(async () => rt?.stop());

  async function authed(): Promise<Client> {
    const c = await open(rt.url, session);
    await waitFor(() => c.messages.find((m) => m.type === 'ready'), 'ready');
    return c;
  }

  it('closes 4401 when the first message is not a valid auth, and without any message after the auth timeout', async () => {
    const a = await open(rt.url);
    a.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [1] }));
    expect(await a.closed).toBe(4401);
    const b = await open(rt.url);
    b.ws.send(JSON.stringify({ type: 'auth', user_uuid: rt.headers['User-UUID'], token: 'wrong' }));
    expect(await b.closed).toBe(4401);
    const c = await open(rt.url, { 'User-UUID': 'nobody', Token: 'nothing' });
    expect(await c.closed).toBe(4401);
    const d = await open(rt.url);
    d.ws.send('not json');
    expect(await d.closed).toBe(4401);
    const e = await open(rt.url, { 'API-Key': 'no-such-key' });
    expect(await e.closed).toBe(4401);

    const saved = hub.limits.authTimeoutMs;
    hub.limits.authTimeoutMs = 300;
    try {
      const silent = await open(rt.url);
      expect(await silent.closed).toBe(4401);
      expect(silent.messages).toEqual([]);
    } finally {
      hub.limits.authTimeoutMs = saved;
    }
  });

  it('an unauthenticated client receives nothing that is broadcast', async () => {
    const anon = await open(rt.url);
    const c = await authed();
    hub.broadcast({ type: 'alarms', changed: [{ id: 1 }] });
    await waitFor(() => c.messages.find((m) => m.type === 'alarms'), 'the broadcast');
    expect(anon.messages).toEqual([]);
    anon.ws.close();
    c.ws.close();
  });

  it('authenticates, sends current values at once, then at most one batch per 100 ms with the newest value of each point', async () => {
    rt.ctx.values.publish(ValueBatch.of([{ point_id: 11, value: 1, quality: 'good', ts: Date.now() }]));
    const c = await open(rt.url);
    try {
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
          for (let k = 0; k < 10; k++) rt.ctx.values.publish(ValueBatch.of([{ point_id: 12, value: ++i, quality: 'good', ts: Date.now() }, { point_id: 13, value: i, quality: 'good', ts: Date.now() }]));
          if (Date.now() - t0 >= 1000) {
            clearInterval(timer);
            resolve();
          }
        }, 10);
      });
      await waitFor(() => c.messages.at(-1)?.values?.some((v) => v.point_id === 12 && v.value === i), 'the newest value', 2000);
      const batches = c.messages.slice(before).filter((m) => m.type === 'values');
      // many more updates than batches (a loaded machine runs fewer timer rounds, so no fixed count of updates)
      expect(i).toBeGreaterThan(batches.length * 10);
      expect(batches.length).toBeLessThanOrEqual(12);
      expect(batches.length).toBeGreaterThanOrEqual(5);
      for (const b of batches) {
        expect(b.values!.every((v) => v.point_id === 12)).toBe(true); // 13 was never subscribed
        expect(b.values).toHaveLength(1); // coalesced per point
      }
      // values increase from batch to batch: the newest of each window, never an older one after a newer
      const seen = batches.map((b) => b.values![0].value as number);
      expect([...seen].sort((x, y) => x - y)).toEqual(seen);

      c.ws.send(JSON.stringify({ type: 'unsubscribe', point_ids: [12] }));
      c.ws.send(JSON.stringify({ type: 'ping' }));
      await waitFor(() => c.messages.find((m) => m.type === 'pong'), 'pong');
      const after = c.messages.length;
      rt.ctx.values.publish(ValueBatch.of([{ point_id: 12, value: -1, quality: 'good', ts: Date.now() }]));
      await sleep(300);
      // no value of the unsubscribed point (the periodic status may come in this window)
      expect(c.messages.slice(after).filter((m) => m.type !== 'status')).toEqual([]);
    } finally {
      c.ws.close();
    }
  });

  it("sends a large subscription's current values in parts of snapshotChunk points, every value once", async () => {
    const saved = hub.limits.snapshotChunk;
    hub.limits.snapshotChunk = 1000;
    const c = await authed();
    try {
      const ids = Array.from({ length: 3500 }, (_, k) => 20_000 + k);
      const ts = Date.now();
      // every point but each seventh has a value (those are left out, as before any value)
      rt.ctx.values.publish(ValueBatch.of(ids.filter((id) => id % 7).map((id) => ({ point_id: id, value: id * 2, quality: 'good' as const, ts }))));
      c.ws.send(JSON.stringify({ type: 'subscribe', point_ids: ids }));
      const want = ids.filter((id) => id % 7);
      const got = () => c.messages.filter((m) => m.type === 'values').flatMap((m) => m.values!);
      await waitFor(() => got().length >= want.length, 'every current value');
      await sleep(100);
      const parts = c.messages.filter((m) => m.type === 'values');
      expect(parts.length).toBeGreaterThanOrEqual(4);
      for (const p of parts) expect(p.values!.length).toBeLessThanOrEqual(1000);
      expect(got().map((v) => v.point_id)).toEqual(want);
      expect(got().every((v) => v.value === v.point_id * 2 && v.quality === 'good' && v.utc_date_time === new Date(ts).toISOString())).toBe(true);

      // requests run in order: an unsubscribe sent right behind a large subscribe is not undone by its later parts
      c.ws.send(JSON.stringify({ type: 'subscribe', point_ids: ids }));
      c.ws.send(JSON.stringify({ type: 'unsubscribe', point_ids: ids.slice(1000) }));
      c.ws.send(JSON.stringify({ type: 'ping' }));
      await waitFor(() => c.messages.find((m) => m.type === 'pong'), 'pong');
      await sleep(300);
      const mark = c.messages.length;
      rt.ctx.values.publish(ValueBatch.of(ids.map((id) => ({ point_id: id, value: -id, quality: 'good' as const, ts: Date.now() }))));
      await waitFor(() => c.messages.slice(mark).some((m) => m.type === 'values'), 'the change');
      await sleep(300);
      const changed = c.messages.slice(mark).filter((m) => m.type === 'values').flatMap((m) => m.values!);
      expect(changed.map((v) => v.point_id).sort((x, y) => x - y)).toEqual(ids.slice(0, 1000));
    } finally {
      hub.limits.snapshotChunk = saved;
      c.ws.close();
    }
  });

  it('sends values as columns to a client that asks for them (?format=columns), the same values as objects', async () => {
    const ts = Date.now();
    rt.ctx.values.publish(
      ValueBatch.of([
        { point_id: 31, value: 1.5, quality: 'good', ts },
        { point_id: 32, value: 'on', quality: 'manual', ts: ts + 1 },
      ]),
    );
    const objects = await authed();
    const columns = await open(rt.url, session, '?format=columns');
    try {
      await waitFor(() => columns.messages.find((m) => m.type === 'ready'), 'ready');
      for (const c of [objects, columns]) c.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [31, 32, 33] }));
      const asObjects = await waitFor(() => objects.messages.find((m) => m.type === 'values'), 'objects');
      const asColumns = await waitFor(() => columns.messages.find((m) => m.type === 'values'), 'columns');
      expect(asColumns).toEqual({ type: 'values', format: 'columns', point_id: [31, 32], value: [1.5, 'on'], quality: ['good', 'manual'], utc_ms: [ts, ts + 1] });
      expect(asObjects.values).toEqual([
        { point_id: 31, value: 1.5, quality: 'good', utc_date_time: new Date(ts).toISOString() },
        { point_id: 32, value: 'on', quality: 'manual', utc_date_time: new Date(ts + 1).toISOString() },
      ]);
      // a batch of changes, a null value among them
      const mark = columns.messages.length;
      rt.ctx.values.publish(
        ValueBatch.of([
          { point_id: 33, value: null, quality: 'comm_fail', ts: ts + 2 },
          { point_id: 31, value: -2e21, quality: 'out_of_range', ts: ts + 3 },
        ]),
      );
      const batch = await waitFor(() => columns.messages.slice(mark).find((m) => m.type === 'values'), 'the batch');
      expect(batch).toEqual({ type: 'values', format: 'columns', point_id: [33, 31], value: [null, -2e21], quality: ['comm_fail', 'out_of_range'], utc_ms: [ts + 2, ts + 3] });
      // a scan's values share their quality and time: each is sent once
      const mark2 = columns.messages.length;
      rt.ctx.values.publish(
        ValueBatch.of([
          { point_id: 31, value: 7, quality: 'good', ts: ts + 4 },
          { point_id: 32, value: 8, quality: 'good', ts: ts + 4 },
        ]),
      );
      const scan = await waitFor(() => columns.messages.slice(mark2).find((m) => m.type === 'values'), 'the scan');
      expect(scan).toEqual({ type: 'values', format: 'columns', point_id: [31, 32], value: [7, 8], quality: 'good', utc_ms: ts + 4 });
    } finally {
      objects.ws.close();
      columns.ws.close();
    }
  });

  it('refuses an unknown format with a 400 naming the field, before the upgrade', async () => {
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/api/live?format=xml`, { headers: session });
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += String(d)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('upgraded')));
    });
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body)).toMatchObject({ title: 'API.BAD_REQUEST', field: 'format' });
  });

  it('sends the status right after ready', async () => {
    const c = await authed();
    const status = await waitFor(() => c.messages.find((m) => m.type === 'status'), 'status');
    expect(status).toMatchObject({ data_sources_online: expect.any(Number), data_sources_offline: expect.any(Number), unacknowledged_alarms: expect.any(Number) });
    expect(Object.keys(status)).toContain('highest_alarm_priority');
    c.ws.close();
  });

  it('answers bad messages with an error and keeps the connection', async () => {
    const c = await authed();
    c.ws.send(JSON.stringify({ type: 'subscribe', point_ids: ['1; DROP TABLE points'] }));
    c.ws.send(JSON.stringify({ type: 'dance' }));
    c.ws.send('[1,2]');
    await waitFor(() => c.messages.filter((m) => m.type === 'error').length === 3, 'three errors');
    expect(c.ws.readyState).toBe(WebSocket.OPEN);
    c.ws.close();
  });

  it('accepts an API key, and closes a stream whose session was logged out', async () => {
    const c = await authed();
    const other = await fetch(`${rt.url}/api/users/login`, { method: 'PUT', body: JSON.stringify({ data: { name: 'administrator', password: 'Switchyard-Test-1' } }), headers: { 'Content-Type': 'application/json' } });
    const s2 = (await other.json()) as { user_uuid: string; token: string };
    const c2 = await open(rt.url);
    c2.ws.send(JSON.stringify({ type: 'auth', user_uuid: s2.user_uuid, token: s2.token }));
    await waitFor(() => c2.messages.find((m) => m.type === 'ready'), 'ready');
    const out = await fetch(`${rt.url}/api/users/logout`, { method: 'PUT', headers: { 'User-UUID': s2.user_uuid, Token: s2.token } });
    expect(out.status).toBeLessThan(300);
    hub.recheckCredentials(); // what the status tick does every few seconds
    expect(await c2.closed).toBe(4401);
    expect(c.ws.readyState).toBe(WebSocket.OPEN); // the other session is untouched
    c.ws.close();
  });

  it('a client that never reads neither blocks the others nor grows without bound, and is dropped', async () => {
    const saved = { ...hub.limits };
    hub.limits.maxCongestedMs = 1000;
    const slow = await authed();
    const fast = await authed();
    try {
      const ids = Array.from({ length: 2000 }, (_, k) => 1000 + k);
      slow.ws.send(JSON.stringify({ type: 'subscribe', point_ids: ids }));
      fast.ws.send(JSON.stringify({ type: 'subscribe', point_ids: [1000] }));
      await waitFor(() => [...hub.clients].filter((c) => c.subscribed.size).length === 2, 'both subscribed');
      const slowOnServer = [...hub.clients].find((c) => c.subscribed.size === 2000)!;
      // stop reading on the slow client's socket: the server's writes pile up in its buffers
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
      const payload = 'x'.repeat(200);
      const batchBytes = JSON.stringify({ type: 'values', values: ids.map((id) => ({ point_id: id, value: `${payload}999`, quality: 'good', utc_date_time: new Date().toISOString() })) }).length;
      let maxBuffered = 0;
      let maxPending = 0;
      let round = 0;
      // about 6 MB/s for the slow client: it congests within seconds and is dropped a second later
      while (hub.clients.has(slowOnServer) && round < 1000) {
        rt.ctx.values.publish(ValueBatch.of(ids.map((id) => ({ point_id: id, value: `${payload}${round}`, quality: 'good' as const, ts: Date.now() }))));
        maxBuffered = Math.max(maxBuffered, slowOnServer.socket.bufferedAmount);
        maxPending = Math.max(maxPending, slowOnServer.pending.size);
        round++;
        await sleep(20);
      }
      expect(hub.clients.has(slowOnServer)).toBe(false);
      expect(round).toBeGreaterThan(10);
      // what waits on the server: at most one batch beyond the bound, the pending map at most the subscription
      expect(maxBuffered).toBeLessThanOrEqual(hub.limits.maxBufferedBytes + batchBytes);
      expect(maxPending).toBeLessThanOrEqual(2000);
      // the fast client saw every round's newest value promptly
      await waitFor(() => fast.messages.at(-1)?.values?.[0]?.value === `${payload}${round - 1}`, 'the fast client keeps up', 1000);
    } finally {
      Object.assign(hub.limits, saved);
      slow.ws.terminate();
      fast.ws.close();
    }
  });
});
