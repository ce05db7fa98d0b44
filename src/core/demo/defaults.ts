import { PROTOCOLS } from '../model/entities/acquisition';
import type { Registry } from '../model/registry';
import type { RequestContext } from '../model/types';
import type { Store } from '../store/store';
import { completeTimezones, ensureRootSpace } from './myems';

const CATEGORIES: [string, string, number, number][] = [
  ['Electricity', 'kWh', 0.1229, 0.5703],
  ['Water', 'm³', 0.0857, 0.91],
  ['Natural Gas', 'm³', 1.2143, 1.9651],
  ['Heat', 'GJ', 34.12, 110],
  ['Cooling', 'kWh', 0.1229, 0.5703],
];

/** the renderer's screens, as MyEMS-style menus an administrator can hide */
const MENUS: [string, string][] = [
  ['Overview', '/overview'],
  ['Diagrams', '/diagrams'],
  ['Microgrids', '/microgrids'],
  ['Storage', '/storage'],
  ['Demand response', '/dr'],
  ['Alarms', '/alarms'],
  ['Trends', '/trends'],
  ['Reports', '/reports'],
  ['Configuration', '/configuration'],
];

export const systemContext = (store: Store): RequestContext => ({ store, userId: null, userName: 'system' });

/** What a fresh install needs: energy categories, time zones, the root space and protocols (the administrator is made by auth). */
export function seedDefaults(store: Store, registry: Registry): void {
  const ctx = systemContext(store);
  for (const [name, unit, kgce, kgco2e] of CATEGORIES) registry.create(ctx, registry.get('energycategories'), { name, unit_of_measure: unit, kgce, kgco2e });
  // MyEMS's time zones with MyEMS's ids (56 = China Standard Time), each with its IANA zone, and its root space (id 1)
  completeTimezones(store.db);
  ensureRootSpace(store.db);
  for (const code of PROTOCOLS) registry.create(ctx, registry.get('protocols'), { name: code, code });
  for (const [name, route] of MENUS) registry.create(ctx, registry.get('menus'), { name, route });
}
