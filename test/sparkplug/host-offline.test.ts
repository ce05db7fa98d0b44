/**
 * Sparkplug 3.0: an edge node whose primary host goes offline ends its session. The server as users start it (child
 * process), mosquitto, a host played by a plain MQTT client publishing STATE with the timestamps the test chooses,
 * and every edge message decoded by Eclipse Tahu's sparkplug-payload:
 * - the host's STATE offline: the edge's NDEATH with the session's bdSeq, then nothing (no NBIRTH) until the host's
 *   STATE online with a newer timestamp, then an NBIRTH with the next bdSeq and the values held meanwhile, historical,
 *   in order;
 * - a stale STATE (a timestamp older than the newest seen) changes nothing: offline while the host is online, or
 *   online while it is offline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { waitFor } from '../support/wait';
import { bdSeqOf, broker, type Broker, checkSequence, collector, type Collector, type DirServer, serveOn } from './support';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

const PASSWORD = 'Spb-HostOffline-Pass-1';
const G = 'HostOff';

describe('Sparkplug edge node whose primary host goes offline', { timeout: 300_000 }, () => {
  let mb: Broker;
  let sub: Collector;
  let host: mqtt.MqttClient;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-spb-hostoff-'));
  let edge: DirServer | null = null;
  let nodeId = 0;
  let level = 0;

  const mine = () => sub.messages.filter((m) => m.topic.startsWith(`spBv1.0/${G}/`));
  const of = (type: string, from = 0) => mine().slice(from).filter((m) => m.type === type);
  const status = async () => (await edge!.api<{ state: string; bd_seq: number; outbox: { values: number } }>('GET', `/sparkplugnodes/${nodeId}/status`)).body;
  const state = (online: boolean, timestamp: number, retain = true) => host.publishAsync('spBv1.0/STATE/hq', JSON.stringify({ online, timestamp }), { qos: 1, retain });
  const write = async (value: number) => expect((await edge!.api('PUT', `/points/${level}/write`, { value })).status).toBe(200);

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-hostoff-${process.pid}`);
    host = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`);
    edge = await serveOn(dir, PASSWORD);
    const gw = (await edge.api<{ id: number }>('POST', '/gateways', { name: 'gw' })).body.id;
    const ds = (await edge.api<{ id: number }>('POST', '/datasources', { name: 'Tank', gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
    level = (await edge.api<{ id: number }>('POST', '/points', { name: 'Level', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' })).body.id;
    await write(1);
  }, 240_000);

  afterAll(async () => {
    await edge?.served.stop('SIGKILL');
    await host?.endAsync(true).catch(() => undefined);
    await sub?.close().catch(() => undefined);
    await mb?.remove();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('ends its session with an NDEATH when the host goes offline, and births with the next bdSeq once it is back', async () => {
    const t0 = Date.now();
    await state(true, t0);
    const node = await edge!.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: G, edge_node_id: 'E', primary_host_id: 'hq', publish_interval_ms: 100 });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    nodeId = node.body.id;
    await sub.wait('the first NBIRTH', () => of('NBIRTH').length === 1 && of('DBIRTH').length === 1);
    const bd0 = bdSeqOf(of('NBIRTH')[0])!;

    // a stale STATE offline (older than the online one seen): the edge stays in its session and publishes live
    let from = mine().length;
    await state(false, t0 - 60_000, false);
    await write(2);
    await sub.wait('the live value 2', () => of('DDATA', from).some((m) => m.metrics.some((x) => x.alias === level && !x.isHistorical && x.value === 2)));
    expect(of('NDEATH', from)).toEqual([]);
    expect((await status()).state).toBe('online');

    // the host goes offline: the session ends with its NDEATH, a new one waits for the host
    from = mine().length;
    const t1 = Date.now() + 1;
    await state(false, t1);
    await sub.wait('the NDEATH', () => of('NDEATH', from).length === 1);
    expect(bdSeqOf(of('NDEATH', from)[0])).toBe(bd0);
    await waitFor(async () => (await status()).state === 'waiting_for_host', 'the edge waiting for its host', 30_000, 50);
    expect((await status()).bd_seq).toBe((bd0 + 1) % 256);
    for (const [i, v] of [3, 4, 5].entries()) {
      await write(v);
      await waitFor(async () => (await status()).outbox.values >= i + 1, `value ${v} held`, 30_000, 50);
    }
    // a stale STATE online (older than the offline one): still no birth
    await state(true, t1 - 1, false);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await status()).state).toBe('waiting_for_host');
    expect(mine().slice(from).map((m) => m.type)).toEqual(['NDEATH']);

    // back online (newer): NBIRTH with the next bdSeq, then the held values, historical, in order
    await state(true, Date.now() + 2);
    const held = () => of('DDATA', from).flatMap((m) => m.metrics.filter((x) => x.alias === level && x.isHistorical).map((x) => x.value));
    await sub.wait('the births and the held values', () => of('NBIRTH', from).length === 1 && held().length >= 3);
    expect(bdSeqOf(of('NBIRTH', from)[0])).toBe((bd0 + 1) % 256);
    expect(held()).toEqual([3, 4, 5]);
    expect(of('DBIRTH', from)[0].metrics.find((m) => m.alias === level)!.value).toBe(5);
    expect(mine().slice(from).map((m) => m.type).slice(0, 3)).toEqual(['NDEATH', 'NBIRTH', 'DBIRTH']);
    await waitFor(async () => (await status()).outbox.values === 0, 'the outbox empty', 30_000, 50);
    expect(checkSequence(mine())).toBeNull();
  });
});
