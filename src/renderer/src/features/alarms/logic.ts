/** The alarm screens' logic without React or the network: filtering, sorting, the banner summary, CSV. */
import { priorityRank, type Alarm, type AlarmSummary } from './types';

export type StateFilter = 'annunciated' | 'active' | 'unacknowledged' | 'shelved' | 'suppressed' | 'outofservice' | 'all';
export type SortKey = 'priority' | 'time' | 'name' | 'state';

export function filterAlarms(alarms: Alarm[], state: StateFilter, priority: string, text: string): Alarm[] {
  const t = text.trim().toLowerCase();
  return alarms.filter((a) => {
    const inState =
      state === 'all' ||
      (state === 'annunciated' && (a.state === 'UNACK' || a.state === 'ACKED' || a.state === 'RTNUN')) ||
      (state === 'active' && a.active) ||
      (state === 'unacknowledged' && !a.acknowledged) ||
      (state === 'shelved' && a.shelved) ||
      (state === 'suppressed' && a.suppressed) ||
      (state === 'outofservice' && a.out_of_service);
    return inState && (!priority || a.priority === priority) && (!t || `${a.name} ${a.message ?? ''} ${a.condition}`.toLowerCase().includes(t));
  });
}

export function sortAlarms(alarms: Alarm[], key: SortKey, descending: boolean): Alarm[] {
  const time = (a: Alarm) => a.activated_datetime ?? a.last_change_datetime ?? '';
  const cmp: Record<SortKey, (a: Alarm, b: Alarm) => number> = {
    priority: (a, b) => priorityRank(a.priority) - priorityRank(b.priority) || time(b).localeCompare(time(a)),
    time: (a, b) => time(a).localeCompare(time(b)),
    name: (a, b) => a.name.localeCompare(b.name),
    state: (a, b) => a.state.localeCompare(b.state),
  };
  const sorted = [...alarms].sort(cmp[key]);
  return descending ? sorted.reverse() : sorted;
}

/** What the banner shows, computed from the alarms themselves (annunciated and unacknowledged). */
export function summarize(alarms: Iterable<Alarm>): AlarmSummary {
  let n = 0;
  let best: Alarm | null = null;
  let newest: Alarm | null = null;
  for (const a of alarms) {
    if (a.acknowledged || (a.state !== 'UNACK' && a.state !== 'RTNUN')) continue;
    n++;
    if (!best || priorityRank(a.priority) < priorityRank(best.priority)) best = a;
    if (!newest || (a.activated_datetime ?? '') > (newest.activated_datetime ?? '')) newest = a;
  }
  return { unacknowledged_alarms: n, highest_alarm_priority: best?.priority ?? null, newest_unacknowledged: newest };
}

/** Point ids with an unacknowledged, annunciated alarm: diagrams blink their symbols. */
export function unacknowledgedPointIds(byId: Map<number, Alarm>): Set<number> {
  const out = new Set<number>();
  for (const a of byId.values()) if (a.point_id !== null && !a.acknowledged && (a.state === 'UNACK' || a.state === 'RTNUN')) out.add(a.point_id);
  return out;
}

export interface AuditRow {
  id: number;
  utc_date_time: string;
  user_name: string;
  action: string;
  target: string | null;
  old_value: string | null;
  new_value: string | null;
  result: string;
  details: string | null;
}

const COLUMNS: (keyof AuditRow)[] = ['id', 'utc_date_time', 'user_name', 'action', 'target', 'old_value', 'new_value', 'result', 'details'];
/** CSV as the server's /api/auditlogs.csv writes it: quoted where needed, no spreadsheet formulas. */
export function auditCsv(rows: AuditRow[]): string {
  const cell = (v: unknown) => {
    const s = v === null || v === undefined ? '' : String(v);
    const safe = /^[=+\-@]/.test(s) ? `'${s}` : s;
    return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
  };
  return [COLUMNS.join(','), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(','))].join('\r\n') + '\r\n';
}


/**
 * Blinking of unacknowledged symbols in diagrams: marks every element bound to a point (`data-point="<id>"`)
 * whose binding asks for it (`data-binding` containing `blink:alarm`, or no data-binding at all) with the class
 * `sy-alarm-blink` while the point has an unacknowledged alarm, and removes it afterwards. Returns how many
 * elements blink. The diagram engine calls it with the store's unacknowledged point ids.
 */
export function applyAlarmBlink(root: ParentNode, pointIds: ReadonlySet<number>): number {
  let n = 0;
  for (const el of Array.from(root.querySelectorAll<Element>('[data-point]'))) {
    const binding = el.getAttribute('data-binding');
    if (binding !== null && !/(^|\|)\s*blink:alarm\b/.test(binding)) continue;
    const on = pointIds.has(Number(el.getAttribute('data-point')));
    el.classList.toggle('sy-alarm-blink', on);
    if (on) n++;
  }
  return n;
}
