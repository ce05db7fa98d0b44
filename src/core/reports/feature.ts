/**
 * Reports: the MyEMS report API over the energy pipeline (`ctx.services.get('energy')`), workbooks with
 * chart images, and scheduled advanced reports.
 */
import type { Feature } from '../feature';
import { registerReportRoutes } from './routes';

export const reportsFeature: Feature = {
  name: 'reports',
  compose(ctx) {
    registerReportRoutes(ctx.app, { store: ctx.store, services: ctx.services, values: ctx.values });
  },
};
