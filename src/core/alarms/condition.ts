/**
 * Alarm condition detection, pure: turns a stream of values into "the condition is present / gone" with a
 * deadband (hysteresis) and on/off delays, so a value that hovers around its limit does not chatter.
 *
 * - entering: HI when value > limit, LO when value < limit, STATE when value equals the alarm value,
 *   COMM when the quality is comm_fail;
 * - staying in (deadband): HI while value > limit - deadband, LO while value < limit + deadband;
 * - on-delay: the value must stay beyond the limit for on_delay before the condition activates;
 *   off-delay: it must stay back in range for off_delay before the condition clears.
 * Delays are judged on the time of each value and on tick(now), so a delay ends even without new values.
 */
import type { Quality } from '../values/bus';

export type ConditionKind = 'HIHI' | 'HI' | 'LO' | 'LOLO' | 'STATE' | 'COMM';

export interface ConditionConfig {
  kind: ConditionKind;
  /** HI/HIHI/LO/LOLO: the limit; STATE: the value that is abnormal; COMM: unused */
  limit: number;
  deadband: number;
  onDelayMs: number;
  offDelayMs: number;
}

export interface ConditionState {
  active: boolean;
  /** since when the input has disagreed with `active` (a pending change), or null */
  pendingSince: number | null;
}

export const INACTIVE: ConditionState = Object.freeze({ active: false, pendingSince: null });

/** Whether a sample says the condition is present; null when the sample cannot tell (no number, bad quality). */
export function sampleSays(cfg: ConditionConfig, active: boolean, value: number | string | null, quality: Quality): boolean | null {
  if (cfg.kind === 'COMM') return quality === 'comm_fail';
  // a lost device neither raises nor clears a process alarm: it keeps its state until good values return
  if (quality === 'comm_fail' || quality === 'bad' || quality === 'stale') return null;
  const v = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(v)) return null;
  switch (cfg.kind) {
    case 'HI':
    case 'HIHI':
      return active ? v > cfg.limit - cfg.deadband : v > cfg.limit;
    case 'LO':
    case 'LOLO':
      return active ? v < cfg.limit + cfg.deadband : v < cfg.limit;
    case 'STATE':
      return v === cfg.limit;
  }
}

/** Applies one sample at time `at`; returns the new state and whether the condition changed. */
export function applySample(
  cfg: ConditionConfig,
  s: ConditionState,
  value: number | string | null,
  quality: Quality,
  at: number,
): { state: ConditionState; changed: 'activate' | 'clear' | null } {
  const wanted = sampleSays(cfg, s.active, value, quality);
  if (wanted === null) return { state: s, changed: null };
  if (wanted === s.active) return { state: s.pendingSince === null ? s : { active: s.active, pendingSince: null }, changed: null };
  const since = s.pendingSince ?? at;
  return settle(cfg, { active: s.active, pendingSince: since }, at);
}

/** Lets time pass: a pending change whose delay is over takes effect. */
export function tick(cfg: ConditionConfig, s: ConditionState, now: number): { state: ConditionState; changed: 'activate' | 'clear' | null } {
  if (s.pendingSince === null) return { state: s, changed: null };
  return settle(cfg, s, now);
}

function settle(cfg: ConditionConfig, s: ConditionState, now: number): { state: ConditionState; changed: 'activate' | 'clear' | null } {
  const delay = s.active ? cfg.offDelayMs : cfg.onDelayMs;
  if (now - s.pendingSince! >= delay) {
    return { state: { active: !s.active, pendingSince: null }, changed: s.active ? 'clear' : 'activate' };
  }
  return { state: s, changed: null };
}
