/**
 * BACnet/IP through the server as users start it (`npm run serve`'s built JavaScript in a child process), against
 * a device made with @bacnet-js/client on 127.0.0.2: data source and points created, values read and a write
 * sent through the HTTP API only. (Under vitest's module interop the driver worked while the shipped runtime
 * threw "BACnet is not a constructor"; this test runs what ships.)
 */
import { ObjectType } from '@bacnet-js/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBacnetDevice, type BacnetDevice } from '../../src/core/demo/devices/bacnet';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

describe('BACnet/IP against a @bacnet-js/client device on 127.0.0.2', { timeout: 180_000 }, () => {
  let device: BacnetDevice;
  let server: ApiServer;
  const port = 47900 + Math.floor(Math.random() * 50);
  const ids = { ds: 0, temp: 0, setpoint: 0, fan: 0, ghost: 0 };
  const objects = () => [
    { type: ObjectType.ANALOG_VALUE, instance: 1, value: 18.5 },
    { type: ObjectType.ANALOG_VALUE, instance: 2, value: 21 },
    { type: ObjectType.BINARY_VALUE, instance: 1, value: 1 },
  ];

  beforeAll(async () => {
    device = await startBacnetDevice(port, objects());
    server = await startServer();
    ids.ds = await server.createSource('HVAC', 'bacnet-ip', { device_address: '127.0.0.2', port, interval_in_seconds: 0.3, timeout_ms: 1000, max_backoff_s: 0.5 });
    ids.temp = await server.createPoint(ids.ds, 'Supply air temperature', { object_type: 'analogValue', object_id: 1, property_name: 'presentValue' });
    ids.setpoint = await server.createPoint(ids.ds, 'Setpoint', { object_type: 'analogValue', object_id: 2, property_name: 'presentValue' }, { high_limit: 30 });
    ids.fan = await server.createPoint(ids.ds, 'Fan', { object_type: 'binaryValue', object_id: 1 }, { object_type: 'DIGITAL_VALUE' });
    ids.ghost = await server.createPoint(ids.ds, 'Missing object', { object_type: 'analogValue', object_id: 99 });
  });
  afterAll(async () => {
    await server?.stop();
    await device?.stop();
  });

  it('reads presentValue of analog and binary objects; an unknown object is bad, the rest good', async () => {
    const temp = await server.waitLatest(ids.temp, (l) => l.quality === 'good', 'a good temperature');
    expect(temp.value).toBeCloseTo(18.5, 5);
    expect(await server.waitLatest(ids.fan, (l) => l.quality === 'good', 'the fan')).toMatchObject({ value: 1, quality: 'good' });
    expect(await server.waitLatest(ids.ghost, (l) => l.quality !== 'comm_fail' && l.utc_date_time !== null, 'the missing object')).toMatchObject({ value: null, quality: 'bad' });
    await waitFor(async () => (await server.status(ids.ds)) === 'online', 'the data source online', 30_000, 100);
    const d = await server.api<{ protocol: string; status: string; points: number }>('GET', `/datasources/${ids.ds}/diagnostics`);
    expect(d.body).toMatchObject({ protocol: 'bacnet-ip', status: 'online', points: 4 });
  });

  it('writes with a priority and reads back', async () => {
    const r = await server.api<{ ok: boolean; readback: number; error?: string }>('PUT', `/points/${ids.setpoint}/write`, { value: 23.5, priority: 8 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.ok, r.body.error).toBe(true);
    expect(r.body.readback).toBeCloseTo(23.5, 5);
    expect(device.writes.at(-1)).toEqual({ instance: 2, value: 23.5, priority: 8 });
    await server.waitLatest(ids.setpoint, (l) => l.value === 23.5, 'the written setpoint in the next scan');
  });

  it('turns comm_fail when the device disappears and recovers when it is back', async () => {
    await device.stop();
    await server.waitLatest(ids.temp, (l) => l.quality === 'comm_fail', 'comm_fail');
    await waitFor(async () => (await server.status(ids.ds)) === 'offline', 'the data source offline', 30_000, 100);
    device = await startBacnetDevice(port, objects());
    await server.waitLatest(ids.temp, (l) => l.quality === 'good', 'recovery', 60_000);
  });
});
