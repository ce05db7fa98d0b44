/**
 * The Sparkplug B edge through the server as users start it (child process), against mosquitto and a pymodbus
 * peer, with every message decoded by Eclipse Tahu's sparkplug-payload: births with bdSeq, aliases, types and
 * properties; seq 0..255 rules; a Modbus value changed by an independent master (mbpoll) arriving as DDATA; comm_fail
 * published as a bad Quality; rebirth on NCMD; DCMD refused unless enabled and writable, then written through the
 * arbiter; and a broker outage: everything gathered meanwhile arrives afterwards, in order, flagged historical.
 */
import { execFileSync } from 'node:child_process';
import mqtt from 'mqtt';
import * as sparkplug from 'sparkplug-payload';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, hasPymodbus, startPymodbus, type Peer } from '../peers/peers';
import { freePort } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';
import { broker, type Broker, checkSequence, collector, type Collector } from './support';

hasPymodbus();
hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasBinary('/usr/bin/mbpoll', 'mbpoll');

const tahu = sparkplug.get('spBv1.0')!;
const G = 'Plant';
const N = 'Edge1';

interface Status {
  state: string;
  bd_seq: number | null;
  outbox: { messages: number; values: number; dropped: number };
  published: { historical_values: number };
}

describe('Sparkplug B edge node against mosquitto', { timeout: 300_000 }, () => {
  let mb: Broker;
  let plc: Peer;
  let plcPort: number;
  let server: ApiServer;
  let sub: Collector;
  let nodeId: number;
  let ds: number;
  const id: Record<string, number> = {};
  const writeRegister = (offset: number, value: number) =>
    execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', String(offset + 1), '-t', '4', '-1', '-p', String(plcPort), '127.0.0.1', String(value)], { encoding: 'utf8' });
  const status = async () => (await server.api<Status>('GET', `/sparkplugnodes/${nodeId}/status`)).body;
  const mine = () => sub.messages.filter((m) => m.topic.startsWith(`spBv1.0/${G}/`));
  const ddataValues = (alias: number, historical: boolean) =>
    sub.of('DDATA', 'PLC').flatMap((m) => m.metrics.filter((x) => x.alias === alias && x.isHistorical === historical).map((x) => ({ value: x.value, ts: x.timestamp })));

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-test-${process.pid}`);
    plcPort = await freePort();
    plc = await startPymodbus({ port: plcPort, slaves: { '1': { hr: { 0: 100, 1: 7, 2: 0 } } } });
    server = await startServer();
    ds = await server.createSource('PLC', 'modbus-tcp', { host: '127.0.0.1', port: plcPort, interval_in_seconds: 0.2, timeout_ms: 1000, max_backoff_s: 0.5 });
    id.flow = await server.createPoint(ds, 'Flow', { slave_id: 1, function_code: 3, offset: 0, format: 'uint16' }, { units: 'm3/h', low_limit: 0, high_limit: 5000, description: 'main line' });
    id.setpoint = await server.createPoint(ds, 'Setpoint', { slave_id: 1, function_code: 3, offset: 1, format: 'uint16' }, { high_limit: 100 });
    id.mode = await server.createPoint(ds, 'Mode', { slave_id: 1, function_code: 3, offset: 2, format: 'uint16' }, { object_type: 'DIGITAL_VALUE' });
    await server.waitLatest(id.flow, (l) => l.value === 100, 'a first Modbus reading');
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await sub?.close().catch(() => undefined);
    await plc?.stop();
    await mb?.remove();
  });

  it('refuses a bad configuration with a 400 naming the field, and changes nothing', async () => {
    const base = { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: G, edge_node_id: N };
    for (const [patch, field] of [
      [{ broker_url: 'http://x' }, 'broker_url'],
      [{ group_id: 'a/b' }, 'group_id'],
      [{ edge_node_id: 'n+1' }, 'edge_node_id'],
      [{ point_selection: 'some' }, 'point_selection'],
      [{ point_ids: '[1, "x"]' }, 'point_ids'],
      [{ deadbands: { a: 1 } }, 'deadbands'],
      [{ tls: { cafile: 'x' } }, 'tls'],
      [{ commands_enabled: true }, 'command_user_id'],
    ] as [Record<string, unknown>, string][]) {
      const r = await server.api<{ field?: string }>('POST', '/sparkplugnodes', { ...base, ...patch });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.field).toBe(field);
    }
    expect((await server.api<unknown[]>('GET', '/sparkplugnodes')).body).toEqual([]);
  });

  it('births: NBIRTH with bdSeq and Node Control/Rebirth, then a DBIRTH per data source with types, aliases and properties', async () => {
    const r = await server.api<{ id: number; password?: unknown }>('POST', '/sparkplugnodes', {
      name: 'Edge',
      broker_url: `mqtt://127.0.0.1:${mb.port}`,
      username: 'edge',
      password: 'secret-pass',
      group_id: G,
      edge_node_id: N,
      deadband: 0,
      deadbands: { [id.flow]: 2 },
      publish_interval_ms: 200,
      historical_per_tick: 2,
    });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    nodeId = r.body.id;
    const row = (await server.api<Record<string, unknown>>('GET', `/sparkplugnodes/${nodeId}`)).body;
    expect(row).not.toHaveProperty('password');
    await sub.wait('NBIRTH and DBIRTH', () => sub.of('NBIRTH').length > 0 && sub.of('DBIRTH', 'PLC').length > 0);
    const nb = sub.of('NBIRTH')[0];
    expect(nb.topic).toBe(`spBv1.0/${G}/NBIRTH/${N}`);
    expect(nb.seq).toBe(0);
    const bd = nb.metrics.find((m) => m.name === 'bdSeq')!;
    expect(bd).toMatchObject({ type: 'Int64' });
    expect((await status()).bd_seq).toBe(bd.value);
    expect(nb.metrics.find((m) => m.name === 'Node Control/Rebirth')).toMatchObject({ type: 'Boolean', value: false });
    for (const name of ['Alarms/Event', 'Energy/Hourly', 'Demand Response/Event', 'Audit/Entry']) expect(nb.metrics.find((m) => m.name === name)).toMatchObject({ type: 'String' });
    const db = sub.of('DBIRTH', 'PLC')[0];
    expect(db.seq).toBe(1);
    const flow = db.metrics.find((m) => m.name === 'Flow')!;
    expect(flow).toMatchObject({ alias: id.flow, type: 'Double', value: 100 });
    expect(flow.properties).toMatchObject({ engUnit: 'm3/h', engLow: 0, engHigh: 5000, Quality: 192, Writable: false, Documentation: 'main line' });
    expect(db.metrics.find((m) => m.name === 'Mode')).toMatchObject({ alias: id.mode, type: 'Int32', value: 0 });
    expect(db.metrics.find((m) => m.name === 'Setpoint')).toMatchObject({ alias: id.setpoint, value: 7 });
    expect(checkSequence(mine())).toBeNull();
  });

  it('publishes a Modbus value changed by another master as DDATA by alias, beyond the deadband only', async () => {
    writeRegister(0, 101); // within Flow's deadband of 2: not published
    await server.waitLatest(id.flow, (l) => l.value === 101, 'the edge reading 101');
    writeRegister(0, 150);
    await sub.wait('DDATA with 150', () => ddataValues(id.flow, false).some((v) => v.value === 150));
    expect(ddataValues(id.flow, false).map((v) => v.value)).not.toContain(101);
    const m = sub.of('DDATA', 'PLC').find((x) => x.metrics.some((y) => y.value === 150))!;
    const metric = m.metrics.find((y) => y.alias === id.flow)!;
    expect(metric.name).toBeUndefined(); // aliases only after the birth
    expect(metric.isHistorical).toBe(false);
    writeRegister(2, 3);
    await sub.wait('DDATA of Mode', () => ddataValues(id.mode, false).some((v) => v.value === 3));
    expect(checkSequence(mine())).toBeNull();
  });

  it('rebirths on NCMD Node Control/Rebirth with the same bdSeq and seq 0', async () => {
    const births = sub.of('NBIRTH').length;
    const host = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`);
    try {
      await host.publishAsync(`spBv1.0/${G}/NCMD/${N}`, Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] })), { qos: 1 });
    } finally {
      await host.endAsync();
    }
    await sub.wait('a second NBIRTH', () => sub.of('NBIRTH').length > births && sub.of('DBIRTH', 'PLC').length > births);
    const [first, again] = [sub.of('NBIRTH')[0], sub.of('NBIRTH')[births]];
    expect(again.seq).toBe(0);
    expect(again.metrics.find((m) => m.name === 'bdSeq')!.value).toBe(first.metrics.find((m) => m.name === 'bdSeq')!.value);
    expect(sub.of('DBIRTH', 'PLC')[births].metrics.find((m) => m.alias === id.flow)!.value).toBe(150);
    expect(checkSequence(mine())).toBeNull();
  });

  it('honours DCMD only when enabled and for writable points, through the arbiter and audited', async () => {
    const host = await mqtt.connectAsync(`mqtt://127.0.0.1:${mb.port}`);
    const dcmd = (alias: number, value: number) => host.publishAsync(`spBv1.0/${G}/DCMD/${N}/PLC`, Buffer.from(tahu.encodePayload({ timestamp: Date.now(), metrics: [{ alias, type: 'Double', value }] })), { qos: 1 });
    const denied = async (n: number) => {
      await waitFor(async () => {
        const a = (await server.api<{ action: string; result: string }[]>('GET', '/auditlogs?action=sparkplug.command')).body;
        return Array.isArray(a) && a.filter((e) => e.action === 'sparkplug.command' && e.result === 'denied').length >= n;
      }, `${n} denied commands in the audit log`, 30_000, 200);
    };
    try {
      await dcmd(id.setpoint, 42);
      await denied(1);
      const me = (await server.api<{ id: number; name: string }[]>('GET', '/users')).body.find((u) => u.name === 'administrator')!;
      expect((await server.api('PUT', `/sparkplugnodes/${nodeId}`, { commands_enabled: true, command_user_id: me.id, writable_point_ids: [id.setpoint] })).status).toBe(200);
      // the restarted node's birth says which metric a host may write
      const writableBorn = (alias: number) => () => sub.of('DBIRTH', 'PLC').some((m) => m.metrics.some((x) => x.alias === alias && x.properties.Writable === true));
      await sub.wait('a birth with Setpoint writable', writableBorn(id.setpoint));
      // writable only: Flow is published but not writable
      await dcmd(id.flow, 5);
      await denied(2);
      // beyond the point's high limit (100): the arbiter refuses
      await dcmd(id.setpoint, 1000);
      await denied(3);
      await dcmd(id.setpoint, 42);
      await server.waitLatest(id.setpoint, (l) => l.value === 42, 'the setpoint written through the arbiter', 30_000);
      const out = execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', '2', '-c', '1', '-t', '4', '-1', '-p', String(plcPort), '127.0.0.1'], { encoding: 'utf8' });
      expect(out).toMatch(/\[2\]:\s+42/);
      const stack = (await server.api<{ requests: { source: string; reason: string; actor: string }[] }>('GET', `/control/points/${id.setpoint}/requests`)).body;
      expect(stack.requests[0]).toMatchObject({ source: 'operator' });
      expect(stack.requests[0].reason).toContain('Sparkplug');
      expect(stack.requests[0].actor).toContain('administrator via Sparkplug host');
      // a discrete point with named states takes only those
      expect((await server.api('PUT', `/points/${id.mode}`, { state_labels: { '0': 'Off', '3': 'Auto' } })).status).toBe(200);
      expect((await server.api('PUT', `/sparkplugnodes/${nodeId}`, { writable_point_ids: [id.setpoint, id.mode] })).status).toBe(200);
      await sub.wait('a birth with Mode writable', writableBorn(id.mode));
      await dcmd(id.mode, 2);
      await denied(4);
      await dcmd(id.mode, 0);
      await server.waitLatest(id.mode, (l) => l.value === 0, 'Mode set to Off through the arbiter', 30_000);
      // the birth after the change says which metric a host may write
      const db = sub.of('DBIRTH', 'PLC').at(-1)!;
      expect(db.metrics.find((m) => m.alias === id.setpoint)!.properties.Writable).toBe(true);
      expect(db.metrics.find((m) => m.alias === id.flow)!.properties.Writable).toBe(false);
      expect(db.metrics.find((m) => m.alias === id.mode)!.properties.Writable).toBe(true);
    } finally {
      await host.endAsync();
    }
  });

  it('holds what it would publish while the broker is down and sends it afterwards, in order, flagged historical', async () => {
    // the collector's session is persistent: closed before the broker stops, it would be queued the edge's DDATA of
    // that moment, delivered after the restart ahead of the new session's NBIRTH; so it stays until the broker is down
    await mb.stop();
    await sub.close();
    await waitFor(async () => (await status()).state === 'offline', 'the node offline', 30_000, 100);
    const written: number[] = [];
    const t0 = Date.now();
    for (let v = 200; Date.now() - t0 < 20_000; v += 10) {
      writeRegister(0, v);
      written.push(v);
      await server.waitLatest(id.flow, (l) => l.value === v, `the edge reading ${v}`);
      await new Promise((r) => setTimeout(r, 300));
    }
    const held = await status();
    expect(held.outbox.values).toBeGreaterThanOrEqual(written.length);
    await mb.start();
    sub = await collector(mb.port, `spb-test-${process.pid}`);
    // live data is not queued behind the backlog: a value changed now arrives while history is still being sent
    await waitFor(async () => (await status()).state === 'online', 'the node online again', 60_000, 100);
    writeRegister(0, 5);
    await sub.wait('every held value, and the live one', () => ddataValues(id.flow, true).length >= written.length && ddataValues(id.flow, false).some((v) => v.value === 5), 120_000);
    const hist = ddataValues(id.flow, true);
    expect(hist.map((h) => h.value)).toEqual(written);
    for (let i = 1; i < hist.length; i++) expect(hist[i].ts).toBeGreaterThan(hist[i - 1].ts);
    const after = sub.messages.filter((m) => m.topic.startsWith(`spBv1.0/${G}/`));
    // the old session's NDEATH (its will, from the broker's restored store) may come first; then the new NBIRTH
    expect(after.find((m) => m.type !== 'NDEATH')?.type).toBe('NBIRTH');
    expect(checkSequence(after)).toBeNull();
    // the live value was not sent after the whole backlog (historical_per_tick 2 makes the backlog take several ticks)
    const liveAt = after.findIndex((m) => m.type === 'DDATA' && m.metrics.some((x) => x.alias === id.flow && x.value === 5 && !x.isHistorical));
    const lastHist = after.findLastIndex((m) => m.metrics.some((x) => x.isHistorical));
    expect(liveAt).toBeLessThan(lastHist);
    await waitFor(async () => (await status()).outbox.values === 0, 'an empty outbox', 60_000, 200);
    expect((await status()).outbox.dropped).toBe(0);
  });

  it('publishes a dead device as bad Quality, not as a frozen good value', async () => {
    await plc.stop();
    await sub.wait('a bad Quality on Flow', () => sub.of('DDATA', 'PLC').some((m) => m.metrics.some((x) => x.alias === id.flow && x.properties.Quality === 0 && x.properties['Switchyard Quality'] === 'comm_fail')), 60_000);
    plc = await startPymodbus({ port: plcPort, slaves: { '1': { hr: { 0: 300, 1: 42, 2: 3 } } } });
    // the lost device had its DDEATH; back, it is born again with what it reads now (device-death.test.ts)
    await sub.wait('a good Quality again', () => sub.of('DBIRTH', 'PLC').some((m) => m.metrics.some((x) => x.alias === id.flow && x.properties.Quality === 192 && x.value === 300)), 60_000);
  });
});
