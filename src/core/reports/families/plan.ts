/**
 * Plan reports (meter, virtual/offline meter, space, equipment, combined equipment, tenant, store, shopfloor):
 * the uploaded energy plan (plans.ts, POST /api/energyplans) against the actual energy; saving = plan − actual,
 * in MyEMS's saving shape (its plan reports answer `values_saving` too), with `values_plan` and
 * `values_actual` beside it.
 */
import type { EnergyPeriod } from '../../energy/contract';
import type { Span } from '../params';
import type { BuildCtx, Values } from '../common';
import type { Built } from '../doc';
import { PlanStore } from '../plans';
import { buildVersus, type Reference } from './versus';

export const plan: Reference = {
  key: 'plan',
  title: 'Plan',
  hourly(ctx: BuildCtx, _span: Span, categoryId: number, hours: EnergyPeriod[]): Values {
    return new PlanStore(ctx.store).hourly(ctx.subject.info.kind, ctx.subject.id, categoryId, hours.map((h) => h.start));
  },
  categories(ctx: BuildCtx, span: Span): number[] {
    return new PlanStore(ctx.store).categories(ctx.subject.info.kind, ctx.subject.id, span.start, span.end);
  },
};

export const buildPlan = (ctx: BuildCtx): Built => buildVersus(ctx, plan);
