/**
 * A data source's change re-plans the alarms of its own points only: not every point of the plant (at 10,000
 * points that full re-plan held the event loop 40 ms on each data source created or renamed). The other
 * points keep their state; the changed source's points still raise their alarms.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AlarmService } from '../../src/core/alarms/service';
import { ValueBatch } from '../../src/core/values/batch';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

interface Alarm {
  id: number;
  point_id: number | null;
  condition: string;
  active: boolean;
}

describe('alarms after a data source changes', () => {
  let rt: TestRuntime;
  let service: AlarmService;
  const sources: Record<string, number> = {};
  const points: Record<string, number[]> = {};
  const publish = (id: number, value: number) => rt.ctx.values.publish(ValueBatch.of([{ point_id: id, value, quality: 'good', ts: Date.now() }]));
  const active = async () => (await rt.api<Alarm[]>('GET', '/alarms?state=all')).body.filter((a) => a.active);

  beforeAll(async () => {
    rt = await startTestRuntime();
    service = rt.ctx.services.get('alarms') as AlarmService;
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    for (const name of ['North', 'South']) {
      sources[name] = (await rt.api<{ id: number }>('POST', '/datasources', { name, gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
      points[name] = [];
      for (let k = 0; k < 3; k++) {
        const p = await rt.api<{ id: number }>('POST', '/points', { name: `${name} ${k}`, data_source_id: sources[name], object_type: 'ANALOG_VALUE', high_limit: 100, is_trend: false, address: '{}' });
        expect(p.status, JSON.stringify(p.body)).toBe(201);
        points[name].push(p.body.id);
      }
    }
  });
  afterAll(async () => rt?.stop());

  it('re-plans the changed source\'s points, not the whole plant, and keeps the other points\' alarms', async () => {
    // a North point in alarm before the change
    publish(points.North[0], 150);
    await waitFor(async () => (await active()).some((a) => a.point_id === points.North[0] && a.condition === 'HI'), 'North 0 in HI');
    const before = (await active()).find((a) => a.point_id === points.North[0])!;

    const full = vi.spyOn(service, 'reload');
    const some = vi.spyOn(service, 'reloadPoints');
    try {
      expect((await rt.api('PUT', `/datasources/${sources.South}`, { name: 'South renamed', gateway_id: (await rt.api<{ gateway_id: number }>('GET', `/datasources/${sources.South}`)).body.gateway_id, protocol: 'manual', connection: '{}' })).status).toBe(200);
      await waitFor(async () => some.mock.calls.length > 0, 'the re-plan');
      expect(full).not.toHaveBeenCalled();
      const replanned = some.mock.calls.flatMap(([ids]) => [...ids]);
      expect(new Set(replanned)).toEqual(new Set(points.South));
    } finally {
      full.mockRestore();
      some.mockRestore();
    }

    // North's alarm is the same alarm, still active; a South point still raises its own
    expect((await active()).find((a) => a.point_id === points.North[0])).toMatchObject({ id: before.id, active: true });
    publish(points.South[1], 120);
    await waitFor(async () => (await active()).some((a) => a.point_id === points.South[1] && a.condition === 'HI'), 'South 1 in HI after the change');
    publish(points.South[2], 50);
    await new Promise((r) => setTimeout(r, 300));
    expect((await active()).some((a) => a.point_id === points.South[2])).toBe(false);
  });
});
