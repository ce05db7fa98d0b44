/**
 * A subject's clean hours (not flagged) summed by local time of day, in spans of constant UTC offset: what a
 * split by time-of-use period needs (the peak type of an hour is a function of its local time of day while the
 * offset and the tariff stay the same). SQLite does the summing, so a year of hours of fifty meters is never
 * brought into JavaScript row by row (runQuery's hourly path materialises every row; this answers at most
 * 24 sums per span, meter and series).
 */
import type { Db } from '../store/store';
import type { TimeOfDayQuery, TimeOfDaySeries, TimeOfDaySums } from './contract';
import type { EnergyPipeline } from './pipeline';
import { leafMeters } from './rollup';
import { validateQuery } from './query';
import type { Zones } from './timezones';
import { transitions, zoneOffset } from './zoneclock';

const DAY = 86_400_000;

type Stmt = { all: (...args: unknown[]) => unknown[] };
const statements = new WeakMap<Db, Stmt>();

export function runTimeOfDay(db: Db, pipeline: EnergyPipeline, zones: Zones, q: TimeOfDayQuery): TimeOfDaySums {
  // a bounded answer (at most 24 sums per span): the ten-year range of daily and longer periods applies
  validateQuery(db, { kind: q.kind, id: q.id, start: q.start, end: q.end, periodType: 'daily', direction: q.direction });
  const zone = zones.of(q.kind, q.id);
  const cuts = new Set<number>();
  for (const [at] of transitions(zone, q.start, q.end)) cuts.add(at);
  for (const c of q.cuts ?? []) if (c > q.start && c < q.end) cuts.add(c);
  const edges = [q.start, ...[...cuts].sort((a, b) => a - b), q.end];
  const spans = edges.slice(0, -1).map((start, k) => ({ start, end: edges[k + 1], offset: zoneOffset(zone, start) }));

  let st = statements.get(db);
  if (!st) {
    st = db
      .prepare(
        `SELECT (((hour + ?) % ${DAY}) + ${DAY}) % ${DAY} AS tod, TOTAL(value) AS value, TOTAL(cost) AS cost
         FROM energy_hourly WHERE kind = ? AND meter_id = ? AND hour >= ? AND hour < ? AND (flags & 2) = 0 GROUP BY tod`,
      )
      .raw() as unknown as Stmt;
    statements.set(db, st);
  }
  const categories = new Map<number, TimeOfDaySeries>();
  const items = new Map<number, TimeOfDaySeries>();
  const series = (map: Map<number, TimeOfDaySeries>, id: number) => {
    let s = map.get(id);
    if (!s) map.set(id, (s = { id, sums: spans.map(() => new Map()) }));
    return s;
  };
  for (const leaf of leafMeters(db, q.kind, q.id, q.direction ?? 'input')) {
    const m = pipeline.meter(leaf.kind, leaf.id);
    if (!m) continue;
    const targets = [series(categories, m.categoryId)];
    if (m.itemId !== null) targets.push(series(items, m.itemId));
    spans.forEach((span, k) => {
      for (const [tod, value, cost] of st.all(span.offset * 60_000, m.kind, m.id, span.start, span.end) as [number, number, number][]) {
        for (const s of targets) {
          const sum = s.sums[k].get(tod);
          if (sum) {
            sum.value += value;
            sum.cost += cost;
          } else s.sums[k].set(tod, { value, cost });
        }
      }
    });
  }
  const byId = (x: Map<number, TimeOfDaySeries>) => [...x.values()].sort((a, b) => a.id - b.id);
  return { timezone: zone, spans, categories: byId(categories), items: byId(items) };
}
