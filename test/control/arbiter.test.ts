/**
 * The arbiter's rules with an injected clock and an in-memory device: precedence, constraints, fallback, leases,
 * ramp, re-assertion; and schedules in the site's zone across a DST change.
 */
import { describe, expect, it } from 'vitest';
import { Arbiter, type ArbiterIO, type ControlRequest, type PointSettings, PRIORITY } from '../../src/core/control/arbiter';
import { PointSchedules } from '../../src/core/control/schedules';
import { inPeriod, localTime, tariffPeriodAt } from '../../src/core/control/timeofday';

function rig(settings: Partial<PointSettings> = {}) {
  let clock = Date.parse('2026-06-01T12:00:00Z');
  const device = new Map<number, number>([[1, 0]]);
  const writes: { value: number; by: string; reason: string }[] = [];
  const audits: { action: string; details?: unknown }[] = [];
  const io: ArbiterIO = {
    now: () => clock,
    settings: (id) => (id === 1 ? { name: 'Setpoint', low: -100, high: 100, fallback: 'value', fallbackValue: 0, rampPerSecond: null, deadband: 1e-6, ...settings } : undefined),
    latest: (id) => (device.has(id) ? { value: device.get(id)!, quality: 'good' } : undefined),
    write: async (id, value, by, reason) => {
      device.set(id, value);
      writes.push({ value, by: by.name, reason });
      return { ok: true, readback: value, audit_id: writes.length };
    },
    audit: (e) => audits.push(e),
  };
  const arbiter = new Arbiter(io, { cycleMs: 1000 });
  const req = (owner: string, fields: Partial<ControlRequest>): ControlRequest => ({ id: owner, pointId: 1, priority: PRIORITY.dr, source: 'dr', owner, actor: { userId: null, name: owner }, reason: owner, start: clock, expires: null, ...fields });
  const tick = async (ms = 1000) => {
    clock += ms;
    await arbiter.cycle();
  };
  return { arbiter, device, writes, audits, req, tick, at: () => clock };
}

describe('the control arbiter', () => {
  it('higher priority wins; at equal priority the newest start wins; the next takes over; then the fallback', async () => {
    const { arbiter, device, req, tick, at, writes } = rig();
    arbiter.put(req('dr:a', { value: 40, start: at(), expires: at() + 10_000 }));
    await tick();
    expect(device.get(1)).toBe(40);
    arbiter.put(req('dr:b', { value: 60, start: at(), expires: at() + 20_000 }));
    await tick();
    expect(device.get(1)).toBe(60);
    // a lower-priority request placed later does not win
    arbiter.put(req('schedule:1', { value: 5, priority: PRIORITY.schedule, source: 'schedule' }));
    await tick();
    expect(device.get(1)).toBe(60);
    // the first event's lease ends: the second still holds (no restore of 40 or of a pre-event value)
    for (let i = 0; i < 9; i++) await tick();
    expect(device.get(1)).toBe(60);
    arbiter.withdraw('schedule:1');
    for (let i = 0; i < 10; i++) await tick();
    expect(device.get(1)).toBe(0);
    expect(writes.map((w) => w.value)).toEqual([40, 60, 0]);
  });

  it('clamps by constraints above the winner and by the point limits, and says why', async () => {
    const { arbiter, device, req, tick } = rig();
    arbiter.put(req('storage:1:soc_limits', { min: -100, max: 0, priority: PRIORITY.safety, source: 'safety', reason: 'no discharge: SOC 9 % ≤ floor 10 %' }));
    arbiter.put(req('dr:a', { value: 50 }));
    await tick();
    expect(device.get(1)).toBe(0);
    expect(arbiter.lastResolution(1)!.why).toContain('limited to 0 by safety (no discharge');
    arbiter.withdraw('storage:1:soc_limits');
    arbiter.put(req('operator', { value: 500, priority: PRIORITY.operator, source: 'operator' }));
    await tick();
    expect(device.get(1)).toBe(100);
    // a constraint below the winner does not bind it
    arbiter.withdraw('operator');
    arbiter.put(req('storage:1:peak_shaving', { min: 30, priority: PRIORITY.peakShaving, source: 'storage' }));
    await tick();
    expect(device.get(1)).toBe(50);
    // with no value request left, the fallback is kept within the constraints
    arbiter.withdraw('dr:a');
    await tick();
    expect(device.get(1)).toBe(30);
  });

  it('writes only on a difference, re-asserts when the device drifts (a restart at 0), ramps, and audits winner changes', async () => {
    const { arbiter, device, req, tick, writes, audits } = rig({ rampPerSecond: 10 });
    arbiter.put(req('dr:a', { value: 25 }));
    for (let i = 0; i < 4; i++) await tick();
    expect(writes.map((w) => w.value)).toEqual([10, 20, 25]);
    device.set(1, 0); // the device restarts
    await tick();
    expect(writes.at(-1)).toMatchObject({ value: 25 });
    expect(writes.at(-1)!.reason).toContain('re-asserted');
    await tick();
    expect(writes).toHaveLength(4);
    expect(audits.filter((a) => a.action === 'control.winner')).toHaveLength(1);
  });

  it('spares rewrites within the deadband of the same decision, but writes a new decision exactly', async () => {
    const { arbiter, device, req, tick, writes } = rig({ deadband: 2 });
    arbiter.put(req('storage:1:recharge', { value: -30, priority: PRIORITY.recharge, source: 'storage' }));
    await tick();
    arbiter.upsert({ ...req('storage:1:recharge', { value: -31, priority: PRIORITY.recharge, source: 'storage' }), start: undefined });
    await tick();
    await tick();
    expect(device.get(1)).toBe(-30);
    arbiter.upsert({ ...req('storage:1:recharge', { value: -33, priority: PRIORITY.recharge, source: 'storage' }), start: undefined });
    await tick();
    expect(device.get(1)).toBe(-33);
    arbiter.put(req('operator', { value: -32, priority: PRIORITY.operator, source: 'operator' }));
    await tick();
    expect(device.get(1)).toBe(-32);
    expect(writes.map((w) => w.value)).toEqual([-30, -33, -32]);
  });

  it('ends an operator lease on time and audits it', async () => {
    const { arbiter, device, req, tick, at, audits } = rig();
    arbiter.put(req('dr:a', { value: 30 }));
    arbiter.put(req('operator', { value: -20, priority: PRIORITY.operator, source: 'operator', expires: at() + 2500 }));
    await tick();
    expect(device.get(1)).toBe(-20);
    await tick();
    await tick();
    expect(device.get(1)).toBe(30);
    expect(audits.some((a) => a.action === 'control.request.expire')).toBe(true);
  });

  it('leaves a "leave as is" point alone when its last request goes', async () => {
    const { arbiter, device, req, tick, writes } = rig({ fallback: 'leave', fallbackValue: null });
    arbiter.put(req('dr:a', { value: 30 }));
    await tick();
    arbiter.withdraw('dr:a');
    await tick();
    await tick();
    expect(device.get(1)).toBe(30);
    expect(writes).toHaveLength(1);
  });
  it("settle answers the write that carries the new request even when the cycle starts another write in between", async () => {
    // the device is read back only by acquisition (here: never), and each write waits until the test lets it go
    let clock = Date.parse('2026-06-01T12:00:00Z');
    const writes: number[] = [];
    const gates: (() => void)[] = [];
    const io: ArbiterIO = {
      now: () => clock,
      settings: (id) => (id === 1 ? { name: 'Setpoint', low: -100, high: 100, fallback: 'value', fallbackValue: 0, rampPerSecond: null, deadband: 1e-6 } : undefined),
      latest: () => ({ value: 0, quality: 'good' }),
      write: (_id, value) => {
        writes.push(value);
        return new Promise((resolve) => gates.push(() => resolve({ ok: true, readback: value, audit_id: writes.length })));
      },
      audit: () => 0,
    };
    const arbiter = new Arbiter(io, { cycleMs: 1000 });
    const req = (owner: string, value: number): ControlRequest => ({ id: owner, pointId: 1, value, priority: PRIORITY.operator, source: 'operator', owner, actor: { userId: 1, name: owner }, reason: owner, start: clock, expires: null });
    arbiter.put(req('op:a', 10));
    const first = arbiter.settle(1); // another command writes 10, held on the wire
    await Promise.resolve();
    expect(writes).toEqual([10]);
    clock += 2000;
    arbiter.put(req('op:b', 40));
    // the cycle's next turn comes as the write of 10 ends, before settle's turn, and starts the write of 40 itself
    const inFlight = (arbiter as unknown as { points: Map<number, { writing: Promise<unknown> | null }> }).points.get(1)!.writing!;
    void inFlight.then(() => arbiter.cycle());
    const settled = arbiter.settle(1);
    gates.shift()!();
    await first;
    for (let i = 0; i < 50 && gates.length === 0; i++) await Promise.resolve();
    expect(writes).toEqual([10, 40]);
    gates.shift()!();
    for (let i = 0; i < 50 && gates.length === 0; i++) await Promise.resolve();
    gates.splice(0).forEach((go) => go());
    const out = await settled;
    expect(out).toMatchObject({ ok: true, readback: 40 });
    expect(writes.at(-1)).toBe(40);
  });
});

describe('times of day in the site zone', () => {
  const berlin = 'Europe/Berlin';
  it('a schedule follows the local wall clock across the spring-forward change', () => {
    const s = { zone: berlin, nonWorking: null, day_type: 'all' as const, start_time_of_day: '06:00:00', end_time_of_day: '07:59:59' };
    // Saturday 28 March 2026 (CET, UTC+1): 06:00-08:00 local is 05:00-07:00 UTC
    expect(PointSchedules.applies(s, Date.parse('2026-03-28T04:59:00Z'))).toBe(false);
    expect(PointSchedules.applies(s, Date.parse('2026-03-28T05:00:00Z'))).toBe(true);
    expect(PointSchedules.applies(s, Date.parse('2026-03-28T06:59:00Z'))).toBe(true);
    expect(PointSchedules.applies(s, Date.parse('2026-03-28T07:00:00Z'))).toBe(false);
    // Sunday 29 March 2026 (CEST from 02:00 local, UTC+2): 06:00-08:00 local is 04:00-06:00 UTC
    expect(PointSchedules.applies(s, Date.parse('2026-03-29T03:59:00Z'))).toBe(false);
    expect(PointSchedules.applies(s, Date.parse('2026-03-29T04:00:00Z'))).toBe(true);
    expect(PointSchedules.applies(s, Date.parse('2026-03-29T05:59:00Z'))).toBe(true);
    expect(PointSchedules.applies(s, Date.parse('2026-03-29T06:00:00Z'))).toBe(false);
    // and back in autumn (25 October 2026, CET again)
    expect(PointSchedules.applies(s, Date.parse('2026-10-25T05:00:00Z'))).toBe(true);
    expect(PointSchedules.applies(s, Date.parse('2026-10-25T04:30:00Z'))).toBe(false);
  });

  it('working and non-working days come from the calendar, in the local date', () => {
    const holiday = new Set(['2026-12-25']);
    const working = { zone: berlin, nonWorking: holiday, day_type: 'working' as const, start_time_of_day: '00:00:00', end_time_of_day: '23:59:59' };
    const nonWorking = { ...working, day_type: 'nonworking' as const };
    // 23:30 UTC on the 24th is already the 25th in Berlin
    expect(PointSchedules.applies(working, Date.parse('2026-12-24T23:30:00Z'))).toBe(false);
    expect(PointSchedules.applies(nonWorking, Date.parse('2026-12-24T23:30:00Z'))).toBe(true);
    expect(PointSchedules.applies(working, Date.parse('2026-12-24T22:30:00Z'))).toBe(true);
  });

  it('finds the tariff period by local time (inclusive end to the second)', () => {
    const tariff = {
      id: 1,
      name: 't',
      unit: 'EUR/kWh',
      validFrom: '2026-01-01T00:00:00',
      validThrough: '2027-01-01T00:00:00',
      periods: [
        { start_time_of_day: '00:00:00', end_time_of_day: '16:59:59', peak_type: 'offpeak', price: 0.18 },
        { start_time_of_day: '17:00:00', end_time_of_day: '23:59:59', peak_type: 'onpeak', price: 0.39 },
      ],
    };
    // 15:59:59 UTC on 1 July is 17:59:59 CEST
    expect(tariffPeriodAt(tariff, localTime(Date.parse('2026-07-01T14:59:59Z'), berlin))!.peak_type).toBe('offpeak');
    expect(tariffPeriodAt(tariff, localTime(Date.parse('2026-07-01T15:00:00Z'), berlin))!.peak_type).toBe('onpeak');
    expect(tariffPeriodAt(tariff, localTime(Date.parse('2027-01-01T12:00:00Z'), berlin))).toBeNull();
    expect(inPeriod(86399, '17:00:00', '23:59:59')).toBe(true);
  });
});
