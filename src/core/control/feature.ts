/**
 * Control in the runtime: the device writer, the arbiter and its cycle (default 1 s, setting control.cycle_ms),
 * the storage controllers and point schedules, the configuration entities, and the routes. Composed after
 * acquisition (it writes through it) and before demand response (a client of the arbiter).
 */
import type { Feature, RuntimeContext, Service } from '../feature';
import type { AcquisitionService } from '../acquisition/contracts';
import { ControlService } from './control';
import { controlEntities } from './entities';
import { CYCLE_SETTING, registerControlRoutes } from './routes';
import { ControlHub, DEFAULT_CYCLE_MS } from './service';
import { controlMigrations } from './store';

/** Configuration whose change reaches the arbiter's caches. */
const WATCHED = new Set(['points', 'controlpoints', 'controlschedules', 'storagecontrols', 'energystoragecontainers', 'microgrids', 'microgridschedules', 'energystoragecontainerschedules', 'tariffs', 'costcenters', 'timezones', 'workingcalendars', 'nonworkingdays', 'spaces']);

export const controlFeature: Feature = {
  name: 'control',
  migrations: [controlMigrations],
  entities: controlEntities,
  compose(ctx: RuntimeContext): Service[] {
    const acquisition = () => ctx.services.get('acquisition') as AcquisitionService | undefined;
    const writer = new ControlService(ctx.store, ctx.audit, ctx.values, acquisition);
    const configured = Number(ctx.settings.get(CYCLE_SETTING));
    const hub = new ControlHub(ctx.store, ctx.audit, ctx.values, writer, { cycleMs: Number.isInteger(configured) && configured >= 100 ? configured : DEFAULT_CYCLE_MS });
    ctx.services.set('control', hub);
    let timer: NodeJS.Timeout | null = null;
    let running = false;
    const schedule = () => {
      if (!running) return;
      timer = setTimeout(() => {
        void hub.arbiter
          .cycle()
          .catch((e: Error) => ctx.log(`control: cycle failed: ${e.message}`))
          .finally(schedule);
      }, hub.arbiter.cycleMs);
    };
    registerControlRoutes(ctx.app, {
      store: ctx.store,
      settings: ctx.settings,
      audit: ctx.audit,
      hub,
      writer,
      onCycleChange: (ms) => {
        hub.arbiter.cycleMs = ms;
        if (timer) clearTimeout(timer);
        schedule();
      },
    });
    // once per transaction: an import of 100,000 points cleared the caches 100,000 times (~0.5 s)
    const unsubscribe = ctx.registry.onChanges((changes) => {
      if (changes.some((c) => WATCHED.has(c.entity))) hub.invalidate();
    });
    return [
      {
        name: 'control',
        start() {
          hub.restore();
          running = true;
          schedule();
        },
        async stop() {
          running = false;
          unsubscribe();
          if (timer) clearTimeout(timer);
          await hub.arbiter.idle();
        },
      },
    ];
  },
};
