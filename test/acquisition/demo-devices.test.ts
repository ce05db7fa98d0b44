/**
 * Two demos starting at the same moment want the same device ports. Each must end up with devices of its own: a
 * port probed free and bound a moment later could be won by the other (its data source then read the other demo's
 * PLC, and went offline with it), and the BACnet device shared its UDP port (SO_REUSEADDR) with the other one.
 * Real Modbus reads (modbus-serial's client, as the driver uses) tell the two PLCs apart.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { startDemoDevices, type DemoDevices } from '../../src/core/demo/devices/devices';
import { freePort } from '../support/process';
import { waitFor } from '../support/wait';

/** Battery Setpoint (registers 20-21, float32 big-endian) read from the PLC on `port` */
async function readSetpoint(port: number): Promise<number> {
  const { default: ModbusRTU } = await import('modbus-serial');
  const client = new ModbusRTU();
  try {
    await client.connectTCP('127.0.0.1', { port });
    client.setID(1);
    client.setTimeout(5_000);
    const r = await client.readHoldingRegisters(20, 2);
    return r.buffer.readFloatBE(0);
  } finally {
    await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}

describe('two demos started at once', { timeout: 60_000 }, () => {
  const started: DemoDevices[] = [];
  afterAll(async () => {
    for (const d of started) await d.stop();
  });

  it('get devices of their own on different ports, each PLC with its own registers', async () => {
    const [modbusPort, mqttPort] = [await freePort(), await freePort()];
    const bacnetPort = 47990 + Math.floor(Math.random() * 9);
    const both = await Promise.allSettled([0, 1].map(() => startDemoDevices({ modbusPort, mqttPort, bacnetPort })));
    for (const s of both) if (s.status === 'fulfilled') started.push(s.value);
    expect(both.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled']);
    const [a, b] = started;
    expect(new Set([a.modbusPort, b.modbusPort]).size).toBe(2);
    expect(new Set([a.mqttPort, b.mqttPort]).size).toBe(2);
    expect([a.modbusPort, b.modbusPort]).toContain(modbusPort);
    expect(a.bacnetPort).not.toBeNull();
    expect(b.bacnetPort).not.toBeNull();
    expect(a.bacnetPort).not.toBe(b.bacnetPort);
    // each port answers with its own plant: different setpoints in the two models, each read back from its port
    a.model.batterySetpointKw = 12.5;
    b.model.batterySetpointKw = -30;
    a.model.step();
    b.model.step();
    // the devices copy the model into their registers every second
    await waitFor(async () => (await readSetpoint(a.modbusPort)) === 12.5, 'the first PLC holding its own setpoint', 20_000, 200);
    await waitFor(async () => (await readSetpoint(b.modbusPort)) === -30, 'the second PLC holding its own setpoint', 20_000, 200);
    // the MQTT brokers listen where they say
    for (const port of [a.mqttPort, b.mqttPort]) {
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve())).once('error', reject);
      });
    }
  });
});
