/**
 * The energy tables. `energy_hourly` holds one row per meter (of each kind) and UTC hour that has a value:
 * measured, estimated (flag 1) or flagged by cleaning (flag 2, kept but excluded from totals); an hour without a
 * row is missing. `energy_daily` rolls those rows up per local day of the meter's zone (what long reports read).
 * Cost is stored with the hour (the tariff that applied then); kgce and kgCO2e are the category's factors at
 * read time.
 */
import { runMany } from '../store/batch';
import type { Db, FeatureMigrations, Store } from '../store/store';
import { FLAG_ESTIMATED, FLAG_FLAGGED, type HourValue } from './normalize';

export const METER_KIND = { meters: 0, offlinemeters: 1, virtualmeters: 2 } as const;
export type MeterKind = (typeof METER_KIND)[keyof typeof METER_KIND];

export const energyMigrations: FeatureMigrations = {
  feature: 'energy',
  migrations: [
    {
      version: 1,
      name: 'hourly and daily energy, estimates',
      up: (db: Db) =>
        db.exec(`CREATE TABLE energy_hourly (
            kind INTEGER NOT NULL,
            meter_id INTEGER NOT NULL,
            hour INTEGER NOT NULL,
            value REAL NOT NULL,
            cost REAL,
            flags INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (kind, meter_id, hour)) WITHOUT ROWID;
          CREATE TABLE energy_daily (
            kind INTEGER NOT NULL,
            meter_id INTEGER NOT NULL,
            day INTEGER NOT NULL,
            value REAL,
            cost REAL,
            known INTEGER NOT NULL,
            estimated INTEGER NOT NULL,
            flagged INTEGER NOT NULL,
            PRIMARY KEY (kind, meter_id, day)) WITHOUT ROWID;
          CREATE TABLE energy_estimates (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind INTEGER NOT NULL,
            meter_id INTEGER NOT NULL,
            start_hour INTEGER NOT NULL,
            end_hour INTEGER NOT NULL,
            hours INTEGER NOT NULL,
            created_at TEXT NOT NULL,
            user_name TEXT NOT NULL,
            undone_at TEXT);`),
    },
    {
      version: 2,
      name: 'monthly roll-ups',
      up: (db: Db) =>
        db.exec(`CREATE TABLE energy_monthly (
            kind INTEGER NOT NULL,
            meter_id INTEGER NOT NULL,
            month INTEGER NOT NULL,
            value REAL,
            cost REAL,
            known INTEGER NOT NULL,
            estimated INTEGER NOT NULL,
            flagged INTEGER NOT NULL,
            PRIMARY KEY (kind, meter_id, month)) WITHOUT ROWID;`),
    },
    {
      // stores written before version 2 have daily roll-ups and no monthly ones (and later writes added only the
      // months they touched): every meter with days is listed, and the pipeline rebuilds its months from its days
      // in the background after the start (it needs the meter's zone, which a migration does not know)
      version: 3,
      name: 'monthly roll-ups rebuilt from the daily ones',
      up: (db: Db) =>
        db.exec(`CREATE TABLE energy_month_rebuilds (
            kind INTEGER NOT NULL,
            meter_id INTEGER NOT NULL,
            PRIMARY KEY (kind, meter_id)) WITHOUT ROWID;
          INSERT INTO energy_month_rebuilds (kind, meter_id) SELECT DISTINCT kind, meter_id FROM energy_daily;`),
    },
  ],
};

export interface HourRow {
  hour: number;
  value: number;
  cost: number | null;
  flags: number;
}

export interface DayRow {
  day: number;
  value: number | null;
  cost: number | null;
  known: number;
  estimated: number;
  flagged: number;
}

export class EnergyStorage {
  readonly db: Db;
  private readonly sql;

  constructor(store: Store) {
    const db = (this.db = store.db);
    this.sql = {
      upsert: db.prepare(
        'INSERT INTO energy_hourly (kind, meter_id, hour, value, cost, flags) VALUES (?, ?, ?, ?, NULL, ?) ON CONFLICT(kind, meter_id, hour) DO UPDATE SET value = excluded.value, flags = excluded.flags, cost = NULL',
      ),
      // a recomputation replaces measured and flagged rows; estimates stay until undone or measured
      clearMeasured: db.prepare('DELETE FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ? AND (flags & 1) = 0'),
      clearAll: db.prepare('DELETE FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ?'),
      range: db.prepare('SELECT hour, value, cost, flags FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ? ORDER BY hour').raw(),
      setCost: db.prepare('UPDATE energy_hourly SET cost = ? WHERE kind = ? AND meter_id = ? AND hour = ?'),
      sumClean: db.prepare('SELECT TOTAL(value) FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ? AND (flags & 2) = 0').pluck(),
      bounds: db.prepare('SELECT MIN(hour) AS first, MAX(hour) AS last FROM energy_hourly WHERE kind = ? AND meter_id = ?'),
      dayAgg: db.prepare(
        `SELECT TOTAL(CASE WHEN (flags & 2) = 0 THEN value END) AS value, TOTAL(CASE WHEN (flags & 2) = 0 THEN cost END) AS cost, COUNT(cost) AS costed,
            SUM((flags & 2) = 0) AS known, SUM((flags & 1) = 1 AND (flags & 2) = 0) AS estimated, SUM((flags & 2) = 2) AS flagged
         FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ?`,
      ),
      dayPut: db.prepare('INSERT OR REPLACE INTO energy_daily (kind, meter_id, day, value, cost, known, estimated, flagged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      dayDel: db.prepare('DELETE FROM energy_daily WHERE kind = ? AND meter_id = ? AND day = ?'),
      monthAgg: db.prepare(
        `SELECT TOTAL(value) AS value, TOTAL(cost) AS cost, COUNT(cost) AS costed, COUNT(value) AS valued, TOTAL(known) AS known, TOTAL(estimated) AS estimated, TOTAL(flagged) AS flagged, COUNT(*) AS n
         FROM energy_daily WHERE kind = ? AND meter_id = ? AND day >= ? AND day < ?`,
      ),
      monthPut: db.prepare('INSERT OR REPLACE INTO energy_monthly (kind, meter_id, month, value, cost, known, estimated, flagged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      monthDel: db.prepare('DELETE FROM energy_monthly WHERE kind = ? AND meter_id = ? AND month = ?'),
      months: db.prepare('SELECT month, value, cost, known, estimated, flagged FROM energy_monthly WHERE kind = ? AND meter_id = ? AND month >= ? AND month < ? ORDER BY month').raw(),
      forgetMonths: db.prepare('DELETE FROM energy_monthly WHERE kind = ? AND meter_id = ?'),
      days: db.prepare('SELECT day, value, cost, known, estimated, flagged FROM energy_daily WHERE kind = ? AND meter_id = ? AND day >= ? AND day < ? ORDER BY day').raw(),
      dropEstimates: db.prepare('DELETE FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ? AND (flags & 1) = 1'),
      forget: db.prepare('DELETE FROM energy_hourly WHERE kind = ? AND meter_id = ?'),
      forgetDays: db.prepare('DELETE FROM energy_daily WHERE kind = ? AND meter_id = ?'),
    };
  }

  /** writes computed hours (a measured value replaces an estimate) */
  put(kind: MeterKind, meterId: number, hours: readonly HourValue[]): void {
    runMany(
      this.sql.upsert,
      hours.map((h) => [kind, meterId, h.hour, h.value, h.flags]),
    );
  }

  /** the result of recomputing [from, to): measured rows there are replaced by `hours` */
  replace(kind: MeterKind, meterId: number, from: number, to: number, hours: readonly HourValue[], keepEstimates = true): void {
    (keepEstimates ? this.sql.clearMeasured : this.sql.clearAll).run(kind, meterId, from, to);
    this.put(kind, meterId, hours);
  }

  hours(kind: MeterKind, meterId: number, from: number, to: number): HourRow[] {
    return (this.sql.range.all(kind, meterId, from, to) as [number, number, number | null, number][]).map(([hour, value, cost, flags]) => ({ hour, value, cost, flags }));
  }

  /** raw rows [hour, value, cost, flags] (the query's hot path) */
  rawHours(kind: MeterKind, meterId: number, from: number, to: number): [number, number, number | null, number][] {
    return this.sql.range.all(kind, meterId, from, to) as [number, number, number | null, number][];
  }

  rawDays(kind: MeterKind, meterId: number, from: number, to: number): [number, number | null, number | null, number, number, number][] {
    return this.sql.days.all(kind, meterId, from, to) as [number, number | null, number | null, number, number, number][];
  }

  rawMonths(kind: MeterKind, meterId: number, from: number, to: number): [number, number | null, number | null, number, number, number][] {
    return this.sql.months.all(kind, meterId, from, to) as [number, number | null, number | null, number, number, number][];
  }

  /** writes (or, with nothing known or flagged, removes) a day's roll-up */
  putDay(kind: MeterKind, meterId: number, d: DayRow): void {
    if (!d.known && !d.flagged) this.sql.dayDel.run(kind, meterId, d.day);
    else this.sql.dayPut.run(kind, meterId, d.day, d.known ? d.value : null, d.cost, d.known, d.estimated, d.flagged);
  }

  /** drops the meter's day and month roll-ups in [from, to) (before they are rebuilt: a changed zone moves their keys) */
  clearRollups(kind: MeterKind, meterId: number, from = -8.64e15, to = 8.64e15): void {
    this.db.prepare('DELETE FROM energy_daily WHERE kind = ? AND meter_id = ? AND day >= ? AND day < ?').run(kind, meterId, from, to);
    this.db.prepare('DELETE FROM energy_monthly WHERE kind = ? AND meter_id = ? AND month >= ? AND month < ?').run(kind, meterId, from, to);
  }

  /** rebuilds the monthly roll-up of the local month [month, next) from its days */
  rollMonth(kind: MeterKind, meterId: number, month: number, next: number): void {
    const a = this.sql.monthAgg.get(kind, meterId, month, next) as { value: number; cost: number; costed: number; valued: number; known: number; estimated: number; flagged: number; n: number };
    if (!a.n) this.sql.monthDel.run(kind, meterId, month);
    else this.sql.monthPut.run(kind, meterId, month, a.valued ? a.value : null, a.costed ? a.cost : null, a.known, a.estimated, a.flagged);
  }

  /** the meters whose monthly roll-ups are still to be rebuilt from their days (migration 3) */
  monthRebuilds(): { kind: MeterKind; meter_id: number }[] {
    return this.db.prepare('SELECT kind, meter_id FROM energy_month_rebuilds ORDER BY kind, meter_id').all() as { kind: MeterKind; meter_id: number }[];
  }

  monthsRebuilt(kind: MeterKind, meterId: number): void {
    this.db.prepare('DELETE FROM energy_month_rebuilds WHERE kind = ? AND meter_id = ?').run(kind, meterId);
  }

  /** the first and last local day with a daily roll-up */
  dayBounds(kind: MeterKind, meterId: number): { first: number; last: number } | null {
    const r = this.db.prepare('SELECT MIN(day) AS first, MAX(day) AS last FROM energy_daily WHERE kind = ? AND meter_id = ?').get(kind, meterId) as { first: number | null; last: number | null };
    return r.first === null ? null : { first: r.first, last: r.last! };
  }

  setCost(kind: MeterKind, meterId: number, hour: number, cost: number | null): void {
    this.sql.setCost.run(cost, kind, meterId, hour);
  }

  /** energy of the clean (not flagged) hours in [from, to) */
  sumClean(kind: MeterKind, meterId: number, from: number, to: number): number {
    return this.sql.sumClean.get(kind, meterId, from, to) as number;
  }

  bounds(kind: MeterKind, meterId: number): { first: number; last: number } | null {
    const r = this.sql.bounds.get(kind, meterId) as { first: number | null; last: number | null };
    return r.first === null ? null : { first: r.first, last: r.last! };
  }

  /** rebuilds the daily roll-up of the local day [day, next) */
  rollDay(kind: MeterKind, meterId: number, day: number, next: number): void {
    const a = this.sql.dayAgg.get(kind, meterId, day, next) as { value: number; cost: number; costed: number; known: number | null; estimated: number | null; flagged: number | null };
    if (!a.known && !a.flagged) {
      this.sql.dayDel.run(kind, meterId, day);
      return;
    }
    this.sql.dayPut.run(kind, meterId, day, a.known ? a.value : null, a.costed ? a.cost : null, a.known ?? 0, a.estimated ?? 0, a.flagged ?? 0);
  }

  /** removes the estimated hours in [from, to); answers how many */
  dropEstimates(kind: MeterKind, meterId: number, from: number, to: number): number {
    return this.sql.dropEstimates.run(kind, meterId, from, to).changes;
  }

  forget(kind: MeterKind, meterId: number): void {
    this.monthsRebuilt(kind, meterId);
    this.sql.forget.run(kind, meterId);
    this.sql.forgetDays.run(kind, meterId);
    this.sql.forgetMonths.run(kind, meterId);
  }
}

export const isFlagged = (flags: number) => (flags & FLAG_FLAGGED) !== 0;
export const isEstimated = (flags: number) => (flags & FLAG_ESTIMATED) !== 0;
