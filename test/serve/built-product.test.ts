/**
 * The built product, started as it ships: the bundle `npm run build` makes (out/main/cli.js, the runtime chunk it
 * shares with the desktop app's main process) run by plain Node in a child process. Every device driver reads a
 * real peer through it: Modbus TCP and Modbus RTU over TCP (pymodbus), BACnet/IP (a @bacnet-js/client device on
 * 127.0.0.2) and MQTT (mosquitto), all configured and read through the HTTP API.
 */
import { ObjectType } from '@bacnet-js/client';
import fs from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { staleReason } from '../../scripts/build-lib.mjs';
// @ts-expect-error plain JavaScript module without types
import { NODE_FLAGS } from '../../scripts/node-flags.mjs';
import { startBacnetDevice, type BacnetDevice } from '../../src/core/demo/devices/bacnet';
import { hasBinary, hasPymodbus, startMosquitto, startPymodbus, type Peer } from '../peers/peers';
import { freePort, ROOT } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

hasPymodbus();
hasBinary('/usr/sbin/mosquitto', 'mosquitto');

const BUNDLE = path.join(ROOT, 'out', 'main', 'cli.js');

describe('the built product reads a real peer with every driver', { timeout: 240_000 }, () => {
  const peers: Peer[] = [];
  let bacnet: BacnetDevice | undefined;
  let publisher: mqtt.MqttClient | undefined;
  let server: ApiServer;
  const ports = { tcp: 0, rtu: 0, mqtt: 0, bacnet: 47850 + Math.floor(Math.random() * 50) };

  beforeAll(async () => {
    // the test run's global setup built out/ from these sources (npm run serve and npm start run the same files)
    expect((staleReason as (root: string) => string | null)(ROOT)).toBeNull();
    expect(JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts.serve).toBe(['node', ...NODE_FLAGS, 'scripts/built.mjs serve'].join(' '));
    ports.tcp = await freePort();
    ports.rtu = await freePort();
    ports.mqtt = await freePort();
    peers.push(await startPymodbus({ port: ports.tcp, slaves: { '1': { hr: { 0: 0x41ac, 1: 0x0000 } } } }));
    peers.push(await startPymodbus({ port: ports.rtu, framer: 'rtu', slaves: { '5': { hr: { 10: 4321 } } } }));
    peers.push(await startMosquitto(ports.mqtt));
    bacnet = await startBacnetDevice(ports.bacnet, [{ type: ObjectType.ANALOG_INPUT, instance: 7, value: 42.25 }]);
    publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${ports.mqtt}`, { reconnectPeriod: 200 });
    server = await startServer('--empty', [], [BUNDLE, 'serve']);
  });
  afterAll(async () => {
    await server?.stop();
    await publisher?.endAsync(true);
    await bacnet?.stop();
    for (const p of peers) await p.stop();
  });

  it('Modbus TCP, Modbus RTU over TCP, BACnet/IP and MQTT values arrive good, and every source is online', async () => {
    const fast = { interval_in_seconds: 0.5, timeout_ms: 1000, max_backoff_s: 1 };
    const tcp = await server.createSource('Modbus TCP meter', 'modbus-tcp', { host: '127.0.0.1', port: ports.tcp, ...fast });
    const rtu = await server.createSource('Modbus RTU gateway', 'modbus-rtu', { host: '127.0.0.1', port: ports.rtu, ...fast });
    const bac = await server.createSource('BACnet controller', 'bacnet-ip', { device_address: '127.0.0.2', port: ports.bacnet, ...fast });
    const mq = await server.createSource('MQTT broker', 'mqtt', { host: '127.0.0.1', port: ports.mqtt, ...fast });
    const points = {
      tcp: await server.createPoint(tcp, 'TCP float', { slave_id: 1, function_code: 3, offset: 0, number_of_registers: 2, format: '>f' }),
      rtu: await server.createPoint(rtu, 'RTU register', { slave_id: 5, function_code: 3, offset: 10, format: 'uint16' }, { ratio: 0.1 }),
      bacnet: await server.createPoint(bac, 'BACnet input', { object_type: 'analogInput', object_id: 7, property_name: 'presentValue' }),
      mqtt: await server.createPoint(mq, 'MQTT value', { topic: 'built/meter', json_path: 'kw' }),
    };
    expect(await server.waitLatest(points.tcp, (l) => l.quality === 'good', 'Modbus TCP', 60_000)).toMatchObject({ value: 21.5 });
    expect(Number((await server.waitLatest(points.rtu, (l) => l.quality === 'good', 'Modbus RTU over TCP', 60_000)).value)).toBeCloseTo(432.1, 6);
    expect(Number((await server.waitLatest(points.bacnet, (l) => l.quality === 'good', 'BACnet/IP', 60_000)).value)).toBeCloseTo(42.25, 5);
    const mqttValue = await waitFor(async () => {
      await publisher!.publishAsync('built/meter', JSON.stringify({ kw: 3.75 }));
      const l = await server.latest(points.mqtt);
      return l.quality === 'good' && l;
    }, 'MQTT', 60_000, 250);
    expect(mqttValue.value).toBe(3.75);
    for (const ds of [tcp, rtu, bac, mq]) await waitFor(async () => (await server.status(ds)) === 'online', `data source ${ds} online`, 60_000, 200);
  });
});
