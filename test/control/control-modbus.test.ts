/**
 * The arbiter as shipped (the server in a child process) driving a battery/meter peer served by pymodbus:
 * overlapping DR events, a device restart mid-event, a PRICE event, the SOC floor against DR, an operator's
 * override and its lease, peak shaving after a grid-import step, and bad requests. Values are read on the peer
 * itself with an independent Modbus client.
 *
 * Register map (unit 1, holding): 0-1 battery setpoint kW (float32 BE, positive discharges), 2 SOC % (uint16),
 * 3 grid power kW (int16, import positive), 4 measured battery power kW (int16).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPymodbus, startPymodbus, type Peer, type PymodbusConfig } from '../peers/peers';
import { modbusReader } from '../support/modbus-reader';
import { freePort, login, serve, type Served } from '../support/process';

const PASSWORD = 'Control-Test-Pass-1';
const CYCLE_MS = 500;
const slaves = (soc = 50, grid = 120): PymodbusConfig['slaves'] => ({ '1': { hr: { 0: 0, 1: 0, 2: soc, 3: grid, 4: 0 } } });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== null && v !== false) return v as T;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe.skipIf(!hasPymodbus())('control arbiter against a pymodbus battery', () => {
  let peer: Peer;
  let port: number;
  let server: Served;
  let dataDir: string;
  let headers: Record<string, string>;
  const reader = modbusReader(() => port);
  const { client, connect } = reader;
  const ids: Record<string, number> = {};
  let storage: number;

  const api = async <T = unknown>(method: string, route: string, data?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${server.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
  };
  /** the setpoint as the device holds it */
  const setpoint = () => reader.readFloat(0);
  const setRegister = (offset: number, value: number) => client.writeRegister(offset, value & 0xffff);
  const stack = async () => (await api<{ target: number | null; kind: string; requests: { id: string; source: string; value: number | null; winning: boolean; reason: string }[] }>('GET', `/control/points/${ids.setpoint}/requests`)).body;
  const event = async (name: string, offsetMs: number, duration: string, type: string, value: number, priority = 0) => {
    const r = await api<{ id: number }>('POST', '/dr/events', {
      name,
      priority,
      target_resources: [ids.resource],
      interval_period: { start: new Date(Date.now() + offsetMs).toISOString(), duration, randomizeStart: null },
      payload: { type, value },
      status: 'scheduled',
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id;
  };

  beforeAll(async () => {
    port = await freePort();
    peer = await startPymodbus({ port, slaves: slaves() });
    await connect();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-control-'));
    const apiPort = await freePort();
    server = await serve(['--port', String(apiPort), '--data-dir', dataDir, '--empty'], { SWITCHYARD_ADMIN_PASSWORD: PASSWORD }, 60_000);
    headers = (await login(server.url, 'administrator', PASSWORD)).headers;
    expect((await api('PUT', '/control/settings', { cycle_ms: CYCLE_MS })).status).toBe(200);
    const gateway = await api<{ id: number }>('POST', '/gateways', { name: 'Test gateway' });
    const ds = await api<{ id: number }>('POST', '/datasources', { name: 'Battery peer', gateway_id: gateway.body.id, protocol: 'modbus-tcp', connection: JSON.stringify({ host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 800, max_backoff_s: 0.5 }) });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    const point = async (name: string, offset: number, format: string, regs: number, extra: Record<string, unknown> = {}) => {
      const r = await api<{ id: number }>('POST', '/points', { name, data_source_id: ds.body.id, object_type: 'ANALOG_VALUE', units: 'kW', is_trend: false, address: JSON.stringify({ slave_id: 1, function_code: 3, offset, number_of_registers: regs, format }), ...extra });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body.id;
    };
    ids.setpoint = await point('Battery Setpoint', 0, '>f', 2, { low_limit: -100, high_limit: 100 });
    ids.soc = await point('Battery SOC', 2, '>H', 1, { units: '%' });
    ids.grid = await point('Grid Power', 3, '>h', 1);
    ids.battery = await point('Battery Power', 4, '>h', 1);
    expect((await api('POST', '/controlpoints', { point_id: ids.setpoint, fallback: 'value', fallback_value: 0 })).status).toBe(201);
    const sc = await api<{ id: number }>('POST', '/storagecontrols', {
      name: 'Peer battery',
      setpoint_point_id: ids.setpoint,
      soc_point_id: ids.soc,
      grid_power_point_id: ids.grid,
      battery_power_point_id: ids.battery,
      rated_power: 100,
      soc_floor: 10,
      soc_ceiling: 95,
      time_of_use: true,
      tou_discharge_power: 25,
      tou_discharge_at_or_above: 0.3,
      tou_charge_at_or_below: 0.1,
    });
    expect(sc.status, JSON.stringify(sc.body)).toBe(201);
    storage = sc.body.id;
    ids.resource = (await api<{ id: number }>('POST', '/dr/resources', { resource_id: 'Peer battery', point_id: ids.setpoint })).body.id;
    // the storage controllers have run once the SOC is known
    await until(async () => (await api<{ soc: number | null }>('GET', `/control/storage/${storage}`)).body?.soc === 50, 'the first control cycle with the SOC');
  }, 120_000);

  afterAll(async () => {
    if (client.isOpen) client.close(() => undefined);
    await server?.stop();
    await peer?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses bad requests with a 400 naming the field, and changes nothing', async () => {
    const before = (await api<unknown[]>('GET', '/auditlogs?action=control.request.create')).body.length;
    const cases: [unknown, string][] = [
      [{ point_id: 999_999, value: 10 }, 'point_id'],
      [{ point_id: ids.setpoint, value: 500 }, 'value'],
      [{ point_id: ids.setpoint, value: 'ten' }, 'value'],
      [{ point_id: ids.setpoint, value: 10, expires: '2020-01-01T00:00:00Z' }, 'expires'],
      [{ point_id: ids.setpoint, value: 10, duration_seconds: -5 }, 'duration_seconds'],
    ];
    for (const [body, field] of cases) {
      const r = await api<{ field: string; message: string }>('POST', '/control/requests', body);
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.field).toBe(field);
    }
    expect((await api<{ field: string }>('POST', `/control/points/${ids.setpoint}/requests`, { value: -250 })).body.field).toBe('value');
    expect((await stack()).requests.filter((r) => r.source === 'operator')).toEqual([]);
    expect((await api<unknown[]>('GET', '/auditlogs?action=control.request.create')).body.length).toBe(before);
    expect(await setpoint()).toBe(0);
  });

  it('overlapping DR events give the right setpoint at every moment and the fallback at the end', async () => {
    const t0 = Date.now();
    // A: 40 kW from +1 s for 8 s; B: 60 kW from +6 s for 10 s (equal priority: the newer start wins)
    await event('A 40 kW', 1000, 'PT8S', 'PowerLevel', 40);
    await event('B 60 kW', 6000, 'PT10S', 'PowerLevel', 60);
    const samples: [number, number][] = [];
    while (Date.now() - t0 < 21_000) {
      samples.push([(Date.now() - t0) / 1000, await setpoint()]);
      await sleep(150);
    }
    const during = (from: number, to: number) => samples.filter(([t]) => t >= from && t < to).map(([, v]) => v);
    expect(during(0, 0.9).every((v) => v === 0)).toBe(true);
    expect(during(4, 5.9)).not.toHaveLength(0);
    expect(during(4, 5.9).every((v) => v === 40), JSON.stringify(samples)).toBe(true);
    // B wins from its start, and still holds when A ends at 9 s (no "restore" of A's pre-event value)
    expect(during(8.5, 15.9).every((v) => v === 60), JSON.stringify(samples)).toBe(true);
    // after B ends at 16 s: the fallback, 0
    expect(during(19, 21).every((v) => v === 0), JSON.stringify(samples)).toBe(true);
    // every sample is one of the values some event (or the fallback) stands for
    expect(samples.every(([, v]) => [0, 40, 60].includes(v))).toBe(true);
  }, 60_000);

  it('re-asserts a DR setpoint when the device restarts mid-event', async () => {
    const id = await event('Restart test', 0, 'PT60S', 'PowerLevel', 45);
    try {
      await until(async () => (await setpoint()) === 45, 'the event setpoint');
      await peer.stop();
      peer = await startPymodbus({ port, slaves: slaves() }); // a restarted device: its registers are back to 0
      await connect();
      const restartedAt = Date.now();
      expect(await setpoint()).toBe(0);
      await until(async () => (await setpoint()) === 45, 'the setpoint re-asserted after the restart', 20_000);
      // the write is audited once its readback is in, which may come a little after the device holds the value
      const reasserted = async () => (await api<{ target: string; new_value: string; details: string }[]>('GET', '/auditlogs?action=command.write')).body.some((a) => a.target === `points:${ids.setpoint}` && a.new_value === '45' && a.details.includes('re-asserted'));
      await until(reasserted, 'the re-assertion in the audit log', 10_000);
      expect(Date.now() - restartedAt).toBeLessThan(20_000);
    } finally {
      await api('PUT', `/dr/events/${id}/cancel`);
    }
    await until(async () => (await setpoint()) === 0, 'the fallback after the cancel');
  }, 60_000);

  it('a command to a device that does not answer says so (pending, no readback) and is written when it answers', async () => {
    const cmd = await api<{ id: number }>('POST', '/commands', { name: 'Setpoint command', topic: `myems/point/${ids.setpoint}`, payload: '{"value": $s1}', set_value: 0 });
    expect(cmd.status, JSON.stringify(cmd.body)).toBe(201);
    await peer.stop();
    let down = true;
    try {
      await until(async () => (await api<{ quality: string }>('GET', `/points/${ids.setpoint}/latest`)).body.quality === 'comm_fail', 'the setpoint comm_fail');
      const r = await api<{ ok: boolean; readback: number | null; pending?: boolean; reason?: string; request_id: string }>('PUT', `/commands/${cmd.body.id}/send`, { set_value: 33 });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body).toMatchObject({ ok: true, readback: null, pending: true });
      expect(r.body.reason).toContain('comm_fail');
      peer = await startPymodbus({ port, slaves: slaves() });
      down = false;
      await connect();
      await until(async () => (await setpoint()) === 33, 'the held command written once the device answers', 20_000);
      expect((await api('DELETE', `/control/points/${ids.setpoint}/requests/${r.body.request_id}`)).status).toBe(200);
    } finally {
      if (down) {
        peer = await startPymodbus({ port, slaves: slaves() });
        await connect();
      }
      await api('DELETE', `/commands/${cmd.body.id}`);
    }
    await until(async () => (await setpoint()) === 0, 'the fallback after the release');
  }, 60_000);

  it('a PRICE event is not written as power: it feeds time of use', async () => {
    const id = await event('Price spike', 0, 'PT60S', 'PRICE', 0.31);
    try {
      // 0.31 >= 0.30: time of use discharges its configured 25 kW; 0.31 itself is never a setpoint
      await until(async () => (await setpoint()) === 25, 'time of use discharging on the price signal');
      const s = await stack();
      expect(s.requests.some((r) => r.source === 'dr')).toBe(false);
      expect(s.requests.find((r) => r.winning)).toMatchObject({ source: 'storage', value: 25 });
      const status = (await api<{ price: { value: number; source: string }; controllers: { controller: string; text: string }[] }>('GET', `/control/storage/${storage}`)).body;
      expect(status.price).toMatchObject({ value: 0.31 });
      expect(status.controllers.find((c) => c.controller === 'time_of_use')!.text).toContain('discharging 25 kW: price 0.31');
      const writes = (await api<{ target: string; new_value: string }[]>('GET', '/auditlogs?action=command.write')).body;
      expect(writes.some((a) => a.target === `points:${ids.setpoint}` && Number(a.new_value) === 0.31)).toBe(false);
    } finally {
      await api('PUT', `/dr/events/${id}/cancel`);
    }
    await until(async () => (await setpoint()) === 0, 'the fallback after the price event');
  }, 60_000);

  it('the SOC floor stops a discharge asked for by DR', async () => {
    await setRegister(2, 8); // SOC 8 % < floor 10 %
    await until(async () => (await api<{ soc: number }>('GET', `/control/storage/${storage}`)).body.soc === 8, 'the low SOC seen');
    const id = await event('Discharge at low SOC', 0, 'PT60S', 'PowerLevel', 50);
    try {
      await until(async () => (await stack()).requests.some((r) => r.source === 'dr' && r.winning), 'the DR request winning');
      const s = await stack();
      expect(s.target).toBe(0);
      for (let i = 0; i < 6; i++) {
        expect(await setpoint()).toBe(0);
        await sleep(250);
      }
      // charged again: the same event now discharges
      await setRegister(2, 60);
      await until(async () => (await setpoint()) === 50, 'the discharge once the SOC is above the floor');
    } finally {
      await api('PUT', `/dr/events/${id}/cancel`);
    }
    await until(async () => (await setpoint()) === 0, 'the fallback');
  }, 60_000);

  it('an operator override wins over DR, is audited, and ends with its lease', async () => {
    const id = await event('Background event', 0, 'PT60S', 'PowerLevel', 30);
    try {
      await until(async () => (await setpoint()) === 30, 'the DR setpoint');
      const r = await api<{ request_id: string; stack: { requests: { id: string; winning: boolean; source: string }[] } }>('POST', `/control/points/${ids.setpoint}/requests`, { value: -20, duration_seconds: 4, reason: 'test charge' });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(r.body.stack.requests.find((x) => x.winning)).toMatchObject({ id: r.body.request_id, source: 'operator' });
      await until(async () => (await setpoint()) === -20, 'the override written');
      const created = (await api<{ user_name: string; new_value: string; details: string }[]>('GET', '/auditlogs?action=control.request.create')).body;
      expect(created.some((a) => a.user_name === 'administrator' && a.new_value === '-20' && a.details.includes('test charge'))).toBe(true);
      const writes = (await api<{ user_name: string; new_value: string }[]>('GET', '/auditlogs?action=command.write')).body;
      expect(writes.some((a) => a.user_name === 'administrator' && a.new_value === '-20')).toBe(true);
      // the lease ends by itself: DR takes the point back
      await until(async () => (await setpoint()) === 30, 'DR back after the override expired', 20_000);
      const expired = (await api<{ details: string }[]>('GET', '/auditlogs?action=control.request.expire')).body;
      expect(expired.some((a) => a.details.includes(r.body.request_id))).toBe(true);
      // an override until released, released by the operator
      const held = await api<{ request_id: string }>('POST', `/control/points/${ids.setpoint}/requests`, { value: 12 });
      await until(async () => (await setpoint()) === 12, 'the held override');
      const dr = (await stack()).requests.find((x) => x.source === 'dr')!;
      expect((await api<{ field: string }>('DELETE', `/control/points/${ids.setpoint}/requests/${dr.id}`)).body.field).toBe('request_id');
      expect((await api('DELETE', `/control/points/${ids.setpoint}/requests/${held.body.request_id}`)).status).toBe(200);
      await until(async () => (await setpoint()) === 30, 'DR back after the release');
    } finally {
      await api('PUT', `/dr/events/${id}/cancel`);
    }
    await until(async () => (await setpoint()) === 0, 'the fallback');
  }, 60_000);

  it('a partner API key writes as a partner: below DR and operators, released like an override', async () => {
    const key = (await api<{ token: string }>('POST', '/apikeys', { name: 'aggregator', expires_datetime_utc: '2035-01-01T00:00:00' })).body.token;
    const r = await fetch(`${server.url}/api/control/points/${ids.setpoint}/requests`, { method: 'POST', headers: { 'API-Key': key, 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { value: 22, duration_seconds: 120, reason: 'aggregator dispatch' } }) });
    const placed = (await r.json()) as { request_id: string };
    expect(r.status, JSON.stringify(placed)).toBe(201);
    await until(async () => (await setpoint()) === 22, 'the partner value');
    expect((await stack()).requests.find((x) => x.winning)).toMatchObject({ id: placed.request_id, source: 'partner' });
    const id = await event('Over the partner', 0, 'PT60S', 'PowerLevel', 33);
    try {
      await until(async () => (await setpoint()) === 33, 'DR above the partner');
    } finally {
      await api('PUT', `/dr/events/${id}/cancel`);
    }
    await until(async () => (await setpoint()) === 22, 'the partner value back after the event');
    expect((await api('DELETE', `/control/points/${ids.setpoint}/requests/${placed.request_id}`)).status).toBe(200);
    await until(async () => (await setpoint()) === 0, 'the fallback');
  }, 60_000);

  it('peak shaving holds the import limit after a step', async () => {
    await setRegister(3, 150);
    const up = await api('PUT', `/storagecontrols/${storage}`, { peak_shaving: true, import_limit: 200, time_of_use: false });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    await until(async () => (await api<{ controllers: { controller: string; active: boolean }[] }>('GET', `/control/storage/${storage}`)).body.controllers.find((c) => c.controller === 'peak_shaving')?.active, 'peak shaving on');
    expect(await setpoint()).toBe(0);
    const t0 = Date.now();
    await setRegister(3, 260); // import jumps to 260 kW with the battery idle: discharge 60 kW
    await until(async () => (await setpoint()) === 60, 'the battery discharging 60 kW', 15_000);
    const elapsed = Date.now() - t0;
    const status = (await api<{ controllers: { controller: string; text: string }[] }>('GET', `/control/storage/${storage}`)).body;
    expect(status.controllers.find((c) => c.controller === 'peak_shaving')!.text).toBe('discharging 60 kW: import 260 kW > limit 200 kW');
    // the meter now shows the shaved import (the battery measures 60 kW): the setpoint holds
    await setRegister(4, 60);
    await setRegister(3, 200);
    for (let i = 0; i < 6; i++) {
      expect(await setpoint()).toBe(60);
      await sleep(250);
    }
    expect(elapsed).toBeLessThan(15_000);
  }, 60_000);
});
