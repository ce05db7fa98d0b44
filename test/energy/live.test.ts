import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyService } from '../../src/core/energy/contract';
import { startTestRuntime, waitFor, type TestRuntime } from '../support/runtime';
import { energySetup, t } from './support';
import { ValueBatch } from '../../src/core/values/batch';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
}, 60_000);
afterAll(async () => {
  await rt?.stop();
});

describe('live readings', () => {
  it('continue the imported history: each completed hour is written as readings arrive, the junction hour included', async () => {
    const s = await energySetup(rt.api);
    const space = await s.space('Plant', 'UTC');
    const m = await s.meter('Live meter');
    await s.bind(space, 'meters', { meter_id: m.meter });
    // history up to 10:30: hour 09 rises 6
    await s.history(m.point, [
      ['2026-02-01T09:00:00Z', 100],
      ['2026-02-01T09:30:00Z', 103],
      ['2026-02-01T10:00:00Z', 106],
      ['2026-02-01T10:30:00Z', 110],
    ]);
    const energy = rt.ctx.services.get('energy') as EnergyService;
    await energy.settled();
    // live readings, as acquisition publishes them: every 10 minutes from 10:40 to 12:10, rising 2 each
    for (let i = 0; i < 10; i++) {
      rt.ctx.values.publish(ValueBatch.of([{ point_id: m.point, ts: t('2026-02-01T10:40:00Z') + i * 600_000, value: 112 + 2 * i, quality: 'good' }]));
      await new Promise((r) => setImmediate(r));
    }
    const q = () => energy.query({ kind: 'meters', id: m.meter, start: t('2026-02-01T09:00:00Z'), end: t('2026-02-01T13:00:00Z'), periodType: 'hourly' }).categories[0]?.values;
    // 10:00..11:00 spans the import and the stream: 106 -> 110 (stored) -> 112, 114, 116 at 11:00 (live) = 10;
    // 11:00..12:00: 116 -> 128 = 12
    const values = await waitFor(
      () => {
        const v = q();
        return v && v[2] !== null ? v : null;
      },
      'the live hours',
      30_000,
    );
    expect(values).toEqual([6, 10, 12, null]);
    // a bad-quality reading is not a reading
    rt.ctx.values.publish(ValueBatch.of([{ point_id: m.point, ts: t('2026-02-01T12:20:00Z'), value: 0, quality: 'comm_fail' }]));
    rt.ctx.values.publish(ValueBatch.of([{ point_id: m.point, ts: t('2026-02-01T13:00:00Z'), value: 140, quality: 'good' }]));
    await waitFor(() => q()?.[3] !== null, 'hour 12');
    // 12:00 (128) -> 12:10 (130) -> 13:00 (140): 12
    expect(q()![3]).toBeCloseTo(12, 9);
  }, 60_000);
});
