/**
 * Microgrid reports: microgridsenergy / microgridsbilling / microgridscarbon (the user's microgrids, charge and
 * discharge of their batteries), microgridlist (live state), microgriddetails (one microgrid's device meters,
 * indicators, schedule and points). The shapes are in plantreports.ts.
 */
import type { PlantKind } from './plants';
import { deviceMeters, devicePoints, devices } from './plants';
import { buildPlantCollection, buildPlantDetails, buildPlantList } from './plantreports';
import { buildPlantDashboard } from './plantdashboard';
import type { StandaloneReport } from '../standalone';

export const microgridKind: PlantKind = {
  entity: 'microgrids',
  table: 'microgrids',
  label: 'Microgrid',
  key: 'microgrid',
  namesKey: 'microgrid_names',
  usersTable: 'rel_microgrids_users',
  meters: (store, id) => [
    ...deviceMeters(devices(store, 'microgrid_batteries', 'microgrid_id', id), [
      ['charge_meter_id', 'Charge', 'charge'],
      ['discharge_meter_id', 'Discharge', 'discharge'],
    ]),
    ...deviceMeters(devices(store, 'microgrid_grids', 'microgrid_id', id), [
      ['buy_meter_id', 'Buy', 'other'],
      ['sell_meter_id', 'Sell', 'other'],
    ]),
    ...deviceMeters(devices(store, 'microgrid_photovoltaics', 'microgrid_id', id), [['meter_id', 'Generation', 'other']]),
    ...deviceMeters(devices(store, 'microgrid_generators', 'microgrid_id', id), [['meter_id', 'Generation', 'other']]),
    ...deviceMeters(devices(store, 'microgrid_loads', 'microgrid_id', id), [['meter_id', 'Consumption', 'other']]),
    ...deviceMeters(devices(store, 'microgrid_ev_chargers', 'microgrid_id', id), [['meter_id', 'Consumption', 'other']]),
    ...deviceMeters(devices(store, 'microgrid_heat_pumps', 'microgrid_id', id), [
      ['electricity_meter_id', 'Electricity', 'other'],
      ['heat_meter_id', 'Heat', 'other'],
      ['cooling_meter_id', 'Cooling', 'other'],
    ]),
  ],
  points: (store, id) => [
    ...devicePoints(devices(store, 'microgrid_batteries', 'microgrid_id', id), [
      ['battery_state_point_id', 'battery_state'],
      ['soc_point_id', 'battery_soc'],
      ['power_point_id', 'battery_power'],
    ]),
    ...devicePoints(devices(store, 'microgrid_photovoltaics', 'microgrid_id', id), [['power_point_id', 'photovoltaic_power']]),
    ...devicePoints(devices(store, 'microgrid_grids', 'microgrid_id', id), [['power_point_id', 'grid_power']]),
    ...devicePoints(devices(store, 'microgrid_loads', 'microgrid_id', id), [['power_point_id', 'load_power']]),
    ...devicePoints(devices(store, 'microgrid_power_conversion_systems', 'microgrid_id', id), [['run_state_point_id', 'pcs_run_state']]),
  ],
};

export const microgridReports: [string, StandaloneReport][] = [
  ['microgridsenergy', buildPlantCollection(microgridKind, 'energy')],
  ['microgridsbilling', buildPlantCollection(microgridKind, 'billing')],
  ['microgridscarbon', buildPlantCollection(microgridKind, 'carbon')],
  ['microgridlist', buildPlantList(microgridKind)],
  ['microgriddetails', buildPlantDetails(microgridKind, { table: 'microgrid_schedules', field: 'microgrid_id' })],
  ['microgriddashboard', buildPlantDashboard(microgridKind)],
];
