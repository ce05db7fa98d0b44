/**
 * Point schedules (`controlschedules`): a value for a time of day in the site's zone (DST honoured), on every
 * day or only on a working calendar's working or non-working days. An active schedule is a request in the
 * schedule band (its own priority orders schedules on the same point); outside its period it is withdrawn.
 */
import type { Store } from '../store/store';
import { type Arbiter, PRIORITY } from './arbiter';
import { inPeriod, type LocalTime, localTime, nonWorkingDays, zoneOf } from './timeofday';

interface ScheduleRow {
  id: number;
  name: string;
  point_id: number;
  working_calendar_id: number | null;
  day_type: 'all' | 'working' | 'nonworking';
  start_time_of_day: string;
  end_time_of_day: string;
  value: number;
  priority: number | null;
  timezone_id: number | null;
}

interface Loaded extends ScheduleRow {
  zone: string;
  nonWorking: Set<string> | null;
}

export class PointSchedules {
  private rows: Loaded[] | null = null;

  constructor(
    private readonly store: Store,
    private readonly arbiter: Arbiter,
  ) {}

  invalidate(): void {
    this.rows = null;
  }

  private load(): Loaded[] {
    if (this.rows) return this.rows;
    const rows = this.store.db.prepare('SELECT * FROM control_schedules WHERE is_active = 1 ORDER BY id').all() as ScheduleRow[];
    this.rows = rows.map((r) => ({ ...r, zone: zoneOf(this.store, r.timezone_id), nonWorking: r.working_calendar_id !== null ? nonWorkingDays(this.store, r.working_calendar_id) : null }));
    return this.rows;
  }

  /** Whether a schedule applies at an instant (exported for the DST test through `activeAt`). */
  static applies(r: Pick<Loaded, 'zone' | 'nonWorking' | 'day_type' | 'start_time_of_day' | 'end_time_of_day'>, now: number, zones?: Map<string, LocalTime>): boolean {
    let t = zones?.get(r.zone);
    if (!t) {
      t = localTime(now, r.zone);
      zones?.set(r.zone, t);
    }
    if (r.day_type !== 'all') {
      const nonWorking = r.nonWorking?.has(t.date) ?? false;
      if ((r.day_type === 'working') === nonWorking) return false;
    }
    return inPeriod(t.seconds, r.start_time_of_day, r.end_time_of_day);
  }

  run(now: number): void {
    const keep = new Set<string>();
    const lease = now + Math.max(5000, this.arbiter.cycleMs * 3);
    const zones = new Map<string, LocalTime>();
    for (const r of this.load()) {
      if (!PointSchedules.applies(r, now, zones)) continue;
      const owner = `schedule:${r.id}`;
      keep.add(owner);
      this.arbiter.upsert({
        pointId: r.point_id,
        value: r.value,
        priority: PRIORITY.schedule + (r.priority ?? 0),
        source: 'schedule',
        owner,
        actor: { userId: null, name: `schedule ${r.name}` },
        reason: `schedule ${r.name} ${r.start_time_of_day}–${r.end_time_of_day} ${r.day_type === 'all' ? 'every day' : `${r.day_type} days`} (${r.zone})`,
        expires: lease,
      });
    }
    this.arbiter.withdrawExcept('schedule:', keep);
  }
}
