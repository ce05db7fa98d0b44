/** The alarm API's shapes (docs/alarms.md). */
export type Priority = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW';
export type AlarmStateName = 'NORM' | 'UNACK' | 'ACKED' | 'RTNUN' | 'SHLVD' | 'DSUPR' | 'OOSRV';

export interface Alarm {
  id: number;
  source: string;
  source_id: number;
  point_id: number | null;
  condition: string;
  name: string;
  message: string | null;
  priority: Priority;
  state: AlarmStateName;
  active: boolean;
  acknowledged: boolean;
  shelved: boolean;
  shelved_until: string | null;
  shelved_reason: string | null;
  shelved_by: string | null;
  suppressed: boolean;
  out_of_service: boolean;
  value: string | null;
  limit: number | null;
  activated_datetime: string | null;
  cleared_datetime: string | null;
  acknowledged_datetime: string | null;
  acknowledged_by: string | null;
  ack_comment: string | null;
  last_change_datetime: string;
}

export interface AlarmEvent {
  id: number;
  utc_date_time: string;
  action: string;
  from_state: string;
  to_state: string;
  user_name: string;
  comment: string | null;
  value: string | null;
}

export interface AlarmSummary {
  unacknowledged_alarms: number;
  highest_alarm_priority: Priority | null;
  newest_unacknowledged: Alarm | null;
}

export const PRIORITY_ORDER: Priority[] = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
export const priorityRank = (p: string | null | undefined) => {
  const i = PRIORITY_ORDER.indexOf(p as Priority);
  return i < 0 ? PRIORITY_ORDER.length : i;
};

export const STATE_TEXT: Record<AlarmStateName, string> = {
  NORM: 'Normal',
  UNACK: 'Active, unacknowledged',
  ACKED: 'Active, acknowledged',
  RTNUN: 'Cleared, unacknowledged',
  SHLVD: 'Shelved',
  DSUPR: 'Suppressed by design',
  OOSRV: 'Out of service',
};

/** Priority glyphs: shape as well as colour (ISA-101: never colour alone). */
export const PRIORITY_GLYPH: Record<Priority, string> = { CRITICAL: '◆', HIGH: '▲', MEDIUM: '■', LOW: '●' };

/** an edge site's alarm mirrored at the central server: raised and acknowledged at the site, read-only here */
export const isEdgeAlarm = (a: Pick<Alarm, 'source'>): boolean => a.source === 'site';
