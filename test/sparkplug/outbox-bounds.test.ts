/**
 * The outbox's bounds as configured through the API, in a real runtime against mosquitto, decoded with Eclipse
 * Tahu's sparkplug-payload: with `outbox_max_mb` 1 and the broker down, 80,000 values (about twice that) are held
 * within 1 MB, the oldest dropped and counted; once the broker is back exactly the newest arrive, in order, flagged
 * historical, each once, and held + dropped = gathered. With `outbox_max_age_hours`, what is older is dropped,
 * counted and never sent. (The values enter on the value bus, where the acquisition hands them over: the subject
 * is the outbox, not a driver.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { waitFor } from '../support/wait';
import { broker, type Broker, checkSequence, collector, type Collector } from './support';
import { ValueBatch } from '../../src/core/values/batch';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

const TOTAL = 80_000;
const BATCH = 1_000;

interface Status {
  state: string;
  outbox: { messages: number; values: number; bytes: number; dropped: number };
}

describe('Sparkplug outbox bounds set through the API', { timeout: 240_000 }, () => {
  let mb: Broker;
  let rt: TestRuntime;
  let sub: Collector;
  let point = 0;
  let nodeId = 0;
  const status = async () => (await rt.api<Status>('GET', `/sparkplugnodes/${nodeId}/status`)).body;
  const historical = () => sub.of('DDATA', 'Bulk').flatMap((m) => m.metrics.filter((x) => x.alias === point && x.isHistorical));
  /** point values committed to the outbox (its status also counts held event metrics: the audit entry of a change) */
  const heldPointValues = () => (rt.ctx.store.db.prepare('SELECT COALESCE(SUM(n), 0) AS n FROM sparkplug_outbox WHERE node_id = ? AND data_source_id IS NOT NULL').get(nodeId) as { n: number }).n;
  const outage = async () => {
    await mb.stop();
    await waitFor(async () => (await status()).state === 'offline', 'the node offline', 30_000, 100);
  };

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-bounds-${process.pid}`);
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'gw' })).body.id;
    const ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Bulk', gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
    point = (await rt.api<{ id: number }>('POST', '/points', { name: 'Counter', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' })).body.id;
    const node = await rt.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: 'Bounds', edge_node_id: 'E', publish_interval_ms: 100, outbox_max_mb: 1, historical_per_tick: 50 });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    nodeId = node.body.id;
    await sub.wait('the births', () => sub.of('DBIRTH', 'Bulk').length === 1);
  });

  afterAll(async () => {
    await rt?.stop();
    await sub?.close().catch(() => undefined);
    await mb?.remove();
  });

  it('holds at most outbox_max_mb, drops the oldest and counts them; sends exactly the newest afterwards, in order', async () => {
    await outage();
    const t0 = Date.now() - 200_000;
    for (let i = 0; i < TOTAL; i += BATCH) {
      rt.ctx.values.publish(ValueBatch.of(Array.from({ length: BATCH }, (_, k) => ({ point_id: point, value: i + k, quality: 'good' as const, ts: t0 + i + k }))));
      // several publish ticks: the outbox takes one message per device and tick
      await new Promise((r) => setTimeout(r, 120));
    }
    const held = await waitFor(async () => {
      const s = await status();
      return heldPointValues() + s.outbox.dropped === TOTAL && s;
    }, 'every gathered value held or dropped', 60_000, 100);
    expect(held.outbox.bytes).toBeLessThanOrEqual(1024 * 1024);
    // about 25 bytes a value: 1 MB holds roughly half of them
    const kept = heldPointValues();
    expect(held.outbox.dropped).toBeGreaterThan(TOTAL / 4);
    expect(kept).toBeGreaterThan(TOTAL / 4);

    await mb.start();
    await waitFor(async () => (await status()).outbox.values === 0, 'the outbox sent', 120_000, 200);
    await sub.wait('every held value', () => historical().length >= kept, 60_000);
    const got = historical();
    // the newest, in order, each once: the first one kept follows the last one dropped
    expect(got.map((x) => x.value)).toEqual(Array.from({ length: kept }, (_, k) => TOTAL - kept + k));
    expect(got.map((x) => x.timestamp)).toEqual(Array.from({ length: kept }, (_, k) => t0 + TOTAL - kept + k));
    expect((await status()).outbox.dropped).toBe(TOTAL - kept);
    expect(checkSequence(sub.messages)).toBeNull();
  });

  it('drops what is older than outbox_max_age_hours, counts it and never sends it', async () => {
    const droppedBefore = (await status()).outbox.dropped;
    await outage();
    const t0 = Date.now();
    rt.ctx.values.publish(ValueBatch.of([100, 101, 102].map((v, k) => ({ point_id: point, value: TOTAL + v, quality: 'good' as const, ts: t0 + k }))));
    await waitFor(() => heldPointValues() === 3, 'three values held', 30_000, 100);
    // two hours pass for them (the rows' commit time moved back, as outbox.test.ts does: the age is read from it)
    rt.ctx.store.db.prepare('UPDATE sparkplug_outbox SET created_at = created_at - 7200000 WHERE node_id = ? AND data_source_id IS NOT NULL').run(nodeId);
    // a bound of one hour, set through the API; the node restarted by the change checks the age at once
    expect((await rt.api('PUT', `/sparkplugnodes/${nodeId}`, { outbox_max_age_hours: 1 })).status).toBe(200);
    await waitFor(async () => (await status()).outbox.dropped === droppedBefore + 3, 'the old values dropped and counted', 30_000, 100);
    expect(heldPointValues()).toBe(0);
    rt.ctx.values.publish(ValueBatch.of([{ point_id: point, value: TOTAL + 200, quality: 'good', ts: t0 + 10 }]));
    await waitFor(() => heldPointValues() === 1, 'a recent value held', 30_000, 100);

    const from = sub.messages.length;
    await mb.start();
    await sub.wait('the recent value', () => sub.messages.slice(from).some((m) => m.metrics.some((x) => x.alias === point && x.isHistorical && x.value === TOTAL + 200)), 60_000);
    const sent = sub.messages.slice(from).flatMap((m) => m.metrics.filter((x) => x.alias === point && x.isHistorical).map((x) => x.value));
    expect(sent).toEqual([TOTAL + 200]);
  });
});
