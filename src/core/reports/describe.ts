/**
 * What the Reports screen needs to offer every report the API has: for each report name its subject (entity
 * kind to pick from, id parameter), the period types it takes, whether it has periods and a base period, and
 * any second subject it needs (metercomparison's second meter). Drawn from the catalog, so a family added
 * there appears on the screen without a change to the renderer. `GET /api/reports/catalog`.
 */
import { PERIOD_TYPES } from '../energy/contract';
import { catalog } from './catalog';
import { SUBJECTS } from './subjects';
import { standalone } from './standalone';

export type { ReportDescription, ReportSubjectRef } from '../../shared/reports';
import type { PeriodType, ReportDescription, ReportSubjectRef } from '../../shared/reports';

/**
 * Reports outside the catalog (standalone.ts) as the screen offers them; one without a line here is API only
 * (`energystoragepowerstationcollection*`: the same answers as `energystoragepowerstations*`).
 */
const MICROGRID: ReportSubjectRef = { kind: 'microgrids', param: 'id', label: 'Microgrid' };
const STATION: ReportSubjectRef = { kind: 'energystoragepowerstations', param: 'id', label: 'Energy storage power station' };
const plain = (label: string, subject: ReportSubjectRef | null, periodTypes: PeriodType[] = []): Omit<ReportDescription, 'name'> => ({ label, subject, periodTypes, base: false, extra: [] });
const MEASURES: [string, string][] = [
  ['energy', 'energy'],
  ['billing', 'billing'],
  ['carbon', 'carbon'],
];
export const STANDALONE_DESCRIPTIONS = new Map<string, Omit<ReportDescription, 'name'>>([
  ['metertracking', { label: 'Meter tracking', subject: { kind: 'spaces', param: 'spaceid', label: 'Space' }, periodTypes: ['daily'], base: false, extra: [], fixed: { energyCategory: 'all' } }],
  ['distributionsystem', plain('Distribution system', { kind: 'distributionsystems', param: 'distributionsystemid', label: 'Distribution system' })],
  // the user's plants: no subject to pick
  ...MEASURES.map(([m, l]): [string, Omit<ReportDescription, 'name'>] => [`microgrids${m}`, plain(`Microgrids ${l}`, null)]),
  ['microgridlist', plain('Microgrid list', null)],
  ['microgriddashboard', plain('Microgrid dashboard', null)],
  ['microgriddetails', plain('Details', MICROGRID)],
  ...MEASURES.map(([m, l]): [string, Omit<ReportDescription, 'name'>] => [`energystoragepowerstations${m}`, plain(`Energy storage stations ${l}`, null)]),
  ['energystoragepowerstationlist', plain('Energy storage station list', null)],
  ['energystoragepowerstationdashboard', plain('Energy storage dashboard', null)],
  ['energystoragepowerstationdetails', plain('Details', STATION)],
  ...MEASURES.map(([m, l]): [string, Omit<ReportDescription, 'name'>] => [`energystoragepowerstationitem${m}`, plain(`Station ${l}`, STATION)]),
  ...MEASURES.map(([m, l]): [string, Omit<ReportDescription, 'name'>] => [`energystoragepowerstationreporting${m}`, plain(`Station ${l} per period`, STATION, [...PERIOD_TYPES])]),
]);

/** second subjects (and the compared energy category) of the comparison reports */
const CATEGORY: ReportSubjectRef = { kind: 'energycategories', param: 'energycategoryid', label: 'Energy category' };
const EXTRA = new Map<string, ReportSubjectRef[]>([
  ['metercomparison', [{ kind: 'meters', param: 'meterid2', label: 'Second meter' }]],
  ['equipmentcomparison', [{ kind: 'equipments', param: 'equipmentid2', label: 'Second equipment' }, CATEGORY]],
  ['combinedequipmentcomparison', [{ kind: 'combinedequipments', param: 'combinedequipmentid2', label: 'Second combined equipment' }, CATEGORY]],
]);

const FAMILY_LABELS: [string, string][] = [
  ['energycategory', 'Energy by category'],
  ['energyitem', 'Energy by item'],
  ['submetersbalance', 'Submeters balance'],
  ['comparison', 'Comparison'],
  ['efficiency', 'Efficiency'],
  ['statistics', 'Statistics'],
  ['realtime', 'Realtime'],
  ['output', 'Output'],
  ['income', 'Income'],
  ['energy', 'Energy'],
  ['carbon', 'Carbon'],
  ['trend', 'Trend'],
  ['load', 'Load'],
  ['cost', 'Cost'],
  ['bill', 'Bill'],
  ['saving', 'Saving'],
  ['plan', 'Plan'],
];

/** 'spaceenergycategory' of a space -> 'Energy by category'; 'meterbatch' of a space -> 'Meter batch' */
function labelOf(name: string, stem: string | null): string {
  const rest = stem && name.startsWith(stem) ? name.slice(stem.length) : name;
  for (const [suffix, label] of FAMILY_LABELS) if (rest === suffix) return label;
  if (rest.endsWith('batch')) {
    const of = Object.values(SUBJECTS).find((s) => s.param === rest.slice(0, -5));
    if (of) return `${of.label} batch`;
  }
  return rest.replace(/^./, (c) => c.toUpperCase());
}

export function describeReports(): ReportDescription[] {
  const all = PERIOD_TYPES;
  const out: ReportDescription[] = [
    { name: 'dashboard', label: 'Dashboard', subject: null, periodTypes: [...all], base: true, extra: [] },
    { name: 'meterrealtime', label: 'Realtime', subject: { kind: 'meters', param: 'meterid', label: 'Meter' }, periodTypes: [], base: false, extra: [] },
    { name: 'energyflowdiagram', label: 'Energy flow diagram', subject: { kind: 'energyflowdiagrams', param: 'energyflowdiagramid', label: 'Energy flow diagram' }, periodTypes: ['daily'], base: false, extra: [] },
  ];
  for (const [name, e] of catalog) {
    const info = (SUBJECTS as Record<string, { param: string; label: string } | undefined>)[e.kind];
    if (!info) continue;
    const param = e.alias?.[`${info.param}id`] ?? `${info.param}id`;
    const extra: ReportSubjectRef[] = EXTRA.get(name) ?? [];
    out.push({
      name,
      label: labelOf(name, info.param),
      subject: { kind: e.kind, param, label: info.label },
      periodTypes: e.fixedPeriodType ? [e.fixedPeriodType] : [...all],
      base: !e.noBase,
      extra,
    });
  }
  for (const name of standalone.keys()) {
    const d = STANDALONE_DESCRIPTIONS.get(name);
    if (d) out.push({ name, ...d });
  }
  return out;
}
