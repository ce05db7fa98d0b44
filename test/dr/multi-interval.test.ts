/**
 * A multi-interval OpenADR event dispatched over time in the server as it ships (a child process) to a battery
 * served by pymodbus: four 5-second intervals (10, 20, 30, 40 kW), each value written to the device during its
 * own interval, the fallback before and after. The event is created by the operator's business logic through the
 * OpenADR VTN (POST /events with intervals), the way an OpenADR BL client sends a profile. Values are read on the
 * peer itself with an independent Modbus client.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPymodbus, startPymodbus, type Peer } from '../peers/peers';
import { modbusReader } from '../support/modbus-reader';
import { freePort, login, serve, type Served } from '../support/process';
import { waitFor } from '../support/wait';

const PASSWORD = 'Multi-Interval-Pass-1';
const STEP_S = 5;
const VALUES = [10, 20, 30, 40];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!hasPymodbus())('multi-interval dispatch against a pymodbus battery', () => {
  let peer: Peer;
  let port: number;
  let server: Served;
  let dataDir: string;
  let headers: Record<string, string>;
  const reader = modbusReader(() => port);
  const setpoint = () => reader.readFloat(0);

  const api = async <T = unknown>(method: string, route: string, data?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(`${server.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
  };
  let programUuid = '';
  let token = '';
  beforeAll(async () => {
    port = await freePort();
    peer = await startPymodbus({ port, slaves: { '1': { hr: { 0: 0, 1: 0 } } } });
    await reader.connect();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sy-multi-'));
    server = await serve(['--port', String(await freePort()), '--data-dir', dataDir, '--empty'], { SWITCHYARD_ADMIN_PASSWORD: PASSWORD }, 90_000);
    headers = (await login(server.url, 'administrator', PASSWORD)).headers;
    expect((await api('PUT', '/control/settings', { cycle_ms: 500 })).status).toBe(200);
    const gateway = await api<{ id: number }>('POST', '/gateways', { name: 'Peer gateway' });
    const ds = await api<{ id: number }>('POST', '/datasources', { name: 'Battery peer', gateway_id: gateway.body.id, protocol: 'modbus-tcp', connection: JSON.stringify({ host: '127.0.0.1', port, interval_in_seconds: 0.2, timeout_ms: 800, max_backoff_s: 0.5 }) });
    expect(ds.status, JSON.stringify(ds.body)).toBe(201);
    const sp = await api<{ id: number }>('POST', '/points', { name: 'Battery Setpoint', data_source_id: ds.body.id, object_type: 'ANALOG_VALUE', units: 'kW', is_trend: false, address: JSON.stringify({ slave_id: 1, function_code: 3, offset: 0, number_of_registers: 2, format: '>f' }), low_limit: -100, high_limit: 100 });
    expect(sp.status, JSON.stringify(sp.body)).toBe(201);
    expect((await api('POST', '/controlpoints', { point_id: sp.body.id, fallback: 'value', fallback_value: 0 })).status).toBe(201);
    expect((await api('POST', '/dr/resources', { resource_id: 'peer-battery', point_id: sp.body.id })).status).toBe(201);
    programUuid = (await api<{ uuid: string }>('POST', '/dr/programs', { name: 'Profiles' })).body.uuid;
    const bl = (await api<{ client_id: string; api_key: string }>('POST', '/dr/partners', { name: 'Utility BL', role: 'bl' })).body;
    const t = await fetch(`${server.url}/api/openadr/3/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${Buffer.from(`${bl.client_id}:${bl.api_key}`).toString('base64')}` }, body: 'grant_type=client_credentials' });
    token = ((await t.json()) as { access_token: string }).access_token;
  }, 150_000);

  afterAll(async () => {
    reader.close();
    await server?.stop();
    await peer?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes each interval\'s value at its time, and the fallback around the event', async () => {
    // the program's ID as the VTN shows it
    const programs = (await (await fetch(`${server.url}/api/openadr/3/programs`, { headers: { Authorization: `Bearer ${token}` } })).json()) as { id: string; programName: string }[];
    const programID = programs.find((p) => p.programName === 'Profiles')!.id;
    expect(programID).toBe(programUuid);
    // the event starts on a whole second a few seconds from now: the server has time to be ready for it
    const start = Math.ceil((Date.now() + 4000) / 1000) * 1000;
    const body = {
      programID,
      eventName: 'Four steps',
      targets: ['peer-battery'],
      intervalPeriod: { start: new Date(start).toISOString(), duration: `PT${STEP_S}S` },
      intervals: VALUES.map((v, i) => ({ id: i, payloads: [{ type: 'PowerLevel', values: [v] }] })),
    };
    // the event lasts the four intervals: intervalPeriod.duration is the default duration of each interval
    const created = await fetch(`${server.url}/api/openadr/3/events`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(created.status, await created.clone().text()).toBe(201);
    const samples: [number, number][] = [];
    const end = start + VALUES.length * STEP_S * 1000;
    while (Date.now() < end + 4000) {
      samples.push([(Date.now() - start) / 1000, await setpoint()]);
      await sleep(150);
    }
    const during = (from: number, to: number) => samples.filter(([t]) => t >= from && t < to).map(([, v]) => v);
    const trace = JSON.stringify(samples);
    expect(during(-3, -0.2).every((v) => v === 0), trace).toBe(true);
    VALUES.forEach((v, i) => {
      // the last 2.5 s of each interval: the write of the interval's value has reached the device (ticks are 1 s)
      const window = during(i * STEP_S + 2.5, (i + 1) * STEP_S - 0.1);
      expect(window.length, trace).toBeGreaterThan(3);
      expect(window.every((x) => x === v), `interval ${i} (${v} kW): ${trace}`).toBe(true);
    });
    expect(during(VALUES.length * STEP_S + 2.5, VALUES.length * STEP_S + 4).every((v) => v === 0), trace).toBe(true);
    // every sample is the fallback or one of the intervals' values, never anything in between
    expect(samples.every(([, v]) => [0, ...VALUES].includes(v)), trace).toBe(true);
    await waitFor(async () => (await api<{ status: string; name: string }[]>('GET', '/dr/events')).body.find((e) => e.name === 'Four steps')?.status === 'completed', 'the event completed', 15_000, 200);
  }, 90_000);
});
