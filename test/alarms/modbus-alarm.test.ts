import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_SOURCE_OFFLINE_DELAY_SETTING } from '../../src/core/alarms/feature';
import { hasBinary, hasPymodbus, startPymodbus, type Peer } from '../peers/peers';
import { freePort } from '../support/process';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

const enabled = hasPymodbus() && hasBinary('/usr/bin/mbpoll', 'mbpoll');

interface Alarm {
  id: number;
  source: string;
  source_id: number;
  condition: string;
  state: string;
  active: boolean;
  value: string | null;
}

/** mbpoll (a Modbus master written by others) writes holding register 10 of unit 1 on the pymodbus peer. */
const writeRegister = (port: number, value: number) =>
  execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-t', '4', '-r', '10', '-0', '-1', '-p', String(port), '127.0.0.1', String(value)], { stdio: 'pipe', timeout: 10_000 });

describe.skipIf(!enabled)('an alarm raised by a value served by a real Modbus peer (pymodbus), cleared when it returns to normal', () => {
  let peer: Peer;
  let port: number;
  let rt: TestRuntime;
  let pointId: number;
  let dsId: number;
  const alarms = async () => (await rt.api<Alarm[]>('GET', '/alarms?state=all')).body;

  beforeAll(async () => {
    port = await freePort();
    peer = await startPymodbus({ port, slaves: { '1': { hr: { 10: 50 } } } });
    rt = await startTestRuntime();
    rt.ctx.settings.set(DATA_SOURCE_OFFLINE_DELAY_SETTING, '1');
    const gw = await rt.api<{ id: number }>('POST', '/gateways', { name: 'Substation GW' });
    const ds = await rt.api<{ id: number }>('POST', '/datasources', {
      name: 'Relay PLC',
      gateway_id: gw.body.id,
      protocol: 'modbus-tcp',
      connection: { host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 300, max_backoff_s: 0.5 },
    });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    dsId = ds.body.id;
    const p = await rt.api<{ id: number }>('POST', '/points', {
      name: 'Busbar temperature',
      data_source_id: dsId,
      object_type: 'ANALOG_VALUE',
      units: '°C',
      high_limit: 100,
      is_trend: true,
      address: { slave_id: 1, function_code: 3, offset: 10, format: 'uint16' },
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    pointId = p.body.id;
  });
  afterAll(async () => {
    await rt?.stop();
    await peer?.stop();
  });

  it('stays normal while the served value is normal', async () => {
    await waitFor(async () => (await rt.api<{ value: number; quality: string }>('GET', `/points/${pointId}/latest`)).body.value === 50, 'the first value from the peer');
    expect((await alarms()).filter((a) => a.source === 'point' && a.active)).toEqual([]);
  });

  it('raises HI when the peer serves a value above the high limit, and clears it when the value returns', async () => {
    writeRegister(port, 150);
    const hi = await waitFor(async () => (await alarms()).find((a) => a.source === 'point' && a.source_id === pointId && a.condition === 'HI' && a.state === 'UNACK'), 'the HI alarm');
    expect(hi.value).toBe('150');
    expect((await rt.api<Record<string, unknown>>('GET', '/status')).body.unacknowledged_alarms).toBeGreaterThanOrEqual(1);
    writeRegister(port, 60);
    await waitFor(async () => (await rt.api<Alarm>('GET', `/alarms/${hi.id}`)).body.state === 'RTNUN', 'return to normal');
    expect((await rt.api<Alarm>('PUT', `/alarms/${hi.id}/ack`, { comment: 'checked on site' })).body.state).toBe('NORM');
  });

  it('a lost device raises the data source alarm, keeps process alarms as they were, and suppresses the point comm alarms by design', async () => {
    writeRegister(port, 170);
    const hi = await waitFor(async () => (await alarms()).find((a) => a.source_id === pointId && a.condition === 'HI' && a.active), 'HI again');
    await peer.stop();
    const ds = await waitFor(async () => (await alarms()).find((a) => a.source === 'datasource' && a.source_id === dsId && a.state === 'UNACK'), 'the data source alarm', 15_000);
    expect(ds.condition).toBe('OFFLINE');
    // comm_fail neither clears nor raises a process alarm
    expect((await rt.api<Alarm>('GET', `/alarms/${hi.id}`)).body.active).toBe(true);
    const comm = await waitFor(async () => (await alarms()).find((a) => a.source_id === pointId && a.source === 'point' && a.condition === 'COMM'), 'the point comm alarm', 15_000);
    expect(comm.state).toBe('DSUPR');
  });
});
