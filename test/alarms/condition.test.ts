import { describe, expect, it } from 'vitest';
import { applySample, INACTIVE, tick, type ConditionConfig, type ConditionState } from '../../src/core/alarms/condition';

const hi: ConditionConfig = { kind: 'HI', limit: 100, deadband: 5, onDelayMs: 0, offDelayMs: 0 };
const lo: ConditionConfig = { kind: 'LO', limit: 10, deadband: 2, onDelayMs: 0, offDelayMs: 0 };

/** feeds values at 1 s steps and returns the changes */
function run(cfg: ConditionConfig, values: (number | null)[], start: ConditionState = INACTIVE) {
  let s = start;
  const changes: string[] = [];
  values.forEach((v, i) => {
    const r = applySample(cfg, s, v, 'good', i * 1000);
    s = r.state;
    changes.push(r.changed ?? '-');
  });
  return { s, changes };
}

describe('limit conditions with deadband', () => {
  it('HI activates above the limit and clears only below limit - deadband', () => {
    expect(run(hi, [99, 100, 100.1, 98, 95.5, 95, 94.9, 101]).changes).toEqual(['-', '-', 'activate', '-', '-', 'clear', '-', 'activate']);
  });

  it('with deadband 0 it clears at the limit itself', () => {
    expect(run({ ...hi, deadband: 0 }, [101, 100]).changes).toEqual(['activate', 'clear']);
  });

  it('a value hovering around the limit does not chatter inside the deadband', () => {
    const r = run(hi, [101, 99, 101, 98, 100.5, 96, 101]);
    expect(r.changes.filter((c) => c !== '-')).toEqual(['activate']);
  });

  it('LO activates below the limit and clears only above limit + deadband', () => {
    expect(run(lo, [11, 9.9, 11, 12, 12.1, 9]).changes).toEqual(['-', 'activate', '-', 'clear', '-', 'activate']);
  });

  it('STATE activates when the value equals the alarm value', () => {
    const st: ConditionConfig = { kind: 'STATE', limit: 1, deadband: 0, onDelayMs: 0, offDelayMs: 0 };
    expect(run(st, [0, 1, 1, 0]).changes).toEqual(['-', 'activate', '-', 'clear']);
  });

  it('bad, stale and comm_fail samples neither raise nor clear a process alarm; text is ignored', () => {
    let s: ConditionState = { active: true, pendingSince: null };
    for (const q of ['comm_fail', 'bad', 'stale'] as const) {
      const r = applySample(hi, s, 0, q, 0);
      expect(r.changed).toBeNull();
      s = r.state;
    }
    expect(s.active).toBe(true);
    expect(applySample(hi, INACTIVE, 'not a number', 'good', 0).changed).toBeNull();
    expect(applySample(hi, INACTIVE, null, 'good', 0).changed).toBeNull();
    expect(applySample(hi, INACTIVE, '150', 'good', 0).changed).toBe('activate');
  });

  it('COMM follows the comm_fail quality', () => {
    const comm: ConditionConfig = { kind: 'COMM', limit: 0, deadband: 0, onDelayMs: 0, offDelayMs: 0 };
    const a = applySample(comm, INACTIVE, null, 'comm_fail', 0);
    expect(a.changed).toBe('activate');
    expect(applySample(comm, a.state, 5, 'good', 1).changed).toBe('clear');
  });
});

describe('on-delay and off-delay', () => {
  const delayed: ConditionConfig = { ...hi, onDelayMs: 5000, offDelayMs: 3000 };

  it('on-delay: the value must stay beyond the limit for the delay (judged on sample times)', () => {
    let s = INACTIVE;
    let r = applySample(delayed, s, 120, 'good', 0);
    expect(r.changed).toBeNull();
    expect(r.state.pendingSince).toBe(0);
    s = r.state;
    r = applySample(delayed, s, 121, 'good', 4999);
    expect(r.changed).toBeNull();
    r = applySample(delayed, r.state, 122, 'good', 5000);
    expect(r.changed).toBe('activate');
    expect(r.state).toEqual({ active: true, pendingSince: null });
  });

  it('on-delay: a short excursion never activates, and the delay restarts', () => {
    let r = applySample(delayed, INACTIVE, 120, 'good', 0);
    r = applySample(delayed, r.state, 90, 'good', 4000);
    expect(r.state).toEqual(INACTIVE);
    r = applySample(delayed, r.state, 120, 'good', 4500);
    expect(tick(delayed, r.state, 9000).changed).toBeNull();
    expect(tick(delayed, r.state, 9500).changed).toBe('activate');
  });

  it('on-delay ends by the clock alone (tick) when no new value arrives', () => {
    const r = applySample(delayed, INACTIVE, 120, 'good', 1000);
    expect(tick(delayed, r.state, 5999).changed).toBeNull();
    const t = tick(delayed, r.state, 6000);
    expect(t.changed).toBe('activate');
    expect(tick(delayed, t.state, 99999).changed).toBeNull();
  });

  it('off-delay: the value must stay back in range (beyond the deadband) for the delay', () => {
    const active: ConditionState = { active: true, pendingSince: null };
    let r = applySample(delayed, active, 90, 'good', 0);
    expect(r.changed).toBeNull();
    r = applySample(delayed, r.state, 97, 'good', 2000); // inside the deadband: still in alarm, the off-delay restarts
    expect(r.state).toEqual(active);
    r = applySample(delayed, r.state, 90, 'good', 2500);
    expect(tick(delayed, r.state, 5499).changed).toBeNull();
    const t = tick(delayed, r.state, 5500);
    expect(t.changed).toBe('clear');
    expect(t.state).toEqual(INACTIVE);
  });

  it('a tick with nothing pending changes nothing', () => {
    expect(tick(delayed, INACTIVE, 1e12)).toEqual({ state: INACTIVE, changed: null });
  });
});
