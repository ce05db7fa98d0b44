/**
 * Energy flow diagram report (MyEMS energyflowdiagram): the diagram's nodes and its links sized by the energy
 * of each link's meter (meter, offline meter or virtual meter by uuid) over the reporting period.
 */
import { badRequest, notFound } from '../../api/errors';
import type { Principal } from '../../auth/service';
import type { EnergyService, SubjectKind } from '../../energy/contract';
import type { Store } from '../../store/store';
import type { Built } from '../doc';
import { parseSpan, str, type Query } from '../params';
import { authorize } from '../subjects';
import { sum } from '../common';

const TABLES: [string, SubjectKind][] = [
  ['meters', 'meters'],
  ['offline_meters', 'offlinemeters'],
  ['virtual_meters', 'virtualmeters'],
];

export function buildEnergyFlow(store: Store, energy: EnergyService, p: Principal, q: Query): Built {
  const idText = str(q, 'energyflowdiagramid');
  const id = Number(idText);
  const diagram = idText && /^\d+$/.test(idText) ? (store.db.prepare('SELECT id, name, uuid FROM energy_flow_diagrams WHERE id = ?').get(id) as { id: number; name: string; uuid: string } | undefined) : undefined;
  if (!idText || !/^\d+$/.test(idText)) throw badRequest('API.INVALID_ENERGY_FLOW_DIAGRAM_ID', 'energyflowdiagramid must be a positive integer', 'energyflowdiagramid');
  if (!diagram) throw notFound('API.ENERGY_FLOW_DIAGRAM_NOT_FOUND', 'energy flow diagram not found');
  const nodes = store.db.prepare('SELECT id, name FROM energy_flow_nodes WHERE energy_flow_diagram_id = ? ORDER BY id').all(diagram.id) as { id: number; name: string }[];
  const links = store.db.prepare('SELECT id, source_node_id, target_node_id, meter_uuid FROM energy_flow_links WHERE energy_flow_diagram_id = ? ORDER BY id').all(diagram.id) as { id: number; source_node_id: number; target_node_id: number; meter_uuid: string }[];
  const meterOf = (uuid: string) => {
    for (const [table, kind] of TABLES) {
      const r = store.db.prepare(`SELECT id, name FROM ${table} WHERE uuid = ?`).get(uuid) as { id: number; name: string } | undefined;
      if (r) return { ...r, kind };
    }
    return null;
  };
  const resolved = links.map((l) => ({ l, m: meterOf(l.meter_uuid) }));
  for (const { m } of resolved) if (m) authorize(store, p, m.kind, m.id);
  const first = resolved.find((x) => x.m)?.m;
  const zone = first ? energy.timezoneOf(first.kind, first.id) : 'UTC';
  const span = parseSpan(q, 'reporting', zone, 'daily', true)!;
  const name = (nid: number) => nodes.find((n) => n.id === nid)?.name ?? String(nid);
  const out = resolved.map(({ l, m }) => {
    const r = m ? energy.query({ kind: m.kind, id: m.id, start: span.start, end: span.end, periodType: 'yearly' }) : null;
    const values = r?.categories[0]?.values ?? [];
    return { id: l.id, source: name(l.source_node_id), target: name(l.target_node_id), meter: m ? { id: m.id, name: m.name, uuid: l.meter_uuid } : null, value: values.some((v) => v !== null) ? sum(values) : null };
  });
  return {
    json: { energy_flow_diagram: diagram, nodes: nodes.map((n) => ({ id: n.id, name: n.name })), links: out },
    doc: {
      title: 'Energy Flow Diagram',
      subjectLabel: 'Energy flow diagram',
      subjectName: diagram.name,
      periodType: null,
      reporting: { start: span.startLocal, end: span.endLocal },
      base: null,
      timezone: zone,
      figures: [],
      charts: [],
      tables: [{ title: 'Links', columns: ['Source', 'Target', 'Meter', 'Energy'], rows: out.map((l) => [l.source, l.target, l.meter?.name ?? null, l.value]) }],
      notes: [],
    },
  };
}
