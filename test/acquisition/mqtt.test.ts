import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/process';
import { hasBinary, startMosquitto, type Peer } from '../peers/peers';
import { point, recordingEngine, source, waitFor } from './support';

const enabled = hasBinary('/usr/sbin/mosquitto', 'mosquitto');

describe.skipIf(!enabled)('MQTT against mosquitto', () => {
  let broker: Peer;
  let port: number;
  let publisher: mqtt.MqttClient;
  const rec = recordingEngine();
  const ds = 7;
  const power = point(ds, 'Charger power', { topic: 'site/ev/1', json_path: 'data.power_kw' }, { high_limit: 22 });
  const plain = point(ds, 'Temperature', { topic: 'site/temp' });
  const state = point(ds, 'Door', { topic: 'site/door' }, { object_type: 'DIGITAL_VALUE' });
  const indexed = point(ds, 'Phase 2 current', { topic: 'site/ev/1', json_path: 'data.currents[1]' });
  const connection = () => ({ host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 500, max_backoff_s: 0.5, stale_after_seconds: 1 });

  beforeAll(async () => {
    port = await freePort();
    broker = await startMosquitto(port);
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 200 });
    rec.engine.configure([source(ds, 'mqtt', connection())], [power, plain, state, indexed]);
    await rec.engine.start();
    await waitFor(() => rec.status.get(ds) === 'online', 'the engine connected');
  });
  afterAll(async () => {
    await rec.engine.stop();
    await publisher?.endAsync(true);
    await broker?.stop();
  });

  it('takes JSON payloads with a path, plain numbers and booleans', async () => {
    await publisher.publishAsync('site/ev/1', JSON.stringify({ data: { power_kw: 11.5, currents: [15.9, 16.1, 16] } }));
    await publisher.publishAsync('site/temp', '21.25');
    await publisher.publishAsync('site/door', 'true');
    await waitFor(() => rec.last(state.id), 'the door');
    expect(rec.last(power.id)).toMatchObject({ value: 11.5, quality: 'good' });
    expect(rec.last(indexed.id)).toMatchObject({ value: 16.1, quality: 'good' });
    expect(rec.last(plain.id)).toMatchObject({ value: 21.25, quality: 'good' });
    expect(rec.last(state.id)).toMatchObject({ value: 1, quality: 'good' });
  });

  it('judges limits, bad payloads and stale values', async () => {
    await publisher.publishAsync('site/ev/1', JSON.stringify({ data: { power_kw: 30 } }));
    await waitFor(() => rec.last(power.id)?.value === 30, 'the high value');
    expect(rec.last(power.id)!.quality).toBe('out_of_range');
    expect(rec.last(indexed.id)).toMatchObject({ value: null, quality: 'bad' });
    await publisher.publishAsync('site/ev/1', 'not json');
    await waitFor(() => rec.last(power.id)?.quality === 'bad', 'a bad payload');
    await waitFor(() => rec.last(plain.id)?.quality === 'stale', 'a stale temperature', 5000);
  });

  it('publishes commands through the same connection', async () => {
    const got = new Promise<string>((resolve) => {
      publisher.on('message', (topic, payload) => topic === 'site/cmd' && resolve(payload.toString()));
    });
    await publisher.subscribeAsync('site/cmd');
    await rec.engine.publish(ds, 'site/cmd', '{"setpoint":7}');
    expect(await got).toBe('{"setpoint":7}');
  });

  it('turns comm_fail when the broker dies and recovers when it returns', async () => {
    await broker.stop();
    await waitFor(() => rec.last(plain.id)?.quality === 'comm_fail', 'comm_fail', 5000);
    expect(rec.status.get(ds)).toBe('offline');
    broker = await startMosquitto(port);
    await waitFor(() => rec.status.get(ds) === 'online', 'reconnected', 10_000);
    await waitFor(async () => {
      await publisher.publishAsync('site/temp', '19').catch(() => undefined);
      return rec.last(plain.id)?.value === 19 && rec.last(plain.id)?.quality === 'good';
    }, 'a fresh value after the restart', 10_000);
  });
});
