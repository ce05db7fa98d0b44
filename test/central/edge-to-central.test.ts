/**
 * Edge -> broker -> central -> API with two Switchyard servers as users start them (child processes): an edge
 * reading a Modbus peer (pymodbus) and publishing as a Sparkplug edge node (src/core/sparkplug) whose primary host
 * is the central server; the central server on PostgreSQL (`--database`) as the Sparkplug host. A register changed
 * on the peer is readable at the central API within 2 s; with the broker stopped, the edge's outbox keeps the
 * values and, once the broker is back, the central history has every one of them, in order, flagged historical.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, hasPymodbus, startMosquitto, startPymodbus, type Peer } from '../peers/peers';
import { hasPostgres, startPostgres, type PostgresPeer } from '../peers/postgres';
import { freePort, login } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasBinary('/usr/bin/mbpoll', 'mbpoll');
hasPymodbus();
hasPostgres();

interface MetricOut {
  id: number;
  device_id: string | null;
  name: string;
  value: number | string | null;
  writable: boolean;
}

describe('a Switchyard edge feeding a central Switchyard on PostgreSQL', { timeout: 360_000 }, () => {
  let broker: Peer;
  let brokerPort: number;
  let plc: Peer;
  let plcPort: number;
  let db: PostgresPeer;
  let edge: ApiServer;
  let central: ApiServer;
  let flow: number;
  let setpoint: number;
  let nodeId: number;
  let siteId = 0;
  const writeRegister = (value: number) => execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '1', '-t', '4', '-1', '-p', String(plcPort), '127.0.0.1', String(value)], { encoding: 'utf8' });
  const centralFlow = async () => {
    const sites = (await central.api<{ id: number; edge_node_id: string; online: boolean }[]>('GET', '/central/sites')).body;
    const site = sites.find((s) => s.edge_node_id === 'Edge1');
    if (!site) return undefined;
    siteId = site.id;
    const metrics = (await central.api<MetricOut[]>('GET', `/central/sites/${site.id}/metrics`)).body;
    return { site, metric: metrics.find((m) => m.name === 'Flow' && m.device_id === 'PLC') };
  };

  beforeAll(async () => {
    brokerPort = await freePort();
    broker = await startMosquitto(brokerPort);
    plcPort = await freePort();
    plc = await startPymodbus({ port: plcPort, slaves: { '1': { hr: { 0: 100, 1: 7 } } } });
    db = await startPostgres();
    central = await startServer('--empty', ['--database', db.url]);
    const host = await central.api('POST', '/sparkplughosts', { name: 'HQ', broker_url: `mqtt://127.0.0.1:${brokerPort}`, host_id: 'central-hq', group_ids: 'Plant' });
    expect(host.status, JSON.stringify(host.body)).toBe(201);
    edge = await startServer('--empty');
    const ds = await edge.createSource('PLC', 'modbus-tcp', { host: '127.0.0.1', port: plcPort, interval_in_seconds: 0.2, timeout_ms: 1000, max_backoff_s: 0.5 });
    flow = await edge.createPoint(ds, 'Flow', { slave_id: 1, function_code: 3, offset: 0, format: 'uint16' }, { units: 'm3/h' });
    setpoint = await edge.createPoint(ds, 'Setpoint', { slave_id: 1, function_code: 3, offset: 1, format: 'uint16' }, { high_limit: 100 });
    await edge.waitLatest(flow, (l) => l.value === 100, 'a first Modbus reading at the edge', 60_000);
    const node = await edge.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${brokerPort}`, group_id: 'Plant', edge_node_id: 'Edge1', primary_host_id: 'central-hq', publish_interval_ms: 200 });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    nodeId = node.body.id;
  }, 300_000);
  afterAll(async () => {
    await edge?.stop();
    await central?.stop();
    await plc?.stop();
    await broker?.stop();
    await db?.stop();
  });

  it('shows the edge online at the central server and a changed register within 2 s', async () => {
    await waitFor(async () => {
      const x = await centralFlow();
      return x?.site.online && x.metric?.value === 100;
    }, 'the edge and its Flow at the central server', 60_000, 100);
    const t0 = Date.now();
    writeRegister(150);
    await waitFor(async () => (await centralFlow())?.metric?.value === 150, 'the new value at the central API', 20_000, 25);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it('has every value changed during a minute without the broker in its history, in order, once the broker is back', async () => {
    const t0 = Date.now();
    await broker.stop();
    // the outage: the broker stopped for a minute (not a shortened one: reconnect backoffs, keepalives and the
    // outbox's age are then what they are in the field), a new register value every 2 s or so meanwhile
    const during: number[] = [];
    const stopped = Date.now();
    for (let v = 201; Date.now() - stopped < 60_000; v++) {
      writeRegister(v);
      during.push(v);
      await edge.waitLatest(flow, (l) => l.value === v, `the edge reading ${v}`, 20_000);
      await new Promise((r) => setTimeout(r, 2_000));
    }
    expect(during.length).toBeGreaterThanOrEqual(20);
    // the edge's outbox holds them (committed to its store) while the broker is away
    const held = (await edge.api<{ state: string; outbox: { values: number; dropped: number } }>('GET', `/sparkplugnodes/${nodeId}/status`)).body;
    expect(held.state).toBe('offline');
    expect(held.outbox.values).toBeGreaterThanOrEqual(during.length);
    expect(held.outbox.dropped).toBe(0);
    const last = during[during.length - 1];
    broker = await startMosquitto(brokerPort);
    await waitFor(async () => (await centralFlow())?.metric?.value === last, 'the last outage value at the central server', 90_000, 200);
    const metric = (await centralFlow())!.metric!;
    const q = `startdatetime=${new Date(t0 - 1000).toISOString()}&enddatetime=${new Date(Date.now() + 1000).toISOString()}`;
    const h = await waitFor(async () => {
      const r = (await central.api<{ values: { utc_date_time: string; value: number; historical: boolean }[] }>('GET', `/central/sites/${siteId}/metrics/${metric.id}/history?${q}`)).body;
      return during.every((v) => r.values.some((x) => x.value === v)) && r;
    }, 'every outage value in the central history', 30_000, 200);
    // the outbox's values: each once, in the order they were read, times ascending, flagged historical
    const outage = h.values.filter((v) => v.historical && during.includes(v.value));
    expect(outage.map((v) => v.value)).toEqual(during);
    const times = outage.map((v) => Date.parse(v.utc_date_time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    // the rebirth after the outage repeats the current value as a live one, later than every historical one
    const live = h.values.filter((v) => !v.historical && during.includes(v.value));
    expect(live.every((v) => v.value === last && Date.parse(v.utc_date_time) > times[times.length - 1])).toBe(true);
  });

  it("makes the edge's point a point of the central server and mirrors the edge's alarm (remote.ts, remote-alarms.ts)", async () => {
    // the site is a data source, the edge's point one of its points, with the unit of the birth
    const ds = await waitFor(async () => (await central.api<{ id: number; name: string; protocol: string; status: string }[]>('GET', '/datasources')).body.find((d) => d.name === 'Plant/Edge1'), 'the site as a data source', 30_000, 200);
    expect(ds).toMatchObject({ protocol: 'sparkplug', status: 'online' });
    const remote = (await central.api<{ id: number; name: string; units: string; data_source: { id: number } }[]>('GET', '/points')).body.find((p) => p.data_source.id === ds.id && p.name === 'PLC/Flow')!;
    expect(remote.units).toBe('m3/h');
    // the outage's values reached the central historian too (the edge's replay, flagged historical)
    const trend = (await central.api<{ values: { value: number }[] }>('GET', `/points/${remote.id}/trend?startdatetime=${new Date(Date.now() - 600_000).toISOString()}`)).body;
    expect(trend.values.map((v) => v.value)).toEqual(expect.arrayContaining([201, 202, 203, 204, 205, 220]));
    // a limit alarm raised at the edge appears at the central server as the site's
    const limits = await edge.api('PUT', `/pointlimits/${flow}`, { high_limit: 300 });
    expect(limits.status, JSON.stringify(limits.body)).toBe(200);
    writeRegister(350);
    await central.waitLatest(remote.id, (l) => l.value === 350, 'the new value at the central point', 30_000);
    type Alarm = { id: number; source: string; name: string; state: string; acknowledged: boolean; acknowledged_by: string | null };
    const mirrored = await waitFor(async () => (await central.api<Alarm[]>('GET', '/alarms?state=all')).body.find((a) => a.source === 'site' && a.name.startsWith('Plant/Edge1: ') && a.state === 'UNACK'), "the edge's alarm at the central server", 60_000, 200);
    expect(mirrored.name).toContain('Flow');
    // acknowledged at the edge, shown acknowledged at the central server
    const atEdge = await waitFor(async () => (await edge.api<Alarm[]>('GET', '/alarms')).body.find((a) => a.name.includes('Flow') && !a.acknowledged), 'the alarm at the edge', 30_000, 200);
    expect((await edge.api('PUT', `/alarms/${atEdge.id}/ack`, { comment: 'seen' })).status).toBe(200);
    const acked = await waitFor(async () => (await central.api<Alarm[]>('GET', '/alarms?state=all')).body.find((a) => a.id === mirrored.id && a.acknowledged), 'the acknowledgement at the central server', 60_000, 200);
    expect(acked.acknowledged_by).toMatch(/ at Plant\/Edge1$/);
  });

  it('writes a register from the central server: DCMD through the edge\'s arbiter, only for writable points, audited at both ends', async () => {
    const readRegister = () => Number(/\[2\]:\s+(-?\d+)/.exec(execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '2', '-c', '1', '-t', '4', '-1', '-p', String(plcPort), '127.0.0.1'], { encoding: 'utf8' }))?.[1]);
    const metricsNow = async () => (await central.api<MetricOut[]>('GET', `/central/sites/${siteId}/metrics`)).body;
    const sp = async () => (await metricsNow()).find((m) => m.name === 'Setpoint' && m.device_id === 'PLC');
    const write = (metricId: number, value: unknown, headers?: Record<string, string>) =>
      headers
        ? fetch(`${central.url}/api/central/sites/${siteId}/metrics/${metricId}/write`, { method: 'PUT', headers, body: JSON.stringify({ data: { value } }) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }))
        : central.api<Record<string, unknown>>('PUT', `/central/sites/${siteId}/metrics/${metricId}/write`, { value });
    await waitFor(async () => (await sp())?.value === 7, 'the Setpoint at the central server', 60_000, 200);
    const setpointMetric = (await sp())!;
    const flowMetric = (await centralFlow())!.metric!;

    // commands disabled at the edge: its birth marks nothing writable, the central server refuses before sending
    expect(setpointMetric.writable).toBe(false);
    const refused = await write(setpointMetric.id, 42);
    expect(refused.status).toBe(403);
    expect(refused.body.description).toBe('API.METRIC_NOT_WRITABLE');

    // enabled for Setpoint only, in the name of the edge's administrator: the rebirth says so
    const me = (await edge.api<{ id: number; name: string }[]>('GET', '/users')).body.find((u) => u.name === 'administrator')!;
    expect((await edge.api('PUT', `/sparkplugnodes/${nodeId}`, { commands_enabled: true, command_user_id: me.id, writable_point_ids: [setpoint] })).status).toBe(200);
    await waitFor(async () => (await sp())?.writable === true, 'Setpoint writable at the central server', 60_000, 200);
    expect((await metricsNow()).find((m) => m.id === flowMetric.id)!.writable).toBe(false);

    // bad input changes nothing: a 400 naming the field; Flow is still not writable; a read-only user may not write
    const bad = await write(setpointMetric.id, 'lots');
    expect(bad.status).toBe(400);
    expect(bad.body.field).toBe('value');
    expect((await write(setpointMetric.id, true)).body.field).toBe('value'); // a Double metric takes numbers only
    expect((await write(flowMetric.id, 5)).status).toBe(403);
    const u = await central.api('POST', '/users', { name: 'vera', display_name: 'vera', email: 'vera@site.example', password: 'Viewer-1-pass', is_read_only: true });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const viewer = await login(central.url, 'vera', 'Viewer-1-pass');
    expect((await write(setpointMetric.id, 42, viewer.headers)).status).toBe(403);
    expect(readRegister()).toBe(7);

    // the write: sent as a DCMD, applied at the edge through its arbiter, the register changes, the value comes back
    const sent = await write(setpointMetric.id, 42);
    expect(sent.status, JSON.stringify(sent.body)).toBe(202);
    expect(sent.body).toMatchObject({ status: 'sent', topic: 'spBv1.0/Plant/DCMD/Edge1/PLC', value: 42 });
    await edge.waitLatest(setpoint, (l) => l.value === 42, 'the setpoint written at the edge', 30_000);
    expect(readRegister()).toBe(42);
    await waitFor(async () => (await sp())?.value === 42, 'the written value back at the central server', 30_000, 200);
    const stack = (await edge.api<{ requests: { source: string; actor: string }[] }>('GET', `/control/points/${setpoint}/requests`)).body;
    expect(stack.requests[0]).toMatchObject({ source: 'operator' });
    expect(stack.requests[0].actor).toContain('via Sparkplug host');
    // beyond the point's high limit (100): the edge's arbiter refuses it; the register keeps 42
    expect((await write(setpointMetric.id, 1000)).status).toBe(202);
    await waitFor(async () => {
      const a = (await edge.api<{ action: string; result: string; new_value: string }[]>('GET', '/auditlogs?action=sparkplug.command')).body;
      return a.some((e) => e.result === 'denied' && String(e.new_value) === '1000');
    }, 'the edge refusing 1000 in its audit log', 30_000, 200);
    expect(readRegister()).toBe(42);

    // audited at the central server: who, what, the result, refusals included
    const audit = (await central.api<{ action: string; result: string; user_name: string; target: string; new_value: string }[]>('GET', '/auditlogs?action=central.command')).body;
    const mine = audit.filter((e) => e.action === 'central.command');
    expect(mine.filter((e) => e.result === 'sent').map((e) => String(e.new_value)).sort()).toEqual(['1000', '42']);
    expect(mine.filter((e) => e.result === 'denied').length).toBeGreaterThanOrEqual(4);
    expect(mine.find((e) => e.result === 'sent')).toMatchObject({ user_name: 'administrator', target: 'central:Plant/Edge1/PLC/Setpoint' });
  });
});
