import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestRuntime, type TestRuntime } from '../support/runtime';
import { ValueBatch } from '../../src/core/values/batch';

describe('DR performance against a 10-of-10 baseline', () => {
  let rt: TestRuntime;
  let eventId: number;

  beforeAll(async () => {
    rt = await startTestRuntime();
    const gw = (await rt.api<{ id: number }>('POST', '/gateways', { name: 'GW' })).body.id;
    const ds = (await rt.api<{ id: number }>('POST', '/datasources', { name: 'Meters', gateway_id: gw, protocol: 'manual', connection: '{}' })).body.id;
    const load = (await rt.api<{ id: number }>('POST', '/points', { name: 'Building load', data_source_id: ds, object_type: 'ANALOG_VALUE', units: 'kW', is_trend: true, address: '{}' })).body.id;
    const participant = Number(await (await fetch(`${rt.url}/api/dr/participants`, { method: 'POST', headers: rt.headers, body: JSON.stringify({ code: 'CAMPUS-1', contactUser: 'Facilities', phoneContact: '+1 555 0100' }) })).json());
    const tz = (await rt.api<{ id: number }[]>('GET', '/timezones')).body[0].id;
    const site = (await rt.api<{ id: number }>('POST', '/spaces', { name: 'Campus', area: 1, timezone_id: tz })).body.id;
    expect((await rt.api('PUT', `/dr/participants/${participant}/spaces`, { space_ids: [site] })).status).toBe(200);
    expect((await rt.api<{ id: number }[]>('GET', `/dr/participants/${participant}/spaces`)).body.map((x) => x.id)).toEqual([site]);
    expect((await rt.api<{ field: string }>('PUT', `/dr/participants/${participant}/spaces`, { space_ids: [99999] })).body.field).toBe('space_ids');
    const resource = (await rt.api<{ id: number }>('POST', '/dr/resources', { resource_id: 'Building A', point_id: load, measure_point_id: load, participant_id: participant })).body.id;
    const start = Math.floor((Date.now() - 3 * 3_600_000) / 900_000) * 900_000;
    const end = start + 3_600_000;
    // 12 days of history: 100 kW normally; on the event day 110 kW before the event and 60 kW during it
    const batch = [];
    for (let d = 0; d <= 12; d++) {
      for (let t = start - 2 * 3_600_000; t < end; t += 300_000) {
        const ts = t - d * 86_400_000;
        batch.push({ point_id: load, value: d === 0 ? (t < start ? 110 : 60) : 100, quality: 'good' as const, ts });
      }
    }
    rt.ctx.values.publish(ValueBatch.of(batch));
    (rt.ctx.services.get('historian') as { flush(): void }).flush();
    eventId = (await rt.api<{ id: number }>('POST', '/dr/events', { name: 'Afternoon shed', target_resources: [resource], interval_period: { start: new Date(start).toISOString(), duration: 'PT1H' }, payload: { type: 'SIMPLE', value: 1 }, status: 'scheduled' })).body.id;
  });
  afterAll(async () => rt?.stop());

  it('uses the last 10 days, caps the day-of adjustment at ±20 % and reports delivered kW and kWh', async () => {
    const r = await rt.api<{ delivered_kw: number; delivered_kwh: number; participants: { code: string; delivered_kwh: number }[]; resources: { baseline_days: number; adjustment: number; baseline_kw: number; actual_kw: number }[] }>('GET', `/dr/events/${eventId}/performance`);
    expect(r.status).toBe(200);
    const [res] = r.body.resources;
    expect(res.baseline_days).toBe(10);
    expect(res.adjustment).toBeCloseTo(1.1, 6);
    expect(res.baseline_kw).toBeCloseTo(110, 6);
    expect(res.actual_kw).toBeCloseTo(60, 6);
    expect(r.body.delivered_kw).toBeCloseTo(50, 6);
    expect(r.body.delivered_kwh).toBeCloseTo(50, 6);
    expect(r.body.participants).toHaveLength(1);
    expect(r.body.participants[0].code).toBe('CAMPUS-1');
    expect(r.body.participants[0].delivered_kwh).toBeCloseTo(50, 6);
  });

  it('exports the performance to Excel', async () => {
    const res = await fetch(`${rt.url}/api/dr/events/${eventId}/performance.xlsx`, { headers: rt.headers });
    expect(res.headers.get('content-type')).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(Buffer.from(await res.arrayBuffer()) as never);
    const summary = book.getWorksheet('Summary')!;
    expect(summary.getRow(1).values).toContain('Afternoon shed');
    expect(Number(summary.getRow(4).getCell(2).value)).toBeCloseTo(50, 6);
    expect(book.getWorksheet('Slots')!.rowCount).toBe(5);
  });
});
