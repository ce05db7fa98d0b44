/**
 * Only data sources that talk to a device can be offline: GET /api/status (the status bar) and the tray count
 * modbus-tcp, modbus-rtu, bacnet-ip and mqtt sources; simulation, virtual and manual ones are neither online
 * nor offline. One real device (pymodbus) online and one dead address give exactly 1 online and 1 offline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trayState, trayTooltip } from '../../src/main/tray';
import { hasPymodbus, startPymodbus, type Peer } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

const enabled = hasPymodbus();

describe.skipIf(!enabled)('the data source count of the status bar, the tray and /api/status', () => {
  let rt: TestRuntime;
  let peer: Peer;
  const ids: Record<string, number> = {};
  const status = async () => (await rt.api<{ data_sources_online: number; data_sources_offline: number }>('GET', '/status')).body;

  beforeAll(async () => {
    const port = await freePort();
    peer = await startPymodbus({ port, slaves: { '1': { hr: { 0: 7 } } } });
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    const ds = async (name: string, protocol: string, connection: object) => {
      const r = await rt.api<{ id: number }>('POST', '/datasources', { name, gateway_id: gw, protocol, connection });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      ids[name] = r.body.id;
      return r.body.id;
    };
    await ds('Meter PLC', 'modbus-tcp', { host: '127.0.0.1', port, interval_in_seconds: 0.5 });
    await ds('Dead RTU', 'modbus-tcp', { host: '127.0.0.1', port: await freePort(), interval_in_seconds: 0.5, timeout_ms: 300 });
    await ds('Simulator', 'simulation', { interval_in_seconds: 0.5 });
    await ds('Calculations', 'virtual', {});
    await ds('Hand readings', 'manual', {});
    const point = (name: string, source: string, address: object) => rt.api('POST', '/points', { name, data_source_id: ids[source], object_type: 'ANALOG_VALUE', is_trend: false, address });
    await point('PLC value', 'Meter PLC', { slave_id: 1, function_code: 3, offset: 0, format: 'uint16' });
    await point('RTU value', 'Dead RTU', { slave_id: 1, function_code: 3, offset: 0, format: 'uint16' });
    await point('Sim value', 'Simulator', { waveform: 'constant', offset: 1 });
  });
  afterAll(async () => {
    await rt?.stop();
    await peer?.stop();
  });

  it('counts the device that answers as online and the dead one as offline; simulation, virtual and manual not at all', async () => {
    await waitFor(async () => (await rt.api<{ status: string }>('GET', `/datasources/${ids['Meter PLC']}`)).body.status === 'online', 'the PLC online', 30_000);
    await waitFor(async () => (await rt.api<{ status: string }>('GET', `/datasources/${ids.Simulator}`)).body.status === 'online', 'the simulator running', 30_000);
    expect(await status()).toMatchObject({ data_sources_online: 1, data_sources_offline: 1 });
    await waitFor(async () => (await rt.api<unknown[]>('GET', '/alarms')).body.length > 0, 'the dead device alarm', 30_000);
    const s = rt.runtime.status();
    expect(trayTooltip(s)).toMatch(/^Switchyard: 1 data source offline, 1 unacknowledged alarm/);
    expect(trayState(s)).toBe('attention');
    // that one alarm is the dead device's; the sources without a device raise none
    const alarms = (await rt.api<{ source: string; source_id: number }[]>('GET', '/alarms')).body;
    expect(alarms.map((a) => `${a.source}:${a.source_id}`)).toEqual([`datasource:${ids['Dead RTU']}`]);
  });

  it('a healthy plant with only devices that answer and sources without devices shows nothing offline', async () => {
    expect((await rt.api('DELETE', `/points/${(await rt.api<{ id: number; name: string }[]>('GET', '/points')).body.find((p) => p.name === 'RTU value')!.id}`)).status).toBe(204);
    expect((await rt.api('DELETE', `/datasources/${ids['Dead RTU']}`)).status).toBe(204);
    expect(await status()).toMatchObject({ data_sources_online: 1, data_sources_offline: 0 });
    for (const a of (await rt.api<{ id: number }[]>('GET', '/alarms')).body) await rt.api('PUT', `/alarms/${a.id}/ack`, {});
    const s = rt.runtime.status();
    expect(trayTooltip(s)).toBe('Switchyard: 1 data sources online, no unacknowledged alarms');
    expect(trayState(s)).toBe('normal');
  });
});
