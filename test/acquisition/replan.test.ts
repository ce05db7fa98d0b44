/**
 * Configuration changes are incremental: a created, changed, moved or imported point re-plans only its own data
 * source's read plan and its own alarm plan; the other data sources keep their plans (and their clocks), and a
 * point-list import is one re-planning, not one per row.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { SimulationDriver } from '../../src/core/acquisition/drivers/simulation';
import type { AcquisitionService, PointConfig } from '../../src/core/acquisition/contracts';
import { AlarmService } from '../../src/core/alarms/service';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';

describe('re-planning after a configuration change', () => {
  let rt: TestRuntime;
  const ds: Record<string, number> = {};
  const point = (name: string, source: string, extra: object = {}) =>
    rt.api<{ id: number }>('POST', '/points', { name, data_source_id: ds[source], object_type: 'ANALOG_VALUE', is_trend: false, address: { waveform: 'constant', offset: 50 }, ...extra });
  /** the data sources each driver plan since the spy started was made for */
  const plannedSources = (spy: { mock: { calls: unknown[][] } }) => spy.mock.calls.map((c) => [...new Set((c[0] as PointConfig[]).map((p) => p.data_source_id))]);

  beforeAll(async () => {
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    for (const name of ['A', 'B']) {
      ds[name] = (await rt.api<{ id: number }>('POST', '/datasources', { name, gateway_id: gw, protocol: 'simulation', connection: { interval_in_seconds: 0.2 } })).body.id;
    }
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      for (const source of ['A', 'B']) {
        const r = await point(`${source}${i}`, source);
        expect(r.status).toBe(201);
        ids.push(r.body.id);
      }
    }
    // everything set up is planned and read before the tests watch the planner
    await waitFor(() => ids.every((id) => rt.ctx.values.latest(id)?.value === 50), 'the set-up points read', 20_000);
  });
  afterAll(async () => rt?.stop());
  afterEach(() => vi.restoreAllMocks());

  it('a created point re-plans its own data source only, and reads', async () => {
    const plan = vi.spyOn(SimulationDriver.prototype, 'plan');
    const created = await point('A new', 'A');
    expect(created.status).toBe(201);
    await waitFor(() => rt.ctx.values.latest(created.body.id)?.value === 50, 'the new point read', 20_000);
    expect(plan.mock.calls.length).toBeGreaterThan(0);
    for (const sources of plannedSources(plan)) expect(sources).toEqual([ds.A]);
  });

  it('a point moved to another data source re-plans both, and only those', async () => {
    const id = (await point('Mover', 'A')).body.id;
    await waitFor(() => rt.ctx.values.latest(id)?.value === 50, 'the point read on A', 20_000);
    const c = await rt.api('POST', '/datasources', { name: 'C', gateway_id: 1, protocol: 'simulation', connection: { interval_in_seconds: 0.2 } });
    expect(c.status).toBe(201);
    const plan = vi.spyOn(SimulationDriver.prototype, 'plan');
    expect((await rt.api('PUT', `/points/${id}`, { name: 'Mover', data_source_id: ds.B, object_type: 'ANALOG_VALUE', is_trend: false, address: { waveform: 'constant', offset: 7 } })).status).toBe(200);
    await waitFor(() => rt.ctx.values.latest(id)?.value === 7, 'the point read on B', 20_000);
    const touched = new Set(plannedSources(plan).flat());
    expect(touched.has(ds.B)).toBe(true);
    expect(touched.has((c.body as { id: number }).id)).toBe(false);
    // A was re-planned without it (an empty plan has no points to name its source, so look at A's points)
    const aPlans = plan.mock.calls.map((call) => call[0] as PointConfig[]).filter((pts) => pts.some((p) => p.data_source_id === ds.A));
    for (const pts of aPlans) expect(pts.map((p) => p.id)).not.toContain(id);
  });

  it('a virtual point created or changed computes at once', async () => {
    const calc = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Calc', gateway_id: 1, protocol: 'virtual', connection: {} })).body.id;
    const input = (await point('Input', 'A')).body.id;
    const v = await rt.api<{ id: number }>('POST', '/points', { name: 'Twice', data_source_id: calc, object_type: 'ANALOG_VALUE', is_trend: false, is_virtual: true, address: { expression: '2*x1', substitutions: { x1: input } } });
    expect(v.status).toBe(201);
    await waitFor(() => rt.ctx.values.latest(v.body.id)?.value === 100, 'the virtual point computed', 20_000);
    const put = await rt.api('PUT', `/points/${v.body.id}`, { name: 'Twice', data_source_id: calc, object_type: 'ANALOG_VALUE', is_trend: false, is_virtual: true, address: { expression: '3*x1', substitutions: { x1: input } } });
    expect(put.status).toBe(200);
    await waitFor(() => rt.ctx.values.latest(v.body.id)?.value === 150, 'the changed expression computed', 20_000);
  });

  it('the alarm plan of a created or changed point is rebuilt for that point only', async () => {
    const whole = vi.spyOn(AlarmService.prototype, 'reload');
    const some = vi.spyOn(AlarmService.prototype, 'reloadPoints');
    const hot = await point('Hot', 'B', { high_limit: 10 });
    await waitFor(async () => (await rt.api<{ name: string }[]>('GET', '/alarms')).body.some((a) => a.name === 'Hot HI'), 'the new point alarming', 20_000);
    expect(whole).not.toHaveBeenCalled();
    expect(some.mock.calls.map((c) => [...(c[0] as Iterable<number>)])).toEqual([[hot.body.id]]);
    // raising the limit above the value clears it: the changed plan took effect
    expect((await rt.api('PUT', `/pointlimits/${hot.body.id}`, { high_limit: 100 })).status).toBe(200);
    await waitFor(async () => (await rt.api<{ name: string; active: boolean }[]>('GET', '/alarms')).body.find((a) => a.name === 'Hot HI')?.active === false, 'the alarm cleared', 20_000);
    expect(whole).not.toHaveBeenCalled();
  });

  it('an import of 2,000 rows is one update of acquisition, touching its own data source', async () => {
    const engine = rt.ctx.services.get('acquisition') as AcquisitionService;
    // what the earlier tests changed is applied (within 100 ms) before the spies start
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const update = vi.spyOn(engine, 'update');
    const plan = vi.spyOn(SimulationDriver.prototype, 'plan');
    const csv = ['name,object_type,address.waveform', ...Array.from({ length: 2000 }, (_, i) => `Imported ${i},ANALOG_VALUE,constant`)].join('\n');
    const r = await fetch(`${rt.url}/api/datasources/${ds.A}/pointlist`, { method: 'POST', headers: { ...rt.headers, 'Content-Type': 'text/csv' }, body: csv });
    expect(r.status).toBe(200);
    await waitFor(() => update.mock.calls.some((c) => c[1].size === 2000) && plan.mock.calls.length > 0, 'acquisition re-planned', 20_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(update).toHaveBeenCalledTimes(1);
    expect(update.mock.calls[0][1].size).toBe(2000);
    for (const sources of plannedSources(plan)) expect(sources).toEqual([ds.A]);
  });
});
