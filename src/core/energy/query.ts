/**
 * Reads: a subject's energy, cost and carbon per local period, by energy category and energy item, summed over
 * the meters the subject rolls up (see rollup.ts). Long ranges read the daily roll-ups, hourly periods and
 * zones other than the meter's read the hourly rows.
 */
import type { Db } from '../store/store';
import { EnergyQueryError, PERIOD_TYPES, type EnergyQuery, type EnergyResult, type EnergySeries } from './contract';
import { FLAG_ESTIMATED, FLAG_FLAGGED } from './normalize';
import type { EnergyPipeline } from './pipeline';
import { leafMeters, SUBJECT_TABLE } from './rollup';
import type { EnergyStorage } from './storage';
import { periodStart, periodsOf, type Zones } from './timezones';

/** the longest range a query may ask for: a year of hours, or ten years of longer periods */
export const MAX_HOURLY_MS = 366 * 86_400_000;
export const MAX_RANGE_MS = 3660 * 86_400_000;

interface Acc {
  id: number;
  name: string;
  unit: string;
  kgce: number;
  kgco2e: number;
  value: Float64Array;
  cost: Float64Array;
  costed: Uint32Array;
  known: Uint32Array;
  estimated: Uint32Array;
  flagged: Uint32Array;
  meterHours: Float64Array;
}

export function validateQuery(db: Db, q: EnergyQuery): void {
  const table = SUBJECT_TABLE[q.kind];
  if (!table) throw new EnergyQueryError('kind', `kind must be one of ${Object.keys(SUBJECT_TABLE).join(', ')}`);
  if (!Number.isSafeInteger(q.id) || q.id < 1 || !db.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(q.id)) {
    throw new EnergyQueryError('id', `${q.kind} ${q.id} does not exist`);
  }
  if (!PERIOD_TYPES.includes(q.periodType)) throw new EnergyQueryError('periodtype', `periodtype must be one of ${PERIOD_TYPES.join(', ')}`);
  if (!Number.isFinite(q.start)) throw new EnergyQueryError('startdatetime', 'startdatetime must be a date and time');
  if (!Number.isFinite(q.end)) throw new EnergyQueryError('enddatetime', 'enddatetime must be a date and time');
  if (q.end <= q.start) throw new EnergyQueryError('enddatetime', 'enddatetime must be after startdatetime');
  const max = q.periodType === 'hourly' ? MAX_HOURLY_MS : MAX_RANGE_MS;
  if (q.end - q.start > max) {
    throw new EnergyQueryError('enddatetime', `the range may span at most ${max / 86_400_000} days for ${q.periodType} periods`);
  }
  if (q.direction !== undefined && q.direction !== 'input' && q.direction !== 'output') throw new EnergyQueryError('direction', 'direction must be input or output');
}

export function runQuery(db: Db, storage: EnergyStorage, pipeline: EnergyPipeline, zones: Zones, q: EnergyQuery): EnergyResult {
  validateQuery(db, q);
  const zone = zones.of(q.kind, q.id);
  const periods = periodsOf(q.start, q.end, q.periodType, zone);
  const n = periods.length;
  const starts = periods.map((p) => p.start);
  const categories = new Map<number, Acc>();
  const items = new Map<number, Acc>();
  const catRows = new Map(
    (db.prepare('SELECT id, name, unit_of_measure, kgce, kgco2e FROM energy_categories').all() as { id: number; name: string; unit_of_measure: string; kgce: number; kgco2e: number }[]).map((c) => [c.id, c]),
  );
  const itemRows = new Map((db.prepare('SELECT id, name, energy_category_id FROM energy_items').all() as { id: number; name: string; energy_category_id: number }[]).map((i) => [i.id, i]));
  const acc = (map: Map<number, Acc>, id: number, name: string, catId: number): Acc => {
    let a = map.get(id);
    if (!a) {
      const c = catRows.get(catId);
      a = {
        id,
        name,
        unit: c?.unit_of_measure ?? '',
        kgce: c?.kgce ?? 0,
        kgco2e: c?.kgco2e ?? 0,
        value: new Float64Array(n),
        cost: new Float64Array(n),
        costed: new Uint32Array(n),
        known: new Uint32Array(n),
        estimated: new Uint32Array(n),
        flagged: new Uint32Array(n),
        meterHours: new Float64Array(n),
      };
      map.set(id, a);
    }
    return a;
  };
  // daily roll-ups serve periods of a day or longer when the days are the meter's days
  const dayAligned = q.periodType !== 'hourly' && periodStart(q.start, 'daily', zone) === q.start && periodStart(q.end, 'daily', zone) === q.end;
  // and monthly roll-ups serve months and years
  const monthAligned = (q.periodType === 'monthly' || q.periodType === 'yearly') && periodStart(q.start, 'monthly', zone) === q.start && periodStart(q.end, 'monthly', zone) === q.end;
  for (const leaf of leafMeters(db, q.kind, q.id, q.direction ?? 'input')) {
    const m = pipeline.meter(leaf.kind, leaf.id);
    if (!m) continue;
    const targets = [acc(categories, m.categoryId, catRows.get(m.categoryId)?.name ?? '', m.categoryId)];
    if (m.itemId !== null) targets.push(acc(items, m.itemId, itemRows.get(m.itemId)?.name ?? '', m.categoryId));
    for (const a of targets) for (let i = 0; i < n; i++) a.meterHours[i] += periods[i].hours;
    let p = 0;
    const slot = (t: number) => {
      while (p + 1 < n && starts[p + 1] <= t) p++;
      return p;
    };
    if (dayAligned && m.zone === zone) {
      const rows = monthAligned ? storage.rawMonths(m.kind, m.id, q.start, q.end) : storage.rawDays(m.kind, m.id, q.start, q.end);
      for (const [day, value, cost, known, estimated, flagged] of rows) {
        const i = slot(day);
        for (const a of targets) {
          if (value !== null) a.value[i] += value;
          if (cost !== null) {
            a.cost[i] += cost;
            a.costed[i]++;
          }
          a.known[i] += known;
          a.estimated[i] += estimated;
          a.flagged[i] += flagged;
        }
      }
    } else {
      for (const [hour, value, cost, flags] of storage.rawHours(m.kind, m.id, q.start, q.end)) {
        const i = slot(hour);
        for (const a of targets) {
          if (flags & FLAG_FLAGGED) {
            a.flagged[i]++;
            continue;
          }
          a.value[i] += value;
          a.known[i]++;
          if (flags & FLAG_ESTIMATED) a.estimated[i]++;
          if (cost !== null) {
            a.cost[i] += cost;
            a.costed[i]++;
          }
        }
      }
    }
  }
  const series = (a: Acc): EnergySeries => {
    const values = Array.from(a.value, (v, i) => (a.known[i] ? v : null));
    return {
      id: a.id,
      name: a.name,
      unit: a.unit,
      values,
      cost: values.map((v, i) => (v !== null && a.costed[i] ? a.cost[i] : null)),
      kgce: values.map((v) => (v === null ? null : v * a.kgce)),
      kgco2e: values.map((v) => (v === null ? null : v * a.kgco2e)),
      missingHours: Array.from(a.meterHours, (h, i) => Math.max(0, h - a.known[i] - a.flagged[i])),
      estimatedHours: Array.from(a.estimated),
      flaggedHours: Array.from(a.flagged),
    };
  };
  const byId = (x: Map<number, Acc>) => [...x.values()].sort((a, b) => a.id - b.id).map(series);
  return { timezone: zone, periods, categories: byId(categories), items: byId(items) };
}
