import { PROTOCOLS } from '../model/entities/acquisition';
import type { Registry } from '../model/registry';
import type { RequestContext } from '../model/types';
import type { Store } from '../store/store';

/** IANA zones offered on a fresh install; utc_offset is the standard (winter) offset, DST comes from iana_name. */
const ZONES: [string, string, string][] = [
  ['Pacific/Honolulu', '-10:00', '(GMT-10:00) Hawaii'],
  ['America/Anchorage', '-09:00', '(GMT-09:00) Alaska'],
  ['America/Los_Angeles', '-08:00', '(GMT-08:00) Pacific Time (US & Canada)'],
  ['America/Denver', '-07:00', '(GMT-07:00) Mountain Time (US & Canada)'],
  ['America/Phoenix', '-07:00', '(GMT-07:00) Arizona'],
  ['America/Chicago', '-06:00', '(GMT-06:00) Central Time (US & Canada)'],
  ['America/Mexico_City', '-06:00', '(GMT-06:00) Mexico City'],
  ['America/New_York', '-05:00', '(GMT-05:00) Eastern Time (US & Canada)'],
  ['America/Bogota', '-05:00', '(GMT-05:00) Bogota, Lima'],
  ['America/Halifax', '-04:00', '(GMT-04:00) Atlantic Time (Canada)'],
  ['America/Sao_Paulo', '-03:00', '(GMT-03:00) Brasilia'],
  ['America/Argentina/Buenos_Aires', '-03:00', '(GMT-03:00) Buenos Aires'],
  ['Atlantic/Azores', '-01:00', '(GMT-01:00) Azores'],
  ['UTC', '+00:00', '(GMT) Coordinated Universal Time'],
  ['Europe/London', '+00:00', '(GMT) London, Dublin, Lisbon'],
  ['Europe/Berlin', '+01:00', '(GMT+01:00) Berlin, Amsterdam, Rome, Vienna'],
  ['Europe/Paris', '+01:00', '(GMT+01:00) Paris, Brussels, Madrid'],
  ['Africa/Lagos', '+01:00', '(GMT+01:00) West Central Africa'],
  ['Europe/Athens', '+02:00', '(GMT+02:00) Athens, Bucharest'],
  ['Europe/Helsinki', '+02:00', '(GMT+02:00) Helsinki, Kyiv, Riga'],
  ['Africa/Johannesburg', '+02:00', '(GMT+02:00) Johannesburg'],
  ['Africa/Cairo', '+02:00', '(GMT+02:00) Cairo'],
  ['Europe/Istanbul', '+03:00', '(GMT+03:00) Istanbul'],
  ['Europe/Moscow', '+03:00', '(GMT+03:00) Moscow'],
  ['Asia/Riyadh', '+03:00', '(GMT+03:00) Riyadh'],
  ['Asia/Dubai', '+04:00', '(GMT+04:00) Abu Dhabi, Muscat'],
  ['Asia/Karachi', '+05:00', '(GMT+05:00) Karachi'],
  ['Asia/Kolkata', '+05:30', '(GMT+05:30) Chennai, Kolkata, Mumbai, New Delhi'],
  ['Asia/Dhaka', '+06:00', '(GMT+06:00) Dhaka'],
  ['Asia/Bangkok', '+07:00', '(GMT+07:00) Bangkok, Hanoi, Jakarta'],
  ['Asia/Shanghai', '+08:00', '(GMT+08:00) Beijing, Chongqing, Hong Kong'],
  ['Asia/Singapore', '+08:00', '(GMT+08:00) Singapore, Kuala Lumpur'],
  ['Australia/Perth', '+08:00', '(GMT+08:00) Perth'],
  ['Asia/Tokyo', '+09:00', '(GMT+09:00) Tokyo, Osaka'],
  ['Asia/Seoul', '+09:00', '(GMT+09:00) Seoul'],
  ['Australia/Adelaide', '+09:30', '(GMT+09:30) Adelaide'],
  ['Australia/Sydney', '+10:00', '(GMT+10:00) Canberra, Melbourne, Sydney'],
  ['Pacific/Auckland', '+12:00', '(GMT+12:00) Auckland, Wellington'],
];

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

/** What a fresh install needs: energy categories, time zones and protocols (the administrator is made by auth). */
export function seedDefaults(store: Store, registry: Registry): void {
  const ctx = systemContext(store);
  for (const [name, unit, kgce, kgco2e] of CATEGORIES) registry.create(ctx, registry.get('energycategories'), { name, unit_of_measure: unit, kgce, kgco2e });
  for (const [iana, offset, description] of ZONES) registry.create(ctx, registry.get('timezones'), { name: iana, iana_name: iana, utc_offset: offset, description });
  for (const code of PROTOCOLS) registry.create(ctx, registry.get('protocols'), { name: code, code });
  for (const [name, route] of MENUS) registry.create(ctx, registry.get('menus'), { name, route });
}
