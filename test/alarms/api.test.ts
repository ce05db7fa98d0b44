import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATA_SOURCE_OFFLINE_DELAY_SETTING } from '../../src/core/alarms/feature';
import type { AlarmService } from '../../src/core/alarms/service';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { ValueBatch } from '../../src/core/values/batch';

interface Alarm {
  id: number;
  condition: string;
  state: string;
  priority: string;
  active: boolean;
  acknowledged: boolean;
  point_id: number | null;
  shelved_reason: string | null;
  shelved_by: string | null;
  shelved_until: string | null;
  ack_comment: string | null;
  acknowledged_by: string | null;
  message: string;
}
interface Event {
  action: string;
  from_state: string;
  to_state: string;
  user_name: string;
  comment: string | null;
  utc_date_time: string;
}

describe('alarms through the runtime: limits, states, API, audit, live push', () => {
  let rt: TestRuntime;
  let pointId: number;
  let service: AlarmService;
  const publish = (value: number, quality: 'good' | 'comm_fail' = 'good') => rt.ctx.values.publish(ValueBatch.of([{ point_id: pointId, value, quality, ts: Date.now() }]));
  const alarmsOf = async (state = 'all') => (await rt.api<Alarm[]>('GET', `/alarms?state=${state}`)).body.filter((a) => a.point_id === pointId);
  const byCondition = async (c: string) => (await alarmsOf()).find((a) => a.condition === c)!;

  beforeAll(async () => {
    rt = await startTestRuntime();
    service = rt.ctx.services.get('alarms') as AlarmService;
    const gw = await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' });
    const ds = await rt.api<{ id: number }>('POST', '/datasources', { name: 'Hand entry', gateway_id: gw.body.id, protocol: 'manual', connection: '{}' });
    const p = await rt.api<{ id: number }>('POST', '/points', {
      name: 'Feeder 1 current',
      data_source_id: ds.body.id,
      object_type: 'ANALOG_VALUE',
      units: 'A',
      high_limit: 100,
      higher_limit: 150,
      low_limit: 10,
      is_trend: false,
      address: '{}',
    });
    expect(p.status, JSON.stringify(p.body)).toBe(201);
    pointId = p.body.id;
    const s = await rt.api('POST', '/pointalarms', { point_id: pointId, deadband: 5, high_priority: 'MEDIUM', higher_priority: 'CRITICAL' });
    expect(s.status, JSON.stringify(s.body)).toBe(201);
  });
  afterAll(async () => rt?.stop());

  it('raises HI above the high limit, and HIHI above the higher limit with its own priority; the status bar follows', async () => {
    publish(50);
    expect(await alarmsOf('active')).toEqual([]);
    publish(120);
    const hi = await byCondition('HI');
    expect(hi).toMatchObject({ state: 'UNACK', priority: 'MEDIUM', active: true, acknowledged: false, message: 'Feeder 1 current is above its high limit (100 A)' });
    let status = (await rt.api<Record<string, unknown>>('GET', '/status')).body;
    expect(status).toMatchObject({ unacknowledged_alarms: 1, highest_alarm_priority: 'MEDIUM' });
    publish(160);
    expect(await byCondition('HIHI')).toMatchObject({ state: 'UNACK', priority: 'CRITICAL' });
    status = (await rt.api<Record<string, unknown>>('GET', '/status')).body;
    expect(status).toMatchObject({ unacknowledged_alarms: 2, highest_alarm_priority: 'CRITICAL' });
    const summary = (await rt.api<{ newest_unacknowledged: Alarm }>('GET', '/alarms/summary')).body;
    expect(summary.newest_unacknowledged.condition).toBe('HIHI');
  });

  it('acknowledges one with a comment, stored with the user and in the audit log', async () => {
    const hi = await byCondition('HI');
    const r = await rt.api<Alarm>('PUT', `/alarms/${hi.id}/ack`, { comment: 'load transfer in progress' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ state: 'ACKED', acknowledged_by: 'administrator', ack_comment: 'load transfer in progress' });
    const again = await rt.api<{ description: string }>('PUT', `/alarms/${hi.id}/ack`, {});
    expect(again.status).toBe(400);
    expect(again.body.description).toBe('API.ALARM_ALREADY_ACKNOWLEDGED');
    const audit = (await rt.api<{ action: string; target: string; user_name: string; details: string; result: string }[]>('GET', '/auditlogs?action=alarm.ack')).body;
    // newest first: the refused second acknowledgement, then the accepted one
    expect(audit.map((a) => a.result)).toEqual(['failed', 'ok']);
    expect(audit[1]).toMatchObject({ action: 'alarm.ack', user_name: 'administrator' });
    expect(audit[1].target).toContain(`alarm:${hi.id}`);
    expect(audit[1].details).toContain('load transfer in progress');
  });

  it('clears HIHI at once but keeps HI inside its deadband; RTNUN until acknowledged', async () => {
    publish(97); // below HIHI (150) and below HI (100) but above 100 - 5
    expect(await byCondition('HIHI')).toMatchObject({ state: 'RTNUN', active: false, acknowledged: false });
    expect(await byCondition('HI')).toMatchObject({ state: 'ACKED', active: true });
    publish(94.9);
    expect(await byCondition('HI')).toMatchObject({ state: 'NORM', active: false });
  });

  it('acknowledges many at once; those needing none are reported as skipped', async () => {
    const hihi = await byCondition('HIHI');
    const hi = await byCondition('HI');
    const r = await rt.api<{ acknowledged: number[]; skipped: { id: number }[] }>('PUT', '/alarms/ack', { ids: [hihi.id, hi.id], comment: 'shift handover' });
    expect(r.status).toBe(200);
    expect(r.body.acknowledged).toEqual([hihi.id]);
    expect(r.body.skipped.map((s) => s.id)).toEqual([hi.id]);
    expect((await byCondition('HIHI')).state).toBe('NORM');
    expect((await rt.api('PUT', '/alarms/ack', { ids: 'x,y' })).status).toBe(400);
    expect((await rt.api('PUT', '/alarms/ack', { ids: [999999] })).status).toBe(404);
  });

  it('stores every transition with its time and user: GET /alarms/{id}/history', async () => {
    const hi = await byCondition('HI');
    const h = (await rt.api<Event[]>('GET', `/alarms/${hi.id}/history`)).body;
    expect(h.map((e) => `${e.action}:${e.from_state}>${e.to_state}:${e.user_name}`).reverse()).toEqual([
      'activate:NORM>UNACK:system',
      'ack:UNACK>ACKED:administrator',
      'clear:ACKED>NORM:system',
    ]);
    expect(h.find((e) => e.action === 'ack')!.comment).toBe('load transfer in progress');
    expect(Number.isNaN(Date.parse(h[0].utc_date_time))).toBe(false);
  });

  it('shelves with minutes and a reason, refuses bad input, unshelves, and un-shelves automatically when the time is over', async () => {
    publish(130);
    const hi = await byCondition('HI');
    expect(hi.state).toBe('UNACK');
    const bad = [
      await rt.api<{ field: string }>('PUT', `/alarms/${hi.id}/shelve`, { minutes: 0, reason: 'x' }),
      await rt.api<{ field: string }>('PUT', `/alarms/${hi.id}/shelve`, { minutes: 30 }),
      await rt.api<{ field: string }>('PUT', `/alarms/${hi.id}/shelve`, { minutes: 'soon', reason: 'x' }),
      await rt.api<{ field: string }>('PUT', `/alarms/${hi.id}/shelve`),
    ];
    expect(bad.map((b) => b.status)).toEqual([400, 400, 400, 400]);
    expect((await byCondition('HI')).state).toBe('UNACK');

    const sh = await rt.api<Alarm>('PUT', `/alarms/${hi.id}/shelve`, { minutes: 30, reason: 'CT being replaced' });
    expect(sh.status).toBe(200);
    expect(sh.body).toMatchObject({ state: 'SHLVD', shelved_reason: 'CT being replaced', shelved_by: 'administrator' });
    expect(Date.parse(sh.body.shelved_until!) - Date.now()).toBeGreaterThan(29 * 60_000);
    expect((await alarmsOf('shelved')).map((a) => a.id)).toEqual([hi.id]);
    expect((await alarmsOf('annunciated')).map((a) => a.id)).not.toContain(hi.id);
    expect((await rt.api<Record<string, unknown>>('GET', '/status')).body.unacknowledged_alarms).toBe(0);

    expect((await rt.api<Alarm>('PUT', `/alarms/${hi.id}/unshelve`)).body.state).toBe('UNACK');
    expect((await rt.api('PUT', `/alarms/${hi.id}/unshelve`)).status).toBe(400);

    await rt.api('PUT', `/alarms/${hi.id}/shelve`, { minutes: 1, reason: 'short' });
    service.tick(Date.now() + 59_000);
    expect((await byCondition('HI')).state).toBe('SHLVD');
    service.tick(Date.now() + 61_000);
    expect((await byCondition('HI')).state).toBe('UNACK');
    const h = (await rt.api<Event[]>('GET', `/alarms/${hi.id}/history`)).body;
    expect(h[0]).toMatchObject({ action: 'shelve_expired', user_name: 'system', from_state: 'SHLVD', to_state: 'UNACK' });
    const audit = (await rt.api<{ action: string }[]>('GET', '/auditlogs?action=alarm.')).body.map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['alarm.shelve', 'alarm.unshelve', 'alarm.ack']));
  });

  it('takes an alarm out of service (administrator) and back', async () => {
    const hi = await byCondition('HI');
    expect((await rt.api<Alarm>('PUT', `/alarms/${hi.id}/outofservice`, { out_of_service: true, comment: 'sensor removed' })).body.state).toBe('OOSRV');
    expect((await alarmsOf('outofservice')).map((a) => a.id)).toEqual([hi.id]);
    expect((await rt.api('PUT', `/alarms/${hi.id}/outofservice`, { out_of_service: 'yes' })).status).toBe(400);
    expect((await rt.api<Alarm>('PUT', `/alarms/${hi.id}/outofservice`, { out_of_service: false })).body.state).toBe('UNACK');
  });

  it('answers clear errors for unknown alarms and filters', async () => {
    expect((await rt.api('GET', '/alarms/999999')).status).toBe(404);
    expect((await rt.api('GET', '/alarms/999999/history')).status).toBe(404);
    expect((await rt.api('PUT', '/alarms/abc/ack')).status).toBe(400);
    const f = await rt.api<{ field: string }>('GET', '/alarms?state=bogus');
    expect(f.status).toBe(400);
    expect(f.body.field).toBe('state');
    for (const s of ['active', 'unacknowledged', 'shelved', 'all']) expect((await rt.api('GET', `/alarms?state=${s}`)).status).toBe(200);
  });

  it('suppresses by design while the equipment point says out of service', async () => {
    const ds = (await rt.api<{ id: number }[]>('GET', '/datasources')).body[0].id;
    const brk = await rt.api<{ id: number }>('POST', '/points', { name: 'Feeder 1 breaker closed', data_source_id: ds, object_type: 'DIGITAL_VALUE', is_trend: false, address: '{}' });
    const settings = (await rt.api<{ id: number; point_id: number }[]>('GET', '/pointalarms')).body.find((s) => s.point_id === pointId)!;
    expect((await rt.api('PUT', `/pointalarms/${settings.id}`, { suppress_point_id: brk.body.id, suppress_value: 0 })).status).toBe(200);
    const hi = await byCondition('HI');
    rt.ctx.values.publish(ValueBatch.of([{ point_id: brk.body.id, value: 0, quality: 'good', ts: Date.now() }]));
    expect((await byCondition('HI')).state).toBe('DSUPR');
    rt.ctx.values.publish(ValueBatch.of([{ point_id: brk.body.id, value: 1, quality: 'good', ts: Date.now() }]));
    expect((await byCondition('HI')).state).toBe('UNACK');
    const h = (await rt.api<Event[]>('GET', `/alarms/${hi.id}/history`)).body.map((e) => e.action);
    expect(h.slice(0, 2)).toEqual(['unsuppress', 'suppress']);
  });

  it('pushes alarm changes to live clients', async () => {
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/api/live`);
    const messages: { type: string; changed?: Alarm[]; summary?: Record<string, unknown> }[] = [];
    ws.on('message', (d) => messages.push(JSON.parse(String(d))));
    try {
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'auth', user_uuid: rt.headers['User-UUID'], token: rt.headers.Token }));
      await waitFor(() => messages.some((m) => m.type === 'ready'), 'ready');
      publish(200);
      const m = await waitFor(() => messages.find((x) => x.type === 'alarms' && x.changed?.some((a) => a.condition === 'HIHI' && a.state === 'UNACK')), 'alarm push');
      expect(m.summary).toMatchObject({ highest_alarm_priority: 'CRITICAL' });
    } finally {
      ws.close();
    }
  });

  it('a read-only user may read alarms but not acknowledge them', async () => {
    const u = await rt.api('POST', '/users', { name: 'viewer', display_name: 'Viewer', email: 'viewer@example.com', is_read_only: true, password: 'Viewer-Pass-123' });
    expect(u.status, JSON.stringify(u.body)).toBe(201);
    const login = await fetch(`${rt.url}/api/users/login`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ data: { name: 'viewer', password: 'Viewer-Pass-123' } }) });
    const s = (await login.json()) as { user_uuid: string; token: string };
    const h = { 'User-UUID': s.user_uuid, Token: s.token, 'Content-Type': 'application/json' };
    expect((await fetch(`${rt.url}/api/alarms`, { headers: h })).status).toBe(200);
    const hihi = await byCondition('HIHI');
    const r = await fetch(`${rt.url}/api/alarms/${hihi.id}/ack`, { method: 'PUT', headers: h, body: '{"data":{}}' });
    expect(r.status).toBe(403);
    expect((await byCondition('HIHI')).state).toBe('UNACK');
  });

  it('removing a limit clears its alarm (the condition no longer exists)', async () => {
    expect((await byCondition('HIHI')).active).toBe(true);
    const r = await rt.api('PUT', `/points/${pointId}`, { higher_limit: null });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(await byCondition('HIHI')).toMatchObject({ active: false, state: 'RTNUN' });
    publish(300);
    expect((await byCondition('HIHI')).active).toBe(false);
  });

  it('digital (state) alarms, and on/off delays through the service clock', async () => {
    const ds = (await rt.api<{ id: number }[]>('GET', '/datasources')).body[0].id;
    const trip = await rt.api<{ id: number }>('POST', '/points', { name: 'Breaker Q1 tripped', data_source_id: ds, object_type: 'DIGITAL_VALUE', is_trend: false, address: '{}' });
    expect((await rt.api('POST', '/pointalarms', { point_id: trip.body.id, digital_alarm_value: 1, digital_priority: 'HIGH' })).status).toBe(201);
    const stateAlarm = async () => (await rt.api<Alarm[]>('GET', '/alarms?state=all')).body.find((a) => a.point_id === trip.body.id && a.condition === 'STATE');
    rt.ctx.values.publish(ValueBatch.of([{ point_id: trip.body.id, value: 0, quality: 'good', ts: Date.now() }]));
    expect(await stateAlarm()).toBeUndefined();
    rt.ctx.values.publish(ValueBatch.of([{ point_id: trip.body.id, value: 1, quality: 'good', ts: Date.now() }]));
    expect(await stateAlarm()).toMatchObject({ state: 'UNACK', priority: 'HIGH', message: 'Breaker Q1 tripped is in its alarm state (1)' });

    const slow = await rt.api<{ id: number }>('POST', '/points', { name: 'Room temperature', data_source_id: ds, object_type: 'ANALOG_VALUE', high_limit: 30, is_trend: false, address: '{}' });
    expect((await rt.api('POST', '/pointalarms', { point_id: slow.body.id, on_delay_seconds: 60, off_delay_seconds: 120 })).status).toBe(201);
    const hiOf = async () => (await rt.api<Alarm[]>('GET', '/alarms?state=all')).body.find((a) => a.point_id === slow.body.id && a.condition === 'HI');
    const t0 = Date.now();
    rt.ctx.values.publish(ValueBatch.of([{ point_id: slow.body.id, value: 35, quality: 'good', ts: t0 }]));
    service.tick(t0 + 59_000);
    expect(await hiOf()).toBeUndefined();
    service.tick(t0 + 60_000);
    expect(await hiOf()).toMatchObject({ state: 'UNACK', active: true });
    rt.ctx.values.publish(ValueBatch.of([{ point_id: slow.body.id, value: 20, quality: 'good', ts: t0 + 61_000 }]));
    service.tick(t0 + 180_000);
    expect((await hiOf())!.active).toBe(true);
    service.tick(t0 + 181_000);
    expect(await hiOf()).toMatchObject({ state: 'RTNUN', active: false });
  });

  it('raises no data source alarm for a manual (hand-entered) data source: there is no device to lose', async () => {
    rt.ctx.settings.set(DATA_SOURCE_OFFLINE_DELAY_SETTING, '0');
    service.tick();
    service.tick(Date.now() + 1000);
    expect((await rt.api<Alarm[]>('GET', '/alarms?state=all')).body.filter((a) => (a as unknown as { source: string }).source === 'datasource')).toEqual([]);
  });
});
