/**
 * Runs a report by its MyEMS path name for a principal: resolves and authorizes the subject, parses the
 * parameters in the subject's zone, builds the answer and (unless quickmode) its workbook.
 */
import { badRequest, forbidden, notFound } from '../api/errors';
import type { Principal } from '../auth/service';
import { EnergyQueryError, type EnergyService } from '../energy/contract';
import type { Store } from '../store/store';
import type { ValueBus } from '../values/bus';
import { catalog } from './catalog';
import { currencyOf, type BuildCtx } from './common';
import type { Built } from './doc';
import { buildWorkbook } from './excel';
import { buildDashboard } from './families/dashboard';
import { buildMeterRealtime } from './families/meter';
import { parseBool, parseLanguage, parsePeriodType, parseReportParams, parseSpan, str, type Query, type ReportParams } from './params';
import { buildEnergyFlow } from './families/flow';
import { authorize, requireEnergy, resolveAliased, resolveSubject } from './subjects';
import type { HistoryReader } from './parameters';
import { Downsampler, type SampleStorage } from '../historian/storage';
import { standalone } from './standalone';
import type { Access } from '../auth/access';

export interface ReportDeps {
  store: Store;
  services: Map<string, unknown>;
  values: ValueBus;
  /** object-level permission of entities outside the energy subjects (microgrids, storage ...) */
  access?: Access;
}

export interface ReportOutcome {
  built: Built;
  quickMode: boolean;
}

export const REPORT_NAMES = () => ['dashboard', 'meterrealtime', 'energyflowdiagram', ...catalog.keys(), ...standalone.keys()];

function energyOf(deps: ReportDeps): EnergyService {
  return requireEnergy<EnergyService>(deps.services);
}

/** Turns the pipeline's EnergyQueryError into a 400 naming the parameter. */
function guarded<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof EnergyQueryError) throw badRequest('API.INVALID_REPORT_PARAMETER', e.message, e.field);
    throw e;
  }
}

/** The historian's samples of a point for a report's `parameters`, downsampled; none without a historian. */
function historyOf(deps: ReportDeps): HistoryReader | undefined {
  const h = deps.services.get('historian') as { storage: SampleStorage; flush(): void } | undefined;
  if (!h) return undefined;
  let flushed = false;
  return (pointId, start, end, maxPoints) => {
    if (!flushed) {
      h.flush();
      flushed = true;
    }
    const bounds = h.storage.bounds(pointId, start, end);
    if (!bounds) return [];
    const d = new Downsampler(bounds.first, bounds.last, maxPoints);
    for (const s of h.storage.scan(pointId, start, end)) d.add(s);
    return d.result().samples.map((s) => ({ ts: s.ts, value: s.value }));
  };
}

/** a point's latest value as stored (after a restart the value bus is empty until the next read) */
function storedLatest(deps: ReportDeps, pointId: number) {
  const h = deps.services.get('historian') as { storage: SampleStorage } | undefined;
  return h?.storage.latest(pointId);
}

function installationZone(deps: ReportDeps, energy: EnergyService): string {
  const first = deps.store.db.prepare('SELECT id FROM spaces ORDER BY parent_space_id IS NOT NULL, id LIMIT 1').get() as { id: number } | undefined;
  return first ? energy.timezoneOf('spaces', first.id) : 'UTC';
}

function dashboard(deps: ReportDeps, p: Principal, q: Query): Built {
  const energy = energyOf(deps);
  const useruuid = str(q, 'useruuid');
  if (useruuid !== undefined) {
    const u = deps.store.db.prepare('SELECT id FROM users WHERE uuid = ?').get(useruuid) as { id: number } | undefined;
    if (!u) throw badRequest('API.INVALID_USER_UUID', 'useruuid names no user', 'useruuid');
    if (u.id !== p.userId && !p.isAdmin) throw forbidden('API.FORBIDDEN', 'only an administrator may read another user\'s dashboard');
  }
  let ids: number[];
  if (p.spaces === null) {
    ids = (deps.store.db.prepare('SELECT id FROM spaces WHERE parent_space_id IS NULL ORDER BY id').all() as { id: number }[]).map((r) => r.id);
    // an administrator's dashboard is MyEMS's root space (id 1): its child spaces, when it is the one top-level space
    if (ids.length === 1) {
      const children = (deps.store.db.prepare('SELECT id FROM spaces WHERE parent_space_id = ? ORDER BY id').all(ids[0]) as { id: number }[]).map((r) => r.id);
      if (children.length) ids = children;
    }
  } else {
    // the privilege's spaces, without those already below another listed one (no double counting)
    const listed = new Set(p.spaces);
    const parentOf = new Map((deps.store.db.prepare('SELECT id, parent_space_id FROM spaces').all() as { id: number; parent_space_id: number | null }[]).map((r) => [r.id, r.parent_space_id]));
    ids = p.spaces.filter((id) => {
      if (!parentOf.has(id)) return false;
      for (let x = parentOf.get(id) ?? null, hops = 0; x !== null && hops < 10_000; x = parentOf.get(x) ?? null, hops++) if (listed.has(x)) return false;
      return true;
    });
  }
  const spaces = ids.map((id) => deps.store.db.prepare('SELECT id, name, area, cost_center_id FROM spaces WHERE id = ?').get(id) as { id: number; name: string; area: number; cost_center_id: number | null });
  const zone = spaces.length ? energy.timezoneOf('spaces', spaces[0].id) : installationZone(deps, energy);
  const params = parseReportParams(q, zone);
  const user = deps.store.db.prepare('SELECT id, name FROM users WHERE id = ?').get(p.userId) as { id: number; name: string };
  return guarded(() => buildDashboard({ store: deps.store, energy, params, spaces, currency: currencyOf(deps.store, spaces[0]?.cost_center_id ?? null), user }));
}

/** Builds the named report (JSON + document), checking privileges and parameters. */
export function runReport(deps: ReportDeps, p: Principal, name: string, q: Query, now = Date.now()): ReportOutcome {
  if (name === 'dashboard') {
    const quick = parseBool(q, 'quickmode');
    return { built: dashboard(deps, p, q), quickMode: quick };
  }
  if (name === 'energyflowdiagram') {
    const quick = parseBool(q, 'quickmode');
    return { built: guarded(() => buildEnergyFlow(deps.store, energyOf(deps), p, q)), quickMode: quick };
  }
  const own = standalone.get(name);
  if (own) return guarded(() => own(deps, p, q, now));
  const entry = name === 'meterrealtime' ? { kind: 'meters' as const, fixedPeriodType: 'hourly' as const, noBase: true, realtime: true } : catalog.get(name);
  if (!entry) throw notFound('API.REPORT_NOT_FOUND', `no report named ${name}`);
  const energy = energyOf(deps);
  const subject = 'alias' in entry && entry.alias ? resolveAliased(deps.store, q, entry.kind, entry.alias) : resolveSubject(deps.store, q, entry.kind);
  authorize(deps.store, p, entry.kind, subject.id);
  const zone = energy.timezoneOf(entry.kind, subject.id);
  let params: ReportParams;
  if ('realtime' in entry) {
    params = { periodType: 'hourly', base: null, reporting: { start: now, end: now + 1, startLocal: '', endLocal: '' }, quickMode: parseBool(q, 'quickmode'), language: parseLanguage(q), zone };
  } else if (entry.fixedPeriodType) {
    const periodType = entry.fixedPeriodType === 'monthly' ? parsePeriodType(q, false, 'monthly') : entry.fixedPeriodType;
    const reporting = parseSpan(q, 'reporting', zone, periodType, true)!;
    params = { periodType, base: null, reporting, quickMode: parseBool(q, 'quickmode'), language: parseLanguage(q), zone };
  } else {
    params = parseReportParams(q, zone);
    if (entry.noBase) params.base = null;
  }
  const ctx: BuildCtx = { store: deps.store, energy, subject, params, currency: currencyOf(deps.store, subject.row.cost_center_id), principal: p, query: q, history: historyOf(deps) };
  const built = guarded(() => ('realtime' in entry ? buildMeterRealtime(ctx, (id) => deps.values.latest(id) ?? storedLatest(deps, id), now) : (entry as { build: (c: BuildCtx) => Built }).build(ctx)));
  return { built, quickMode: params.quickMode };
}

/** The answer with excel_bytes_base64 unless quickmode. */
export async function reportJson(o: ReportOutcome): Promise<Record<string, unknown>> {
  if (o.quickMode) return o.built.json;
  return { ...o.built.json, excel_bytes_base64: (await buildWorkbook(o.built.doc)).toString('base64') };
}

