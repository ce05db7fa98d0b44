/**
 * Meter comparison (MyEMS metercomparison: two meters over the same reporting period and their difference)
 * and submeters balance (MyEMS metersubmetersbalance: a master meter against the sum of its submeters).
 */
import { badRequest, notFound } from '../../api/errors';
import type { EnergyResult } from '../../energy/contract';
import { categoryOf, labels, missing, query, spanText, sum, type BuildCtx, type Values } from '../common';
import type { Built } from '../doc';
import { authorize, resolveAliased } from '../subjects';

const valuesOf = (r: EnergyResult): Values => r.categories[0]?.values ?? r.periods.map(() => null);
const diff = (a: Values, b: Values): Values => a.map((x, i) => (x === null || b[i] === null ? null : x - (b[i] as number)));

function meterInfo(ctx: BuildCtx, row: Record<string, unknown>) {
  const c = categoryOf(ctx.store, row.energy_category_id as number);
  return { id: row.id, name: row.name, uuid: row.uuid, energy_category_id: row.energy_category_id, energy_category_name: c?.name ?? null, unit_of_measure: c?.unit_of_measure ?? null };
}

export function buildComparison(ctx: BuildCtx): Built {
  const { params } = ctx;
  const q2 = ctx.query ?? {};
  const second = resolveAliased(ctx.store, q2, 'meters', { meterid: 'meterid2', meteruuid: 'meteruuid2' });
  if (ctx.principal) authorize(ctx.store, ctx.principal, 'meters', second.id);
  const m1 = meterInfo(ctx, ctx.subject.row);
  const m2 = meterInfo(ctx, second.row);
  if (m1.energy_category_id !== m2.energy_category_id) throw badRequest('API.METERS_OF_DIFFERENT_ENERGY_CATEGORIES', 'both meters must measure the same energy category', 'meterid2');
  const r1 = query(ctx, params.reporting);
  const r2 = query(ctx, params.reporting, params.periodType, 'meters', second.id);
  const ts = labels(r1, params.periodType);
  const v1 = valuesOf(r1);
  const v2 = valuesOf(r2);
  const d = diff(v1, v2);
  const unit = String(m1.unit_of_measure ?? '');
  return {
    json: {
      meter1: m1,
      meter2: m2,
      reporting_period1: { total_in_category: sum(v1), timestamps: ts, values: v1, missing_periods: missing(v1) },
      reporting_period2: { total_in_category: sum(v2), timestamps: ts, values: v2, missing_periods: missing(v2) },
      diff: { values: d, total_in_category: sum(v1) - sum(v2) },
      parameters: { names: [], timestamps: [], values: [] },
    },
    doc: {
      title: 'Meter Comparison',
      subjectLabel: 'Meters',
      subjectName: `${m1.name} / ${m2.name}`,
      periodType: params.periodType,
      reporting: spanText(params.reporting),
      base: null,
      timezone: params.zone,
      figures: [
        { label: String(m1.name), unit, value: sum(v1) },
        { label: String(m2.name), unit, value: sum(v2) },
        { label: 'Difference', unit, value: sum(v1) - sum(v2) },
      ],
      charts: [{ title: `Comparison (${unit})`, categories: ts, series: [{ name: String(m1.name), values: v1 }, { name: String(m2.name), values: v2 }], unit, kind: 'line', stacked: false }],
      tables: [{ title: 'Reporting Period', columns: ['Datetime', String(m1.name), String(m2.name), 'Difference'], rows: ts.map((t, i) => [t, v1[i], v2[i], d[i]]) }],
      notes: [],
    },
  };
}

export function buildSubmetersBalance(ctx: BuildCtx): Built {
  const { params } = ctx;
  const master = meterInfo(ctx, ctx.subject.row);
  const subs = ctx.store.db.prepare('SELECT id, name FROM meters WHERE master_meter_id = ? ORDER BY id').all(ctx.subject.id) as { id: number; name: string }[];
  const rm = query(ctx, params.reporting);
  const ts = labels(rm, params.periodType);
  const vm = valuesOf(rm);
  const each = subs.map((s) => valuesOf(query(ctx, params.reporting, params.periodType, 'meters', s.id)));
  // a period's submeter sum is known only when every submeter is known there
  const vs: Values = ts.map((_, i) => (each.length && each.every((v) => v[i] !== null) ? each.reduce((a, v) => a + (v[i] as number), 0) : null));
  const d = diff(vm, vs);
  const total = sum(vm);
  const totalDiff = sum(d);
  const unit = String(master.unit_of_measure ?? '');
  return {
    json: {
      meter: master,
      reporting_period: {
        timestamps: ts,
        master_values: vm,
        submeters_values: vs,
        difference_values: d,
        total_in_category: total,
        total_submeters_in_category: sum(vs),
        total_difference_in_category: totalDiff,
        percentage_difference: total > 0 ? totalDiff / total : null,
        missing_periods: missing(d),
      },
      submeters: subs.map((s, i) => ({ id: s.id, name: s.name, subtotal: sum(each[i]), missing_periods: missing(each[i]) })),
      parameters: { names: [], timestamps: [], values: [] },
    },
    doc: {
      title: 'Meter Submeters Balance',
      subjectLabel: 'Meter',
      subjectName: String(master.name),
      periodType: params.periodType,
      reporting: spanText(params.reporting),
      base: null,
      timezone: params.zone,
      figures: [
        { label: 'Master meter', unit, value: total },
        { label: 'Submeters', unit, value: sum(vs) },
        { label: 'Difference', unit, value: totalDiff },
      ],
      charts: [{ title: `Master and submeters (${unit})`, categories: ts, series: [{ name: 'Master', values: vm }, { name: 'Submeters', values: vs }], unit, kind: 'bar', stacked: false }],
      tables: [{ title: 'Reporting Period', columns: ['Datetime', 'Master', 'Submeters', 'Difference'], rows: ts.map((t, i) => [t, vm[i], vs[i], d[i]]) }],
      notes: [],
    },
  };
}

/**
 * Equipment and combined equipment comparison (MyEMS equipmentcomparison / combinedequipmentcomparison): two
 * subjects' input energy of one energy category (`energycategoryid`) over the same reporting period and their
 * difference. A period's difference is null unless both are known; the difference's total sums the periods where
 * both are (as MyEMS).
 */
export function buildSubjectComparison(ctx: BuildCtx, kind: 'equipments' | 'combinedequipments'): Built {
  const { params } = ctx;
  const q = ctx.query ?? {};
  const param = kind === 'equipments' ? 'equipment' : 'combinedequipment';
  const key = kind === 'equipments' ? 'equipment' : 'combined_equipment';
  const label = kind === 'equipments' ? 'Equipment' : 'Combined Equipment';
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const second = resolveAliased(ctx.store, q, kind, { [`${param}id`]: `${param}id2`, [`${param}uuid`]: `${param}uuid2` });
  if (ctx.principal) authorize(ctx.store, ctx.principal, kind, second.id);
  const catText = text(q.energycategoryid);
  if (catText === undefined || !/^\d+$/.test(catText) || Number(catText) <= 0) throw badRequest('API.INVALID_ENERGY_CATEGORY_ID', 'energycategoryid must be a positive integer', 'energycategoryid');
  const cat = categoryOf(ctx.store, Number(catText));
  if (!cat) throw notFound('API.ENERGY_CATEGORY_NOT_FOUND', 'energy category not found');
  const of = (r: EnergyResult): Values => r.categories.find((c) => c.id === Number(catText))?.values ?? r.periods.map(() => null);
  const r1 = query(ctx, params.reporting);
  const r2 = query(ctx, params.reporting, params.periodType, kind, second.id);
  const ts = labels(r1, params.periodType);
  const v1 = of(r1);
  const v2 = of(r2);
  const d = diff(v1, v2);
  const unit = String(cat.unit_of_measure ?? '');
  const n1 = String(ctx.subject.row.name);
  const n2 = String(second.row.name);
  return {
    json: {
      [`${key}1`]: { id: ctx.subject.id, name: n1 },
      [`${key}2`]: { id: second.id, name: n2 },
      energy_category: { id: cat.id, name: cat.name, unit_of_measure: cat.unit_of_measure },
      reporting_period1: { total_in_category: sum(v1), timestamps: ts, values: v1, missing_periods: missing(v1) },
      reporting_period2: { total_in_category: sum(v2), timestamps: ts, values: v2, missing_periods: missing(v2) },
      diff: { values: d, total_in_category: sum(d) },
    },
    doc: {
      title: `${label} Comparison`,
      subjectLabel: label,
      subjectName: `${n1} / ${n2}`,
      periodType: params.periodType,
      reporting: spanText(params.reporting),
      base: null,
      timezone: params.zone,
      figures: [
        { label: n1, unit, value: sum(v1) },
        { label: n2, unit, value: sum(v2) },
        { label: 'Difference', unit, value: sum(d) },
      ],
      charts: [{ title: `${cat.name} (${unit})`, categories: ts, series: [{ name: n1, values: v1 }, { name: n2, values: v2 }], unit, kind: 'line', stacked: false }],
      tables: [{ title: 'Reporting Period', columns: ['Datetime', n1, n2, 'Difference'], rows: ts.map((t, i) => [t, v1[i], v2[i], d[i]]) }],
      notes: [],
    },
  };
}
