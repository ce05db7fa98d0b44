/**
 * Distribution system report (MyEMS distributionsystem?distributionsystemid=): the system's circuits (by name)
 * with their points and each point's latest value; a value older than 30 minutes (or not good) is null, as
 * MyEMS hides values past its timeout. The answer is MyEMS's bare list of circuits; `quality` and
 * `utc_date_time` of each point are added.
 */
import { badRequest, forbidden, notFound } from '../../api/errors';
import type { Principal } from '../../auth/service';
import type { Built } from '../doc';
import { str, type Query } from '../params';
import type { StandaloneDeps } from '../standalone';
import { latestOf } from './plants';

const TIMEOUT_MS = 30 * 60_000;

export function buildDistributionSystem(deps: StandaloneDeps, p: Principal, q: Query, now: number): { built: Built; quickMode: boolean } {
  const idText = str(q, 'distributionsystemid');
  if (idText === undefined || !/^\d+$/.test(idText) || Number(idText) <= 0) throw badRequest('API.INVALID_DISTRIBUTION_SYSTEM_ID', 'distributionsystemid must be a positive integer', 'distributionsystemid');
  const id = Number(idText);
  const system = deps.store.db.prepare('SELECT id, name FROM distribution_systems WHERE id = ?').get(id) as { id: number; name: string } | undefined;
  if (!system) throw notFound('API.DISTRIBUTION_SYSTEM_NOT_FOUND', `distribution system ${id} not found`);
  if (deps.access && !deps.access.canSee(p, 'distributionsystems', id)) throw forbidden('API.FORBIDDEN', 'your privilege does not include this distribution system');
  const circuits = deps.store.db
    .prepare('SELECT id, name, uuid, distribution_room, switchgear, peak_load, peak_current, customers, meters FROM distribution_circuits WHERE distribution_system_id = ? ORDER BY name, id')
    .all(id) as { id: number; name: string; distribution_room: string; switchgear: string }[];
  const pointsOf = deps.store.db.prepare('SELECT p.id, p.name, p.object_type, p.units FROM rel_distribution_circuits_points l JOIN points p ON p.id = l.target_id WHERE l.owner_id = ? ORDER BY p.name, p.id');
  const list = circuits.map((c) => ({
    ...c,
    points: (pointsOf.all(c.id) as { id: number; name: string; object_type: string; units: string | null }[]).map((pt) => {
      const v = latestOf(deps, pt.id);
      const fresh = v && v.quality === 'good' && now - v.ts <= TIMEOUT_MS;
      return { ...pt, value: fresh ? v.value : null, quality: v?.quality ?? null, utc_date_time: v ? new Date(v.ts).toISOString().slice(0, 19) : null };
    }),
  }));
  return {
    // MyEMS answers the list and no workbook; the workbook is at /export
    quickMode: true,
    built: {
      json: list as unknown as Record<string, unknown>,
      doc: {
        title: 'Distribution System',
        subjectLabel: 'Distribution System',
        subjectName: system.name,
        periodType: null,
        reporting: null,
        base: null,
        timezone: 'UTC',
        figures: [{ label: 'Circuits', unit: '', value: list.length }],
        charts: [],
        tables: list.map((c) => ({
          title: `${c.name} (${c.distribution_room} / ${c.switchgear})`,
          columns: ['Point', 'Value', 'Units', 'Quality'],
          rows: c.points.map((pt) => [pt.name, typeof pt.value === 'number' ? pt.value : pt.value == null ? null : String(pt.value), pt.units, pt.quality]),
        })),
        notes: ['A value older than 30 minutes, or not of good quality, is shown empty.'],
      },
    },
  };
}
