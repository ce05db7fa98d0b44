/**
 * Energy storage power station reports: energystoragepowerstationsenergy / ...sbilling / ...scarbon (also
 * under MyEMS's newer collection names), the same for one station (...itemenergy / itembilling / itemcarbon),
 * energystoragepowerstationlist, energystoragepowerstationdetails, and a chosen period by device role
 * (...reportingenergy / reportingbilling).
 * A station's devices are those of its containers (batteries' charge/discharge meters, grids, loads, PCS).
 * The shapes are in plantreports.ts.
 */
import type { Store } from '../../store/store';
import type { PlantKind, Row } from './plants';
import { deviceMeters, devicePoints } from './plants';
import { buildPlantCollection, buildPlantDetails, buildPlantList } from './plantreports';
import { buildPlantDashboard } from './plantdashboard';
import { buildPlantReporting } from './plantperiods';
import type { StandaloneReport } from '../standalone';

/** a device table's rows of the station's containers (the device name prefixed by its container's) */
const containerDevices = (store: Store, table: string, id: number): Row[] =>
  store.db
    .prepare(
      `SELECT d.*, c.name || '.' || d.name AS name FROM rel_energy_storage_power_stations_containers l
       JOIN energy_storage_containers c ON c.id = l.target_id JOIN ${table} d ON d.energy_storage_container_id = c.id
       WHERE l.owner_id = ? ORDER BY c.id, d.id`,
    )
    .all(id) as Row[];

export const storageKind: PlantKind = {
  entity: 'energystoragepowerstations',
  table: 'energy_storage_power_stations',
  label: 'Energy Storage Power Station',
  key: 'energy_storage_power_station',
  namesKey: 'energy_storage_power_station_names',
  usersTable: 'rel_energy_storage_power_stations_users',
  meters: (store, id) => [
    ...deviceMeters(containerDevices(store, 'energy_storage_container_batteries', id), [
      ['charge_meter_id', 'Charge', 'charge'],
      ['discharge_meter_id', 'Discharge', 'discharge'],
    ]),
    ...deviceMeters(containerDevices(store, 'energy_storage_container_grids', id), [
      ['buy_meter_id', 'Buy', 'other'],
      ['sell_meter_id', 'Sell', 'other'],
    ]),
    ...deviceMeters(containerDevices(store, 'energy_storage_container_loads', id), [['meter_id', 'Consumption', 'other']]),
  ],
  points: (store, id) => [
    ...devicePoints(containerDevices(store, 'energy_storage_container_batteries', id), [
      ['battery_state_point_id', 'battery_state'],
      ['soc_point_id', 'battery_soc'],
      ['power_point_id', 'battery_power'],
    ]),
    ...devicePoints(containerDevices(store, 'energy_storage_container_grids', id), [['power_point_id', 'grid_power']]),
    ...devicePoints(containerDevices(store, 'energy_storage_container_loads', id), [['power_point_id', 'load_power']]),
    ...devicePoints(containerDevices(store, 'energy_storage_container_power_conversion_systems', id), [['run_state_point_id', 'pcs_run_state']]),
  ],
};

const energy = buildPlantCollection(storageKind, 'energy');
const billing = buildPlantCollection(storageKind, 'billing');
const carbon = buildPlantCollection(storageKind, 'carbon');

export const storageReports: [string, StandaloneReport][] = [
  ['energystoragepowerstationsenergy', energy],
  ['energystoragepowerstationsbilling', billing],
  ['energystoragepowerstationscarbon', carbon],
  ['energystoragepowerstationcollectionenergy', energy],
  ['energystoragepowerstationcollectionbilling', billing],
  ['energystoragepowerstationcollectioncarbon', carbon],
  ['energystoragepowerstationlist', buildPlantList(storageKind)],
  ['energystoragepowerstationdetails', buildPlantDetails(storageKind)],
  ['energystoragepowerstationitemenergy', buildPlantCollection(storageKind, 'energy', true)],
  ['energystoragepowerstationitembilling', buildPlantCollection(storageKind, 'billing', true)],
  ['energystoragepowerstationitemcarbon', buildPlantCollection(storageKind, 'carbon', true)],
  ['energystoragepowerstationreportingenergy', buildPlantReporting(storageKind, 'energy')],
  ['energystoragepowerstationreportingbilling', buildPlantReporting(storageKind, 'billing')],
  ['energystoragepowerstationdashboard', buildPlantDashboard(storageKind)],
];
