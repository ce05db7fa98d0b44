import { describe, expect, it } from 'vitest';
import { auditCsv, filterAlarms, sortAlarms, summarize, unacknowledgedPointIds, type AuditRow } from './logic';
import type { Alarm } from './types';

let n = 0;
const alarm = (over: Partial<Alarm>): Alarm => ({
  id: ++n,
  source: 'point',
  source_id: n,
  point_id: n,
  condition: 'HI',
  name: `A${n}`,
  message: null,
  priority: 'MEDIUM',
  state: 'UNACK',
  active: true,
  acknowledged: false,
  shelved: false,
  shelved_until: null,
  shelved_reason: null,
  shelved_by: null,
  suppressed: false,
  out_of_service: false,
  value: null,
  limit: null,
  activated_datetime: '2026-11-20T08:00:00.000Z',
  cleared_datetime: null,
  acknowledged_datetime: null,
  acknowledged_by: null,
  ack_comment: null,
  last_change_datetime: '2026-11-20T08:00:00.000Z',
  ...over,
});

const unack = alarm({ name: 'Pump P1 HI', priority: 'LOW', activated_datetime: '2026-11-20T08:05:00.000Z' });
const acked = alarm({ name: 'Feeder F2 HIHI', priority: 'CRITICAL', state: 'ACKED', acknowledged: true, message: 'breaker tripped' });
const rtn = alarm({ name: 'Tank level LO', priority: 'HIGH', state: 'RTNUN', active: false, activated_datetime: '2026-11-20T08:10:00.000Z' });
const shelved = alarm({ name: 'Fan HI', priority: 'CRITICAL', state: 'SHLVD', shelved: true });
const normal = alarm({ name: 'Old', state: 'NORM', active: false, acknowledged: true });
const hidden = alarm({ name: 'Supp', state: 'DSUPR', suppressed: true, priority: 'CRITICAL' });
const all = [unack, acked, rtn, shelved, normal, hidden];

describe('alarm list logic', () => {
  it('filters by state', () => {
    expect(filterAlarms(all, 'annunciated', '', '').map((a) => a.name)).toEqual(['Pump P1 HI', 'Feeder F2 HIHI', 'Tank level LO']);
    expect(filterAlarms(all, 'active', '', '').map((a) => a.name)).toEqual(['Pump P1 HI', 'Feeder F2 HIHI', 'Fan HI', 'Supp']);
    expect(filterAlarms(all, 'unacknowledged', '', '').map((a) => a.name)).toEqual(['Pump P1 HI', 'Tank level LO', 'Fan HI', 'Supp']);
    expect(filterAlarms(all, 'shelved', '', '').map((a) => a.name)).toEqual(['Fan HI']);
    expect(filterAlarms(all, 'suppressed', '', '').map((a) => a.name)).toEqual(['Supp']);
    expect(filterAlarms(all, 'all', '', '')).toHaveLength(6);
  });

  it('filters by priority and by text in name or message, case-insensitively', () => {
    expect(filterAlarms(all, 'all', 'CRITICAL', '').map((a) => a.name)).toEqual(['Feeder F2 HIHI', 'Fan HI', 'Supp']);
    expect(filterAlarms(all, 'all', '', 'TRIPPED').map((a) => a.name)).toEqual(['Feeder F2 HIHI']);
    expect(filterAlarms(all, 'annunciated', 'LOW', 'pump').map((a) => a.name)).toEqual(['Pump P1 HI']);
  });

  it('sorts by priority (then newest first), by time, by name, in both directions', () => {
    const cur = filterAlarms(all, 'annunciated', '', '');
    expect(sortAlarms(cur, 'priority', false).map((a) => a.priority)).toEqual(['CRITICAL', 'HIGH', 'LOW']);
    expect(sortAlarms(cur, 'priority', true).map((a) => a.priority)).toEqual(['LOW', 'HIGH', 'CRITICAL']);
    expect(sortAlarms(cur, 'time', false).map((a) => a.name)).toEqual(['Feeder F2 HIHI', 'Pump P1 HI', 'Tank level LO']);
    expect(sortAlarms(cur, 'name', false).map((a) => a.name)).toEqual(['Feeder F2 HIHI', 'Pump P1 HI', 'Tank level LO']);
    expect(sortAlarms(cur, 'name', true).map((a) => a.name)).toEqual(['Tank level LO', 'Pump P1 HI', 'Feeder F2 HIHI']);
  });

  it('summarizes for the banner: annunciated unacknowledged only, the most severe priority, the newest', () => {
    const s = summarize(all);
    expect(s.unacknowledged_alarms).toBe(2); // shelved and suppressed ones do not count
    expect(s.highest_alarm_priority).toBe('HIGH');
    expect(s.newest_unacknowledged?.name).toBe('Tank level LO');
    expect(summarize([acked, normal])).toEqual({ unacknowledged_alarms: 0, highest_alarm_priority: null, newest_unacknowledged: null });
  });

  it('names the points whose symbols blink', () => {
    expect([...unacknowledgedPointIds(new Map(all.map((a) => [a.id, a])))].sort()).toEqual([unack.point_id, rtn.point_id].sort());
  });
});

describe('audit CSV', () => {
  it('quotes, escapes and defuses spreadsheet formulas', () => {
    const row: AuditRow = { id: 1, utc_date_time: '2026-11-20T08:00:00Z', user_name: 'op', action: 'alarm.ack', target: 'alarm:1 "HI"', old_value: null, new_value: '=HYPERLINK("x")', result: 'ok', details: 'a,b\nc' };
    const csv = auditCsv([row]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('id,utc_date_time,user_name,action,target,old_value,new_value,result,details');
    expect(csv).toContain('"alarm:1 ""HI"""');
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`);
    expect(csv).toContain('"a,b\nc"');
  });
});
