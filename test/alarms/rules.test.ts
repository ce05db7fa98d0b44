import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodStart } from '../../src/core/alarms/checks';
import { HOUR_MS, hourStart } from '../../src/core/alarms/counters';
import type { RuleRunner } from '../../src/core/alarms/rules';
import { freePort } from '../support/process';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { ValueBatch } from '../../src/core/values/batch';

interface RunResult {
  rule_id: number;
  findings: { object_id: number; object_name: string; active: boolean; value: number | null; message: string; alarm_id: number | null }[];
  messages_sent: number;
}
interface Alarm {
  id: number;
  source: string;
  source_id: number;
  condition: string;
  state: string;
  priority: string;
  message: string;
}

describe('rules: FDD checks raise alarms and send their messages', () => {
  let rt: TestRuntime;
  let ds: number;
  let spaceId: number;
  let meterId: number;
  let counterPoint: number;
  let analogPoint: number;
  let zone: string | null = null;

  beforeAll(async () => {
    rt = await startTestRuntime();
    const id = async (route: string, data: unknown) => {
      const r = await rt.api<{ id: number }>('POST', route, data);
      expect(r.status, `${route} ${JSON.stringify(r.body)}`).toBe(201);
      return r.body.id;
    };
    const gw = await id('/gateways', { name: 'GW' });
    ds = await id('/datasources', { name: 'Meters', gateway_id: gw, protocol: 'manual', connection: '{}' });
    counterPoint = await id('/points', { name: 'Main meter kWh', data_source_id: ds, object_type: 'ENERGY_VALUE', units: 'kWh', is_trend: false, address: '{}' });
    analogPoint = await id('/points', { name: 'Transformer temperature', data_source_id: ds, object_type: 'ANALOG_VALUE', units: '°C', high_limit: 80, is_trend: false, address: '{}' });
    const cat = (await rt.api<{ id: number }[]>('GET', '/energycategories')).body[0].id;
    const tzRow = (await rt.api<{ id: number; iana_name: string | null }[]>('GET', '/timezones')).body[0];
    const tz = tzRow.id;
    zone = tzRow.iana_name;
    const cc = await id('/costcenters', { name: 'Plant CC' });
    meterId = await id('/meters', { name: 'Main meter', energy_category_id: cat, cost_center_id: cc, hourly_low_limit: 1, hourly_high_limit: 50 });
    expect((await rt.api('POST', `/meters/${meterId}/points`, { point_id: counterPoint })).status).toBe(201);
    spaceId = await id('/spaces', { name: 'Plant', area: 1000, timezone_id: tz });
    const child = await id('/spaces', { name: 'Hall A', area: 400, timezone_id: tz, parent_space_id: spaceId });
    // the meter sits in the child space: SPACE01 on the parent must still count it
    expect((await rt.api('POST', `/spaces/${child}/meters`, { meter_id: meterId })).status).toBe(201);
  });
  afterAll(async () => rt?.stop());

  it('refuses rules with an unknown fdd_code, a wrong expression or missing recipients, naming the field', async () => {
    const base = { name: 'r', category: 'SPACE', priority: 'HIGH', channel: 'WEB', message_template: 'x', is_enabled: false };
    const cases: [unknown, string][] = [
      [{ ...base, fdd_code: 'SPACE99', expression: '{}' }, 'fdd_code'],
      [{ ...base, fdd_code: 'SPACE01', expression: '{"high_limit":1}' }, 'expression'],
      [{ ...base, fdd_code: 'SPACE01', expression: '{"space_id":99999,"high_limit":1}' }, 'expression'],
      [{ ...base, fdd_code: 'SPACE01', expression: { space_id: 1, high_limit: 'lots' } }, 'expression'],
      [{ ...base, fdd_code: 'SPACE01', channel: 'EMAIL', expression: { space_id: 1, high_limit: 1 } }, 'expression'],
      [{ ...base, fdd_code: 'SPACE01', channel: 'EMAIL', expression: { space_id: 1, high_limit: 1, recipients: [{ email: 'not-an-address' }] } }, 'expression'],
      [{ ...base, fdd_code: 'SPACE01', priority: 'URGENT', expression: { space_id: 1, high_limit: 1 } }, 'priority'],
      [{ ...base, fdd_code: 'SPACE01', channel: 'FAX', expression: { space_id: 1, high_limit: 1 } }, 'channel'],
    ];
    for (const [data, field] of cases) {
      const r = await rt.api<{ field: string; title: string }>('POST', '/rules', data);
      expect(r.status, JSON.stringify(data)).toBe(400);
      expect(r.body.field).toBe(field);
    }
    expect((await rt.api<unknown[]>('GET', '/rules')).body).toEqual([]);
  });

  it('SPACE01: space (and sub-space) consumption over its limit raises an alarm and posts the MyEMS %s message to web messages', async () => {
    const start = periodStart('month', Date.now(), zone);
    const t1 = Math.max(start + 1000, Date.now() - 30 * 60_000);
    rt.ctx.values.publish(ValueBatch.of([{ point_id: counterPoint, value: 10_000, quality: 'good', ts: t1 }]));
    rt.ctx.values.publish(ValueBatch.of([{ point_id: counterPoint, value: 10_600, quality: 'good', ts: Date.now() }]));
    const rule = await rt.api<{ id: number }>('POST', '/rules', {
      name: 'Space Energy Consumption Over Limit',
      fdd_code: 'SPACE01',
      category: 'SPACE',
      priority: 'HIGH',
      channel: 'WEB',
      expression: JSON.stringify({ space_id: spaceId, high_limit: 500.0 }),
      message_template: '%s截止到目前电耗%s,超标%s。',
      is_enabled: true,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const run = await rt.api<RunResult>('PUT', `/rules/${rule.body.id}/run`);
    expect(run.status).toBe(200);
    expect(run.body.findings).toEqual([expect.objectContaining({ object_id: spaceId, active: true, value: 600, message: 'Plant截止到目前电耗600,超标100。' })]);
    expect(run.body.messages_sent).toBe(1);
    const alarms = (await rt.api<Alarm[]>('GET', '/alarms?state=active')).body.filter((a) => a.source === 'rule');
    expect(alarms).toEqual([expect.objectContaining({ source_id: rule.body.id, condition: `SPACE01:${spaceId}`, state: 'UNACK', priority: 'HIGH', message: 'Plant截止到目前电耗600,超标100。' })]);
    const web = (await rt.api<{ subject: string; message: string; status: string; user_display_name: string }[]>('GET', '/webmessagesnew')).body;
    expect(web).toEqual([expect.objectContaining({ subject: 'Space Energy Consumption Over Limit', message: 'Plant截止到目前电耗600,超标100。', status: 'new' })]);
    const notes = (await rt.api<{ subject: string; status: string; url: string }[]>('GET', '/notifications?status=unread')).body;
    expect(notes[0]).toMatchObject({ subject: 'Space Energy Consumption Over Limit', status: 'unread', url: `/alarms?id=${alarms[0].id}` });
    const got = (await rt.api<{ last_run_datetime: string; next_run_datetime: string }>('GET', `/rules/${rule.body.id}`)).body;
    expect(Date.parse(got.next_run_datetime) - Date.parse(got.last_run_datetime)).toBe(60_000);

    // a second run while still over the limit sends nothing new
    expect((await rt.api<RunResult>('PUT', `/rules/${rule.body.id}/run`)).body.messages_sent).toBe(0);
    // the limit raised above the consumption: the alarm returns to normal
    expect((await rt.api('PUT', `/rules/${rule.body.id}`, { expression: { space_id: spaceId, high_limit: 1000 } })).status).toBe(200);
    const after = await rt.api<RunResult>('PUT', `/rules/${rule.body.id}/run`);
    expect(after.body.findings[0]).toMatchObject({ active: false, value: 600 });
    const a = (await rt.api<Alarm>('GET', `/alarms/${alarms[0].id}`)).body;
    expect(a.state).toBe('RTNUN');
    expect((await rt.api('PUT', `/rules/${rule.body.id}`, { is_enabled: false })).status).toBe(200);
  });

  it('METER01: the last full hour outside the meter hourly limits, with $name substitutions', async () => {
    const lastHour = hourStart(Date.now()) - HOUR_MS;
    // the last hour's readings (the counter marks are tested on their own in counters.test.ts)
    const rule = await rt.api<{ id: number }>('POST', '/rules', {
      name: 'Meter hourly limits',
      fdd_code: 'METER01',
      category: 'METER',
      priority: 'MEDIUM',
      channel: 'WEB',
      expression: { meter_id: meterId },
      message_template: '$meter_name used ${consumption} kWh in the hour from $hour (limits $hourly_low_limit..$hourly_high_limit)',
      is_enabled: false,
    });
    expect(rule.status, JSON.stringify(rule.body)).toBe(201);
    const marks = rt.ctx.store.db.prepare('SELECT COUNT(*) AS n FROM alarm_counter_marks WHERE point_id = ? AND hour_start = ?').get(counterPoint, lastHour) as { n: number };
    if (marks.n === 0) {
      rt.ctx.store.db.prepare('INSERT INTO alarm_counter_marks (point_id, hour_start, first_value, last_value) VALUES (?,?,?,?)').run(counterPoint, lastHour, 20_000, 20_080);
    } else {
      rt.ctx.store.db.prepare('UPDATE alarm_counter_marks SET first_value = 20000, last_value = 20080 WHERE point_id = ? AND hour_start = ?').run(counterPoint, lastHour);
    }
    const run = await rt.api<RunResult>('PUT', `/rules/${rule.body.id}/run`);
    expect(run.body.findings).toEqual([
      expect.objectContaining({ object_id: meterId, active: true, value: 80, message: `Main meter used 80 kWh in the hour from ${new Date(lastHour).toISOString()} (limits 1..50)` }),
    ]);
  });

  it('REALTIME01: point over limit, from the live value', async () => {
    const rule = await rt.api<{ id: number }>('POST', '/rules', {
      name: 'Transformer hot',
      fdd_code: 'REALTIME01',
      category: 'REALTIME',
      priority: 'CRITICAL',
      channel: 'WEB',
      expression: { point_id: analogPoint, high_limit: 90 },
      message_template: '$point_name at $value $units (limit $high_limit)',
      is_enabled: false,
    });
    rt.ctx.values.publish(ValueBatch.of([{ point_id: analogPoint, value: 85, quality: 'good', ts: Date.now() }]));
    expect((await rt.api<RunResult>('PUT', `/rules/${rule.body.id}/run`)).body.findings[0]).toMatchObject({ active: false, value: 85 });
    rt.ctx.values.publish(ValueBatch.of([{ point_id: analogPoint, value: 95.5, quality: 'good', ts: Date.now() }]));
    const r = await rt.api<RunResult>('PUT', `/rules/${rule.body.id}/run`);
    expect(r.body.findings[0]).toMatchObject({ active: true, value: 95.5, message: 'Transformer temperature at 95.5 °C (limit 90)' });
    const alarm = (await rt.api<Alarm>('GET', `/alarms/${r.body.findings[0].alarm_id}`)).body;
    expect(alarm).toMatchObject({ priority: 'CRITICAL', state: 'UNACK' });
  });

  it('SYSTEM01 and SYSTEM02: gateway and data source offline (simulation, virtual and manual data sources have no device to lose)', async () => {
    const gw = (await rt.api<{ id: number }[]>('GET', '/gateways')).body[0].id;
    const g = await rt.api<{ id: number }>('POST', '/rules', { name: 'Gateway offline', fdd_code: 'SYSTEM01', category: 'SYSTEM', priority: 'HIGH', channel: 'WEB', expression: { gateway_id: gw, minutes: 10 }, is_enabled: false });
    expect((await rt.api<RunResult>('PUT', `/rules/${g.body.id}/run`)).body.findings[0]).toMatchObject({ object_id: gw, active: true }); // never seen
    rt.ctx.store.db.prepare('UPDATE gateways SET last_seen_datetime = ? WHERE id = ?').run(new Date(Date.now() - 60_000).toISOString().slice(0, 19), gw);
    expect((await rt.api<RunResult>('PUT', `/rules/${g.body.id}/run`)).body.findings[0].active).toBe(false);

    const dead = await rt.api<{ id: number }>('POST', '/datasources', { name: 'Dead RTU', gateway_id: gw, protocol: 'modbus-tcp', connection: { host: '127.0.0.1', port: await freePort(), interval_in_seconds: 1 } });
    expect(dead.status).toBe(201);
    const sim = await rt.api<{ id: number }>('POST', '/datasources', { name: 'Simulator', gateway_id: gw, protocol: 'simulation', connection: { interval_in_seconds: 0.2 } });
    await rt.api('POST', '/points', { name: 'Sim value', data_source_id: sim.body.id, object_type: 'ANALOG_VALUE', is_trend: false, address: { waveform: 'constant', offset: 1 } });
    await waitFor(async () => (await rt.api<{ status: string }>('GET', `/datasources/${sim.body.id}`)).body.status === 'online', 'the simulator online');
    // its first connect refused: offline, no longer 'connecting'
    await waitFor(async () => (await rt.api<{ status: string }>('GET', `/datasources/${dead.body.id}`)).body.status === 'offline', 'the dead device offline');
    const d = await rt.api<{ id: number }>('POST', '/rules', { name: 'Data sources offline', fdd_code: 'SYSTEM02', category: 'SYSTEM', priority: 'HIGH', channel: 'WEB', expression: { minutes: 5 }, message_template: '$data_source_name is $status since $last_seen', is_enabled: false });
    const findings = (await rt.api<RunResult>('PUT', `/rules/${d.body.id}/run`)).body.findings;
    // only data sources that talk to a device are judged: not the simulator, not the manual "Meters"
    expect(findings.map((f) => [f.object_name, f.active])).toEqual([['Dead RTU', true]]);
    expect(findings[0].message).toBe('Dead RTU is offline since never');
  });

  it('runs enabled rules on their schedule, and only those', async () => {
    const runner = rt.ctx.services.get('rules') as RuleRunner;
    const r = await rt.api<{ id: number }>('POST', '/rules', { name: 'Scheduled', fdd_code: 'SYSTEM02', category: 'SYSTEM', priority: 'LOW', channel: 'WEB', expression: { interval_in_seconds: 3600 }, is_enabled: true });
    expect(r.status).toBe(201);
    const before = (await rt.api<{ last_run_datetime: string | null }>('GET', `/rules/${r.body.id}`)).body.last_run_datetime;
    if (before === null) runner.runDue();
    const after = (await rt.api<{ last_run_datetime: string | null; next_run_datetime: string }>('GET', `/rules/${r.body.id}`)).body;
    expect(after.last_run_datetime).not.toBeNull();
    expect(Date.parse(after.next_run_datetime) - Date.parse(after.last_run_datetime!)).toBe(3_600_000);
    const lastRun = after.last_run_datetime;
    runner.runDue(); // not due again for an hour
    expect((await rt.api<{ last_run_datetime: string }>('GET', `/rules/${r.body.id}`)).body.last_run_datetime).toBe(lastRun);
    expect((await rt.api('PUT', '/rules/99999/run')).status).toBe(404);
  });

  it('a rule saved with is_run_immediately runs at once', async () => {
    const r = await rt.api<{ id: number; last_run_datetime: string | null }>('POST', '/rules', { name: 'At once', fdd_code: 'SYSTEM01', category: 'SYSTEM', priority: 'LOW', channel: 'WEB', expression: { interval_in_seconds: 86400 }, is_enabled: true, is_run_immediately: true });
    expect(r.status).toBe(201);
    const ran = await waitFor(async () => (await rt.api<{ last_run_datetime: string | null }>('GET', `/rules/${r.body.id}`)).body.last_run_datetime, 'the immediate run');
    expect(Date.now() - Date.parse(ran)).toBeLessThan(10_000);
  });

  it('deleting a rule clears its alarms', async () => {
    const rule = (await rt.api<{ id: number; name: string }[]>('GET', '/rules')).body.find((r) => r.name === 'Transformer hot')!;
    const active = () => rt.api<Alarm[]>('GET', '/alarms?state=active').then((r) => r.body.filter((a) => a.source === 'rule' && a.source_id === rule.id));
    expect(await active()).toHaveLength(1);
    expect((await rt.api('DELETE', `/rules/${rule.id}`)).status).toBe(204);
    expect(await active()).toEqual([]);
  });
});
