/**
 * Central: this installation as a Sparkplug B host application for many edge sites, storing what it ingests in
 * the central store (PostgreSQL with `--database`, else the installation's SQLite store). See docs/central.md.
 */
import type { Feature } from '../feature';
import { sparkplughosts } from './entities';
import { PgCentralStore } from './pg';
import type { AlarmService } from '../alarms/service';
import { RemotePoints } from './remote';
import { EdgeAlarmMirror } from './remote-alarms';
import { registerCentralRoutes } from './routes';
import { CentralService } from './service';
import { centralSqliteMigrations, sqliteCentralStore } from './storage';

export const centralFeature: Feature = {
  name: 'central',
  migrations: [centralSqliteMigrations],
  entities: [sparkplughosts],
  compose(ctx) {
    const db = ctx.database;
    const store = db ? new PgCentralStore({ url: db.url, partition: db.partition, log: ctx.log }) : sqliteCentralStore(ctx.store);
    const central = new CentralService(store, ctx.store, ctx.log);
    ctx.services.set('central', central);
    registerCentralRoutes(ctx.app, ctx, central);
    // every screen shows remote sites: their metrics are points, their alarms alarms (remote.ts, remote-alarms.ts)
    const remote = new RemotePoints(ctx, new EdgeAlarmMirror(() => ctx.services.get('alarms') as AlarmService | undefined, ctx.log));
    central.observer = remote.take;
    central.brokerLost = remote.brokerLost;
    ctx.services.set('remotePoints', remote);
    let unwatch: (() => void) | null = null;
    return [
      {
        name: 'central',
        async start() {
          remote.start();
          await central.start();
          unwatch = ctx.registry.onChange((entity, _op, id) => {
            if (entity === 'sparkplughosts') {
              remote.hostChanged(id);
              void central.reload(id);
            }
          });
        },
        async stop() {
          unwatch?.();
          await central.stop();
          remote.stop();
        },
      },
    ];
  },
};
