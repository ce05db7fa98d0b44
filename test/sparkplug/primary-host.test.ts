/**
 * A primary host application (Sparkplug 3.0 STATE, JSON, retained) gates publishing: while its STATE says offline
 * the edge node is connected but silent and holds its data in the outbox; when the host comes online the node
 * births and sends what it held, flagged historical, in order. Against mosquitto; decoded with sparkplug-payload.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { waitFor } from '../support/wait';
import { broker, type Broker, checkSequence, collector, type Collector } from './support';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

describe('Sparkplug edge node with a primary host', { timeout: 180_000 }, () => {
  let mb: Broker;
  let rt: TestRuntime;
  let sub: Collector;
  let host: mqtt.MqttClient;
  const state = (online: boolean) => host.publishAsync('spBv1.0/STATE/Central', JSON.stringify({ online, timestamp: Date.now() }), { qos: 1, retain: true });

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-host-${process.pid}`);
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`);
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
    await host?.endAsync().catch(() => undefined);
    await sub?.close().catch(() => undefined);
    await mb?.remove();
  });

  it('holds data while the host is offline and sends it, historical and in order, once the host is online', async () => {
    await state(false);
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'gw' })).body.id;
    const ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Manual', gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
    const point = (await rt.api<{ id: number }>('POST', '/points', { name: 'Level', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' })).body.id;
    const node = (await rt.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: 'H', edge_node_id: 'E', primary_host_id: 'Central', publish_interval_ms: 100 })).body.id;
    const status = async () => (await rt.api<{ state: string; outbox: { values: number } }>('GET', `/sparkplugnodes/${node}/status`)).body;
    await waitFor(async () => (await status()).state === 'waiting_for_host', 'the node waiting for its host', 30_000, 50);
    for (const v of [1, 2, 3]) {
      expect((await rt.api('PUT', `/points/${point}/write`, { value: v })).status).toBe(200);
      await waitFor(async () => (await status()).outbox.values >= v, `value ${v} held`, 30_000, 50);
    }
    expect(sub.messages.filter((m) => m.topic.startsWith('spBv1.0/H/'))).toEqual([]);

    await state(true);
    const held = () => sub.of('DDATA', 'Manual').flatMap((m) => m.metrics.filter((x) => x.alias === point && x.isHistorical).map((x) => x.value));
    await sub.wait('the births and the held values', () => sub.of('NBIRTH').length === 1 && held().length >= 3);
    expect(held()).toEqual([1, 2, 3]);
    expect(sub.of('DBIRTH', 'Manual')[0].metrics.find((m) => m.alias === point)!.value).toBe(3);
    expect(checkSequence(sub.messages.filter((m) => m.topic.startsWith('spBv1.0/H/')))).toBeNull();

    // the host goes away again: nothing more is published live, it is held
    await state(false);
    await waitFor(async () => (await status()).state === 'waiting_for_host', 'the node waiting again', 30_000, 50);
    const before = sub.messages.length;
    // a second point of the same device joins (a rebirth), and both change while the host is away
    const flow = (await rt.api<{ id: number }>('POST', '/points', { name: 'Flow', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' })).body.id;
    await waitFor(async () => (await rt.api<{ metrics: number }>('GET', `/sparkplugnodes/${node}/status`)).body.metrics === 2, 'the new point published', 30_000, 50);
    expect((await rt.api('PUT', `/points/${point}/write`, { value: 4 })).status).toBe(200);
    expect((await rt.api('PUT', `/points/${flow}/write`, { value: 7 })).status).toBe(200);
    await waitFor(async () => (await status()).outbox.values >= 2, 'values 4 and 7 held', 30_000, 50);
    expect(sub.messages.slice(before).filter((m) => m.type === 'DDATA')).toEqual([]);

    // Level is no longer selected when the host returns: its held value cannot be sent, and is counted as dropped;
    // Flow's, held in the same encoded row of the device, still is
    expect((await rt.api('PUT', `/sparkplugnodes/${node}`, { point_selection: 'list', point_ids: [flow] })).status).toBe(200);
    await state(true);
    const dropped = async () => (await rt.api<{ state: string; outbox: { values: number; dropped: number } }>('GET', `/sparkplugnodes/${node}/status`)).body;
    await waitFor(async () => {
      const s = await dropped();
      return s.state === 'online' && s.outbox.values === 0 && s.outbox.dropped === 1;
    }, 'the held value of the unselected point dropped and counted', 30_000, 50);
    await sub.wait('the held Flow value', () => sub.of('DDATA', 'Manual').some((m) => m.metrics.some((x) => x.alias === flow && x.isHistorical && x.value === 7)));
    expect(sub.messages.slice(before).some((m) => m.type === 'DDATA' && m.metrics.some((x) => x.alias === point))).toBe(false);
    expect(checkSequence(sub.messages.filter((m) => m.topic.startsWith('spBv1.0/H/')))).toBeNull();
  });
});
