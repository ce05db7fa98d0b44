/**
 * Energy counter marks for the consumption rules: for every ENERGY_VALUE point, the first and last reading
 * of each hour (table alarm_counter_marks). Consumption over a period is the sum of the increments inside
 * each hour and across consecutive hours; a counter that goes backwards (reset, rollover, meter swap)
 * contributes nothing for that step rather than a huge negative or positive figure.
 */
import type { Store } from '../store/store';
import type { ValueBatch } from '../values/bus';

export const HOUR_MS = 3_600_000;
export const hourStart = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;

interface Mark {
  hour: number;
  first: number;
  last: number;
}

export class CounterMarks {
  private energyPoints = new Set<number>();
  private current = new Map<number, Mark>();
  private dirty = new Set<number>();

  constructor(private readonly store: Store) {
    this.reload();
  }

  reload(): void {
    this.energyPoints = new Set((this.store.db.prepare("SELECT id FROM points WHERE object_type = 'ENERGY_VALUE'").all() as { id: number }[]).map((r) => r.id));
  }

  /** Whether these points (created, changed or deleted) are counters now. */
  reloadPoints(ids: readonly number[]): void {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const energy = new Set(
        (this.store.db.prepare(`SELECT id FROM points WHERE object_type = 'ENERGY_VALUE' AND id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as { id: number }[]).map((r) => r.id),
      );
      for (const id of chunk) {
        if (energy.has(id)) this.energyPoints.add(id);
        else this.energyPoints.delete(id);
      }
    }
  }

  /** Value bus listener: in memory only; flush() writes. */
  take(batch: ValueBatch): void {
    for (let i = 0; i < batch.length; i++) {
      const id = batch.id(i);
      if (!this.energyPoints.has(id) || batch.quality(i) !== 'good' || !batch.isNumber(i) || !Number.isFinite(batch.num(i))) continue;
      this.record(id, batch.num(i), batch.ts(i));
    }
  }

  record(pointId: number, value: number, ts: number): void {
    const h = hourStart(ts);
    const m = this.current.get(pointId);
    if (m && m.hour === h) m.last = value;
    else if (!m || h > m.hour) {
      if (m) this.write(pointId, m);
      this.current.set(pointId, { hour: h, first: value, last: value });
    } else return; // a late value for an hour already closed is ignored
    this.dirty.add(pointId);
  }

  flush(): void {
    if (this.dirty.size === 0) return;
    this.store.tx(() => {
      for (const id of this.dirty) this.write(id, this.current.get(id)!);
    });
    this.dirty.clear();
  }

  private write(pointId: number, m: Mark): void {
    this.store.db
      .prepare(
        'INSERT INTO alarm_counter_marks (point_id, hour_start, first_value, last_value) VALUES (?,?,?,?) ON CONFLICT(point_id, hour_start) DO UPDATE SET last_value = excluded.last_value',
      )
      .run(pointId, m.hour, m.first, m.last);
  }

  /** Consumption of one counter point over [from, to): null when there is no reading in the period. */
  consumption(pointId: number, from: number, to: number): number | null {
    this.flush();
    const rows = this.store.db
      .prepare('SELECT hour_start AS hour, first_value AS first, last_value AS last FROM alarm_counter_marks WHERE point_id = ? AND hour_start >= ? AND hour_start < ? ORDER BY hour_start')
      .all(pointId, hourStart(from), to) as Mark[];
    if (rows.length === 0) return null;
    let total = 0;
    rows.forEach((r, i) => {
      total += Math.max(0, r.last - r.first);
      const next = rows[i + 1];
      if (next && next.hour - r.hour === HOUR_MS) total += Math.max(0, next.first - r.last);
    });
    return total;
  }
}
