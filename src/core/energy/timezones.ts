/**
 * Time zones and local periods. A space's zone is its timezone's IANA name (timezones.iana_name); a meter (or
 * virtual/offline meter, equipment, tenant, store, shopfloor) takes the zone of the first space it is bound to
 * (directly, or through the equipment/tenant/... bound to a space); otherwise the installation's zone: the
 * setting `energy.timezone`, default the machine's zone.
 */
import { IANAZone } from 'luxon';
import type { Store } from '../store/store';
import type { Settings } from '../store/settings';
import type { EnergyPeriod, PeriodType, SubjectKind } from './contract';
import { localClockText, plusLocal, startOfLocal } from './zoneclock';

export const TIMEZONE_KEY = 'energy.timezone';

export const machineZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

export const isZone = (z: unknown): z is string => typeof z === 'string' && z !== '' && IANAZone.isValidZone(z);

/** how a subject's table links to spaces: the relation table and its column for the subject */
const SPACE_LINK: Partial<Record<SubjectKind, string>> = {
  meters: 'rel_spaces_meters',
  virtualmeters: 'rel_spaces_virtualmeters',
  offlinemeters: 'rel_spaces_offlinemeters',
  equipments: 'rel_spaces_equipments',
  combinedequipments: 'rel_spaces_combinedequipments',
  tenants: 'rel_spaces_tenants',
  stores: 'rel_spaces_stores',
  shopfloors: 'rel_spaces_shopfloors',
};

/** meters also reach a space through the equipment, tenant, store or shopfloor they are bound to */
const VIA: Partial<Record<SubjectKind, [string, SubjectKind][]>> = {
  meters: [
    ['rel_equipments_meters', 'equipments'],
    ['rel_tenants_meters', 'tenants'],
    ['rel_stores_meters', 'stores'],
    ['rel_shopfloors_meters', 'shopfloors'],
  ],
  virtualmeters: [['rel_equipments_virtualmeters', 'equipments']],
  offlinemeters: [['rel_equipments_offlinemeters', 'equipments']],
  combinedequipments: [],
};

export class Zones {
  private cache = new Map<string, string>();

  constructor(
    private readonly store: Store,
    private readonly settings: Settings,
  ) {}

  /** forget cached answers (a space, binding or the setting changed) */
  clear(): void {
    this.cache.clear();
  }

  installation(): string {
    const z = this.settings.get(TIMEZONE_KEY);
    return isZone(z) ? z : machineZone();
  }

  of(kind: SubjectKind, id: number): string {
    const key = `${kind}:${id}`;
    let z = this.cache.get(key);
    if (z === undefined) {
      z = this.resolve(kind, id, 0) ?? this.installation();
      this.cache.set(key, z);
    }
    return z;
  }

  private tableExists(name: string): boolean {
    return !!this.store.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name);
  }

  private resolve(kind: SubjectKind, id: number, depth: number): string | null {
    const db = this.store.db;
    if (depth > 3) return null;
    if (kind === 'spaces') {
      // the space's own zone, else its nearest ancestor's
      for (let sid: number | null = id, hops = 0; sid !== null && hops < 64; hops++) {
        const r = db.prepare('SELECT s.parent_space_id AS parent, t.iana_name AS iana FROM spaces s LEFT JOIN timezones t ON t.id = s.timezone_id WHERE s.id = ?').get(sid) as
          | { parent: number | null; iana: string | null }
          | undefined;
        if (!r) return null;
        if (isZone(r.iana)) return r.iana;
        sid = r.parent;
      }
      return null;
    }
    const link = SPACE_LINK[kind];
    if (link && this.tableExists(link)) {
      const space = db.prepare(`SELECT owner_id FROM ${link} WHERE target_id = ? ORDER BY owner_id LIMIT 1`).pluck().get(id) as number | undefined;
      if (space !== undefined) {
        const z = this.resolve('spaces', space, depth + 1);
        if (z) return z;
      }
    }
    for (const [table, owner] of VIA[kind] ?? []) {
      if (!this.tableExists(table)) continue;
      const o = db.prepare(`SELECT owner_id FROM ${table} WHERE target_id = ? ORDER BY owner_id LIMIT 1`).pluck().get(id) as number | undefined;
      if (o !== undefined) {
        const z = this.resolve(owner, o, depth + 1);
        if (z) return z;
      }
    }
    if (kind === 'equipments' && this.tableExists('rel_combined_equipments_equipments')) {
      const o = db.prepare('SELECT owner_id FROM rel_combined_equipments_equipments WHERE target_id = ? ORDER BY owner_id LIMIT 1').pluck().get(id) as number | undefined;
      if (o !== undefined) return this.resolve('combinedequipments', o, depth + 1);
    }
    return null;
  }
}

const UNIT = { daily: 'day', weekly: 'week', monthly: 'month', yearly: 'year' } as const;

/**
 * The start (UTC ms) of the local period containing `ts` (ISO weeks start on Monday). Hourly periods are UTC hours
 * (energy is stored per UTC hour). Zone arithmetic goes through zoneclock.ts's transition tables (no Intl call per
 * hour).
 */
export function periodStart(ts: number, type: PeriodType, zone: string): number {
  if (type === 'hourly') return Math.floor(ts / 3_600_000) * 3_600_000;
  return startOfLocal(ts, UNIT[type], zone);
}

/** the start of the next local period after the one starting at `start` */
export function nextPeriod(start: number, type: PeriodType, zone: string): number {
  if (type === 'hourly') return Math.floor(start / 3_600_000) * 3_600_000 + 3_600_000;
  return plusLocal(startOfLocal(start, UNIT[type], zone), UNIT[type], zone);
}

export const localText = (ts: number, zone: string) => localClockText(ts, zone);

/** the UTC hours whose start lies in [from, to) (a local day of a zone with a :30 offset starts at :30 UTC) */
const hourStarts = (from: number, to: number) => Math.ceil(to / 3_600_000) - Math.ceil(from / 3_600_000);

/** the local periods covering [start, end): the first from `start`, each clipped to the range */
export function periodsOf(start: number, end: number, type: PeriodType, zone: string): EnergyPeriod[] {
  const out: EnergyPeriod[] = [];
  for (let p = start; p < end; ) {
    const next = Math.min(end, nextPeriod(periodStart(p, type, zone), type, zone));
    out.push({ start: p, local: localText(p, zone), hours: hourStarts(p, next) });
    p = next;
  }
  return out;
}
