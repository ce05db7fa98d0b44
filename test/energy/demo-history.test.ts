/**
 * A fresh `serve --demo` imports the demo's month of energy history after it listens (demo/feature.ts): a screen
 * opened before it is in gets its answers (empty or partial, never an error), and once it is in the trend holds the
 * whole month, every 15 minutes, ending at the registers' start values so the live readings continue it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ApiServer } from '../support/server';
import { waitFor } from '../support/wait';

const STEP_MS = 15 * 60_000;
const DAYS = 31;
/** the registers' start values the history ends at (PlantModel, demo/history.ts) */
const ENDS: Record<string, number> = { 'Grid Import Energy': 125_000, 'PV Energy': 48_000 };

interface Trend {
  values: { utc_date_time: string; value: number; quality: string }[];
}

interface Audit {
  action: string;
  target: string;
  new_value: string;
}

describe('serve --demo, fresh: the demo history after listen', { timeout: 180_000 }, () => {
  let rt: ApiServer;
  const ids: Record<string, number> = {};
  let started = 0;
  beforeAll(async () => {
    started = Date.now();
    rt = await startServer('--demo');
  });
  afterAll(async () => rt?.stop());

  const trend = (id: number, until = Date.now()) =>
    rt.api<Trend>('GET', `/points/${id}/trend?startdatetime=${new Date(started - (DAYS + 1) * 86_400_000).toISOString()}&enddatetime=${new Date(until).toISOString()}&maxpoints=100000`);

  it('answers the screens before the history is in, then shows the whole month', async () => {
    // the screens' first requests, right after ready: the points, each energy point's month, the grid meter's days
    const points = await rt.api<{ id: number; name: string }[]>('GET', '/points');
    expect(points.status).toBe(200);
    for (const p of points.body) ids[p.name] = p.id;
    const grid = (await rt.api<{ id: number; name: string }[]>('GET', '/meters')).body.find((m) => m.name === 'Grid Meter')!;
    const days = await rt.api<{ values: unknown[] }>('GET', `/meters/${grid.id}/energy?startdatetime=${new Date(started - DAYS * 86_400_000).toISOString().slice(0, 19)}&enddatetime=${new Date(started).toISOString().slice(0, 19)}&periodtype=daily`);
    expect(days.status, JSON.stringify(days.body)).toBe(200);
    for (const name of Object.keys(ENDS)) {
      const early = await trend(ids[name]);
      expect(early.status, JSON.stringify(early.body)).toBe(200);
      expect(Array.isArray(early.body.values)).toBe(true);
    }

    // in: one audit entry per point, once the point's month is written
    const audits = await waitFor(
      async () => {
        const a = (await rt.api<Audit[]>('GET', '/auditlogs?action=history.import')).body;
        return a.length === 2 && a;
      },
      'the demo history imported',
      60_000,
      100,
    );
    for (const [name, end] of Object.entries(ENDS)) {
      const a = audits.find((x) => x.target === `points:${ids[name]}`)!;
      const r = JSON.parse(a.new_value) as { imported: number; replaced: number; first: string; last: string };
      const first = Date.parse(r.first);
      const last = Date.parse(r.last);
      expect(r).toMatchObject({ imported: DAYS * 96 + 1, replaced: 0 });
      expect(last - first).toBe(DAYS * 86_400_000);
      expect(last % STEP_MS).toBe(0);
      expect(last).toBeGreaterThan(started - STEP_MS);
      // the month as a screen reads it: every 15 minutes, rising (a counter), ending at the register's start value
      const month = (await trend(ids[name], last)).body.values.filter((v) => Date.parse(v.utc_date_time) >= first);
      expect(month).toHaveLength(DAYS * 96 + 1);
      month.forEach((v, i) => expect(Date.parse(v.utc_date_time), name).toBe(first + i * STEP_MS));
      for (let i = 1; i < month.length; i++) expect(month[i].value).toBeGreaterThanOrEqual(month[i - 1].value);
      expect(month[month.length - 1].value).toBe(end);
      expect(month[0].value).toBeLessThan(end);
    }
  });
});
