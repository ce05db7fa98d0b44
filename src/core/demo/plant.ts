import type { Registry } from '../model/registry';
import type { Store } from '../store/store';
import { systemContext } from './defaults';

/** The demo site in the configuration model (its simulated devices are started by the acquisition feature). */
export function seedDemoPlant(store: Store, registry: Registry): void {
  const ctx = systemContext(store);
  const create = (key: string, data: Record<string, unknown>) => registry.create(ctx, registry.get(key), data);
  const id = (table: string, name: string) => (store.db.prepare(`SELECT id FROM ${table} WHERE name = ?`).get(name) as { id: number }).id;
  const electricity = id('energy_categories', 'Electricity');
  const tz = id('timezones', 'Europe/Berlin');
  const cc = create('costcenters', { name: 'Demo Campus Operations', external_id: 'CC-100' });
  const tariff = create('tariffs', {
    name: 'Demo time-of-use 2026',
    energy_category_id: electricity,
    tariff_type: 'timeofuse',
    unit_of_price: 'EUR/kWh',
    valid_from: '2026-01-01T00:00:00',
    valid_through: '2031-01-01T00:00:00',
    timeofuse: [
      { start_time_of_day: '00:00:00', end_time_of_day: '06:59:59', peak_type: 'offpeak', price: 0.18 },
      { start_time_of_day: '07:00:00', end_time_of_day: '16:59:59', peak_type: 'midpeak', price: 0.27 },
      { start_time_of_day: '17:00:00', end_time_of_day: '20:59:59', peak_type: 'onpeak', price: 0.39 },
      { start_time_of_day: '21:00:00', end_time_of_day: '23:59:59', peak_type: 'midpeak', price: 0.27 },
    ],
  });
  registry.bind(ctx, registry.get('costcenters'), registry.get('costcenters').relations![0], cc, { tariff_id: tariff });
  const contact = create('contacts', { name: 'Site Engineer', email: 'engineer@demo.local', phone: '+49 30 0000000' });
  const campus = create('spaces', { name: 'Demo Campus', area: 12000, timezone_id: tz, contact_id: contact, cost_center_id: cc, latitude: 52.52, longitude: 13.405 });
  for (const name of ['Building A', 'Building B', 'Energy Yard']) {
    create('spaces', { name, parent_space_id: campus, area: 4000, timezone_id: tz, cost_center_id: cc });
  }
}
