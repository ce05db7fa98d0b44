/**
 * Energy plans: the planned energy of a subject (space, equipment, meter ...) per energy category over spans
 * of time (an hour, a day, a month: whatever the planner uploads), the source of the plan reports. MyEMS
 * keeps hourly plan values in a database of its own filled from uploaded files; here a span's value is kept
 * as uploaded and spread evenly over its hours when a report asks (so a monthly plan shows in a daily report
 * as its share of each day). Uploading a span replaces the stored spans of the same subject and category that
 * overlap it.
 */
import type { SubjectKind } from '../energy/contract';
import type { FeatureMigrations, Store } from '../store/store';

export const planMigrations: FeatureMigrations = {
  feature: 'energyplans',
  migrations: [
    {
      version: 1,
      name: 'energy plan values',
      up: (db) =>
        db.exec(`
          CREATE TABLE energy_plan_values (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            subject_kind TEXT NOT NULL,
            subject_id INTEGER NOT NULL,
            energy_category_id INTEGER NOT NULL,
            start_utc INTEGER NOT NULL,
            end_utc INTEGER NOT NULL,
            value REAL NOT NULL,
            start_local TEXT NOT NULL,
            end_local TEXT NOT NULL,
            uploaded_datetime_utc TEXT NOT NULL,
            CHECK (end_utc > start_utc));
          CREATE INDEX ix_energy_plan_values ON energy_plan_values(subject_kind, subject_id, energy_category_id, start_utc);`),
    },
  ],
};

export interface PlanSpan {
  start: number;
  end: number;
  value: number;
  startLocal: string;
  endLocal: string;
}

export interface PlanRow extends PlanSpan {
  id: number;
  energy_category_id: number;
}

const HOUR = 3_600_000;

export class PlanStore {
  constructor(private readonly store: Store) {}

  /** Stores spans for one subject and category, replacing the overlapping ones; one transaction. */
  put(kind: SubjectKind, id: number, categoryId: number, spans: PlanSpan[]): { replaced: number; stored: number } {
    const db = this.store.db;
    const del = db.prepare('DELETE FROM energy_plan_values WHERE subject_kind = ? AND subject_id = ? AND energy_category_id = ? AND start_utc < ? AND end_utc > ?');
    const ins = db.prepare('INSERT INTO energy_plan_values (subject_kind, subject_id, energy_category_id, start_utc, end_utc, value, start_local, end_local, uploaded_datetime_utc) VALUES (?,?,?,?,?,?,?,?,?)');
    const now = new Date().toISOString().slice(0, 19);
    return this.store.db.transaction(() => {
      let replaced = 0;
      for (const s of spans) replaced += del.run(kind, id, categoryId, s.end, s.start).changes;
      for (const s of spans) ins.run(kind, id, categoryId, s.start, s.end, s.value, s.startLocal, s.endLocal, now);
      return { replaced, stored: spans.length };
    })();
  }

  list(kind: SubjectKind, id: number, from = -Infinity, to = Infinity, categoryId?: number): PlanRow[] {
    const rows = this.store.db
      .prepare(
        `SELECT id, energy_category_id, start_utc AS start, end_utc AS "end", value, start_local AS startLocal, end_local AS endLocal FROM energy_plan_values
         WHERE subject_kind = ? AND subject_id = ? AND start_utc < ? AND end_utc > ? ${categoryId === undefined ? '' : 'AND energy_category_id = ?'} ORDER BY energy_category_id, start_utc`,
      )
      .all(kind, id, Number.isFinite(to) ? to : Number.MAX_SAFE_INTEGER, Number.isFinite(from) ? from : -Number.MAX_SAFE_INTEGER, ...(categoryId === undefined ? [] : [categoryId])) as PlanRow[];
    return rows;
  }

  remove(kind: SubjectKind, id: number, from: number, to: number, categoryId?: number): number {
    return this.store.db
      .prepare(`DELETE FROM energy_plan_values WHERE subject_kind = ? AND subject_id = ? AND start_utc >= ? AND end_utc <= ? ${categoryId === undefined ? '' : 'AND energy_category_id = ?'}`)
      .run(kind, id, from, to, ...(categoryId === undefined ? [] : [categoryId])).changes;
  }

  /** The categories with plan values in [from, to). */
  categories(kind: SubjectKind, id: number, from: number, to: number): number[] {
    return (this.store.db.prepare('SELECT DISTINCT energy_category_id AS c FROM energy_plan_values WHERE subject_kind = ? AND subject_id = ? AND start_utc < ? AND end_utc > ? ORDER BY c').all(kind, id, to, from) as { c: number }[]).map((r) => r.c);
  }

  /** The plan of each hour (by its UTC start): each span's value spread evenly over its duration; null where no span covers it. */
  hourly(kind: SubjectKind, id: number, categoryId: number, hourStarts: number[]): (number | null)[] {
    if (!hourStarts.length) return [];
    const spans = this.list(kind, id, hourStarts[0], hourStarts[hourStarts.length - 1] + HOUR, categoryId);
    // spans do not overlap (put replaces) and come in time order: skip those that ended before the hour
    let first = 0;
    return hourStarts.map((h) => {
      while (first < spans.length && spans[first].end <= h) first++;
      let v: number | null = null;
      for (let j = first; j < spans.length && spans[j].start < h + HOUR; j++) {
        const s = spans[j];
        const overlap = Math.min(h + HOUR, s.end) - Math.max(h, s.start);
        if (overlap > 0) v = (v ?? 0) + (s.value * overlap) / (s.end - s.start);
      }
      return v;
    });
  }
}
