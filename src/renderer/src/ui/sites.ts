/**
 * Remote sites at a central server: each edge site is a data source of protocol `sparkplug` whose points are the
 * site's metrics (docs/central.md, "Remote sites on every screen"). Where points are picked or named, a remote
 * point reads `site / device / metric`, so two sites' "Active power" are told apart.
 */
import { api } from '../app/api';

export const REMOTE_PROTOCOL = 'sparkplug';
const FRESH_MS = 30_000;

let cached: { at: number; sites: Promise<Map<number, string>> } | null = null;

/** data source id -> site name, of the remote sites this user may see (empty where there are none) */
export function remoteSites(): Promise<Map<number, string>> {
  if (!cached || Date.now() - cached.at > FRESH_MS) {
    const sites = api
      .get<{ id: number; name: string; protocol: string }[]>('/datasources')
      .then((rows) => new Map(rows.filter((r) => r.protocol === REMOTE_PROTOCOL).map((r) => [r.id, r.name])))
      .catch(() => new Map<number, string>());
    cached = { at: Date.now(), sites };
  }
  return cached.sites;
}

export interface NamedPoint {
  name: string;
  data_source?: { id: number } | null;
  data_source_id?: number;
  address?: unknown;
}

const objectOf = (v: unknown): Record<string, unknown> | null => {
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch {
      return null;
    }
  }
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
};

/** `site / device / metric` for a remote site's point, its own name for any other */
export function pointLabel(p: NamedPoint, sites: ReadonlyMap<number, string>): string {
  const ds = p.data_source?.id ?? p.data_source_id;
  const site = ds === undefined ? undefined : sites.get(ds);
  if (!site) return p.name;
  const a = objectOf(p.address);
  const device = typeof a?.device === 'string' ? a.device : '';
  const metric = typeof a?.metric === 'string' ? a.metric : p.name;
  return [site, device, metric].filter(Boolean).join(' / ');
}
