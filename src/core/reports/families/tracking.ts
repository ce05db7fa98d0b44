/**
 * Meter tracking (MyEMS metertracking): for every meter of a space and its sub-spaces (optionally of one energy
 * category), the register reading at the start and at the end of the reporting period and their difference,
 * with how many meters had a reading at each end. A reading is the meter's last ENERGY_VALUE sample in the 15
 * minutes up to the instant, read through the historian (the cumulative register is what is tracked here, not
 * the pipeline's hourly energy).
 */
import { badRequest, notFound } from '../../api/errors';
import type { Principal } from '../../auth/service';
import type { EnergyService } from '../../energy/contract';
import type { SampleStorage } from '../../historian/storage';
import { allowedSpaces } from '../../model/routes';
import type { Built } from '../doc';
import { parseBool, parseLanguage, str, type Query } from '../params';
import { authorize, requireEnergy, resolveSubject } from '../subjects';
import { localString, parseLocal } from '../time';
import type { StandaloneDeps } from '../standalone';

const WINDOW_MS = 15 * 60_000;

/** the last sample value of any of the points in [at - 15 min, at] */
function reading(storage: SampleStorage, points: number[], at: number): number | null {
  let best: { ts: number; value: number } | null = null;
  for (const p of points) {
    const b = storage.bounds(p, at - WINDOW_MS, at);
    if (!b) continue;
    for (const s of storage.scan(p, b.last, b.last)) {
      if (typeof s.value === 'number' && (!best || s.ts > best.ts)) best = { ts: s.ts, value: s.value };
    }
  }
  return best ? best.value : null;
}

export function buildMeterTracking(deps: StandaloneDeps, p: Principal, q: Query): { built: Built; quickMode: boolean } {
  const space = resolveSubject(deps.store, q, 'spaces');
  authorize(deps.store, p, 'spaces', space.id);
  const energy = requireEnergy<EnergyService>(deps.services);
  const zone = energy.timezoneOf('spaces', space.id);
  const cat = str(q, 'energyCategory') ?? str(q, 'energycategory');
  if (cat === undefined) throw badRequest('API.INVALID_ENERGY_CATEGORY_ID', 'energyCategory is required: an energy category id or all', 'energyCategory');
  let category = null as { id: number; name: string } | null;
  if (cat !== 'all') {
    if (!/^\d+$/.test(cat) || Number(cat) <= 0) throw badRequest('API.INVALID_ENERGY_CATEGORY_ID', 'energyCategory must be an energy category id or all', 'energyCategory');
    category = (deps.store.db.prepare('SELECT id, name FROM energy_categories WHERE id = ?').get(Number(cat)) as { id: number; name: string } | undefined) ?? null;
    if (!category) throw notFound('API.ENERGY_CATEGORY_NOT_FOUND', `energy category ${cat} not found`);
  }
  const instant = (name: string) => {
    const v = str(q, name);
    const code = name === 'reportingperiodstartdatetime' ? 'API.INVALID_REPORTING_PERIOD_START_DATETIME' : 'API.INVALID_REPORTING_PERIOD_END_DATETIME';
    if (v === undefined) throw badRequest(code, `${name} is required, e.g. 2024-01-01T00:00:00 (local time of the space)`, name);
    const ms = parseLocal(v, zone);
    if (ms === null) throw badRequest(code, `${name} must be a date-time like 2024-01-01T00:00:00`, name);
    return ms;
  };
  const start = instant('reportingperiodstartdatetime');
  const end = instant('reportingperiodenddatetime');
  if (end <= start + WINDOW_MS) throw badRequest('API.INVALID_REPORTING_PERIOD_END_DATETIME', 'the reporting period must be longer than 15 minutes', 'reportingperiodenddatetime');
  const quickMode = parseBool(q, 'quickmode');
  parseLanguage(q);

  const historian = deps.services.get('historian') as { storage: SampleStorage } | undefined;
  const spaces = [...allowedSpaces(deps.store, [space.id])];
  const meters = deps.store.db
    .prepare(
      `SELECT DISTINCT m.id, m.name AS meter_name, m.uuid AS meter_uuid, m.description, s.name AS space_name, cc.name AS cost_center_name, ec.name AS energy_category_name
       FROM rel_spaces_meters sm JOIN meters m ON m.id = sm.target_id JOIN spaces s ON s.id = sm.owner_id
       LEFT JOIN cost_centers cc ON cc.id = m.cost_center_id LEFT JOIN energy_categories ec ON ec.id = m.energy_category_id
       WHERE sm.owner_id IN (${spaces.map(() => '?').join(',')}) ${category ? 'AND m.energy_category_id = ?' : ''} ORDER BY m.id`,
    )
    .all(...spaces, ...(category ? [category.id] : [])) as Record<string, unknown>[];
  const pointsOf = deps.store.db.prepare("SELECT p.id FROM rel_meters_points l JOIN points p ON p.id = l.target_id WHERE l.owner_id = ? AND p.object_type = 'ENERGY_VALUE' ORDER BY p.id");
  let startCount = 0;
  let endCount = 0;
  let fullCount = 0;
  const list = meters.map((m) => {
    const points = (pointsOf.all(m.id) as { id: number }[]).map((r) => r.id);
    const sv = historian ? reading(historian.storage, points, start) : null;
    const ev = historian ? reading(historian.storage, points, end) : null;
    if (sv !== null) startCount++;
    if (ev !== null) endCount++;
    if (sv !== null && ev !== null) fullCount++;
    return { id: m.id, meter_name: m.meter_name, space_name: m.space_name, cost_center_name: m.cost_center_name ?? null, energy_category_name: m.energy_category_name ?? null, description: m.description ?? null, start_value: sv, end_value: ev, difference_value: sv !== null && ev !== null ? ev - sv : null, meter_uuid: m.meter_uuid };
  });
  const n = list.length;
  const json = {
    meters: list,
    start_integrity_rate: n ? startCount / n : null,
    end_integrity_rate: n ? endCount / n : null,
    full_integrity_rate: n ? fullCount / n : null,
  };
  const sLocal = localString(start, zone);
  const eLocal = localString(end, zone);
  return {
    quickMode,
    built: {
      json,
      doc: {
        title: 'Meter Tracking',
        subjectLabel: 'Space',
        subjectName: String(space.row.name),
        periodType: null,
        reporting: { start: sLocal, end: eLocal },
        base: null,
        timezone: zone,
        figures: [
          { label: 'Start integrity rate', unit: '%', value: json.start_integrity_rate === null ? null : json.start_integrity_rate * 100 },
          { label: 'End integrity rate', unit: '%', value: json.end_integrity_rate === null ? null : json.end_integrity_rate * 100 },
          { label: 'Full integrity rate', unit: '%', value: json.full_integrity_rate === null ? null : json.full_integrity_rate * 100 },
        ],
        charts: [],
        tables: [
          {
            title: `Meters${category ? ` (${category.name})` : ''}`,
            columns: ['Meter', 'Space', 'Cost center', 'Energy category', 'Start value', 'End value', 'Difference'],
            rows: list.map((m) => [String(m.meter_name), String(m.space_name), m.cost_center_name as string | null, m.energy_category_name as string | null, m.start_value, m.end_value, m.difference_value]),
          },
        ],
        notes: ['A reading is the last register sample in the 15 minutes up to the instant; meters of the space and its sub-spaces.'],
      },
    },
  };
}

/** Equipment tracking (MyEMS equipmenttracking): the equipment bound to a space and its sub-spaces. */
export function buildEquipmentTracking(deps: StandaloneDeps, p: Principal, q: Query): { built: Built; quickMode: boolean } {
  const space = resolveSubject(deps.store, q, 'spaces');
  authorize(deps.store, p, 'spaces', space.id);
  const quickMode = parseBool(q, 'quickmode');
  parseLanguage(q);
  const spaces = [...allowedSpaces(deps.store, [space.id])];
  const list = deps.store.db
    .prepare(
      `SELECT DISTINCT e.id, e.name AS equipment_name, e.uuid AS equipment_uuid, s.name AS space_name, cc.name AS cost_center_name, e.description
       FROM rel_spaces_equipments se JOIN equipments e ON e.id = se.target_id JOIN spaces s ON s.id = se.owner_id
       LEFT JOIN cost_centers cc ON cc.id = e.cost_center_id
       WHERE se.owner_id IN (${spaces.map(() => '?').join(',')}) ORDER BY e.id`,
    )
    .all(...spaces) as { id: number; equipment_name: string; equipment_uuid: string; space_name: string; cost_center_name: string | null; description: string | null }[];
  const zone = requireEnergy<EnergyService>(deps.services).timezoneOf('spaces', space.id);
  return {
    quickMode,
    built: {
      json: { equipments: list },
      doc: {
        title: 'Equipment Tracking',
        subjectLabel: 'Space',
        subjectName: String(space.row.name),
        periodType: null,
        reporting: null,
        base: null,
        timezone: zone,
        figures: [{ label: 'Equipment', unit: '', value: list.length }],
        charts: [],
        tables: [{ title: 'Equipment', columns: ['Equipment', 'Space', 'Cost center', 'Description'], rows: list.map((e) => [e.equipment_name, e.space_name, e.cost_center_name, e.description]) }],
        notes: [],
      },
    },
  };
}
