/**
 * The edge node's event metrics against mosquitto, decoded with Eclipse Tahu's sparkplug-payload: an alarm's raise,
 * shelving, unshelving, acknowledgement and clear, the audit log, a demand-response event and the hourly energy of a
 * meter, an offline and a virtual meter (recomputed hours sent again with their new value) arrive as NDATA String
 * metrics holding JSON, timestamped when they happened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { hasBinary } from '../peers/peers';
import { entityMaker } from '../support/maker';
import { freePort } from '../support/process';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { broker, type Broker, checkSequence, collector, type Collector } from './support';

hasBinary('/usr/sbin/mosquitto', 'mosquitto');

describe('Sparkplug node metrics: alarms, audit, DR and energy', { timeout: 180_000 }, () => {
  let mb: Broker;
  let rt: TestRuntime;
  let sub: Collector;
  let point: number;
  let nodeId: number;
  const events = (name: string) =>
    sub
      .of('NDATA')
      .flatMap((m) => m.metrics.filter((x) => x.name === name && !x.isHistorical))
      .map((x) => ({ doc: JSON.parse(String(x.value)) as Record<string, unknown>, ts: x.timestamp }));

  beforeAll(async () => {
    mb = broker(await freePort());
    await mb.start();
    sub = await collector(mb.port, `spb-events-${process.pid}`);
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'gw' })).body.id;
    const ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Manual', gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
    point = (await rt.api<{ id: number }>('POST', '/points', { name: 'Tank level', data_source_id: ds, object_type: 'ANALOG_VALUE', address: '{}', higher_limit: 10 })).body.id;
    const node = await rt.api<{ id: number }>('POST', '/sparkplugnodes', { name: 'Edge', broker_url: `mqtt://127.0.0.1:${mb.port}`, group_id: 'Ev', edge_node_id: 'E', publish_interval_ms: 100 });
    expect(node.status, JSON.stringify(node.body)).toBe(201);
    nodeId = node.body.id;
    await sub.wait('the births', () => sub.of('NBIRTH').length > 0);
  });

  afterAll(async () => {
    await rt?.stop();
    await sub?.close().catch(() => undefined);
    await mb?.remove();
  });

  it('publishes every alarm transition (raise, shelve, unshelve, acknowledge, clear) and the audit entries', async () => {
    expect((await rt.api('PUT', `/points/${point}/write`, { value: 20 })).status).toBe(200);
    await sub.wait('the raise', () => events('Alarms/Event').some((e) => e.doc.to_state === 'UNACK'));
    const raised = events('Alarms/Event').find((e) => e.doc.to_state === 'UNACK')!;
    expect(raised.doc).toMatchObject({ source: 'point', source_id: point, priority: 'HIGH', from_state: 'NORM' });
    expect(Math.abs(raised.ts - Date.parse(String(raised.doc.utc_date_time)))).toBe(0);
    // shelved and unshelved: every transition is published, not only raise, ack and clear
    const alarmId = String(raised.doc.alarm_id);
    expect((await rt.api('PUT', `/alarms/${alarmId}/shelve`, { minutes: 30, reason: 'sensor work' })).status).toBe(200);
    expect((await rt.api('PUT', `/alarms/${alarmId}/unshelve`)).status).toBe(200);
    await sub.wait('the shelve and unshelve', () => ['shelve', 'unshelve'].every((a) => events('Alarms/Event').some((e) => e.doc.alarm_id === raised.doc.alarm_id && e.doc.action === a)));
    expect(events('Alarms/Event').find((e) => e.doc.action === 'shelve')!.doc).toMatchObject({ user: 'administrator', comment: 'sensor work' });
    expect((await rt.api('PUT', `/alarms/${String(raised.doc.alarm_id)}/ack`, { comment: 'seen' })).status).toBe(200);
    await sub.wait('the acknowledgement', () => events('Alarms/Event').some((e) => e.doc.to_state === 'ACKED' && e.doc.user === 'administrator'));
    expect((await rt.api('PUT', `/points/${point}/write`, { value: 5 })).status).toBe(200);
    await sub.wait('the clear', () => events('Alarms/Event').some((e) => e.doc.from_state === 'ACKED' && e.doc.to_state === 'NORM'));
    // the operator's actions are in the audit log, and so on the broker
    await sub.wait('the audit entries', () => ['alarm.ack', 'command.write'].every((a) => events('Audit/Entry').some((e) => e.doc.action === a)));
    const ack = events('Audit/Entry').find((e) => e.doc.action === 'alarm.ack')!;
    expect(ack.doc).toMatchObject({ user: 'administrator', result: 'ok' });
  });

  it('publishes demand-response events and the hourly energy of meters, offline and virtual meters, again when an hour is recomputed', async () => {
    const start = new Date(Date.now() + 3_600_000).toISOString();
    const ev = await rt.api<{ id: number; uuid: string }>('POST', '/dr/events', { name: 'Evening peak', interval_period: { start, duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' });
    expect(ev.status, JSON.stringify(ev.body)).toBe(201);
    await sub.wait('the DR event', () => events('Demand Response/Event').some((e) => e.doc.uuid === ev.body.uuid));
    expect(events('Demand Response/Event').find((e) => e.doc.uuid === ev.body.uuid)!.doc).toMatchObject({ name: 'Evening peak', status: 'scheduled' });

    const maker = await entityMaker(rt);
    const meter = await maker.make('meters');
    // the pipeline recomputes a new meter's hours first (from no samples: none); then an hour is completed
    await (rt.ctx.services.get('energy') as EnergyService).settled();
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    // what the energy pipeline writes for a completed hour (energy_hourly, meters are kind 0)
    rt.ctx.store.db.prepare('INSERT INTO energy_hourly (kind, meter_id, hour, value, flags) VALUES (0, ?, ?, 12.5, 0)').run(meter, hour);
    await sub.wait('the hour', () => events('Energy/Hourly').some((e) => e.doc.meter_id === meter && e.doc.value === 12.5), 60_000);
    const first = events('Energy/Hourly').find((e) => e.doc.meter_id === meter)!;
    expect(first.ts).toBe(hour);
    expect(first.doc).toMatchObject({ meter_type: 'meters', hour: new Date(hour).toISOString(), estimated: false });
    rt.ctx.store.db.prepare('UPDATE energy_hourly SET value = 13.25 WHERE kind = 0 AND meter_id = ? AND hour = ?').run(meter, hour);
    await sub.wait('the recomputed hour', () => events('Energy/Hourly').some((e) => e.doc.meter_id === meter && e.doc.value === 13.25), 60_000);
    // an hour is sent once per value, not on every tick
    expect(events('Energy/Hourly').filter((e) => e.doc.meter_id === meter)).toHaveLength(2);
    // offline and virtual meters' hours too (energy_hourly kinds 1 and 2)
    const offline = await maker.make('offlinemeters');
    const virtual = await maker.make('virtualmeters');
    await (rt.ctx.services.get('energy') as EnergyService).settled();
    rt.ctx.store.db.prepare('INSERT INTO energy_hourly (kind, meter_id, hour, value, flags) VALUES (1, ?, ?, 4.5, 1), (2, ?, ?, 7.75, 2)').run(offline, hour, virtual, hour);
    await sub.wait('the offline and virtual meters\' hours', () => events('Energy/Hourly').some((e) => e.doc.meter_type === 'offline_meters' && e.doc.meter_id === offline) && events('Energy/Hourly').some((e) => e.doc.meter_type === 'virtual_meters' && e.doc.meter_id === virtual), 60_000);
    expect(events('Energy/Hourly').find((e) => e.doc.meter_type === 'offline_meters')!.doc).toMatchObject({ value: 4.5, estimated: true, flagged: false });
    expect(events('Energy/Hourly').find((e) => e.doc.meter_type === 'virtual_meters')!.doc).toMatchObject({ value: 7.75, estimated: false, flagged: true });
    expect(checkSequence(sub.messages)).toBeNull();
  });

  it('wraps seq from 255 to 0 (a rebirth of 300 devices sends 301 messages)', async () => {
    const db = rt.ctx.store.db;
    rt.ctx.store.tx(() => {
      const gw = db.prepare("INSERT INTO gateways (uuid, name) VALUES ('wrap-gw', 'Wrap')").run().lastInsertRowid;
      for (let d = 0; d < 300; d++) {
        const ds = db.prepare("INSERT INTO data_sources (uuid, name, gateway_id, protocol, connection, status) VALUES (?, ?, ?, 'manual', '{}', 'online')").run(`wrap-${d}`, `Wrap ${d}`, gw).lastInsertRowid;
        db.prepare("INSERT INTO points (name, data_source_id, object_type, units, ratio, offset_constant, is_trend, is_virtual, address) VALUES ('P', ?, 'ANALOG_VALUE', '', 1, 0, 0, 0, '{}')").run(ds);
      }
    });
    const births = sub.of('NBIRTH').length;
    expect((await rt.api('POST', `/sparkplugnodes/${nodeId}/rebirth`)).status).toBe(200);
    await sub.wait('300 more DBIRTHs', () => sub.of('NBIRTH').length > births && sub.of('DBIRTH').filter((m) => m.device?.startsWith('Wrap ')).length === 300);
    const seqs = sub.messages.slice(sub.messages.indexOf(sub.of('NBIRTH')[births])).map((m) => m.seq);
    expect(seqs.slice(0, 258)).toEqual([...Array.from({ length: 256 }, (_, i) => i), 0, 1]);
    expect(checkSequence(sub.messages)).toBeNull();
  });
});
