/**
 * Sparkplug 3.0 session births and deaths in both directions, with two servers as users start them (child
 * processes): a Switchyard edge node whose primary host is a central Switchyard (SQLite), mosquitto, and every edge
 * message decoded by Eclipse Tahu's sparkplug-payload.
 * - the edge is silent until its primary host's STATE says online; a configuration change ends its session with an
 *   NDEATH of that session's bdSeq before the next NBIRTH (bdSeq + 1);
 * - an edge killed with SIGKILL: the broker publishes its will, the NDEATH of the current bdSeq, and the central
 *   server turns the site offline; started again, it births with the next bdSeq;
 * - a central server killed with SIGKILL: the broker publishes its will, STATE {online:false} retained, with its
 *   birth's timestamp; the edge ends its session (the NDEATH of its bdSeq) and holds its data; the host back, the
 *   edge births with the next bdSeq and the held value reaches the central history flagged historical;
 * - a clean stop of the edge: an NDEATH of its bdSeq, the site offline.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary } from '../peers/peers';
import { freePort } from '../support/process';
import { waitFor } from '../support/wait';
import { bdSeqOf, broker, type Broker, checkSequence, collector, type Collector, type DirServer, serveOn, type SpbMessage } from './support';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

const PASSWORD = 'Spb-Sessions-Pass-1';
const G = 'Deaths';
const N = 'E';

interface Site {
  id: number;
  edge_node_id: string;
  online: boolean;
  bd_seq: number | null;
  last_death: string | null;
}
interface State {
  online: boolean;
  timestamp: number;
  retain: boolean;
}

describe('Sparkplug sessions: births, wills and deaths of an edge and its primary host', { timeout: 300_000 }, () => {
  let mb: Broker;
  let sub: Collector;
  let watcher: mqtt.MqttClient;
  const states: State[] = [];
  const edgeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-spb-sess-edge-'));
  const centralDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-spb-sess-central-'));
  let edge: DirServer | null = null;
  let central: DirServer | null = null;
  let nodeId = 0;
  let level = 0;
  const bd: number[] = [];

  const mine = () => sub.messages.filter((m) => m.topic.startsWith(`spBv1.0/${G}/`));
  const of = (type: string, from = 0) => mine().slice(from).filter((m) => m.type === type);
  const edgeStatus = async () => (await edge!.api<{ state: string; bd_seq: number; outbox: { values: number } }>('GET', `/sparkplugnodes/${nodeId}/status`)).body;
  const site = async () => (await central!.api<Site[]>('GET', '/central/sites')).body.find((s) => s.edge_node_id === N);
  const startCentral = async () => {
    central = await serveOn(centralDir, PASSWORD);
  };
  const startEdge = async () => {
    edge = await serveOn(edgeDir, PASSWORD);
  };
  /** ends the edge server with the signal and waits for an NDEATH on the broker; answers where its messages start */
  const stopEdge = async (signal: NodeJS.Signals) => {
    const from = mine().length;
    await edge!.served.stop(signal);
    edge = null;
    await sub.wait(`an NDEATH after ${signal}`, () => of('NDEATH', from).length >= 1, 60_000);
    return from;
  };

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-sessions-${process.pid}`);
    watcher = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`, { reconnectPeriod: 200 });
    watcher.on('message', (_t, payload, packet) => {
      const s = JSON.parse(payload.toString()) as { online: boolean; timestamp: number };
      states.push({ ...s, retain: packet.retain });
    });
    await watcher.subscribeAsync('spBv1.0/STATE/hq', { qos: 1 });
    await startEdge();
    const gw = (await edge!.api<{ id: number }>('POST', '/gateways', { name: 'gw' })).body.id;
    const ds = (await edge!.api<{ id: number }>('POST', '/datasources', { name: 'Tank', gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
    level = (await edge!.api<{ id: number }>('POST', '/points', { name: 'Level', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}' })).body.id;
    expect((await edge!.api('PUT', `/points/${level}/write`, { value: 1 })).status).toBe(200);
  }, 240_000);

  afterAll(async () => {
    await edge?.served.stop('SIGKILL');
    await central?.served.stop('SIGKILL');
    await watcher?.endAsync(true).catch(() => undefined);
    await sub?.close().catch(() => undefined);
    await mb?.remove();
    fs.rmSync(edgeDir, { recursive: true, force: true });
    fs.rmSync(centralDir, { recursive: true, force: true });
  });

  it('waits for its primary host before its NBIRTH; a configuration change sends the NDEATH of its bdSeq, then an NBIRTH of the next', async () => {
    const node = await edge!.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: G, edge_node_id: N, primary_host_id: 'hq', publish_interval_ms: 200 });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    nodeId = node.body.id;
    // no host has ever said it is online: connected, silent
    await waitFor(async () => (await edgeStatus()).state === 'waiting_for_host', 'the edge waiting for its host', 30_000, 100);
    expect(mine()).toEqual([]);

    await startCentral();
    expect((await central!.api('POST', '/sparkplughosts', { name: 'HQ', broker_url: `mqtt://127.0.0.1:${mb.port}`, host_id: 'hq', group_ids: G })).status).toBe(201);
    await waitFor(() => states.some((s) => s.online), 'the host STATE online', 30_000, 50);
    await sub.wait('the NBIRTH after the host came online', () => of('NBIRTH').length === 1 && of('DBIRTH').length === 1);
    bd.push(bdSeqOf(of('NBIRTH')[0])!);
    expect((await edgeStatus()).bd_seq).toBe(bd[0]);
    await waitFor(async () => (await site())?.online === true, 'the site online at the central server', 30_000, 100);

    const from = mine().length;
    expect((await edge!.api('PUT', `/sparkplugnodes/${nodeId}`, { publish_interval_ms: 300 })).status).toBe(200);
    await sub.wait('an NDEATH and new births', () => of('NDEATH', from).length >= 1 && of('NBIRTH', from).length === 1 && of('DBIRTH', from).length === 1);
    const after = mine().slice(from);
    const death = after.findIndex((m) => m.type === 'NDEATH');
    expect(bdSeqOf(after[death])).toBe(bd[0]);
    expect(death).toBeLessThan(after.findIndex((m) => m.type === 'NBIRTH'));
    bd.push(bdSeqOf(of('NBIRTH', from)[0])!);
    expect(bd[1]).toBe((bd[0] + 1) % 256);
    await waitFor(async () => (await site())?.bd_seq === bd[1] && (await site())?.online === true, 'the site online with the new bdSeq', 30_000, 100);
    expect(checkSequence(mine())).toBeNull();
  });

  it('killed (SIGKILL), the edge dies by its will: an NDEATH of the current bdSeq, the site offline; restarted, the next bdSeq', async () => {
    const from = await stopEdge('SIGKILL');
    expect(of('NDEATH', from).map(bdSeqOf)).toEqual([bd[1]]);
    const s = await waitFor(async () => {
      const x = await site();
      return x && !x.online && x;
    }, 'the site offline at the central server', 30_000, 100);
    expect(s.last_death).not.toBeNull();

    await startEdge();
    await sub.wait('the births of the restarted edge', () => of('NBIRTH', from).length === 1 && of('DBIRTH', from).length === 1, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${JSON.stringify(mine().slice(from).map((m) => [m.type, m.seq, m.metrics.map((x) => [x.name, x.value])]))}`);
    });
    bd.push(bdSeqOf(of('NBIRTH', from)[0])!);
    // stored before its CONNECT: a restart never reuses the bdSeq of the session the kill ended
    expect(bd[2]).toBe((bd[1] + 1) % 256);
    await waitFor(async () => (await site())?.online === true && (await site())?.bd_seq === bd[2], 'the site online again', 30_000, 100);
    expect(checkSequence(mine())).toBeNull();
  });

  it('a killed host: its STATE will (offline, retained, its birth\'s timestamp) ends the edge\'s session and holds its data, which reaches its history once it is back', async () => {
    const birth = states.filter((s) => s.online).at(-1)!;
    const before = mine().length;
    await central!.served.stop('SIGKILL');
    central = null;
    const will = await waitFor(() => states.find((s, i) => i > states.indexOf(birth) && !s.online), 'the host STATE will', 60_000, 50);
    expect(will.timestamp).toBe(birth.timestamp);
    // retained: a client connecting now is told the host is offline
    const late = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`);
    try {
      const got = new Promise<{ retain: boolean; online: boolean }>((resolve) => late.on('message', (_t, p, packet) => resolve({ retain: packet.retain, online: (JSON.parse(p.toString()) as State).online })));
      await late.subscribeAsync('spBv1.0/STATE/hq');
      expect(await got).toEqual({ retain: true, online: false });
    } finally {
      await late.endAsync();
    }
    // Sparkplug 3.0: the edge ends its session with the NDEATH of its bdSeq, so every host sees it offline
    await sub.wait('the edge\'s NDEATH', () => of('NDEATH', before).length >= 1, 60_000);
    expect(of('NDEATH', before).map(bdSeqOf)).toEqual([bd[2]]);
    await waitFor(async () => (await edgeStatus()).state === 'waiting_for_host', 'the edge waiting for its host', 30_000, 100);
    const from = mine().length;
    const t0 = Date.now();
    expect((await edge!.api('PUT', `/points/${level}/write`, { value: 7 })).status).toBe(200);
    await waitFor(async () => (await edgeStatus()).outbox.values >= 1, 'the value held in the outbox', 30_000, 100);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(mine().slice(from)).toEqual([]);

    await startCentral();
    await sub.wait('a birth once the host is back', () => of('NBIRTH', from).length === 1, 60_000);
    // a new session: the next bdSeq
    bd.push(bdSeqOf(of('NBIRTH', from)[0])!);
    expect(bd[3]).toBe((bd[2] + 1) % 256);
    const held = (m: SpbMessage) => m.type === 'DDATA' && m.metrics.some((x) => x.alias === level && x.isHistorical && x.value === 7);
    await sub.wait('the held value, historical', () => mine().slice(from).some(held), 60_000);
    const s = await waitFor(async () => {
      const x = await site();
      return x?.online && x;
    }, 'the site online at the restarted central server', 30_000, 100);
    const metric = (await central!.api<{ id: number; name: string }[]>('GET', `/central/sites/${s.id}/metrics`)).body.find((m) => m.name === 'Level')!;
    // from the write on (the restarted edge's DBIRTH of test 2, Level null, may be less than a second older)
    const q = `startdatetime=${new Date(t0).toISOString()}&enddatetime=${new Date(Date.now() + 1000).toISOString()}`;
    const h = await waitFor(async () => {
      const r = (await central!.api<{ values: { value: number; historical: boolean }[] }>('GET', `/central/sites/${s.id}/metrics/${metric.id}/history?${q}`)).body;
      return r.values.some((v) => v.value === 7) && r;
    }, 'the held value in the central history', 30_000, 200);
    // once: the new birth carries it as the current value with the same source time, and the host keeps one sample
    // per metric and time (the held copy that follows is the same sample)
    expect(h.values.map((v) => v.value)).toEqual([7]);
    // and so does the central historian, whose remote point the site's metric is (central.md)
    const remote = await waitFor(async () => (await central!.api<{ id: number; name: string }[]>('GET', '/points')).body.find((p) => p.name === 'Tank/Level'), 'the remote point', 30_000, 200);
    const trend = await waitFor(async () => {
      const r = (await central!.api<{ values: { value: number; utc_date_time: string }[] }>('GET', `/points/${remote.id}/trend?startdatetime=${new Date(t0 - 1000).toISOString()}`)).body;
      return r.values.some((v) => v.value === 7) && r;
    }, 'the held value in the central trend', 30_000, 200);
    expect(trend.values.filter((v) => v.value === 7)).toHaveLength(1);
    expect(checkSequence(mine())).toBeNull();
  });

  it('stopped cleanly (SIGTERM), the edge ends its session with the NDEATH of its bdSeq', async () => {
    const from = await stopEdge('SIGTERM');
    expect(new Set(of('NDEATH', from).map(bdSeqOf))).toEqual(new Set([bd[3]]));
    await waitFor(async () => (await site())?.online === false, 'the site offline at the central server', 30_000, 100);
    expect(checkSequence(mine())).toBeNull();
  });
});
