/**
 * Plant dashboards (MyEMS `energystoragepowerstationdashboard`, `microgriddashboard`): the user's plants with
 * their status (online: a device point delivered a good value in the last 10 minutes) and their charge and
 * discharge energy, billing and carbon in total (this year and the nine before), and the sums over them.
 */
import type { Principal } from '../../auth/service';
import type { Built } from '../doc';
import { parseBool, parseLanguage, type Query } from '../params';
import type { StandaloneDeps } from '../standalone';
import { liveOf } from './plantreports';
import { allTime, currencyOfPlant, energyOf, plantJson, plantZone, reportUser, userPlants, type Measure, type PlantKind } from './plants';

const add = (a: number, b: number | null) => a + (b ?? 0);

export function buildPlantDashboard(kind: PlantKind) {
  return (deps: StandaloneDeps, p: Principal, q: Query, now: number): { built: Built; quickMode: boolean } => {
    const energy = energyOf(deps);
    const quickMode = parseBool(q, 'quickmode');
    parseLanguage(q);
    const plants = userPlants(deps.store, kind, reportUser(deps.store, p, q));
    const zone = plantZone(energy, deps.store, plants.flatMap((r) => kind.meters(deps.store, r.id as number)));
    const totals: Record<string, number> = {};
    let online = 0;
    const list = plants.map((r) => {
      const meters = kind.meters(deps.store, r.id as number);
      const ids = (role: 'charge' | 'discharge') => meters.filter((m) => m.role === role).map((m) => m.id);
      const row: Record<string, unknown> = { ...plantJson(deps.store, r) };
      const { online: isOnline } = liveOf(deps, kind, r.id as number, now);
      if (isOnline) online++;
      row.status = isOnline ? 'online' : 'offline';
      for (const measure of ['energy', 'billing', 'carbon'] as Measure[]) {
        for (const dir of ['charge', 'discharge'] as const) {
          const v = allTime(energy, ids(dir), zone, now, measure);
          row[`subtotal_${dir}_${measure}`] = v;
          totals[`total_${dir}_${measure}`] = add(totals[`total_${dir}_${measure}`] ?? 0, v);
        }
      }
      return row;
    });
    const capacity = plants.reduce((a, r) => a + (typeof r.capacity === 'number' ? r.capacity : 0), 0);
    const currency = plants.length ? currencyOfPlant(deps.store, plants[0]) : 'CNY';
    const listKey = kind.key === 'microgrid' ? 'microgrids' : 'energy_storage_power_stations';
    const json = { total_rated_capacity: capacity, total_online: online, total_offline: plants.length - online, [listKey]: list, ...totals, currency_unit: currency };
    return {
      quickMode,
      built: {
        json,
        doc: {
          title: `${kind.label} Dashboard`,
          subjectLabel: 'User plants',
          subjectName: plants.map((r) => String(r.name)).join(', ') || '(none)',
          periodType: null,
          reporting: null,
          base: null,
          timezone: zone,
          figures: [
            { label: 'Online', unit: '', value: online },
            { label: 'Total charge', unit: 'kWh', value: totals.total_charge_energy ?? 0 },
            { label: 'Total discharge', unit: 'kWh', value: totals.total_discharge_energy ?? 0 },
            { label: 'Total charge cost', unit: currency, value: totals.total_charge_billing ?? 0 },
            { label: 'Total discharge revenue', unit: currency, value: totals.total_discharge_billing ?? 0 },
          ],
          charts: [],
          tables: [
            {
              title: `${kind.label}s`,
              columns: ['Name', 'Status', 'Charge (kWh)', 'Discharge (kWh)', `Charge (${currency})`, `Discharge (${currency})`, 'Charge (kgCO2e)', 'Discharge (kgCO2e)'],
              rows: list.map((x) => [String(x.name), String(x.status), ...['energy', 'billing', 'carbon'].flatMap((m) => [x[`subtotal_charge_${m}`] as number | null, x[`subtotal_discharge_${m}`] as number | null])]),
            },
          ],
          notes: ['Totals are this year and the nine before.'],
        },
      },
    };
  };
}
