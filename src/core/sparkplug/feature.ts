/**
 * Sparkplug B edge publishing (docs/sparkplug.md): the `sparkplugnodes` configuration, the outbox tables, the
 * edge nodes as a service, host commands through the control arbiter, and the status/rebirth routes. Composed after
 * control (commands are arbiter requests) and demand response (its events are published).
 */
import type { ControlHub } from '../control/service';
import type { Feature, RuntimeContext, Service } from '../feature';
import { commandHandler } from './commands';
import { sparkplugnodes } from './entities';
import { sparkplugMigrations } from './outbox';
import { registerSparkplugRoutes } from './routes';
import { SparkplugService } from './service';

const CATALOG = new Set(['points', 'datasources', 'spaces']);

export const sparkplugFeature: Feature = {
  name: 'sparkplug',
  migrations: [sparkplugMigrations],
  entities: [sparkplugnodes],
  compose(ctx: RuntimeContext): Service[] {
    const command = commandHandler({ store: ctx.store, audit: ctx.audit, auth: ctx.auth, access: ctx.access, control: () => ctx.services.get('control') as ControlHub | undefined, log: ctx.log });
    const service = new SparkplugService(ctx.store, ctx.values, ctx.log, command);
    ctx.services.set('sparkplug', service);
    registerSparkplugRoutes(ctx.app, { service, audit: ctx.audit });
    let unsubscribe: (() => void) | null = null;
    return [
      {
        name: 'sparkplug',
        start() {
          unsubscribe = ctx.registry.onChange((entity, op, id) => {
            if (entity === 'sparkplugnodes') service.nodeChanged(id, op);
            else if (CATALOG.has(entity)) service.catalogChanged();
          });
          service.start();
        },
        async stop() {
          unsubscribe?.();
          await service.stop();
        },
      },
    ];
  },
};
