import { describe, expect, it } from 'vitest';
import {
  acknowledge,
  activate,
  AlarmTransitionError,
  clear,
  expireShelve,
  isAnnunciated,
  MAX_SHELVE_MINUTES,
  NORMAL,
  setOutOfService,
  setSuppressed,
  shelve,
  stateName,
  unshelve,
  type AlarmState,
} from '../../src/core/alarms/state';

const T0 = Date.UTC(2026, 0, 1, 8, 0, 0);
const must = <T>(v: T | null): T => {
  expect(v).not.toBeNull();
  return v!;
};

describe('ISA-18.2 alarm states', () => {
  it('NORM -> UNACK -> ACKED -> NORM: activate, acknowledge, clear', () => {
    const a = must(activate(NORMAL, T0));
    expect(a.transition).toMatchObject({ action: 'activate', from: 'NORM', to: 'UNACK', at: T0, user: 'system' });
    const b = acknowledge(a.next, T0 + 1000, 'op1', 'seen, sending a technician');
    expect(b.transition).toMatchObject({ action: 'ack', from: 'UNACK', to: 'ACKED', user: 'op1', comment: 'seen, sending a technician' });
    const c = must(clear(b.next, T0 + 2000));
    expect(c.transition).toMatchObject({ action: 'clear', from: 'ACKED', to: 'NORM' });
    expect(c.next).toEqual(NORMAL);
  });

  it('NORM -> UNACK -> RTNUN -> NORM: return to normal unacknowledged, then acknowledged', () => {
    const a = must(activate(NORMAL, T0));
    const b = must(clear(a.next, T0 + 1));
    expect(b.transition).toMatchObject({ from: 'UNACK', to: 'RTNUN' });
    expect(isAnnunciated(b.next)).toBe(true);
    const c = acknowledge(b.next, T0 + 2, 'op1');
    expect(c.transition).toMatchObject({ from: 'RTNUN', to: 'NORM' });
    expect(isAnnunciated(c.next)).toBe(false);
  });

  it('RTNUN -> UNACK when the condition returns before acknowledgement', () => {
    const rtn = must(clear(must(activate(NORMAL, T0)).next, T0 + 1)).next;
    const again = must(activate(rtn, T0 + 2));
    expect(again.transition).toMatchObject({ from: 'RTNUN', to: 'UNACK' });
  });

  it('ACKED -> UNACK is impossible without clearing; a re-activation after clearing needs a new acknowledgement', () => {
    const acked = acknowledge(must(activate(NORMAL, T0)).next, T0 + 1, 'op').next;
    expect(activate(acked, T0 + 2)).toBeNull();
    const norm = must(clear(acked, T0 + 3)).next;
    expect(stateName(must(activate(norm, T0 + 4)).next)).toBe('UNACK');
  });

  it('no-ops: activating an active alarm, clearing a normal one', () => {
    expect(clear(NORMAL, T0)).toBeNull();
    expect(activate(must(activate(NORMAL, T0)).next, T0 + 1)).toBeNull();
  });

  it('acknowledging an alarm that needs none is an error', () => {
    expect(() => acknowledge(NORMAL, T0, 'op')).toThrow(AlarmTransitionError);
    const acked = acknowledge(must(activate(NORMAL, T0)).next, T0, 'op').next;
    expect(() => acknowledge(acked, T0, 'op')).toThrow(/already acknowledged/);
  });

  it('shelving hides the alarm; the shelf keeps the user, the reason and the end time', () => {
    const unack = must(activate(NORMAL, T0)).next;
    const sh = shelve(unack, T0, 'op1', 30, ' nuisance during maintenance ');
    expect(sh.transition).toMatchObject({ action: 'shelve', from: 'UNACK', to: 'SHLVD', user: 'op1', comment: 'nuisance during maintenance' });
    expect(sh.next.shelved).toEqual({ until: T0 + 30 * 60_000, reason: 'nuisance during maintenance', user: 'op1' });
    expect(isAnnunciated(sh.next)).toBe(false);
  });

  it('shelve expiry un-shelves automatically, not a millisecond early, back to what is true now', () => {
    const unack = must(activate(NORMAL, T0)).next;
    let s = shelve(unack, T0, 'op1', 10, 'chattering sensor').next;
    expect(expireShelve(s, T0 + 10 * 60_000 - 1)).toBeNull();
    // while shelved the condition cleared
    s = must(clear(s, T0 + 60_000)).next;
    expect(stateName(s)).toBe('SHLVD');
    const exp = must(expireShelve(s, T0 + 10 * 60_000));
    expect(exp.transition).toMatchObject({ action: 'shelve_expired', from: 'SHLVD', to: 'RTNUN', user: 'system' });
  });

  it('manual unshelve; unshelving an unshelved alarm is an error', () => {
    const s = shelve(must(activate(NORMAL, T0)).next, T0, 'op1', 5, 'r').next;
    const u = unshelve(s, T0 + 1, 'op2');
    expect(u.transition).toMatchObject({ action: 'unshelve', from: 'SHLVD', to: 'UNACK', user: 'op2' });
    expect(() => unshelve(u.next, T0 + 2, 'op2')).toThrow(/not shelved/);
  });

  it('shelving needs a positive, bounded duration and a reason', () => {
    const a = must(activate(NORMAL, T0)).next;
    expect(() => shelve(a, T0, 'op', 0, 'r')).toThrow(/minutes/);
    expect(() => shelve(a, T0, 'op', -5, 'r')).toThrow(/minutes/);
    expect(() => shelve(a, T0, 'op', Number.NaN, 'r')).toThrow(/minutes/);
    expect(() => shelve(a, T0, 'op', MAX_SHELVE_MINUTES + 1, 'r')).toThrow(/minutes/);
    expect(() => shelve(a, T0, 'op', 10, '   ')).toThrow(/reason/);
  });

  it('an alarm that activates while shelved is unacknowledged when the shelf expires', () => {
    const s = shelve(NORMAL, T0, 'op', 1, 'r').next;
    const act = must(activate(s, T0 + 1));
    expect(act.transition).toMatchObject({ from: 'SHLVD', to: 'SHLVD' });
    expect(stateName(must(expireShelve(act.next, T0 + 60_000)).next)).toBe('UNACK');
  });

  it('suppression by design hides and restores', () => {
    const a = must(activate(NORMAL, T0)).next;
    const sup = must(setSuppressed(a, T0 + 1, true));
    expect(sup.transition).toMatchObject({ action: 'suppress', from: 'UNACK', to: 'DSUPR' });
    expect(setSuppressed(sup.next, T0 + 2, true)).toBeNull();
    const cleared = must(clear(sup.next, T0 + 3)).next;
    const un = must(setSuppressed(cleared, T0 + 4, false));
    expect(un.transition).toMatchObject({ action: 'unsuppress', from: 'DSUPR', to: 'RTNUN' });
  });

  it('a comm alarm suppressed while its data source was offline is released to NORM once cleared, to UNACK while still active', () => {
    const sup = must(setSuppressed(NORMAL, T0, true)).next;
    const act = must(activate(sup, T0 + 1)).next; // the point's comm_fail while its data source is offline
    expect(stateName(act)).toBe('DSUPR');
    const cleared = must(clear(act, T0 + 2)).next;
    expect(must(setSuppressed(cleared, T0 + 3, false, true)).transition).toMatchObject({ action: 'unsuppress', from: 'DSUPR', to: 'NORM' });
    expect(must(setSuppressed(act, T0 + 3, false, true)).transition).toMatchObject({ from: 'DSUPR', to: 'UNACK' });
  });

  it('out of service takes precedence, drops the shelf, and returning to service leaves no stale acknowledgement', () => {
    let s: AlarmState = shelve(must(activate(NORMAL, T0)).next, T0, 'op', 10, 'r').next;
    const oos = must(setOutOfService(s, T0 + 1, 'eng', true, 'sensor replaced'));
    expect(oos.transition).toMatchObject({ action: 'remove_from_service', from: 'SHLVD', to: 'OOSRV', user: 'eng', comment: 'sensor replaced' });
    expect(oos.next.shelved).toBeNull();
    expect(() => shelve(oos.next, T0 + 2, 'op', 5, 'r')).toThrow(/out of service/);
    s = must(clear(oos.next, T0 + 3)).next;
    const back = must(setOutOfService(s, T0 + 4, 'eng', false));
    expect(back.transition).toMatchObject({ action: 'return_to_service', from: 'OOSRV', to: 'NORM' });
    expect(setOutOfService(back.next, T0 + 5, 'eng', false)).toBeNull();
  });

  it('out of service with the condition still active comes back unacknowledged', () => {
    const oos = must(setOutOfService(NORMAL, T0, 'eng', true)).next;
    const act = must(activate(oos, T0 + 1)).next;
    expect(stateName(must(setOutOfService(act, T0 + 2, 'eng', false)).next)).toBe('UNACK');
  });

  it('precedence of the hiding states: OOSRV over DSUPR over SHLVD', () => {
    const s: AlarmState = { active: true, acked: false, shelved: { until: T0 + 1, reason: 'r', user: 'u' }, suppressed: true, outOfService: true };
    expect(stateName(s)).toBe('OOSRV');
    expect(stateName({ ...s, outOfService: false })).toBe('DSUPR');
    expect(stateName({ ...s, outOfService: false, suppressed: false })).toBe('SHLVD');
  });
});
