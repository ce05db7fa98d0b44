/**
 * Every report path under /api/reports and how it is built. One builder per report kind, parameterized by
 * subject kind: `spaceenergycategory`, `equipmentenergycategory`, `tenantenergycategory`... all use
 * buildCategories. Output, income and efficiency read the pipeline's output direction.
 */
import type { SubjectKind } from '../energy/contract';
import type { Built } from './doc';
import type { BuildCtx } from './common';
import { buildCategories, type CategoryFamily } from './families/categories';
import { buildLoad } from './families/load';
import { buildMeter, buildMeterTrend } from './families/meter';
import { buildStatistics } from './families/statistics';
import { buildEfficiency, buildOutput } from './families/output';
import { buildTenantBill } from './families/tenantbill';
import { buildBatch } from './families/batch';
import { buildComparison, buildSubjectComparison, buildSubmetersBalance } from './families/compare';
import { buildSaving } from './families/saving';
import { buildPlan } from './families/plan';

export interface CatalogEntry {
  kind: SubjectKind;
  /** periodtype is not asked (trend, bill): this is used */
  fixedPeriodType?: 'hourly' | 'daily' | 'monthly';
  /** base period not used */
  noBase?: boolean;
  /** the subject's id parameter under another name (metercomparison: meterid1) */
  alias?: Record<string, string>;
  build: (ctx: BuildCtx) => Built;
}

export const catalog = new Map<string, CatalogEntry>();

const SITE_KINDS: [string, SubjectKind][] = [
  ['space', 'spaces'],
  ['equipment', 'equipments'],
  ['combinedequipment', 'combinedequipments'],
  ['tenant', 'tenants'],
  ['store', 'stores'],
  ['shopfloor', 'shopfloors'],
];
const CATEGORY_FAMILIES: CategoryFamily[] = ['energycategory', 'energyitem', 'cost', 'carbon'];

for (const [prefix, kind] of SITE_KINDS) {
  for (const f of CATEGORY_FAMILIES) catalog.set(`${prefix}${f}`, { kind, build: (ctx) => buildCategories(ctx, f) });
  catalog.set(`${prefix}load`, { kind, build: buildLoad });
  catalog.set(`${prefix}statistics`, { kind, build: buildStatistics });
  if (kind === 'spaces' || kind === 'equipments' || kind === 'combinedequipments') {
    catalog.set(`${prefix}output`, { kind, build: (ctx) => buildOutput(ctx, 'output') });
    catalog.set(`${prefix}income`, { kind, build: (ctx) => buildOutput(ctx, 'income') });
    catalog.set(`${prefix}efficiency`, { kind, build: buildEfficiency });
  }
}
catalog.set('tenantbill', { kind: 'tenants', fixedPeriodType: 'monthly', noBase: true, build: buildTenantBill });

for (const [prefix, kind] of [['meter', 'meters'], ['virtualmeter', 'virtualmeters'], ['offlinemeter', 'offlinemeters']] as [string, SubjectKind][]) {
  catalog.set(`${prefix}energy`, { kind, build: (ctx) => buildMeter(ctx, 'energy') });
  catalog.set(`${prefix}cost`, { kind, build: (ctx) => buildMeter(ctx, 'cost') });
  catalog.set(`${prefix}carbon`, { kind, build: (ctx) => buildMeter(ctx, 'carbon') });
}
for (const [prefix, kind] of [...SITE_KINDS.filter(([p]) => p !== 'space'), ['meter', 'meters'], ['virtualmeter', 'virtualmeters'], ['offlinemeter', 'offlinemeters']] as [string, SubjectKind][]) {
  catalog.set(`${prefix}batch`, { kind: 'spaces', fixedPeriodType: 'daily', noBase: true, build: (ctx) => buildBatch(ctx, kind) });
}
catalog.set('metercomparison', { kind: 'meters', alias: { meterid: 'meterid1', meteruuid: 'meteruuid1' }, noBase: true, build: buildComparison });
catalog.set('equipmentcomparison', { kind: 'equipments', alias: { equipmentid: 'equipmentid1', equipmentuuid: 'equipmentuuid1' }, noBase: true, build: (ctx) => buildSubjectComparison(ctx, 'equipments') });
catalog.set('combinedequipmentcomparison', {
  kind: 'combinedequipments',
  alias: { combinedequipmentid: 'combinedequipmentid1', combinedequipmentuuid: 'combinedequipmentuuid1' },
  noBase: true,
  build: (ctx) => buildSubjectComparison(ctx, 'combinedequipments'),
});
catalog.set('metersubmetersbalance', { kind: 'meters', noBase: true, build: buildSubmetersBalance });
catalog.set('metertrend', { kind: 'meters', fixedPeriodType: 'hourly', noBase: true, build: buildMeterTrend });

// saving (baseline − actual) and plan (plan − actual) for every energy subject
for (const [prefix, kind] of [...SITE_KINDS, ['meter', 'meters'], ['virtualmeter', 'virtualmeters'], ['offlinemeter', 'offlinemeters']] as [string, SubjectKind][]) {
  catalog.set(`${prefix}saving`, { kind, build: buildSaving });
  catalog.set(`${prefix}plan`, { kind, build: buildPlan });
}
