/**
 * Device sessions of the Sparkplug edge (Sparkplug 3.0: a device lost by its edge node gets a DDEATH, and a DBIRTH
 * when it is back), through the server as users start it (child process), against mosquitto and two pymodbus peers
 * (two data sources, so two devices), with every message decoded by Eclipse Tahu's sparkplug-payload:
 * - a peer stopped: DDEATH for its device only (seq continuing, after the comm_fail it read last), no DDATA of it
 *   until its DBIRTH, the other device and the node carry on;
 * - the peer restarted: DBIRTH with the values read now (Quality good), then DDATA again;
 * - a device lost during a broker outage: no DBIRTH for it in the new session, what was held for it waits in the
 *   outbox until its DBIRTH and then arrives flagged historical.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBinary, hasPymodbus, startPymodbus, type Peer } from '../peers/peers';
import { freePort } from '../support/process';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';
import { broker, type Broker, checkSequence, collector, type Collector, type SpbMessage } from './support';

hasPymodbus();
hasBinary('/usr/sbin/mosquitto', 'mosquitto');
hasBinary('/usr/bin/mbpoll', 'mbpoll');

const G = 'Devices';
const N = 'Edge';
const CONNECTION = { interval_in_seconds: 0.2, timeout_ms: 1000, max_backoff_s: 0.5 };

interface Status {
  state: string;
  outbox: { values: number };
}

describe('Sparkplug DDEATH/DBIRTH per device', { timeout: 400_000 }, () => {
  let mb: Broker;
  let pump: Peer | null = null;
  let meter: Peer | null = null;
  let pumpPort: number;
  let meterPort: number;
  let server: ApiServer;
  let sub: Collector;
  let nodeId: number;
  const id: Record<string, number> = {};
  const ds: Record<string, number> = {};
  const writeRegister = (port: number, offset: number, value: number) =>
    execFileSync('/usr/bin/mbpoll', ['-m', 'tcp', '-a', '1', '-r', String(offset + 1), '-t', '4', '-1', '-p', String(port), '127.0.0.1', String(value)], { encoding: 'utf8' });
  const status = async () => (await server.api<Status>('GET', `/sparkplugnodes/${nodeId}/status`)).body;
  const startPump = async (flow: number, speed: number) => (pump = await startPymodbus({ port: pumpPort, slaves: { '1': { hr: { 0: flow, 1: speed } } } }));
  /** the index of the first message after `from` that satisfies `ok`, or -1 */
  const indexOf = (ok: (m: SpbMessage) => boolean, from = 0) => sub.messages.findIndex((m, i) => i >= from && ok(m));
  const metric = (m: SpbMessage, alias: number) => m.metrics.find((x) => x.alias === alias);

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-devices-${process.pid}`);
    pumpPort = await freePort();
    meterPort = await freePort();
    await startPump(10, 1450);
    meter = await startPymodbus({ port: meterPort, slaves: { '1': { hr: { 0: 230 } } } });
    server = await startServer();
    ds.pump = await server.createSource('Pump', 'modbus-tcp', { host: '127.0.0.1', port: pumpPort, ...CONNECTION });
    ds.meter = await server.createSource('Meter', 'modbus-tcp', { host: '127.0.0.1', port: meterPort, ...CONNECTION });
    id.flow = await server.createPoint(ds.pump, 'Flow', { slave_id: 1, function_code: 3, offset: 0, format: 'uint16' }, { units: 'm3/h' });
    id.speed = await server.createPoint(ds.pump, 'Speed', { slave_id: 1, function_code: 3, offset: 1, format: 'uint16' }, { units: 'rpm' });
    id.voltage = await server.createPoint(ds.meter, 'Voltage', { slave_id: 1, function_code: 3, offset: 0, format: 'uint16' }, { units: 'V' });
    await server.waitLatest(id.flow, (l) => l.value === 10, 'a first reading of the pump');
    await server.waitLatest(id.voltage, (l) => l.value === 230, 'a first reading of the meter');
    const r = await server.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: G, edge_node_id: N, publish_interval_ms: 200 });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    nodeId = r.body.id;
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await sub?.close().catch(() => undefined);
    await pump?.stop();
    await meter?.stop();
    await mb?.remove();
  });

  it('a lost device gets a DDEATH, and a DBIRTH with its current values once it is back; seq continues', async () => {
    await sub.wait('the births of both devices', () => sub.of('DBIRTH', 'Pump').length > 0 && sub.of('DBIRTH', 'Meter').length > 0);
    const born = sub.of('DBIRTH', 'Pump')[0];
    expect(metric(born, id.flow)).toMatchObject({ name: 'Flow', value: 10, properties: { Quality: 192 } });

    await pump!.stop();
    pump = null;
    await sub.wait('a DDEATH of the pump', () => sub.of('DDEATH', 'Pump').length > 0, 60_000);
    const deathAt = indexOf((m) => m.type === 'DDEATH' && m.device === 'Pump');
    const death = sub.messages[deathAt];
    expect(death.topic).toBe(`spBv1.0/${G}/DDEATH/${N}/Pump`);
    expect(death.metrics).toEqual([]);
    expect(Math.abs(Number(String(death.payload.timestamp)) - Date.now())).toBeLessThan(120_000);
    // what the pump read last (its comm_fail) reached the host before its death: never a frozen good value
    const before = sub.messages.slice(0, deathAt).filter((m) => m.type === 'DDATA' && m.device === 'Pump');
    expect(before.some((m) => metric(m, id.flow)?.properties.Quality === 0 && metric(m, id.flow)?.properties['Switchyard Quality'] === 'comm_fail')).toBe(true);
    expect(await server.status(ds.pump)).toBe('offline');

    // the other device and the node carry on: a meter value changed now arrives as DDATA, in the same session
    writeRegister(meterPort, 0, 231);
    await sub.wait('the meter DDATA after the pump died', () => indexOf((m) => m.type === 'DDATA' && m.device === 'Meter' && metric(m, id.voltage)?.value === 231, deathAt) > deathAt, 60_000);
    expect((await status()).state).toBe('online');

    // back with new values: a DBIRTH with what is read now, then DDATA again
    await startPump(25, 1480);
    await sub.wait('a DBIRTH of the pump after its death', () => indexOf((m) => m.type === 'DBIRTH' && m.device === 'Pump', deathAt) > deathAt, 60_000);
    const rebirthAt = indexOf((m) => m.type === 'DBIRTH' && m.device === 'Pump', deathAt);
    const reborn = sub.messages[rebirthAt];
    expect(metric(reborn, id.flow)).toMatchObject({ name: 'Flow', type: 'Double', value: 25, properties: { engUnit: 'm3/h', Quality: 192 } });
    expect(metric(reborn, id.speed)).toMatchObject({ name: 'Speed', value: 1480, properties: { engUnit: 'rpm', Quality: 192 } });
    expect(sub.messages.slice(deathAt, rebirthAt).filter((m) => m.device === 'Pump' && m.type === 'DDATA')).toEqual([]);
    writeRegister(pumpPort, 0, 26);
    await sub.wait('a pump DDATA after its DBIRTH', () => indexOf((m) => m.type === 'DDATA' && m.device === 'Pump' && metric(m, id.flow)?.value === 26, rebirthAt) > rebirthAt, 60_000);
    // the birth carried the values read at the recovery: they are not sent again as history (what was held before
    // the birth, e.g. readings gathered before the first NBIRTH, follows it, older than the birth's values)
    const bornAt = metric(reborn, id.flow)!.timestamp;
    const history = sub.messages.slice(deathAt).filter((m) => m.type === 'DDATA' && m.device === 'Pump').flatMap((m) => m.metrics.filter((x) => x.isHistorical));
    expect(history.filter((x) => x.timestamp >= bornAt)).toEqual([]);
    // one session throughout: no new NBIRTH, no NDEATH; seq 0..255 over births, data and deaths alike
    expect(sub.of('NBIRTH')).toHaveLength(1);
    expect(sub.of('NDEATH')).toHaveLength(0);
    expect(checkSequence(sub.messages)).toBeNull();
  });

  it('a device lost during a broker outage is not born in the new session; what was held for it waits for its DBIRTH', async () => {
    await mb.stop();
    await waitFor(async () => (await status()).state === 'offline', 'the node offline', 30_000, 100);
    writeRegister(pumpPort, 0, 40);
    await server.waitLatest(id.flow, (l) => l.value === 40, 'the pump reading 40 during the outage');
    await pump!.stop();
    pump = null;
    await waitFor(async () => (await server.status(ds.pump)) === 'offline', 'the pump offline', 30_000, 100);
    await server.waitLatest(id.flow, (l) => l.quality === 'comm_fail', 'the pump comm_fail');
    await waitFor(async () => (await status()).outbox.values >= 2, 'the outage held in the outbox', 30_000, 100);

    const from = sub.messages.length;
    await mb.start();
    await sub.wait('the new NBIRTH and the DBIRTH of the meter', () => indexOf((m) => m.type === 'DBIRTH' && m.device === 'Meter', from) >= 0, 60_000);
    // a few ticks of the new session: the pump has no birth, and nothing of it is sent
    writeRegister(meterPort, 0, 232);
    await sub.wait('the meter DDATA in the new session', () => indexOf((m) => m.type === 'DDATA' && m.device === 'Meter' && metric(m, id.voltage)?.value === 232, from) >= 0, 60_000);
    expect(sub.messages.slice(from).filter((m) => m.device === 'Pump')).toEqual([]);
    expect((await status()).outbox.values).toBeGreaterThan(0);

    await startPump(50, 1500);
    await sub.wait('the DBIRTH of the pump', () => indexOf((m) => m.type === 'DBIRTH' && m.device === 'Pump', from) >= 0, 60_000);
    const rebirthAt = indexOf((m) => m.type === 'DBIRTH' && m.device === 'Pump', from);
    expect(metric(sub.messages[rebirthAt], id.flow)).toMatchObject({ value: 50, properties: { Quality: 192 } });
    const held = () =>
      sub.messages
        .slice(from)
        .filter((m) => m.type === 'DDATA' && m.device === 'Pump')
        .flatMap((m) => m.metrics.filter((x) => x.alias === id.flow && x.isHistorical));
    await sub.wait('the pump values held during the outage', () => held().some((x) => x.value === 40) && held().some((x) => x.properties.Quality === 0), 60_000);
    // after its birth, in order: 40 read, then the comm_fail
    expect(indexOf((m) => m.type === 'DDATA' && m.device === 'Pump', from)).toBeGreaterThan(rebirthAt);
    const seen = held();
    expect(seen.findIndex((x) => x.value === 40 && x.properties.Quality === undefined)).toBeLessThan(seen.findIndex((x) => x.properties.Quality === 0));
    await waitFor(async () => (await status()).outbox.values === 0, 'an empty outbox', 60_000, 200);
    const after = sub.messages.slice(from);
    expect(after.find((m) => m.type !== 'NDEATH')?.type).toBe('NBIRTH');
    expect(checkSequence(after)).toBeNull();
  });
});
