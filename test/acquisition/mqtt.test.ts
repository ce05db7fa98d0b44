/**
 * MQTT through the server as users start it (`npm run serve`'s built JavaScript in a child process), against
 * mosquitto (Debian) started on a free loopback port: data source and points created, values read and a command
 * published through the HTTP API only.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, startMosquitto, type Peer } from '../peers/peers';
import { freePort } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

// a missing peer fails the suite, naming the apt line to run
hasBinary('/usr/sbin/mosquitto', 'mosquitto');

describe('MQTT against mosquitto', { timeout: 180_000 }, () => {
  let broker: Peer;
  let port: number;
  let publisher: mqtt.MqttClient;
  let server: ApiServer;
  let ds: number;
  const id = { power: 0, plain: 0, state: 0, indexed: 0 };

  beforeAll(async () => {
    port = await freePort();
    broker = await startMosquitto(port);
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200 });
    server = await startServer();
    ds = await server.createSource('EV chargers', 'mqtt', { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 1000, max_backoff_s: 0.5, stale_after_seconds: 3 });
    id.power = await server.createPoint(ds, 'Charger power', { topic: 'site/ev/1', json_path: 'data.power_kw' }, { high_limit: 22 });
    id.plain = await server.createPoint(ds, 'Temperature', { topic: 'site/temp' });
    id.state = await server.createPoint(ds, 'Door', { topic: 'site/door' }, { object_type: 'DIGITAL_VALUE' });
    id.indexed = await server.createPoint(ds, 'Phase 2 current', { topic: 'site/ev/1', json_path: 'data.currents[1]' });
    await waitFor(async () => (await server.status(ds)) === 'online', 'the server connected to the broker', 60_000, 100);
  });
  afterAll(async () => {
    await server?.stop();
    await publisher?.endAsync(true);
    await broker?.stop();
  });

  /** publishes until the server shows the value (its subscription may still be settling) */
  const publishUntil = (topic: string, payload: string, pointId: number, ok: (l: { value: unknown; quality: string }) => boolean, what: string) =>
    waitFor(async () => {
      await publisher.publishAsync(topic, payload).catch(() => undefined);
      const l = await server.latest(pointId);
      return ok(l) && l;
    }, what, 30_000, 200);

  it('takes JSON payloads with a path, plain numbers and booleans', async () => {
    const ev = JSON.stringify({ data: { power_kw: 11.5, currents: [15.9, 16.1, 16] } });
    expect(await publishUntil('site/ev/1', ev, id.power, (l) => l.value === 11.5, 'the charger power')).toMatchObject({ value: 11.5, quality: 'good' });
    expect(await server.latest(id.indexed)).toMatchObject({ value: 16.1, quality: 'good' });
    expect(await publishUntil('site/temp', '21.25', id.plain, (l) => l.value === 21.25, 'the temperature')).toMatchObject({ quality: 'good' });
    expect(await publishUntil('site/door', 'true', id.state, (l) => l.value === 1, 'the door')).toMatchObject({ value: 1, quality: 'good' });
  });

  it('judges limits, bad payloads and stale values', async () => {
    await publisher.publishAsync('site/ev/1', JSON.stringify({ data: { power_kw: 30 } }));
    expect(await server.waitLatest(id.power, (l) => l.value === 30, 'the high value')).toMatchObject({ quality: 'out_of_range' });
    expect(await server.latest(id.indexed)).toMatchObject({ value: null, quality: 'bad' });
    await publisher.publishAsync('site/ev/1', 'not json');
    await server.waitLatest(id.power, (l) => l.quality === 'bad', 'a bad payload');
    await server.waitLatest(id.plain, (l) => l.quality === 'stale', 'a stale temperature');
  });

  it('publishes commands through the same connection', async () => {
    const got = new Promise<string>((resolve) => {
      publisher.on('message', (topic, payload) => topic === 'site/cmd' && resolve(payload.toString()));
    });
    await publisher.subscribeAsync('site/cmd');
    const cmd = await server.api<{ id: number }>('POST', '/commands', { name: 'Charger limit', topic: 'site/cmd', payload: '{"setpoint":$s1}', data_source_id: ds });
    expect(cmd.status, JSON.stringify(cmd.body)).toBe(201);
    const r = await server.api<{ ok: boolean; error?: string }>('PUT', `/commands/${cmd.body.id}/send`, { set_value: 7 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ok, r.body.error).toBe(true);
    expect(await got).toBe('{"setpoint":7}');
  });

  it('turns comm_fail when the broker dies and recovers when it returns', async () => {
    await broker.stop();
    await server.waitLatest(id.plain, (l) => l.quality === 'comm_fail', 'comm_fail');
    await waitFor(async () => (await server.status(ds)) === 'offline', 'the data source offline', 30_000, 100);
    broker = await startMosquitto(port);
    await waitFor(async () => (await server.status(ds)) === 'online', 'reconnected', 60_000, 100);
    await publishUntil('site/temp', '19', id.plain, (l) => l.value === 19 && l.quality === 'good', 'a fresh value after the restart');
  });
});
