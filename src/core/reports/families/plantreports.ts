/**
 * The three shapes of MyEMS's microgrid and energy storage reports, for any plant kind (plants.ts):
 * - collection (`microgridsenergy` / `...billing` / `...carbon`, `energystoragepowerstationsenergy` ...; one
 *   plant by id: `energystoragepowerstationitemenergy` ...): for each plant of the user, charge and discharge per day of the last 7 days and of this month, per month
 *   of this year: `{<names key>, reporting: {charge_7_days: {timestamps_array, values_array}, ...}}`;
 * - list (`microgridlist`, `energystoragepowerstationlist`): the user's plants with their live state;
 * - details (`microgriddetails?id=`, `energystoragepowerstationdetails?id=`): the plant, each device meter's
 *   hourly energy over the reporting period (default: the last 3 days), today's and total (this year and the
 *   nine before) charge/discharge energy, cost and carbon, the schedule, the latest values of the device points.
 */
import type { Principal } from '../../auth/service';
import type { Built, TableSpec } from '../doc';
import { parseBool, parseLanguage, str, type Query } from '../params';
import type { StandaloneDeps } from '../standalone';
import { localString, nextPeriod, parseLocal, periodStart } from '../time';
import { badRequest } from '../../api/errors';
import {
  allTime,
  authorizePlant,
  currencyOfPlant,
  energyOf,
  latestOf,
  meterSum,
  plantJson,
  plantRow,
  plantZone,
  reportUser,
  total,
  userPlants,
  windows,
  type Measure,
  type PlantKind,
  type Row,
} from './plants';

type Out = { built: Built; quickMode: boolean };

const UNIT: Record<Measure, (currency: string) => string> = { energy: () => 'kWh', billing: (c) => c, carbon: () => 'kgCO2e' };

/** `item`: one plant by id or uuid (MyEMS `energystoragepowerstationitemenergy` ...) instead of the user's plants */
export function buildPlantCollection(kind: PlantKind, measure: Measure, item = false) {
  return (deps: StandaloneDeps, p: Principal, q: Query, now: number): Out => {
    const energy = energyOf(deps);
    let plants: Row[];
    if (item) {
      const row = plantRow(deps.store, kind, q);
      authorizePlant(deps, p, kind, row.id as number);
      plants = [row];
    } else {
      plants = userPlants(deps.store, kind, reportUser(deps.store, p, q));
    }
    const quickMode = parseBool(q, 'quickmode');
    parseLanguage(q);
    const allMeters = plants.flatMap((r) => kind.meters(deps.store, r.id as number));
    const zone = plantZone(energy, deps.store, allMeters);
    const reporting: Record<string, { timestamps_array: string[][]; values_array: (number | null)[][] }> = {};
    const tables: TableSpec[] = [];
    for (const w of windows(now, zone)) {
      for (const dir of ['charge', 'discharge'] as const) {
        const key = `${dir}_${w.key}`;
        const series = plants.map((r) => meterSum(energy, kind.meters(deps.store, r.id as number).filter((m) => m.role === dir).map((m) => m.id), w.start, w.end, w.periodType, measure));
        reporting[key] = { timestamps_array: series.map((s) => s.timestamps), values_array: series.map((s) => s.values) };
        if (series.length) tables.push({ title: `${dir === 'charge' ? 'Charge' : 'Discharge'} ${w.key.replace('_', ' ')}`, columns: ['Datetime', ...plants.map((r) => String(r.name))], rows: series[0].timestamps.map((t, i) => [t, ...series.map((s) => s.values[i] ?? null)]) });
      }
    }
    const currency = plants.length ? currencyOfPlant(deps.store, plants[0]) : 'CNY';
    const unit = UNIT[measure](currency);
    const w7 = reporting.charge_7_days;
    const d7 = reporting.discharge_7_days;
    const sumOf = (vals: (number | null)[][]) => total({ timestamps: [], values: vals.flat() });
    return {
      quickMode,
      built: {
        json: item ? { [kind.key]: plantJson(deps.store, plants[0]), unit, reporting } : { [kind.namesKey]: plants.map((r) => r.name), unit, reporting },
        doc: {
          title: `${kind.label}${item ? '' : 's'} ${measure === 'energy' ? 'Energy' : measure === 'billing' ? 'Billing' : 'Carbon'}`,
          subjectLabel: 'User plants',
          subjectName: plants.map((r) => String(r.name)).join(', ') || '(none)',
          periodType: 'daily',
          reporting: { start: localString(windows(now, zone)[0].start, zone), end: localString(now, zone) },
          base: null,
          timezone: zone,
          figures: [
            { label: 'Charge, last 7 days', unit, value: sumOf(w7.values_array) },
            { label: 'Discharge, last 7 days', unit, value: sumOf(d7.values_array) },
          ],
          charts: w7.timestamps_array.length
            ? [{ title: `Last 7 days (${unit})`, categories: w7.timestamps_array[0], series: plants.flatMap((r, i) => [{ name: `${r.name} charge`, values: w7.values_array[i] }, { name: `${r.name} discharge`, values: d7.values_array[i] }]), unit, kind: 'bar', stacked: false }]
            : [],
          tables,
          notes: [],
        },
      },
    };
  };
}

export function liveOf(deps: StandaloneDeps, kind: PlantKind, id: number, now: number) {
  const out: Record<string, number | string | null> = {};
  let online = false;
  for (const pt of kind.points(deps.store, id)) {
    const v = latestOf(deps, pt.id);
    const key = `${pt.role}_point_value`;
    if (out[key] === undefined || out[key] === null) out[key] = v && v.quality === 'good' ? (v.value as number | string | null) : null;
    // online: a device point delivered a good value in the last 10 minutes (MyEMS: the gateway was seen)
    if (v && v.quality === 'good' && now - v.ts < 600_000) online = true;
  }
  return { live: out, online };
}

export function buildPlantList(kind: PlantKind) {
  return (deps: StandaloneDeps, p: Principal, q: Query, now: number): Out => {
    parseLanguage(q);
    const plants = userPlants(deps.store, kind, reportUser(deps.store, p, q));
    const list = plants.map((r) => {
      const { live, online } = liveOf(deps, kind, r.id as number, now);
      return { ...plantJson(deps.store, r), qrcode: `${kind.key}:${r.uuid}`, ...live, is_online: online };
    });
    const cols = [...new Set(list.flatMap((x) => Object.keys(x).filter((k) => k.endsWith('_point_value'))))];
    return {
      quickMode: true,
      built: {
        json: list as unknown as Record<string, unknown>,
        doc: {
          title: `${kind.label} List`,
          subjectLabel: 'User plants',
          subjectName: String(list.length),
          periodType: null,
          reporting: null,
          base: null,
          timezone: 'UTC',
          figures: [{ label: 'Online', unit: '', value: list.filter((x) => x.is_online).length }],
          charts: [],
          tables: [{ title: `${kind.label}s`, columns: ['Name', 'Online', ...cols], rows: list.map((x) => [String((x as Record<string, unknown>).name), x.is_online ? 'yes' : 'no', ...cols.map((c) => (x as Record<string, unknown>)[c] as number | string | null)]) }],
          notes: [],
        },
      },
    };
  };
}

export function buildPlantDetails(kind: PlantKind, schedules?: { table: string; field: string }) {
  return (deps: StandaloneDeps, p: Principal, q: Query, now: number): Out => {
    const energy = energyOf(deps);
    const row: Row = plantRow(deps.store, kind, q);
    const id = row.id as number;
    authorizePlant(deps, p, kind, id);
    const quickMode = parseBool(q, 'quickmode');
    parseLanguage(q);
    const meters = kind.meters(deps.store, id);
    const zone = plantZone(energy, deps.store, meters);
    const bound = (name: string) => {
      const v = str(q, name);
      if (v === undefined) return null;
      const ms = parseLocal(v, zone);
      if (ms === null) throw badRequest(`API.INVALID_${name.toUpperCase()}`, `${name} must be a date-time like 2024-01-01T00:00:00`, name);
      return ms;
    };
    const endArg = bound('reportingperiodenddatetime');
    const startArg = bound('reportingperiodstartdatetime');
    const end = periodStart(endArg ?? now, zone, 'hourly') + (endArg === null ? 3_600_000 : 0);
    const start = startArg === null ? end - 3 * 86_400_000 : periodStart(startArg, zone, 'hourly');
    if (end <= start) throw badRequest('API.INVALID_REPORTING_PERIOD_END_DATETIME', 'reportingperiodenddatetime must be after reportingperiodstartdatetime', 'reportingperiodenddatetime');
    if (end - start > 31 * 86_400_000) throw badRequest('API.PERIOD_TOO_LONG', 'the reporting period of the details may span at most 31 days', 'reportingperiodenddatetime', { limit_days: 31 });
    const hourly = meters.map((m) => ({ m, s: meterSum(energy, [m.id], start, end, 'hourly', 'energy') }));
    const unitOf = (meterId: number) => (deps.store.db.prepare('SELECT c.unit_of_measure AS u FROM meters m JOIN energy_categories c ON c.id = m.energy_category_id WHERE m.id = ?').get(meterId) as { u: string } | undefined)?.u ?? '';
    const today = periodStart(now, zone, 'daily');
    const ids = (role: 'charge' | 'discharge') => meters.filter((m) => m.role === role).map((m) => m.id);
    const tomorrow = nextPeriod(today, zone, 'daily');
    const ind = (measure: Measure) => ({
      today_charge: total(meterSum(energy, ids('charge'), today, tomorrow, 'daily', measure)),
      today_discharge: total(meterSum(energy, ids('discharge'), today, tomorrow, 'daily', measure)),
      total_charge: allTime(energy, ids('charge'), zone, now, measure),
      total_discharge: allTime(energy, ids('discharge'), zone, now, measure),
    });
    const e = ind('energy');
    const b = ind('billing');
    const c = ind('carbon');
    const points = kind.points(deps.store, id).map((pt) => {
      const v = latestOf(deps, pt.id);
      const u = deps.store.db.prepare('SELECT units FROM points WHERE id = ?').get(pt.id) as { units: string | null } | undefined;
      return { ...pt, units: u?.units ?? null, v };
    });
    const schedule = schedules ? (deps.store.db.prepare(`SELECT start_time_of_day, end_time_of_day, peak_type, power FROM ${schedules.table} WHERE ${schedules.field} = ? ORDER BY start_time_of_day`).all(id) as Row[]) : [];
    const currency = currencyOfPlant(deps.store, row);
    const json = {
      [kind.key]: plantJson(deps.store, row),
      reporting_period: {
        names: hourly.map((x) => x.m.name),
        units: hourly.map((x) => unitOf(x.m.id)),
        timestamps: hourly.map((x) => x.s.timestamps),
        values: hourly.map((x) => x.s.values),
        subtotals: hourly.map((x) => total(x.s)),
        missing_periods: hourly.map((x) => x.s.values.filter((v) => v === null).length),
      },
      schedule: { schedule_list: schedule },
      energy_indicators: { today_charge_energy_value: e.today_charge, today_discharge_energy_value: e.today_discharge, total_charge_energy_value: e.total_charge, total_discharge_energy_value: e.total_discharge },
      revenue_indicators: { today_charge_revenue_value: b.today_charge, today_discharge_revenue_value: b.today_discharge, total_charge_revenue_value: b.total_charge, total_discharge_revenue_value: b.total_discharge, unit: currency },
      carbon_indicators: { today_charge_carbon_value: c.today_charge, today_discharge_carbon_value: c.today_discharge, total_charge_carbon_value: c.total_charge, total_discharge_carbon_value: c.total_discharge },
      parameters: {
        names: points.map((x) => (x.units ? `${x.name} (${x.units})` : x.name)),
        timestamps: points.map((x) => (x.v ? [new Date(x.v.ts).toISOString().slice(0, 19)] : [])),
        values: points.map((x) => (x.v ? [x.v.value] : [])),
        qualities: points.map((x) => x.v?.quality ?? null),
      },
    };
    const ts = hourly[0]?.s.timestamps ?? [];
    return {
      quickMode,
      built: {
        json,
        doc: {
          title: `${kind.label} Details`,
          subjectLabel: kind.label,
          subjectName: String(row.name),
          periodType: 'hourly',
          reporting: { start: localString(start, zone), end: localString(end, zone) },
          base: null,
          timezone: zone,
          figures: [
            { label: 'Today charge', unit: 'kWh', value: e.today_charge },
            { label: 'Today discharge', unit: 'kWh', value: e.today_discharge },
            { label: 'Total charge', unit: 'kWh', value: e.total_charge },
            { label: 'Total discharge', unit: 'kWh', value: e.total_discharge },
            { label: 'Total charge cost', unit: currency, value: b.total_charge },
            { label: 'Total discharge revenue', unit: currency, value: b.total_discharge },
          ],
          charts: hourly.length ? [{ title: 'Device meters (hourly)', categories: ts, series: hourly.map((x) => ({ name: x.m.name, values: x.s.values })), unit: 'kWh', kind: 'line', stacked: false }] : [],
          tables: [
            { title: 'Device meters', columns: ['Datetime', ...hourly.map((x) => x.m.name)], rows: [...ts.map((t, i) => [t, ...hourly.map((x) => x.s.values[i])]), ['Subtotal', ...hourly.map((x) => total(x.s))]] },
            { title: 'Points', columns: ['Point', 'Value', 'Quality'], rows: points.map((x) => [x.name, typeof x.v?.value === 'number' ? x.v.value : x.v?.value == null ? null : String(x.v.value), x.v?.quality ?? null]) },
          ],
          notes: [],
        },
      },
    };
  };
}
