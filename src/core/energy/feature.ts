/**
 * The energy pipeline as a feature: its tables, the history import and energy routes, the incremental pipeline
 * fed by the value bus and by imports, and the `energy` service (contract.ts) the reports read through.
 */
import type { Feature } from '../feature';
import type { Historian } from '../historian/feature';
import { registerEstimateRoutes } from './estimates';
import { registerHistoryRoutes } from './history';
import { EnergyPipeline } from './pipeline';
import { registerEnergyRoutes } from './routes';
import { energyService } from './service';
import { EnergyStorage, energyMigrations } from './storage';
import { Zones } from './timezones';

export const GAP_KEY = 'energy.gap_minutes';
/** an interval between readings longer than this is a gap: an hourly logger with some jitter still counts */
export const DEFAULT_GAP_MINUTES = 65;

/** configuration whose change can change energy, cost or zones */
const WATCHED = new Set([
  'meters',
  'offlinemeters',
  'virtualmeters',
  'points',
  'spaces',
  'timezones',
  'tariffs',
  'costcenters',
  'energycategories',
  'energyitems',
  'equipments',
  'combinedequipments',
  'tenants',
  'stores',
  'shopfloors',
]);

export const energyFeature: Feature = {
  name: 'energy',
  migrations: [energyMigrations],
  compose(ctx) {
    const historian = ctx.services.get('historian') as Historian;
    const storage = new EnergyStorage(ctx.store);
    const zones = new Zones(ctx.store, ctx.settings);
    const gapMs = () => {
      const m = Number(ctx.settings.get(GAP_KEY) ?? DEFAULT_GAP_MINUTES);
      return (Number.isFinite(m) && m > 0 ? m : DEFAULT_GAP_MINUTES) * 60_000;
    };
    const pipeline = new EnergyPipeline({ db: ctx.store.db, storage, samples: historian.storage, flushHistorian: () => historian.flush(), zones, gapMs, log: ctx.log });
    const service = energyService(ctx.store.db, storage, pipeline, zones);
    ctx.services.set('energy', service);
    ctx.services.set('energyPipeline', pipeline);
    registerHistoryRoutes(ctx.app, ctx, historian, (id, first, last) => pipeline.imported(id, first, last));
    registerEnergyRoutes(ctx.app, service);
    registerEstimateRoutes(ctx.app, ctx, pipeline);
    let unsubscribe: (() => void) | null = null;
    let unwatch: (() => void) | null = null;
    return [
      {
        name: 'energy',
        start() {
          pipeline.start();
          unsubscribe = ctx.values.subscribe(pipeline.take);
          unwatch = ctx.registry.onChange((entity) => {
            if (entity === 'files:offline_meter') pipeline.offlineFilesChanged();
            else if (WATCHED.has(entity)) pipeline.reloadSoon();
          });
        },
        stop() {
          unsubscribe?.();
          unwatch?.();
          pipeline.stop();
        },
      },
    ];
  },
};
