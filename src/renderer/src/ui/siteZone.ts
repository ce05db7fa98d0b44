/**
 * The site's time zone (see siteZoneOf) (a site's events, schedules and reports are in its local
 * time). `null` while it is being read, so that nothing computes a local time in the browser's zone first.
 */
import { DateTime } from 'luxon';
import { useEffect, useState } from 'react';
import { api } from '../app/api';

interface SpaceRow {
  id: number;
  parent_space_id: number | null;
  timezone?: { id: number; name?: string; iana_name?: string | null } | null;
  timezone_id?: number | null;
}
interface TimezoneRow {
  id: number;
  name: string;
  iana_name?: string | null;
}

const valid = (zone: string | null | undefined): zone is string => !!zone && DateTime.now().setZone(zone).isValid;

/**
 * The site's IANA zone: from the root of the space tree (MyEMS's space 1, a container), down while a space has
 * exactly one child space, so that a single site under the root (the demo campus) gives its own zone; with
 * several sites the root's zone (the installation's) is the one they share. null when no zone is set.
 */
export function siteZoneOf(spaces: SpaceRow[], zones: TimezoneRow[]): string | null {
  const ids = new Set(spaces.map((s) => s.id));
  const children = (id: number) => spaces.filter((s) => s.parent_space_id === id);
  const roots = spaces.filter((s) => s.parent_space_id === null || !ids.has(s.parent_space_id));
  if (roots.length !== 1) return null;
  let site = roots[0];
  for (let kids = children(site.id); kids.length === 1; kids = children(site.id)) site = kids[0];
  const tzId = site.timezone?.id ?? site.timezone_id ?? null;
  const tz = zones.find((z) => z.id === tzId);
  const zone = tz?.iana_name ?? site.timezone?.iana_name ?? tz?.name ?? site.timezone?.name;
  return valid(zone) ? zone : null;
}

const browserZone = () => Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The site's zone once known (the browser's only when the site has none, or it cannot be read). */
export function useSiteZone(): string | null {
  const [zone, setZone] = useState<string | null>(null);
  useEffect(() => {
    let cancelled = false;
    void Promise.all([api.get<SpaceRow[]>('/spaces'), api.get<TimezoneRow[]>('/timezones')])
      .then(([spaces, zones]) => siteZoneOf(spaces, zones) ?? browserZone())
      .catch(() => browserZone())
      .then((z) => {
        if (!cancelled) setZone(z);
      });
    return () => {
      cancelled = true;
    };
  }, []);
  return zone;
}
