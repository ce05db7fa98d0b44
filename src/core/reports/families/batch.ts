/**
 * Batch reports (MyEMS meterbatch, equipmentbatch, tenantbatch ...): every subject of a kind bound to a space
 * or any space below it, with its energy per category over the reporting period and its daily values.
 */
import type { SubjectKind } from '../../energy/contract';
import { labels, query, spanText, sum, type BuildCtx } from '../common';
import type { Built } from '../doc';
import { SUBJECTS } from '../subjects';

interface Member {
  id: number;
  name: string;
  uuid: string;
  space: string;
}

/** subjects of `kind` bound to the space tree below (and including) the report's space, with the space path */
function members(ctx: BuildCtx, kind: SubjectKind): Member[] {
  const db = ctx.store.db;
  const spaces = db.prepare('SELECT id, name, parent_space_id FROM spaces').all() as { id: number; name: string; parent_space_id: number | null }[];
  const byId = new Map(spaces.map((s) => [s.id, s]));
  const path = (id: number) => {
    const parts: string[] = [];
    for (let x: number | null = id, n = 0; x !== null && n < 64; n++) {
      const s = byId.get(x);
      if (!s) break;
      parts.unshift(s.name);
      x = s.parent_space_id;
    }
    return parts.join('/');
  };
  const tree: number[] = [];
  const stack = [ctx.subject.id];
  while (stack.length) {
    const id = stack.pop()!;
    tree.push(id);
    for (const s of spaces) if (s.parent_space_id === id) stack.push(s.id);
  }
  const info = SUBJECTS[kind];
  const out = new Map<number, Member>();
  const rows = db
    .prepare(`SELECT l.owner_id AS space_id, t.id, t.name, t.uuid FROM rel_spaces_${info.link} l JOIN ${info.table} t ON t.id = l.target_id WHERE l.owner_id IN (${tree.map(() => '?').join(',')}) ORDER BY t.id`)
    .all(...tree) as { space_id: number; id: number; name: string; uuid: string }[];
  for (const r of rows) if (!out.has(r.id)) out.set(r.id, { id: r.id, name: r.name, uuid: r.uuid, space: path(r.space_id) });
  return [...out.values()];
}

export function buildBatch(ctx: BuildCtx, kind: SubjectKind): Built {
  const info = SUBJECTS[kind];
  const span = ctx.params.reporting;
  const list = members(ctx, kind).map((m) => ({ m, r: query(ctx, span, 'daily', kind, m.id) }));
  const cats = new Map<number, { id: number; name: string; unit_of_measure: string }>();
  for (const { r } of list) for (const c of r.categories) cats.set(c.id, { id: c.id, name: c.name, unit_of_measure: c.unit });
  const categories = [...cats.values()].sort((a, b) => a.id - b.id);
  const dates = list[0] ? labels(list[0].r, 'daily') : [];
  const plural = kind === 'meters' ? 'meters' : info.kind === 'combinedequipments' ? 'combined_equipments' : info.kind === 'virtualmeters' ? 'virtual_meters' : info.kind === 'offlinemeters' ? 'offline_meters' : info.kind;
  const rows = list.map(({ m, r }) => {
    const values = categories.map((c) => {
      const s = r.categories.find((x) => x.id === c.id);
      return s && s.values.some((v) => v !== null) ? sum(s.values) : null;
    });
    const first = r.categories[0];
    return {
      id: m.id,
      [`${info.key}_name`]: m.name,
      uuid: m.uuid,
      space_name: m.space,
      energy_category_name: first?.name ?? null,
      values,
      daily_values: first ? labels(r, 'daily').map((date, i) => ({ date, value: first.values[i] })) : [],
      subtotal: values.some((v) => v !== null) ? sum(values) : null,
      missing_periods: first ? first.values.filter((v) => v === null).length : dates.length,
    };
  });
  return {
    json: { space: { id: ctx.subject.id, name: ctx.subject.row.name }, [plural]: rows, energycategories: categories, date_list: dates },
    doc: {
      title: `${info.label} Batch Analysis`,
      subjectLabel: 'Space',
      subjectName: String(ctx.subject.row.name),
      periodType: null,
      reporting: spanText(span),
      base: null,
      timezone: ctx.params.zone,
      figures: [],
      charts: rows.length ? [{ title: `${info.label} energy`, categories: rows.map((r) => String(r[`${info.key}_name`])), series: categories.map((c, i) => ({ name: `${c.name} (${c.unit_of_measure})`, values: rows.map((r) => r.values[i]) })), unit: categories.map((c) => c.unit_of_measure).join(', '), kind: 'bar', stacked: true }] : [],
      tables: [{ title: info.label, columns: [info.label, 'Space', ...categories.map((c) => `${c.name} (${c.unit_of_measure})`)], rows: rows.map((r) => [String(r[`${info.key}_name`]), r.space_name, ...r.values]) }],
      notes: [],
    },
  };
}
