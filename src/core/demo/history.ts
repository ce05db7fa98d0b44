/**
 * A month of plausible history for the demo plant's energy meters, imported at first start through the same
 * path as a logger export (importHistory), so energy, cost and carbon have something to show from the first
 * minute. Readings every 15 minutes end at the registers' start values of the demo devices, so the live readings
 * continue the history without a jump. Imported once the server listens (demo/feature.ts): health and login do
 * not need it, and the energy pipeline turns it into hours, cost and roll-ups in the background as before; a
 * screen opened meanwhile shows the month without history (no error), then with it at its next load.
 */
import type { RuntimeContext } from '../feature';
import type { Historian } from '../historian/feature';
import { importHistory, seriesOf } from '../energy/history';

/** set once the history is in (the key predates the move from energy/: a store seeded before does not import again) */
const DONE_KEY = 'energy.demo_history';
const STEP_MS = 15 * 60_000;
const DAYS = 31;

/** the register value each demo energy point starts at (PlantModel) and its power profile in kW at a time */
const PROFILES: Record<string, { end: number; kw: (ts: number) => number }> = {
  'Grid Import Energy': { end: 125_000, kw: (ts) => Math.max(0, load(ts) - pv(ts)) },
  'PV Energy': { end: 48_000, kw: pv },
};

/** a deterministic wobble, so the same start gives the same history */
const wobble = (ts: number, seed: number) => 0.5 + 0.5 * Math.sin(ts / 5_400_000 + seed) * Math.sin(ts / 86_400_000 + seed * 3);

function hourOfDay(ts: number): number {
  // the demo campus is in Europe/Berlin; an hour's shift in summer does not matter for a plausible profile
  return ((ts / 3_600_000 + 1) % 24 + 24) % 24;
}

function load(ts: number): number {
  const h = hourOfDay(ts);
  const day = new Date(ts).getUTCDay();
  const working = day !== 0 && day !== 6;
  const occupied = working && h >= 7 && h < 19 ? 1 : 0;
  return 45 + occupied * 70 + 20 * wobble(ts, 1);
}

function pv(ts: number): number {
  const h = hourOfDay(ts);
  if (h < 6 || h > 20) return 0;
  const sun = Math.sin(((h - 6) / 14) * Math.PI);
  return 120 * sun * (0.35 + 0.65 * wobble(ts, 2));
}

/** samples written at a time (a day of one point): the event loop answers requests between two */
const SLICE = 96;

/**
 * Imports the history (once per store) a day of one point at a time, giving the event loop a turn after each, so a
 * request that comes in meanwhile is not held behind the whole month; one audit entry per point as before.
 */
export async function seedDemoHistory(ctx: RuntimeContext, historian: Historian, imported: (pointId: number, first: number, last: number) => void): Promise<void> {
  if (ctx.seed !== 'demo' || ctx.settings.get(DONE_KEY)) return;
  const end = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  const start = end - DAYS * 86_400_000;
  for (const [name, profile] of Object.entries(PROFILES)) {
    const id = ctx.store.db.prepare("SELECT id FROM points WHERE name = ? AND object_type = 'ENERGY_VALUE' ORDER BY id LIMIT 1").pluck().get(name) as number | undefined;
    if (id === undefined) continue;
    // integrate backwards from the register's start value
    const rows: { ts: number; value: number }[] = [];
    let v = profile.end;
    for (let ts = end; ts >= start; ts -= STEP_MS) {
      rows.push({ ts, value: Math.round(v * 1000) / 1000 });
      v -= (profile.kw(ts - STEP_MS / 2) * STEP_MS) / 3_600_000;
    }
    rows.reverse();
    let count = 0;
    let replaced = 0;
    for (let i = 0; i < rows.length; i += SLICE) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      const r = importHistory(historian, id, seriesOf(rows.slice(i, i + SLICE)), imported);
      count += r.imported;
      replaced += r.replaced;
    }
    const r = { point_id: id, imported: count, replaced, first: new Date(rows[0].ts).toISOString(), last: new Date(rows[rows.length - 1].ts).toISOString() };
    ctx.audit.record({ userId: null, userName: 'system', action: 'history.import', target: `points:${id}`, newValue: { ...r, reason: 'demo history' }, result: 'ok' });
  }
  ctx.settings.set(DONE_KEY, new Date().toISOString());
}
