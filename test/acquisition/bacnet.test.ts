import { ObjectType } from '@bacnet-js/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBacnetDevice, type BacnetDevice } from '../../src/core/demo/devices/bacnet';
import { point, recordingEngine, source, waitFor } from './support';

describe('BACnet/IP against a @bacnet-js/client device on 127.0.0.2', () => {
  let device: BacnetDevice;
  const port = 47900 + Math.floor(Math.random() * 50);
  const rec = recordingEngine();
  const ds = 9;
  const temp = point(ds, 'Supply air temperature', { object_type: 'analogValue', object_id: 1, property_name: 'presentValue' });
  const setpoint = point(ds, 'Setpoint', { object_type: 'analogValue', object_id: 2, property_name: 'presentValue' }, { high_limit: 30 });
  const fan = point(ds, 'Fan', { object_type: 'binaryValue', object_id: 1 }, { object_type: 'DIGITAL_VALUE' });
  const ghost = point(ds, 'Missing object', { object_type: 'analogValue', object_id: 99 });
  const objects = () => [
    { type: ObjectType.ANALOG_VALUE, instance: 1, value: 18.5 },
    { type: ObjectType.ANALOG_VALUE, instance: 2, value: 21 },
    { type: ObjectType.BINARY_VALUE, instance: 1, value: 1 },
  ];

  beforeAll(async () => {
    device = await startBacnetDevice(port, objects());
    rec.engine.configure([source(ds, 'bacnet-ip', { device_address: '127.0.0.2', port, interval_in_seconds: 0.3, timeout_ms: 500, max_backoff_s: 0.5 })], [temp, setpoint, fan, ghost]);
    await rec.engine.start();
  });
  afterAll(async () => {
    await rec.engine.stop();
    await device?.stop();
  });

  it('reads presentValue of analog and binary objects; an unknown object is bad, the rest good', async () => {
    await waitFor(() => rec.last(fan.id), 'a first scan');
    expect(rec.last(temp.id)!.value).toBeCloseTo(18.5, 5);
    expect(rec.last(temp.id)!.quality).toBe('good');
    expect(rec.last(fan.id)).toMatchObject({ value: 1, quality: 'good' });
    expect(rec.last(ghost.id)).toMatchObject({ value: null, quality: 'bad' });
    expect(rec.status.get(ds)).toBe('online');
  });

  it('writes with a priority and reads back', async () => {
    const r = await rec.engine.write(setpoint.id, 23.5, { priority: 8 });
    expect(r).toMatchObject({ ok: true });
    expect(r.readback).toBeCloseTo(23.5, 5);
    expect(device.writes.at(-1)).toEqual({ instance: 2, value: 23.5, priority: 8 });
  });

  it('turns comm_fail when the device disappears and recovers when it is back', async () => {
    await device.stop();
    await waitFor(() => rec.last(temp.id)?.quality === 'comm_fail', 'comm_fail', 5000);
    expect(rec.status.get(ds)).toBe('offline');
    device = await startBacnetDevice(port, objects());
    await waitFor(() => rec.last(temp.id)?.quality === 'good', 'recovery', 10_000);
  });
});
