/**
 * The ISA-18.2 / IEC 62682 alarm state machine, pure: no clock, no store. Every function takes the current
 * alarm state and returns the next one plus the transition to record, or null when nothing changes.
 *
 * States (ISA-18.2 figure 5): NORM (normal), UNACK (active, unacknowledged), ACKED (active, acknowledged),
 * RTNUN (returned to normal, unacknowledged), and the three that hide an alarm from the operator:
 * SHLVD (shelved by an operator, with a duration and a reason), DSUPR (suppressed by design, e.g. while its
 * equipment is out of service) and OOSRV (out of service, taken out by maintenance). The condition
 * (active/cleared) and the acknowledgement keep being tracked while hidden, so an alarm that comes back
 * from shelving shows what is true now.
 */

export const PRIORITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Priority = (typeof PRIORITIES)[number];
export const priorityRank = (p: string | null | undefined): number => {
  const i = PRIORITIES.indexOf(p as Priority);
  return i < 0 ? PRIORITIES.length : i;
};

export type AlarmStateName = 'NORM' | 'UNACK' | 'ACKED' | 'RTNUN' | 'SHLVD' | 'DSUPR' | 'OOSRV';

export interface AlarmState {
  /** the alarm condition is present (after on-delay, deadband and off-delay) */
  active: boolean;
  acked: boolean;
  shelved: { until: number; reason: string; user: string } | null;
  suppressed: boolean;
  outOfService: boolean;
}

export type AlarmAction = 'activate' | 'clear' | 'ack' | 'shelve' | 'unshelve' | 'shelve_expired' | 'suppress' | 'unsuppress' | 'remove_from_service' | 'return_to_service';

export interface Transition {
  action: AlarmAction;
  from: AlarmStateName;
  to: AlarmStateName;
  /** epoch ms */
  at: number;
  user: string;
  comment: string | null;
}

export interface Step {
  next: AlarmState;
  transition: Transition;
}

export class AlarmTransitionError extends Error {
  constructor(
    public readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const SYSTEM_USER = 'system';
/** ISA-18.2 asks shelving to be time-limited: at most this long. */
export const MAX_SHELVE_MINUTES = 7 * 24 * 60;

export const NORMAL: AlarmState = Object.freeze({ active: false, acked: true, shelved: null, suppressed: false, outOfService: false });

export function stateName(s: AlarmState): AlarmStateName {
  if (s.outOfService) return 'OOSRV';
  if (s.suppressed) return 'DSUPR';
  if (s.shelved) return 'SHLVD';
  if (s.active) return s.acked ? 'ACKED' : 'UNACK';
  return s.acked ? 'NORM' : 'RTNUN';
}

/** Whether the operator sees it (banner, list, sound): not shelved, suppressed or out of service, and not normal. */
export function isAnnunciated(s: AlarmState): boolean {
  const n = stateName(s);
  return n === 'UNACK' || n === 'ACKED' || n === 'RTNUN';
}

const step = (from: AlarmState, next: AlarmState, action: AlarmAction, at: number, user: string, comment: string | null = null): Step => ({
  next,
  transition: { action, from: stateName(from), to: stateName(next), at, user, comment },
});

/** The condition appeared: a new occurrence needs a new acknowledgement (also while hidden). */
export function activate(s: AlarmState, at: number): Step | null {
  if (s.active) return null;
  return step(s, { ...s, active: true, acked: false }, 'activate', at, SYSTEM_USER);
}

/** The condition went away: ACKED -> NORM, UNACK -> RTNUN (still waiting for its acknowledgement). */
export function clear(s: AlarmState, at: number): Step | null {
  if (!s.active) return null;
  return step(s, { ...s, active: false }, 'clear', at, SYSTEM_USER);
}

/** Acknowledge: UNACK -> ACKED, RTNUN -> NORM. Acknowledging what needs none is an error the caller may ignore. */
export function acknowledge(s: AlarmState, at: number, user: string, comment: string | null = null): Step {
  if (s.acked) throw new AlarmTransitionError('API.ALARM_ALREADY_ACKNOWLEDGED', 'the alarm is already acknowledged');
  return step(s, { ...s, acked: true }, 'ack', at, user, comment);
}

export function shelve(s: AlarmState, at: number, user: string, minutes: number, reason: string): Step {
  if (!Number.isFinite(minutes) || minutes <= 0 || minutes > MAX_SHELVE_MINUTES) {
    throw new AlarmTransitionError('API.INVALID_MINUTES', `minutes must be a number above 0 and at most ${MAX_SHELVE_MINUTES}`);
  }
  if (typeof reason !== 'string' || reason.trim() === '') throw new AlarmTransitionError('API.INVALID_REASON', 'a shelving reason is required');
  if (s.outOfService) throw new AlarmTransitionError('API.ALARM_OUT_OF_SERVICE', 'an alarm out of service cannot be shelved');
  const shelved = { until: at + Math.round(minutes * 60_000), reason: reason.trim(), user };
  return step(s, { ...s, shelved }, 'shelve', at, user, shelved.reason);
}

export function unshelve(s: AlarmState, at: number, user: string): Step {
  if (!s.shelved) throw new AlarmTransitionError('API.ALARM_NOT_SHELVED', 'the alarm is not shelved');
  return step(s, { ...s, shelved: null }, 'unshelve', at, user);
}

/** Automatic un-shelving once the shelving time is over. */
export function expireShelve(s: AlarmState, now: number): Step | null {
  if (!s.shelved || s.shelved.until > now) return null;
  return step(s, { ...s, shelved: null }, 'shelve_expired', now, SYSTEM_USER);
}

/**
 * Suppression by design: on while the condition that makes the alarm meaningless holds (equipment off).
 * `releaseCleared`: leaving suppression with the condition gone returns to NORM instead of RTNUN; used for a
 * point's comm alarm suppressed while its data source was offline, whose loss the data source alarm annunciated.
 */
export function setSuppressed(s: AlarmState, at: number, suppressed: boolean, releaseCleared = false): Step | null {
  if (s.suppressed === suppressed) return null;
  const acked = !suppressed && releaseCleared && !s.active ? true : s.acked;
  return step(s, { ...s, suppressed, acked }, suppressed ? 'suppress' : 'unsuppress', at, SYSTEM_USER);
}

/** Out of service (maintenance). Returning to service leaves no stale acknowledgement behind. */
export function setOutOfService(s: AlarmState, at: number, user: string, outOfService: boolean, comment: string | null = null): Step | null {
  if (s.outOfService === outOfService) return null;
  const next: AlarmState = outOfService ? { ...s, outOfService: true, shelved: null } : { ...s, outOfService: false, acked: s.active ? s.acked : true };
  return step(s, next, outOfService ? 'remove_from_service' : 'return_to_service', at, user, comment);
}
