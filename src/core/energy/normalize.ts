/**
 * Normalization: a cumulative register (an ENERGY_VALUE point) becomes hourly energy.
 *
 * The readings are turned into a monotonic accumulated series C (the sum of the rises so far): a rise counts; a
 * drop is a counter reset or a meter exchange, so that interval adds nothing (the rises before and after it
 * count); a drop that fits a wrap of the register's maximum (uint16/32/64) counts as the wrap. An hour's energy
 * is C at its end minus C at its start, C being interpolated linearly between the readings around each hour
 * boundary, so a rise is apportioned across the hours it spans. A boundary that falls in an interval longer than
 * the gap limit cannot be interpolated: the hours on either side are missing (no value, never 0).
 *
 * Cleaning marks, it never deletes: an hour outside the meter's [hourly_low_limit, hourly_high_limit], or touched
 * by an impossible jump (a rise above hourly_high_limit per hour of the interval), is emitted flagged.
 *
 * The same class serves the live path (one instance per point fed from the value bus, O(1) per reading) and
 * recomputation of a range from the historian's samples, so both give identical numbers.
 */

export const HOUR = 3_600_000;
export const FLAG_ESTIMATED = 1;
export const FLAG_FLAGGED = 2;

export interface MeterLimits {
  low: number;
  high: number;
  /** the register's range in engineering units (2^32 × ratio for a uint32), or null when it cannot wrap */
  wrap: number | null;
  /** an interval longer than this (ms) is a gap */
  gapMs: number;
}

export interface HourValue {
  /** UTC ms of the hour's start */
  hour: number;
  value: number;
  flags: number;
}

export const floorHour = (ts: number) => Math.floor(ts / HOUR) * HOUR;

export class Normalizer {
  private prevTs = Number.NaN;
  private prevV = 0;
  /** the accumulated rises up to prevTs */
  private c = 0;
  /** C at the start of the hour that is open (null: that boundary fell in a gap or before the first reading) */
  private startC: number | null = null;
  /** the open hour is touched by an impossible jump */
  private openJump = false;
  /** the open hour is touched by an interpolated gap */
  private openEstimate = false;

  /** with `estimate`, a gap is filled by linear interpolation and the hours it touches are marked estimated */
  constructor(
    private limits: MeterLimits,
    private readonly estimate = false,
  ) {}

  setLimits(limits: MeterLimits): void {
    this.limits = limits;
  }

  get lastTs(): number {
    return this.prevTs;
  }

  /** the rise between two consecutive readings: a reset adds nothing, a wrap counts what went round */
  rise(a: number, b: number): number {
    if (b >= a) return b - a;
    const w = this.limits.wrap;
    if (w !== null && a <= w) {
      const wrapped = w - a + b;
      // a wrap is a small step past the top; a big fall from the middle is a reset or an exchange
      if (wrapped >= 0 && wrapped < w / 2) return wrapped;
    }
    return 0;
  }

  /**
   * Feeds the next reading (in time order; readings at or before the last one are ignored) and calls `emit`
   * for every hour it completes.
   */
  push(ts: number, v: number, emit: (h: HourValue) => void): void {
    if (!Number.isFinite(v)) return;
    if (Number.isNaN(this.prevTs)) {
      this.prevTs = ts;
      this.prevV = v;
      this.startC = ts % HOUR === 0 ? 0 : null;
      return;
    }
    const dt = ts - this.prevTs;
    if (dt <= 0) return;
    const { low, high, gapMs } = this.limits;
    const rise = this.rise(this.prevV, v);
    const fill = dt > gapMs && this.estimate;
    const gap = dt > gapMs && !fill;
    const jump = !gap && rise > high * Math.max(1, dt / HOUR);
    if (jump) this.openJump = true;
    if (fill) this.openEstimate = true;
    // every hour boundary b with prevTs < b <= ts
    for (let b = floorHour(this.prevTs) + HOUR; b <= ts; b += HOUR) {
      // in a gap only a boundary met by the reading itself is known
      const cb = gap ? (b === ts ? this.c + rise : null) : this.c + (rise * (b - this.prevTs)) / dt;
      if (this.startC !== null && cb !== null) {
        const value = cb - this.startC;
        let flags = 0;
        if (this.openJump || value < low || value > high) flags |= FLAG_FLAGGED;
        if (this.openEstimate) flags |= FLAG_ESTIMATED;
        emit({ hour: b - HOUR, value, flags });
      }
      this.startC = cb;
      // the interval reaches into the next hour only when it ends after b
      this.openJump = jump && ts > b;
      this.openEstimate = fill && ts > b;
    }
    this.c += rise;
    this.prevTs = ts;
    this.prevV = v;
  }
}

/** Runs a whole series through a normalizer and answers the hours whose start lies in [from, to). */
export function normalizeSeries(samples: Iterable<{ ts: number; value: number }>, limits: MeterLimits, from = -Infinity, to = Infinity): HourValue[] {
  const n = new Normalizer(limits);
  const out: HourValue[] = [];
  const emit = (h: HourValue) => {
    if (h.hour >= from && h.hour < to) out.push(h);
  };
  for (const s of samples) n.push(s.ts, s.value, emit);
  return out;
}
