/**
 * A privilege-limited user's alarms: point alarms follow their point, rule (FDD) alarms the object the rule
 * diagnosed (a space, a meter, a point; gateways and data sources are plant-wide), and every count it is shown
 * (GET /api/status, /api/alarms/summary, the live stream's status message and the summary of its alarm pushes)
 * counts only those. docs/security.md, "Alarms and privileges".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { login } from '../support/process';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { ValueBatch } from '../../src/core/values/batch';

type Row = Record<string, unknown>;

describe('alarms and counts of a privilege-limited user', () => {
  let rt: TestRuntime;
  let limited: Record<string, string>;
  const ids: Record<string, number> = {};
  const call = async <T = Row>(headers: Record<string, string>, method: string, route: string, data?: unknown) => {
    const r = await fetch(`${rt.url}/api${route}`, { method, headers, body: data === undefined ? undefined : JSON.stringify({ data }) });
    return { status: r.status, body: (await r.json()) as T };
  };
  const create = async (route: string, data: Row) => {
    const r = await rt.api<{ id: number }>('POST', route, data);
    expect(r.status, `${route}: ${JSON.stringify(r.body)}`).toBe(201);
    return r.body.id;
  };
  const rule = async (name: string, fdd_code: string, category: string, expression: Row) => {
    const id = await create('/rules', { name, fdd_code, category, priority: 'HIGH', channel: 'WEB', expression });
    expect((await rt.api('PUT', `/rules/${id}/run`)).status).toBe(200);
  };

  beforeAll(async () => {
    rt = await startTestRuntime();
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    ids.north = await create('/spaces', { name: 'North', area: 1, timezone_id: tz });
    ids.south = await create('/spaces', { name: 'South', area: 1, timezone_id: tz });
    const gw = await create('/gateways', { name: 'GW' });
    const manual = await create('/datasources', { name: 'Manual', gateway_id: gw, protocol: 'manual', connection: '{}' });
    for (const side of ['North', 'South']) {
      const p = await create('/points', { name: `${side} power`, data_source_id: manual, object_type: 'ANALOG_VALUE', higher_limit: 10, address: '{}' });
      ids[`point${side}`] = p;
      expect((await rt.api('POST', `/spaces/${ids[side.toLowerCase()]}/points`, { point_id: p })).status).toBe(201);
    }
    const privilege = await create('/privileges', { name: 'North only', data: JSON.stringify({ spaces: [ids.north] }) });
    await create('/users', { name: 'lena', display_name: 'Lena', email: 'lena@site.test', password: 'lena-Pass-2026', privilege_id: privilege });
    limited = (await login(rt.url, 'lena', 'lena-Pass-2026')).headers;

    // point alarms on both sides, and a rule alarm about each kind of object
    rt.ctx.values.publish(ValueBatch.of([ids.pointNorth, ids.pointSouth].map((point_id) => ({ point_id, value: 50, quality: 'good' as const, ts: Date.now() }))));
    await rule('Space over', 'SPACE01', 'SPACE', { space_id: ids.north, high_limit: -1 });
    await rule('Other space over', 'SPACE01', 'SPACE', { space_id: ids.south, high_limit: -1 });
    await rule('North point high', 'REALTIME01', 'REALTIME', { point_id: ids.pointNorth, high_limit: 20 });
    await rule('South point high', 'REALTIME01', 'REALTIME', { point_id: ids.pointSouth, high_limit: 20 });
    await rule('Gateway silent', 'SYSTEM01', 'SYSTEM', { gateway_id: gw, minutes: 1 });
    await waitFor(async () => (await rt.api<Row[]>('GET', '/alarms')).body.length === 7, 'seven alarms', 20_000);
  });
  afterAll(async () => rt?.stop());

  it('lists the alarms of what the privilege reaches: its point, its space, rules about its point, plant-wide gateways', async () => {
    const all = (await rt.api<Row[]>('GET', '/alarms')).body;
    const seen = (await call<Row[]>(limited, 'GET', '/alarms')).body;
    expect(seen.map((a) => a.name).sort()).toEqual(['Gateway silent: GW', 'North point high: North power', 'North power HIHI', 'Space over: North'].sort());
    const hidden = all.filter((a) => !seen.some((s) => s.id === a.id));
    expect(hidden.map((a) => a.name).sort()).toEqual(['Other space over: South', 'South point high: South power', 'South power HIHI'].sort());
    for (const a of hidden) expect((await call(limited, 'GET', `/alarms/${a.id}`)).status).toBe(403);
    const northRule = seen.find((a) => a.name === 'Space over: North')!;
    expect((await call(limited, 'GET', `/alarms/${northRule.id}/history`)).status).toBe(200);
  });

  it('GET /api/status and the banner count only those alarms; an administrator sees the plant', async () => {
    const own = (await call<Row>(limited, 'GET', '/status')).body;
    const plant = (await rt.api<Row>('GET', '/status')).body;
    expect(own.unacknowledged_alarms).toBe(4);
    expect(plant.unacknowledged_alarms).toBe(7);
    expect((await call<Row>(limited, 'GET', '/alarms/summary')).body.unacknowledged_alarms).toBe(4);
    expect(rt.runtime.status().unacknowledgedAlarms).toBe(7);
  });

  it('the live stream tells the limited client its own count, at once and with each alarm push', async () => {
    const ws = new WebSocket(`${rt.url.replace('http', 'ws')}/api/live`, { headers: limited });
    const messages: Row[] = [];
    ws.on('message', (m) => messages.push(JSON.parse(String(m)) as Row));
    try {
      const status = await waitFor(() => messages.find((m) => m.type === 'status'), 'the first status message', 20_000);
      expect(status.unacknowledged_alarms).toBe(4);
      const north = (await call<Row[]>(limited, 'GET', '/alarms')).body.find((a) => a.name === 'North power HIHI')!;
      expect((await call(limited, 'PUT', `/alarms/${north.id}/ack`, { comment: 'seen' })).status).toBe(200);
      const push = await waitFor(() => messages.find((m) => m.type === 'alarms'), 'the alarm push', 20_000);
      expect(push.summary).toEqual({ unacknowledged_alarms: 3, highest_alarm_priority: 'HIGH' });
      // a change of a South alarm is not pushed to this client at all
      const south = (await rt.api<Row[]>('GET', '/alarms')).body.find((a) => a.name === 'South power HIHI')!;
      expect((await rt.api('PUT', `/alarms/${south.id}/ack`, {})).status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(messages.filter((m) => m.type === 'alarms')).toHaveLength(1);
      expect(JSON.stringify(messages)).not.toContain('South');
    } finally {
      ws.close();
    }
  });
});
