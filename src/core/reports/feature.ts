/**
 * Reports: the MyEMS report API over the energy pipeline (`ctx.services.get('energy')`), workbooks with
 * chart images, and scheduled advanced reports.
 */
import type { Feature } from '../feature';
import { AdvancedReports, advancedMigrations } from './advanced';
import { registerAdvancedRoutes } from './advanced-routes';
import { registerReportRoutes } from './routes';
import { registerPlanRoutes } from './plan-routes';
import { planMigrations } from './plans';

/** how often due advanced reports are looked for (ms); SWITCHYARD_ADVANCED_REPORTS_INTERVAL_MS overrides */
const interval = () => Number(process.env.SWITCHYARD_ADVANCED_REPORTS_INTERVAL_MS ?? 30_000);

export const reportsFeature: Feature = {
  name: 'reports',
  migrations: [advancedMigrations, planMigrations],
  compose(ctx) {
    const deps = { store: ctx.store, services: ctx.services, values: ctx.values, access: ctx.access };
    const advanced = new AdvancedReports(deps, { intervalMs: interval(), log: ctx.log });
    ctx.services.set('advancedreports', advanced);
    registerAdvancedRoutes(ctx.app, ctx.store, ctx.audit, advanced);
    registerReportRoutes(ctx.app, deps);
    registerPlanRoutes(ctx.app, ctx.store, ctx.services, ctx.audit);
    return [advanced];
  },
};
