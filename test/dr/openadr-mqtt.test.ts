/**
 * The OpenADR MQTT notifier in the server as it ships (a child process): through a configured broker (mosquitto)
 * and through the embedded one (aedes), VENs subscribing with the mqtt package the way an OpenADR 3 client does
 * (GET /notifiers for the broker, GET /notifiers/mqtt/topics/vens/{venID}/events for the topic names), each
 * notification validated against the specification and received only by those allowed to see the event.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, startMosquitto, type Peer } from '../peers/peers';
import { compileSpec } from '../support/openadr';
import { freePort } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

interface Message {
  topic: string;
  body: { objectType: string; operation: string; object: { id: string }; targets?: string[] };
}

describe('OpenADR MQTT notifier', { timeout: 180_000 }, () => {
  const valid = compileSpec();
  let broker: Peer;
  let brokerPort: number;
  let server: ApiServer;
  const clients: mqtt.MqttClient[] = [];
  const p = { a: { id: 0, client_id: '', api_key: '' }, b: { id: 0, client_id: '', api_key: '' }, bl: { id: 0, client_id: '', api_key: '' } };
  const t = { a: '', b: '', bl: '' };
  const ven = { a: '', b: '' };
  let programId = 0;
  const rid = { a: 0, b: 0 };

  const vtn = async <T = Record<string, unknown>>(method: string, path: string, token: string, body?: unknown) => {
    const r = await fetch(`${server.url}/api/openadr/3${path}`, { method, headers: { Authorization: `Bearer ${token}`, ...(body ? { 'Content-Type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    return { status: r.status, body: (await r.json()) as T };
  };
  const token = async (c: { client_id: string; api_key: string }) => {
    const r = await fetch(`${server.url}/api/openadr/3/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${c.client_id}:${c.api_key}`).toString('base64')}` }, body: 'grant_type=client_credentials' });
    return ((await r.json()) as { access_token: string }).access_token;
  };
  /** a subscriber collecting the notifications it receives */
  const subscriber = async (url: string, opts: mqtt.IClientOptions = {}) => {
    const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 10_000, ...opts });
    clients.push(client);
    const got: Message[] = [];
    client.on('message', (topic, payload) => got.push({ topic, body: JSON.parse(payload.toString()) as Message['body'] }));
    return { client, got };
  };
  const event = async (name: string, resource: number) => {
    const r = await server.api<{ uuid: string }>('POST', '/dr/events', { name, program_id: programId, target_resources: [resource], interval_period: { start: '2031-01-01T16:00:00Z', duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.uuid;
  };

  beforeAll(async () => {
    brokerPort = await freePort();
    broker = await startMosquitto(brokerPort);
    server = await startServer();
    programId = (await server.api<{ id: number }>('POST', '/dr/programs', { name: 'Peak' })).body.id;
    for (const [k, role] of [['a', 'ven'], ['b', 'ven'], ['bl', 'bl']] as const) {
      p[k] = (await server.api<typeof p.a>('POST', '/dr/partners', { name: `Partner ${k}`, role })).body;
      t[k] = await token(p[k]);
    }
    await server.api('PUT', `/dr/programs/${programId}/partners`, { partner_ids: [p.a.id, p.b.id] });
    for (const k of ['a', 'b'] as const) {
      ven[k] = (await vtn<{ id: string }>('POST', '/vens', t[k], { objectType: 'VEN_VEN_REQUEST', venName: `ven-${k}` })).body.id;
      expect((await vtn('POST', '/resources', t[k], { objectType: 'VEN_RESOURCE_REQUEST', resourceName: `ev-${k}`, venID: ven[k] })).status).toBe(201);
    }
    const resources = (await server.api<{ id: number; resource_id: string }[]>('GET', '/dr/resources')).body;
    rid.a = resources.find((r) => r.resource_id === 'ev-a')!.id;
    rid.b = resources.find((r) => r.resource_id === 'ev-b')!.id;
  });
  afterAll(async () => {
    for (const c of clients) await c.endAsync(true).catch(() => undefined);
    await server?.stop();
    await broker?.stop();
  });

  it('is off until configured: /notifiers offers webhooks only and the topic endpoints are 404', async () => {
    const n = await vtn('GET', '/notifiers', t.a);
    expect(valid('notifiersResponse', n.body)).toEqual({ WEBHOOK: true });
    const topics = await vtn('GET', `/notifiers/mqtt/topics/vens/${ven.a}/events`, t.a);
    expect(topics.status).toBe(404);
    valid('problem', topics.body);
    // a bad configuration is a 400 naming the field, and changes nothing
    const bad = await server.api<{ field: string }>('PUT', '/dr/mqtt', { mode: 'broker', url: 'http://127.0.0.1:1' });
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('url');
    expect((await server.api<{ mode: string }>('GET', '/dr/mqtt')).body.mode).toBe('off');
  });

  it('publishes through a configured broker (mosquitto): each VEN hears only of the events aimed at it', async () => {
    const url = `mqtt://127.0.0.1:${brokerPort}`;
    const set = await server.api<{ status: { mode: string } }>('PUT', '/dr/mqtt', { mode: 'broker', url });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    await waitFor(async () => (await server.api<{ status: { connected: boolean } }>('GET', '/dr/mqtt')).body.status.connected, 'the VTN connected to mosquitto', 30_000, 100);

    // a VEN learns the broker and its topics from the VTN
    const n = await vtn<{ MQTT: { URIS: string[]; authentication: { method: string } } }>('GET', '/notifiers', t.a);
    valid('notifiersResponse', n.body);
    expect(n.body.MQTT.URIS).toEqual([url]);
    expect(n.body.MQTT.authentication.method).toBe('ANONYMOUS');
    const topicsA = await vtn<{ topics: { CREATE: string; ALL: string } }>('GET', `/notifiers/mqtt/topics/vens/${ven.a}/events`, t.a);
    expect(topicsA.status).toBe(200);
    valid('notifierTopicsResponse', topicsA.body);
    const topicsB = await vtn<{ topics: { ALL: string } }>('GET', `/notifiers/mqtt/topics/vens/${ven.b}/events`, t.b);
    // a VEN asks for nobody else's topics, nor for those of all objects
    expect((await vtn('GET', `/notifiers/mqtt/topics/vens/${ven.b}/events`, t.a)).status).toBe(404);
    expect((await vtn('GET', '/notifiers/mqtt/topics/events', t.a)).status).toBe(403);
    const topicsBl = await vtn<{ topics: { ALL: string } }>('GET', '/notifiers/mqtt/topics/events', t.bl);
    valid('notifierTopicsResponse', topicsBl.body);
    const programTopics = await vtn('GET', `/notifiers/mqtt/topics/vens/${ven.a}/programs`, t.a);
    valid('notifierTopicsResponse', programTopics.body);

    const a = await subscriber(n.body.MQTT.URIS[0]);
    const b = await subscriber(n.body.MQTT.URIS[0]);
    const bl = await subscriber(n.body.MQTT.URIS[0]);
    await a.client.subscribeAsync(topicsA.body.topics.ALL, { qos: 1 });
    await b.client.subscribeAsync(topicsB.body.topics.ALL, { qos: 1 });
    await bl.client.subscribeAsync(topicsBl.body.topics.ALL, { qos: 1 });

    const forA = await event('For A', rid.a);
    const forB = await event('For B', rid.b);
    await waitFor(() => bl.got.length >= 2 && a.got.length >= 1 && b.got.length >= 1, 'the notifications', 30_000);
    for (const m of [...a.got, ...b.got, ...bl.got]) valid('notification', m.body);
    expect(a.got.map((m) => [m.topic, m.body.object.id])).toEqual([[topicsA.body.topics.CREATE, forA]]);
    expect(a.got[0].body).toMatchObject({ objectType: 'EVENT', operation: 'CREATE', targets: ['ev-a'] });
    expect(b.got.map((m) => m.body.object.id)).toEqual([forB]);
    expect(bl.got.map((m) => m.body.object.id).sort()).toEqual([forA, forB].sort());
    // a later change reaches A again (UPDATE), and B still hears nothing of A's event
    expect((await server.api('PUT', `/dr/events/${(await server.api<{ id: number; uuid: string }[]>('GET', '/dr/events')).body.find((e) => e.uuid === forA)!.id}/cancel`)).status).toBe(200);
    await waitFor(() => a.got.length >= 2, 'the update', 30_000);
    expect(a.got[1].body).toMatchObject({ objectType: 'EVENT', operation: 'UPDATE', object: { id: forA } });
    expect(b.got).toHaveLength(1);
  });

  it('the embedded broker admits clients by their credentials and keeps each VEN to its own topics', async () => {
    // a port taken (here by mosquitto) is a 400 naming it, and the notifier keeps what it had
    const taken = await server.api<{ field: string }>('PUT', '/dr/mqtt', { mode: 'embedded', port: brokerPort });
    expect(taken.status, JSON.stringify(taken.body)).toBe(400);
    expect(taken.body.field).toBe('port');
    const kept = (await server.api<{ mode: string; status: { mode: string; connected: boolean } }>('GET', '/dr/mqtt')).body;
    expect(kept.mode).toBe('broker');
    await waitFor(async () => (await server.api<{ status: { mode: string; connected: boolean } }>('GET', '/dr/mqtt')).body.status.connected, 'the broker connection back', 30_000, 100);
    // port 0: any free port (no race with other servers for a port picked beforehand); the status tells which
    const set = await server.api<{ status: { port: number } }>('PUT', '/dr/mqtt', { mode: 'embedded', port: 0 });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    const port = set.body.status.port;
    expect(port).toBeGreaterThan(0);
    const n = await vtn<{ MQTT: { URIS: string[]; authentication: { method: string; username: string } } }>('GET', '/notifiers', t.a);
    valid('notifiersResponse', n.body);
    expect(n.body.MQTT.URIS).toEqual([`mqtt://127.0.0.1:${port}`]);
    expect(n.body.MQTT.authentication).toEqual({ method: 'OAUTH2_BEARER_TOKEN', username: '{clientID}' });
    const url = n.body.MQTT.URIS[0];
    // anonymous and wrong credentials are refused
    await expect(mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow();
    await expect(mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, username: p.a.client_id, password: 'wrong' })).rejects.toThrow();
    const a = await subscriber(url, { username: p.a.client_id, password: t.a });
    const topics = (await vtn<{ topics: { ALL: string } }>('GET', `/notifiers/mqtt/topics/vens/${ven.a}/events`, t.a)).body.topics;
    const own = await a.client.subscribeAsync(topics.ALL, { qos: 1 });
    expect(own[0].qos).toBe(1);
    // B's topics and the business logic's are refused to A (the SUBACK says so)
    for (const filter of [`openadr3/vens/${ven.b}/events/+`, 'openadr3/events/+', 'openadr3/#', 'openadr3/vens/+/events/create']) {
      await expect(a.client.subscribeAsync(filter, { qos: 1 }), filter).rejects.toThrow(/Subscribe error/);
    }
    const bl = await subscriber(url, { username: p.bl.client_id, password: t.bl });
    await bl.client.subscribeAsync('openadr3/#', { qos: 1 });

    const forA = await event('Embedded A', rid.a);
    const forB = await event('Embedded B', rid.b);
    const onBTopic = `openadr3/vens/${ven.b}/events/create`;
    // every message that is due: both events on the all-events topic, A's on its own, B's on B's (seen by the BL)
    await waitFor(() => bl.got.filter((m) => m.topic === 'openadr3/events/create').length >= 2 && bl.got.some((m) => m.topic === onBTopic) && a.got.length >= 1, 'the notifications', 30_000);
    for (const m of [...a.got, ...bl.got]) valid('notification', m.body);
    expect(a.got.map((m) => m.body.object.id)).toEqual([forA]);
    // the business logic sees B's event on B's own topic too (its view there is B's)
    const onB = bl.got.find((m) => m.topic === onBTopic);
    expect(onB?.body).toMatchObject({ object: { id: forB }, targets: ['ev-b'] });
    // nobody but the VTN publishes: A's message goes nowhere
    a.client.publish(`openadr3/vens/${ven.a}/events/create`, '{"forged":true}', { qos: 0 });
    const count = a.got.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(a.got).toHaveLength(count);
    expect(a.got.some((m) => (m.body as unknown as { forged?: boolean }).forged)).toBe(false);
  });
});
